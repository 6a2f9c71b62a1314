// The symbolic algebra: hash-consed expression nodes with constant folding and
// local simplification. Booleans are nodes of width 0.

import { Algebra, AddressKey, mask, toSigned } from './algebra';

export type Op =
  // bit-vectors
  | 'const'
  | 'var'
  | 'add'
  | 'sub'
  | 'and'
  | 'or'
  | 'xor'
  | 'not'
  | 'neg'
  | 'shl'
  | 'lshr'
  | 'ashr'
  | 'extract'
  | 'zext'
  | 'sext'
  | 'concat'
  | 'ite'
  | 'bit'
  // booleans
  | 'bconst'
  | 'eq'
  | 'ult'
  | 'ule'
  | 'slt'
  | 'sle'
  | 'band'
  | 'bor'
  | 'bnot'
  | 'bite';

export class Expr {
  constructor(
    readonly id: number,
    readonly op: Op,
    /** Bit width; 0 for booleans. */
    readonly width: number,
    readonly args: readonly Expr[],
    /** Constant value (bconst: 1n / 0n). */
    readonly value: bigint,
    /** Variable name. */
    readonly name: string,
    /** extract: hi, lo. */
    readonly hi: number,
    readonly lo: number,
  ) {}
  get isBool(): boolean {
    return this.width === 0;
  }
  toString(): string {
    return show(this);
  }
}

const NONE: readonly Expr[] = [];

const OPCODE: Record<Op, number> = {
  const: 0, var: 1, add: 2, sub: 3, and: 4, or: 5, xor: 6, not: 7, neg: 8, shl: 9, lshr: 10, ashr: 11,
  extract: 12, zext: 13, sext: 14, concat: 15, ite: 16, bit: 17, bconst: 18, eq: 19, ult: 20, ule: 21,
  slt: 22, sle: 23, band: 24, bor: 25, bnot: 26, bite: 27,
};

function hashBig(v: bigint): number {
  // the low 52 bits exactly, the rest folded in (values are unsigned and usually small)
  if (v < 0x10000000000000n) {
    const n = Number(v);
    return (n ^ Math.floor(n / 0x100000000)) | 0;
  }
  return (Number(v & 0xffffffffn) ^ Number((v >> 32n) & 0xffffffffn) ^ Number(v >> 64n & 0xffffn)) | 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function same(e: Expr, op: Op, width: number, args: readonly Expr[], value: bigint, name: string, hi: number, lo: number): boolean {
  if (e.op !== op || e.width !== width || e.args.length !== args.length || e.value !== value || e.hi !== hi || e.lo !== lo || e.name !== name) return false;
  for (let i = 0; i < args.length; i++) if (e.args[i] !== args[i]) return false;
  return true;
}

/** Hash-consing table and node constructors with simplification. */
export class SymbolicAlgebra implements Algebra<Expr, Expr> {
  readonly kind = 'symbolic' as const;
  /**
   * Hash-consing table: open addressing over a numeric hash of a node's fields, the hashes kept
   * beside the slots; a match is compared field by field. (A string key per node built and
   * hashed a string for every constructor call: a tenth of an analysis's time and much of its
   * garbage; a Map of numbers still grew by reallocating its tables.)
   */
  private hashes = new Int32Array(1024);
  private slots: (Expr | undefined)[] = new Array<Expr | undefined>(1024).fill(undefined);
  private count = 0;
  private nextId = 1;
  readonly T: Expr;
  readonly F: Expr;

  constructor() {
    this.T = this.node('bconst', 0, NONE, 1n);
    this.F = this.node('bconst', 0, NONE, 0n);
  }

  /** Number of distinct nodes made so far. */
  get size(): number {
    return this.count;
  }

  private node(op: Op, width: number, args: readonly Expr[], value = 0n, name = '', hi = 0, lo = 0): Expr {
    let h = Math.imul(OPCODE[op] + 1, 0x9e3779b1) ^ width;
    for (let i = 0; i < args.length; i++) h = (Math.imul(h ^ args[i].id, 0x85ebca6b) + i) | 0;
    if (op === 'const' || op === 'bconst') h = Math.imul(h ^ hashBig(value), 0xc2b2ae35);
    else if (op === 'var') h = Math.imul(h ^ hashString(name), 0xc2b2ae35);
    else if (op === 'extract') h = Math.imul(h ^ (hi * 131 + lo), 0xc2b2ae35);
    h ^= h >>> 15;
    const slots = this.slots;
    const hashes = this.hashes;
    const m = slots.length - 1;
    let i = h & m;
    for (let e = slots[i]; e !== undefined; e = slots[i]) {
      if (hashes[i] === h && same(e, op, width, args, value, name, hi, lo)) return e;
      i = (i + 1) & m;
    }
    const e = new Expr(this.nextId++, op, width, args, value, name, hi, lo);
    slots[i] = e;
    hashes[i] = h;
    if (++this.count * 2 > slots.length) this.grow();
    return e;
  }

  private grow(): void {
    const { slots, hashes } = this;
    const n = slots.length * 2;
    const m = n - 1;
    this.slots = new Array<Expr | undefined>(n).fill(undefined);
    this.hashes = new Int32Array(n);
    for (let j = 0; j < slots.length; j++) {
      const e = slots[j];
      if (e === undefined) continue;
      let i = hashes[j] & m;
      while (this.slots[i] !== undefined) i = (i + 1) & m;
      this.slots[i] = e;
      this.hashes[i] = hashes[j];
    }
  }

  // --- constants ---------------------------------------------------------------
  const(width: number, value: bigint): Expr {
    if (width < 1) throw new Error('const: width must be >= 1');
    return this.node('const', width, NONE, value & mask(width));
  }
  width(v: Expr): number {
    return v.width;
  }
  asConst(v: Expr): bigint | undefined {
    return v.op === 'const' ? v.value : undefined;
  }
  bool(b: boolean): Expr {
    return b ? this.T : this.F;
  }
  asBool(b: Expr): boolean | undefined {
    return b.op === 'bconst' ? b.value === 1n : undefined;
  }
  fresh(name: string, width: number): Expr {
    return this.node('var', width, NONE, 0n, name);
  }
  /** A fresh boolean is a 1-bit variable equal to 1. */
  freshBool(name: string): Expr {
    return this.eq(this.fresh(name, 1), this.const(1, 1n));
  }

  private c(e: Expr): bigint | undefined {
    return e.op === 'const' ? e.value : undefined;
  }
  private check2(a: Expr, b: Expr, op: string): void {
    if (a.width !== b.width || a.width === 0) throw new Error(`symbolic ${op}: widths ${a.width} and ${b.width}`);
  }

  // --- arithmetic ----------------------------------------------------------------
  add(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'add');
    const w = a.width;
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.const(w, ca + cb);
    if (ca !== undefined) return this.add(b, a);
    if (cb === 0n) return a;
    if (cb !== undefined && a.op === 'add' && a.args[1].op === 'const') return this.add(a.args[0], this.const(w, a.args[1].value + cb));
    if (cb === undefined && a.op === 'add' && a.args[1].op === 'const')
      return this.add(this.add(a.args[0], b), a.args[1]);
    if (cb === undefined && b.op === 'add' && b.args[1].op === 'const')
      return this.add(this.add(a, b.args[0]), b.args[1]);
    if (b.op === 'neg' && b.args[0] === a) return this.const(w, 0n);
    return this.node('add', w, [a, b]);
  }
  sub(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'sub');
    const w = a.width;
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.const(w, ca - cb);
    if (a === b) return this.const(w, 0n);
    if (cb !== undefined) return this.add(a, this.const(w, -cb));
    // (x + c1) - (x + c2) and friends: compare the non-constant parts.
    const ka = this.affine(a);
    const kb = this.affine(b);
    if (ka.rest === kb.rest) return this.const(w, ka.off - kb.off);
    return this.node('sub', w, [a, b]);
  }
  private affine(a: Expr): { rest: Expr | null; off: bigint } {
    if (a.op === 'const') return { rest: null, off: a.value };
    if (a.op === 'add' && a.args[1].op === 'const') return { rest: a.args[0], off: a.args[1].value };
    return { rest: a, off: 0n };
  }
  and(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'and');
    const w = a.width;
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.const(w, ca & cb);
    if (ca !== undefined) return this.and(b, a);
    if (cb === 0n) return b;
    if (cb === mask(w)) return a;
    if (a === b) return a;
    if ((a.op === 'not' && a.args[0] === b) || (b.op === 'not' && b.args[0] === a)) return this.const(w, 0n);
    if (cb !== undefined && a.op === 'and' && a.args[1].op === 'const') return this.and(a.args[0], this.const(w, a.args[1].value & cb));
    // (x | c1) & c2 = (x & (c2 & ~c1)) | (c1 & c2): the bits c1 sets are known under the mask
    if (cb !== undefined && a.op === 'or' && a.args[1].op === 'const') {
      const c1 = a.args[1].value;
      return this.or(this.and(a.args[0], this.const(w, cb & ~c1 & mask(w))), this.const(w, c1 & cb));
    }
    if (cb !== undefined && (a.op === 'concat' || a.op === 'zext')) return this.splitConst(a, cb, (x, y) => this.and(x, y));
    if (cb !== undefined && a.op === 'extract') {
      // a slice masked by a constant: keep the selected bit runs, zeros elsewhere
      let acc: Expr | undefined;
      let i = 0;
      while (i < w) {
        const bit = (cb >> BigInt(i)) & 1n;
        let j = i;
        while (j < w && ((cb >> BigInt(j)) & 1n) === bit) j++;
        const piece = bit ? this.extract(a, j - 1, i) : this.const(j - i, 0n);
        acc = acc ? this.concat(piece, acc) : piece;
        i = j;
      }
      return acc as Expr;
    }
    if (w === 1 && a.op === 'bit' && b.op === 'bit') return this.bit(this.andB(a.args[0], b.args[0]));
    return this.node('and', w, [a, b]);
  }
  or(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'or');
    const w = a.width;
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.const(w, ca | cb);
    if (ca !== undefined) return this.or(b, a);
    if (cb === 0n) return a;
    if (cb === mask(w)) return b;
    if (a === b) return a;
    if ((a.op === 'not' && a.args[0] === b) || (b.op === 'not' && b.args[0] === a)) return this.const(w, mask(w));
    if (cb !== undefined && a.op === 'or' && a.args[1].op === 'const') return this.or(a.args[0], this.const(w, a.args[1].value | cb));
    if (cb !== undefined && (a.op === 'concat' || a.op === 'zext')) return this.splitConst(a, cb, (x, y) => this.or(x, y));
    if (w === 1 && a.op === 'bit' && b.op === 'bit') return this.bit(this.orB(a.args[0], b.args[0]));
    return this.node('or', w, [a, b]);
  }
  xor(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'xor');
    const w = a.width;
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.const(w, ca ^ cb);
    if (ca !== undefined) return this.xor(b, a);
    if (cb === 0n) return a;
    if (cb === mask(w)) return this.not(a);
    if (a === b) return this.const(w, 0n);
    if (cb !== undefined && a.op === 'xor' && a.args[1].op === 'const') return this.xor(a.args[0], this.const(w, a.args[1].value ^ cb));
    return this.node('xor', w, [a, b]);
  }
  not(a: Expr): Expr {
    if (a.width === 0) throw new Error('symbolic not of a boolean');
    const ca = this.c(a);
    if (ca !== undefined) return this.const(a.width, ~ca);
    if (a.op === 'not') return a.args[0];
    if (a.width === 1 && a.op === 'bit') return this.bit(this.notB(a.args[0]));
    return this.node('not', a.width, [a]);
  }
  neg(a: Expr): Expr {
    if (a.width === 0) throw new Error('symbolic neg of a boolean');
    const ca = this.c(a);
    if (ca !== undefined) return this.const(a.width, -ca);
    if (a.op === 'neg') return a.args[0];
    return this.node('neg', a.width, [a]);
  }
  shl(a: Expr, n: Expr): Expr {
    this.check2(a, n, 'shl');
    const w = a.width;
    const k = this.c(n);
    if (k !== undefined) {
      if (k === 0n) return a;
      if (k >= BigInt(w)) return this.const(w, 0n);
      const kk = Number(k);
      return this.concat(this.extract(a, w - 1 - kk, 0), this.const(kk, 0n));
    }
    return this.node('shl', w, [a, n]);
  }
  lshr(a: Expr, n: Expr): Expr {
    this.check2(a, n, 'lshr');
    const w = a.width;
    const k = this.c(n);
    if (k !== undefined) {
      if (k === 0n) return a;
      if (k >= BigInt(w)) return this.const(w, 0n);
      return this.zext(this.extract(a, w - 1, Number(k)), w);
    }
    return this.node('lshr', w, [a, n]);
  }
  ashr(a: Expr, n: Expr): Expr {
    this.check2(a, n, 'ashr');
    const w = a.width;
    const k = this.c(n);
    if (k !== undefined) {
      if (k === 0n) return a;
      const kk = k >= BigInt(w) ? w - 1 : Number(k);
      return this.sext(this.extract(a, w - 1, kk), w);
    }
    return this.node('ashr', w, [a, n]);
  }

  /** Applies a bitwise operation with a constant piecewise over a concatenation or zero extension. */
  private splitConst(a: Expr, c: bigint, f: (x: Expr, y: Expr) => Expr): Expr {
    if (a.op === 'zext') {
      const x = a.args[0];
      const hi = this.const(a.width - x.width, c >> BigInt(x.width));
      return this.concat(f(this.const(hi.width, 0n), hi), f(x, this.const(x.width, c)));
    }
    const [h, l] = a.args;
    return this.concat(f(h, this.const(h.width, c >> BigInt(l.width))), f(l, this.const(l.width, c)));
  }

  // --- width changes ---------------------------------------------------------------
  /**
   * Extracts already made, by (node, hi, lo). Pushing an extract into both arms of an ite (and
   * through an add) is a tree walk: without the memo, a value merged at k joins (a register
   * that k branch diamonds each changed) costs 2^k for one parity flag; with it, the DAG's size.
   */
  private readonly extracts = new Map<string, Expr>();

  extract(a: Expr, hi: number, lo: number): Expr {
    const w = a.width;
    if (w === 0 || lo < 0 || hi < lo || hi >= w) throw new Error(`symbolic extract [${hi}:${lo}] of ${w} bits`);
    const n = hi - lo + 1;
    if (n === w) return a;
    const ca = this.c(a);
    if (ca !== undefined) return this.const(n, ca >> BigInt(lo));
    const key = `${a.id}:${hi}:${lo}`;
    const hit = this.extracts.get(key);
    if (hit) return hit;
    const r = this.extractOf(a, hi, lo, n);
    this.extracts.set(key, r);
    return r;
  }

  private extractOf(a: Expr, hi: number, lo: number, n: number): Expr {
    switch (a.op) {
      case 'extract':
        return this.extract(a.args[0], a.lo + hi, a.lo + lo);
      case 'concat': {
        const [h, l] = a.args;
        const lw = l.width;
        if (hi < lw) return this.extract(l, hi, lo);
        if (lo >= lw) return this.extract(h, hi - lw, lo - lw);
        return this.concat(this.extract(h, hi - lw, 0), this.extract(l, lw - 1, lo));
      }
      case 'zext': {
        const x = a.args[0];
        const xw = x.width;
        if (hi < xw) return this.extract(x, hi, lo);
        if (lo >= xw) return this.const(n, 0n);
        return this.zext(this.extract(x, xw - 1, lo), n);
      }
      case 'sext': {
        const x = a.args[0];
        const xw = x.width;
        if (hi < xw) return this.extract(x, hi, lo);
        if (lo >= xw) return this.sext(this.extract(x, xw - 1, xw - 1), n);
        return this.sext(this.extract(x, xw - 1, lo), n);
      }
      case 'and':
      case 'or':
      case 'xor':
        if (a.args[1].op === 'const' || a.args[0].op === 'const' || n === 1) {
          const x = this.extract(a.args[0], hi, lo);
          const y = this.extract(a.args[1], hi, lo);
          return a.op === 'and' ? this.and(x, y) : a.op === 'or' ? this.or(x, y) : this.xor(x, y);
        }
        break;
      case 'not':
        return this.not(this.extract(a.args[0], hi, lo));
      case 'ite':
        if (a.args[1].op === 'const' || a.args[2].op === 'const' || n === 1)
          return this.ite(a.args[0], this.extract(a.args[1], hi, lo), this.extract(a.args[2], hi, lo));
        break;
      case 'add':
      case 'sub':
        if (lo === 0 && (a.args[1].op === 'const' || a.args[0].op === 'const')) {
          const x = this.extract(a.args[0], hi, 0);
          const y = this.extract(a.args[1], hi, 0);
          return a.op === 'add' ? this.add(x, y) : this.sub(x, y);
        }
        break;
    }
    return this.node('extract', n, [a], 0n, '', hi, lo);
  }
  zext(a: Expr, width: number): Expr {
    if (width < a.width || a.width === 0) throw new Error('symbolic zext to a narrower width');
    if (width === a.width) return a;
    const ca = this.c(a);
    if (ca !== undefined) return this.const(width, ca);
    if (a.op === 'zext') return this.zext(a.args[0], width);
    return this.node('zext', width, [a]);
  }
  sext(a: Expr, width: number): Expr {
    if (width < a.width || a.width === 0) throw new Error('symbolic sext to a narrower width');
    if (width === a.width) return a;
    const ca = this.c(a);
    if (ca !== undefined) return this.const(width, toSigned(ca, a.width));
    if (a.op === 'sext') return this.sext(a.args[0], width);
    return this.node('sext', width, [a]);
  }
  /** Joins adjacent pieces: extracts of one value, or constants. */
  private join(h: Expr, l: Expr): Expr | undefined {
    const ch = this.c(h);
    const cl = this.c(l);
    if (ch !== undefined && cl !== undefined) return this.const(h.width + l.width, (ch << BigInt(l.width)) | cl);
    const hx = h.op === 'extract' ? h : undefined;
    const lx = l.op === 'extract' ? l : undefined;
    const hb = hx ? hx.args[0] : h;
    const hlo = hx ? hx.lo : 0;
    const lb = lx ? lx.args[0] : l;
    const lhi = lx ? lx.hi : l.width - 1;
    const llo = lx ? lx.lo : 0;
    if ((hx || lx) && hb === lb && hlo === lhi + 1) return this.extract(hb, hlo + h.width - 1, llo);
    return undefined;
  }
  concat(h: Expr, l: Expr): Expr {
    if (h.width === 0 || l.width === 0) throw new Error('symbolic concat of a boolean');
    const j = this.join(h, l);
    if (j) return j;
    if (h.op === 'const' && h.value === 0n) return this.zext(l, h.width + l.width);
    if (l.op === 'concat') {
      const j2 = this.join(h, l.args[0]);
      if (j2) return this.concat(j2, l.args[1]);
    }
    if (h.op === 'concat') {
      const j2 = this.join(h.args[1], l);
      if (j2) return this.concat(h.args[0], j2);
    }
    if (h.op === 'sext' && l.op === 'extract' && h.args[0].op === 'extract') {
      // sext(x[a:b]) above x[b-1:lo]: a sign extension of x[a:lo].
      const j2 = this.join(h.args[0], l);
      if (j2) return this.sext(j2, h.width + l.width);
    }
    return this.node('concat', h.width + l.width, [h, l]);
  }

  // --- comparisons ---------------------------------------------------------------
  eq(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'eq');
    if (a === b) return this.T;
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.bool(ca === cb);
    if (ca !== undefined) return this.eq(b, a);
    const w = a.width;
    if (cb !== undefined) {
      switch (a.op) {
        case 'bit':
          return cb === 1n ? a.args[0] : this.notB(a.args[0]);
        case 'add':
          if (a.args[1].op === 'const') return this.eq(a.args[0], this.const(w, cb - a.args[1].value));
          break;
        case 'xor':
          if (cb === 0n) return this.eq(a.args[0], a.args[1]);
          if (a.args[1].op === 'const') return this.eq(a.args[0], this.const(w, cb ^ a.args[1].value));
          break;
        case 'sub':
          if (cb === 0n) return this.eq(a.args[0], a.args[1]);
          break;
        case 'not':
          return this.eq(a.args[0], this.const(w, ~cb));
        case 'neg':
          return this.eq(a.args[0], this.const(w, -cb));
        case 'zext': {
          const x = a.args[0];
          if (cb >> BigInt(x.width) !== 0n) return this.F;
          return this.eq(x, this.const(x.width, cb));
        }
        case 'sext': {
          const x = a.args[0];
          const t = cb & mask(x.width);
          if ((BigInt.asIntN(x.width, t) & mask(w)) !== cb) return this.F;
          return this.eq(x, this.const(x.width, t));
        }
        case 'concat': {
          const [h, l] = a.args;
          return this.andB(this.eq(h, this.const(h.width, cb >> BigInt(l.width))), this.eq(l, this.const(l.width, cb)));
        }
        case 'ite': {
          const [c, x, y] = a.args;
          const cx = this.c(x);
          const cy = this.c(y);
          if (cx !== undefined && cy !== undefined) {
            if (cx === cb && cy !== cb) return c;
            if (cy === cb && cx !== cb) return this.notB(c);
            if (cx !== cb && cy !== cb) return this.F;
          }
          break;
        }
      }
    }
    // order operands for hash-consing (constants stay on the right)
    if (cb === undefined && a.id > b.id) return this.node('eq', 0, [b, a]);
    return this.node('eq', 0, [a, b]);
  }
  ult(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'ult');
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.bool(ca < cb);
    if (a === b || cb === 0n) return this.F;
    if (ca === mask(a.width)) return this.F;
    return this.node('ult', 0, [a, b]);
  }
  ule(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'ule');
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.bool(ca <= cb);
    if (a === b || ca === 0n || cb === mask(a.width)) return this.T;
    return this.node('ule', 0, [a, b]);
  }
  slt(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'slt');
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.bool(toSigned(ca, a.width) < toSigned(cb, b.width));
    if (a === b) return this.F;
    return this.node('slt', 0, [a, b]);
  }
  sle(a: Expr, b: Expr): Expr {
    this.check2(a, b, 'sle');
    const ca = this.c(a);
    const cb = this.c(b);
    if (ca !== undefined && cb !== undefined) return this.bool(toSigned(ca, a.width) <= toSigned(cb, b.width));
    if (a === b) return this.T;
    return this.node('sle', 0, [a, b]);
  }

  // --- choice and booleans ---------------------------------------------------------
  ite(c: Expr, a: Expr, b: Expr): Expr {
    this.check2(a, b, 'ite');
    if (c.width !== 0) throw new Error('ite condition must be boolean');
    if (c === this.T) return a;
    if (c === this.F) return b;
    if (a === b) return a;
    if (c.op === 'bnot') return this.ite(c.args[0], b, a);
    if (a.width === 1) {
      const ca = this.c(a);
      const cb = this.c(b);
      if (ca === 1n && cb === 0n) return this.bit(c);
      if (ca === 0n && cb === 1n) return this.bit(this.notB(c));
    }
    // ite(c, ite(c, x, y), z) = ite(c, x, z)
    if (a.op === 'ite' && a.args[0] === c) return this.ite(c, a.args[1], b);
    if (b.op === 'ite' && b.args[0] === c) return this.ite(c, a, b.args[2]);
    return this.node('ite', a.width, [c, a, b]);
  }
  bit(b: Expr): Expr {
    if (b.width !== 0) throw new Error('bit of a bit-vector');
    if (b === this.T) return this.const(1, 1n);
    if (b === this.F) return this.const(1, 0n);
    // bit(x == 1) for a 1-bit x is x itself
    if (b.op === 'eq' && b.args[0].width === 1) {
      const [x, y] = b.args;
      if (y.op === 'const') return y.value === 1n ? x : this.not(x);
      if (x.op === 'const') return x.value === 1n ? y : this.not(y);
    }
    return this.node('bit', 1, [b]);
  }
  andB(a: Expr, b: Expr): Expr {
    if (a === this.F || b === this.F) return this.F;
    if (a === this.T) return b;
    if (b === this.T) return a;
    if (a === b) return a;
    if ((a.op === 'bnot' && a.args[0] === b) || (b.op === 'bnot' && b.args[0] === a)) return this.F;
    if (a.id > b.id) return this.node('band', 0, [b, a]);
    return this.node('band', 0, [a, b]);
  }
  orB(a: Expr, b: Expr): Expr {
    if (a === this.T || b === this.T) return this.T;
    if (a === this.F) return b;
    if (b === this.F) return a;
    if (a === b) return a;
    if ((a.op === 'bnot' && a.args[0] === b) || (b.op === 'bnot' && b.args[0] === a)) return this.T;
    // x < y || x == y  is  x <= y (unsigned and signed)
    for (const [lt, e] of [
      [a, b],
      [b, a],
    ]) {
      if ((lt.op === 'ult' || lt.op === 'slt') && e.op === 'eq') {
        const [x, y] = lt.args;
        if ((e.args[0] === x && e.args[1] === y) || (e.args[0] === y && e.args[1] === x)) return lt.op === 'ult' ? this.ule(x, y) : this.sle(x, y);
      }
    }
    if (a.id > b.id) return this.node('bor', 0, [b, a]);
    return this.node('bor', 0, [a, b]);
  }
  notB(a: Expr): Expr {
    if (a === this.T) return this.F;
    if (a === this.F) return this.T;
    if (a.op === 'bnot') return a.args[0];
    return this.node('bnot', 0, [a]);
  }
  iteB(c: Expr, a: Expr, b: Expr): Expr {
    if (c === this.T) return a;
    if (c === this.F) return b;
    if (a === b) return a;
    if (a === this.T && b === this.F) return c;
    if (a === this.F && b === this.T) return this.notB(c);
    if (a === this.T) return this.orB(c, b);
    if (b === this.F) return this.andB(c, a);
    return this.node('bite', 0, [c, a, b]);
  }

  /** addressKey's answers by node (it prints its terms: the walk asks for every push and access). */
  private readonly addressKeys = new Map<number, Readonly<AddressKey>>();
  addressKey(a: Expr): AddressKey {
    let k = this.addressKeys.get(a.id);
    if (!k) this.addressKeys.set(a.id, (k = Object.freeze(this.addressKeyOf(a))));
    return k;
  }
  private addressKeyOf(a: Expr): AddressKey {
    const terms: Expr[] = [];
    let off = 0n;
    const walk = (e: Expr): void => {
      if (e.op === 'add') {
        walk(e.args[0]);
        walk(e.args[1]);
      } else if (e.op === 'const') off += e.value;
      else terms.push(e);
    };
    walk(a);
    const names = terms.map((t) => show(t)).sort();
    return { base: names.join(' + '), offset: BigInt.asIntN(64, off & mask(a.width)) };
  }

  show(v: Expr): string {
    return show(v);
  }
  showB(b: Expr): string {
    return show(b);
  }
}

// ---------------------------------------------------------------------------
// Printing

function hex(v: bigint): string {
  return v < 10n ? v.toString() : '0x' + v.toString(16);
}

const PREC: Partial<Record<Op, number>> = {
  bor: 1,
  band: 2,
  eq: 4,
  ult: 4,
  ule: 4,
  slt: 4,
  sle: 4,
  or: 5,
  xor: 6,
  and: 7,
  shl: 8,
  lshr: 8,
  ashr: 8,
  add: 9,
  sub: 9,
};

/** Readable text: `user.rip`, `ptregs.flags & 0x10100`, `sext47(x)`. Long texts are cut at `maxLength`. */
export function show(e: Expr, outer = 0, maxLength = 4000): string {
  let text: string;
  try {
    text = showRec(e, outer);
  } catch (err) {
    if (err instanceof RangeError) return `<expression #${e.id}: too deep to print>`;
    throw err;
  }
  return text.length > maxLength ? text.slice(0, maxLength) + '…' : text;
}

function showRec(e: Expr, outer = 0): string {
  const show = showRec;
  if (e.op === 'concat' || e.op === 'zext') {
    const mf = maskForm(e);
    if (mf) {
      const s = mf.c ? `${show(mf.x, 7)} & ${hex(mf.mask)} | ${hex(mf.c)}` : `${show(mf.x, 7)} & ${hex(mf.mask)}`;
      const q = mf.c ? 5 : 7;
      return q < outer ? '(' + s + ')' : s;
    }
  }
  const p = PREC[e.op] ?? 100;
  const wrap = (s: string): string => (p < outer ? '(' + s + ')' : s);
  const a = e.args;
  switch (e.op) {
    case 'const':
      return hex(e.value);
    case 'bconst':
      return e.value ? 'true' : 'false';
    case 'var':
      return e.name;
    case 'add': {
      if (a[1].op === 'const') {
        const s = toSigned(a[1].value, e.width);
        if (s < 0n) return wrap(show(a[0], p) + ' - ' + hex(-s));
      }
      return wrap(show(a[0], p) + ' + ' + show(a[1], p + 1));
    }
    case 'sub':
      return wrap(show(a[0], p) + ' - ' + show(a[1], p + 1));
    case 'and':
      return wrap(show(a[0], p) + ' & ' + show(a[1], p + 1));
    case 'or':
      return wrap(show(a[0], p) + ' | ' + show(a[1], p + 1));
    case 'xor':
      return wrap(show(a[0], p) + ' ^ ' + show(a[1], p + 1));
    case 'shl':
      return wrap(show(a[0], p) + ' << ' + show(a[1], p + 1));
    case 'lshr':
      return wrap(show(a[0], p) + ' >> ' + show(a[1], p + 1));
    case 'ashr':
      return wrap(show(a[0], p) + ' >>s ' + show(a[1], p + 1));
    case 'not':
      return '~' + show(a[0], 100);
    case 'neg':
      return '-' + show(a[0], 100);
    case 'extract':
      return show(a[0], 100) + (e.hi === e.lo ? `[${e.hi}]` : `[${e.hi}:${e.lo}]`);
    case 'zext':
      return `zext${e.width}(${show(a[0])})`;
    case 'sext': {
      const x = a[0];
      if (x.op === 'extract' && x.lo === 0 && x.args[0].width === e.width) return `sext${x.hi}(${show(x.args[0])})`;
      return `sext${e.width}(${show(x)})`;
    }
    case 'concat':
      return `concat(${show(a[0])}, ${show(a[1])})`;
    case 'ite':
      return `(${show(a[0])} ? ${show(a[1])} : ${show(a[2])})`;
    case 'bit':
      return `bit(${show(a[0])})`;
    case 'eq': {
      // x == 0 over a conjunction reads better as written
      return wrap(show(a[0], 9) + ' == ' + show(a[1], 9));
    }
    case 'ult':
      return wrap(show(a[0], 9) + ' < ' + show(a[1], 9));
    case 'ule':
      return wrap(show(a[0], 9) + ' <= ' + show(a[1], 9));
    case 'slt':
      return wrap(show(a[0], 9) + ' <s ' + show(a[1], 9));
    case 'sle':
      return wrap(show(a[0], 9) + ' <=s ' + show(a[1], 9));
    case 'band':
      return wrap(show(a[0], p) + ' && ' + show(a[1], p + 1));
    case 'bor':
      return wrap(show(a[0], p) + ' || ' + show(a[1], p + 1));
    case 'bnot': {
      const x = a[0];
      if (x.op === 'eq') return wrap(show(x.args[0], 9) + ' != ' + show(x.args[1], 9));
      return '!' + show(x, 100);
    }
    case 'bite':
      return `(${show(a[0])} ? ${show(a[1])} : ${show(a[2])})`;
  }
}

/**
 * Recognises a concatenation of constants and bit ranges of one value kept at
 * their own positions: that is `x & mask | c`.
 */
function maskForm(e: Expr): { x: Expr; mask: bigint; c: bigint } | undefined {
  let x: Expr | undefined;
  let m = 0n;
  let c = 0n;
  const walk = (n: Expr, pos: number): boolean => {
    switch (n.op) {
      case 'concat':
        return walk(n.args[1], pos) && walk(n.args[0], pos + n.args[1].width);
      case 'zext':
        return walk(n.args[0], pos);
      case 'const':
        c |= n.value << BigInt(pos);
        return true;
      case 'extract': {
        const base = n.args[0];
        if (n.lo !== pos || (x && x !== base)) return false;
        x = base;
        m |= mask(n.width) << BigInt(pos);
        return true;
      }
      default:
        return false;
    }
  };
  if (!walk(e, 0) || !x || x.width !== e.width) return undefined;
  return { x, mask: m, c };
}

// ---------------------------------------------------------------------------
// Evaluation under an assignment of the variables.

/** Evaluates to a bigint (booleans: 1n / 0n). Unassigned variables read as 0. Iterative: deep DAGs are fine. */
export function evaluate(e: Expr, env: ReadonlyMap<string, bigint>, memo = new Map<number, bigint>()): bigint {
  const stack: Expr[] = [e];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (memo.has(top.id)) {
      stack.pop();
      continue;
    }
    let ready = true;
    for (const a of top.args)
      if (!memo.has(a.id)) {
        stack.push(a);
        ready = false;
      }
    if (!ready) continue;
    stack.pop();
    memo.set(top.id, evalNode(top, env, memo));
  }
  return memo.get(e.id) as bigint;
}

function evalNode(e: Expr, env: ReadonlyMap<string, bigint>, memo: Map<number, bigint>): bigint {
  const w = e.width;
  const a = e.args;
  const ev = (x: Expr): bigint => memo.get(x.id) as bigint;
  const mk = (v: bigint): bigint => v & mask(w);
  switch (e.op) {
    case 'const':
    case 'bconst':
      return e.value;
    case 'var':
      return mk(env.get(e.name) ?? 0n);
    case 'add':
      return mk(ev(a[0]) + ev(a[1]));
    case 'sub':
      return mk(ev(a[0]) - ev(a[1]));
    case 'and':
      return ev(a[0]) & ev(a[1]);
    case 'or':
      return ev(a[0]) | ev(a[1]);
    case 'xor':
      return ev(a[0]) ^ ev(a[1]);
    case 'not':
      return mk(~ev(a[0]));
    case 'neg':
      return mk(-ev(a[0]));
    case 'shl': {
      const n = ev(a[1]);
      return n >= BigInt(w) ? 0n : mk(ev(a[0]) << n);
    }
    case 'lshr': {
      const n = ev(a[1]);
      return n >= BigInt(w) ? 0n : ev(a[0]) >> n;
    }
    case 'ashr': {
      const n = ev(a[1]);
      return mk(toSigned(ev(a[0]), w) >> (n >= BigInt(w) ? BigInt(w - 1) : n));
    }
    case 'extract':
      return (ev(a[0]) >> BigInt(e.lo)) & mask(w);
    case 'zext':
      return ev(a[0]);
    case 'sext':
      return mk(toSigned(ev(a[0]), a[0].width));
    case 'concat':
      return (ev(a[0]) << BigInt(a[1].width)) | ev(a[1]);
    case 'ite':
    case 'bite':
      return ev(a[0]) ? ev(a[1]) : ev(a[2]);
    case 'bit':
      return ev(a[0]);
    case 'eq':
      return ev(a[0]) === ev(a[1]) ? 1n : 0n;
    case 'ult':
      return ev(a[0]) < ev(a[1]) ? 1n : 0n;
    case 'ule':
      return ev(a[0]) <= ev(a[1]) ? 1n : 0n;
    case 'slt':
      return toSigned(ev(a[0]), a[0].width) < toSigned(ev(a[1]), a[1].width) ? 1n : 0n;
    case 'sle':
      return toSigned(ev(a[0]), a[0].width) <= toSigned(ev(a[1]), a[1].width) ? 1n : 0n;
    case 'band':
      return ev(a[0]) && ev(a[1]) ? 1n : 0n;
    case 'bor':
      return ev(a[0]) || ev(a[1]) ? 1n : 0n;
    case 'bnot':
      return ev(a[0]) ? 0n : 1n;
  }
}

/**
 * The variables an expression mentions, with their widths. `valuesOnly`: only those in value
 * positions — not in the conditions of `ite`, which choose between values without being one.
 */
export function variables(e: Expr, valuesOnly = false): Map<string, number> {
  const out = new Map<string, number>();
  const seen = new Set<number>();
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop() as Expr;
    if (seen.has(x.id)) continue;
    seen.add(x.id);
    if (x.op === 'var') out.set(x.name, x.width);
    if (valuesOnly && x.op === 'ite') stack.push(x.args[1], x.args[2]);
    else for (const y of x.args) stack.push(y);
  }
  return out;
}
