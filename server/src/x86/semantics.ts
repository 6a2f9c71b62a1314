// Instruction semantics, written once against the algebra.

import { AddressKey, Algebra, isSet, isZero, mask, toSigned } from './algebra';
import { CONDITIONS, parseMnemonic, ParsedMnemonic } from './describe';
import { applySyscall, ExitRecord, Fault, iret, LINUX_SELECTORS, Selectors, sysexit, sysret } from './exits';
import { Instruction, MemOperand, Operand } from './insn';
import { CONTROL_REGS, ControlReg, Flag, lookupRegister, MachineState, MSR_NAMES, noteGsBaseWrite, RegRef, Segment, SEGMENTS, STATUS_FLAGS, VaBits } from './state';

export interface MemoryAccess<V> {
  kind: 'read' | 'write';
  /** Segment override (gs, fs) when there is one. */
  seg?: string;
  key: AddressKey;
  width: number;
  /** The value read or written. */
  value: V;
  /** The 1-bit GS-kernel flag at the time of a %gs: access. */
  gsKernel?: V;
  /** The instruction's memory operand this access is of (none for the stack accesses of push, pop, call, ret). */
  operand?: MemOperand;
}

export interface StepContext<V> {
  /** Virtual-address width for canonical checks (default 48). */
  vaBits?: VaBits;
  /** Value of a symbol used as displacement or immediate, when known. */
  resolveSymbol?(name: string): bigint | undefined;
  /** The address of the next instruction (pushed by call, saved by syscall). */
  nextRip?: V;
  /** Selectors the IRET model accepts (default: Linux's). */
  selectors?: Selectors;
  /** Told of every data memory access. */
  onAccess?(access: MemoryAccess<V>): void;
}

export type JumpTarget<V> = { kind: 'label'; name: string } | { kind: 'value'; value: V };

export type StepOutcome<V, B> =
  | { kind: 'next' }
  /** jcc: continue at `target` when `cond` holds, else fall through. */
  | { kind: 'branch'; cond: B; target: string }
  | { kind: 'jump'; target: JumpTarget<V> }
  /** The return address has been pushed. */
  | { kind: 'call'; target: JumpTarget<V> }
  /** The return address has been popped. */
  | { kind: 'ret'; target: V }
  | { kind: 'exit'; exit: ExitRecord<V, B> }
  | { kind: 'fault'; fault: Fault<B> }
  /** SYSCALL executed: the state is the kernel entry state. */
  | { kind: 'syscall' }
  | { kind: 'unknown'; reason: string };

const RING0_ONLY = new Set(['swapgs', 'rdmsr', 'wrmsr', 'clac', 'stac', 'hlt']);

/** Thrown inside a step for an instruction the model cannot run; turned into an 'unknown' outcome. */
class Unmodeled extends Error {}

/** Fresh names' numbers, per algebra: an analysis names its undefined values alike whatever ran before it in the process. */
const undefCounters = new WeakMap<object, number>();
function nextUndef(A: object): number {
  const n = (undefCounters.get(A) ?? 0) + 1;
  undefCounters.set(A, n);
  return n;
}

type Handler = <V, B>(x: Exec<V, B>) => StepOutcome<V, B> | void;

/** The working context of one instruction. */
class Exec<V, B> {
  readonly ops: Operand[];
  constructor(
    readonly A: Algebra<V, B>,
    readonly s: MachineState<V, B>,
    readonly ctx: StepContext<V>,
    readonly insn: Instruction,
    readonly pm: ParsedMnemonic,
  ) {
    this.ops = insn.operands;
  }

  fail(msg: string): never {
    throw new Unmodeled(msg);
  }

  c(width: number, v: bigint): V {
    return this.A.const(width, v);
  }

  // --- operand sizes ------------------------------------------------------------------
  gprRef(op: Operand | undefined): RegRef | undefined {
    return op && op.kind === 'reg' ? lookupRegister(op.name) : undefined;
  }
  /** Operand size: the suffix, else a general-register operand (destination first). */
  size(opts: { skipFirst?: boolean; dflt?: number } = {}): number {
    if (this.pm.size) return this.pm.size;
    const ops = this.ops;
    const last = this.gprRef(ops[ops.length - 1]);
    if (last) return last.width;
    for (let i = opts.skipFirst ? 1 : 0; i < ops.length; i++) {
      const r = this.gprRef(ops[i]);
      if (r) return r.width;
    }
    if (opts.dflt) return opts.dflt;
    return this.fail(`operand size of ${this.insn.mnemonic} is ambiguous (add a b/w/l/q suffix)`);
  }
  arity(n: number): void {
    if (this.ops.length !== n) this.fail(`${this.insn.mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, got ${this.ops.length}`);
  }

  // --- addresses and operands ---------------------------------------------------------
  symbolValue(name: string): V {
    const v = this.ctx.resolveSymbol?.(name);
    if (v !== undefined) return this.c(64, v);
    if (this.A.kind === 'symbolic') return this.A.fresh(name, 64);
    return this.fail(`symbol ${name} has no value`);
  }
  reg64(name: string): V {
    const r = lookupRegister(name);
    if (!r || r.width < 32) this.fail(`bad address register %${name}`);
    const v = this.s.readRef(r);
    return r.width === 64 ? v : this.A.zext(v, 64);
  }
  /** The effective address (no segment base). */
  ea(m: MemOperand): V {
    const A = this.A;
    let a = this.c(64, m.disp);
    if (m.dispSymbol) a = A.add(this.symbolValue(m.dispSymbol), a);
    if (m.base && m.base !== 'rip') a = A.add(a, this.reg64(m.base));
    if (m.base === 'rip' && !m.dispSymbol) this.fail('RIP-relative address without a symbol');
    if (m.index) {
      const shift = { 1: 0n, 2: 1n, 4: 2n, 8: 3n }[m.scale];
      if (shift === undefined) this.fail(`bad scale ${m.scale}`);
      a = A.add(a, A.shl(this.reg64(m.index), this.c(64, shift)));
    }
    return a;
  }
  key(m: MemOperand, addr: V): AddressKey {
    const k = this.A.addressKey(addr);
    if (m.seg === 'gs' || m.seg === 'fs') return { base: m.seg + ':' + k.base, offset: k.offset };
    return k;
  }
  load(m: MemOperand, width: number, addr = this.ea(m)): V {
    const key = this.key(m, addr);
    const v = this.s.loadAt(key, width);
    this.ctx.onAccess?.({ kind: 'read', seg: m.seg, key, width, value: v, gsKernel: m.seg === 'gs' ? this.s.gsKernel : undefined, operand: m });
    return v;
  }
  store(m: MemOperand, v: V, addr = this.ea(m)): void {
    const key = this.key(m, addr);
    const width = this.A.width(v);
    this.ctx.onAccess?.({ kind: 'write', seg: m.seg, key, width, value: v, gsKernel: m.seg === 'gs' ? this.s.gsKernel : undefined, operand: m });
    this.s.storeAt(key, v);
  }
  stackLoad(addr: V, width: number): V {
    const key = this.A.addressKey(addr);
    const v = this.s.loadAt(key, width);
    this.ctx.onAccess?.({ kind: 'read', key, width, value: v });
    return v;
  }
  stackStore(addr: V, v: V): void {
    const key = this.A.addressKey(addr);
    this.ctx.onAccess?.({ kind: 'write', key, width: this.A.width(v), value: v });
    this.s.storeAt(key, v);
  }

  /** Reads an operand at `width` bits. */
  read(op: Operand, width: number): V {
    const A = this.A;
    switch (op.kind) {
      case 'reg': {
        const r = lookupRegister(op.name);
        if (r) {
          if (r.width !== width) this.fail(`%${op.name} is ${r.width}-bit, ${width}-bit operand expected`);
          return this.s.readRef(r);
        }
        if ((SEGMENTS as readonly string[]).includes(op.name)) return A.zext(this.s.seg[op.name as Segment], Math.max(16, width));
        if ((CONTROL_REGS as readonly string[]).includes(op.name)) {
          if (width !== 64) this.fail('control registers are 64-bit');
          return this.s.cr[op.name as ControlReg];
        }
        return this.fail(`unknown register %${op.name}`);
      }
      case 'imm': {
        let v = this.c(width, op.value);
        if (op.symbol) v = A.add(A.extract(this.symbolValue(op.symbol), width - 1, 0), v);
        return v;
      }
      case 'mem':
        return this.load(op, width);
      default:
        return this.fail(`${op.kind} operand cannot be read as data`);
    }
  }
  write(op: Operand, v: V): void {
    const A = this.A;
    switch (op.kind) {
      case 'reg': {
        const r = lookupRegister(op.name);
        if (r) return this.s.writeRef(r, v);
        if ((SEGMENTS as readonly string[]).includes(op.name)) {
          if (op.name === 'cs') this.fail('mov to %cs is not an instruction');
          this.s.seg[op.name as Segment] = A.extract(v, 15, 0);
          return;
        }
        if ((CONTROL_REGS as readonly string[]).includes(op.name)) {
          this.s.cr[op.name as ControlReg] = v;
          return;
        }
        return this.fail(`unknown register %${op.name}`);
      }
      case 'mem':
        return this.store(op, v);
      default:
        return this.fail(`cannot write to a ${op.kind} operand`);
    }
  }

  // --- flags ------------------------------------------------------------------------------
  bitB(b: B): V {
    return this.A.bit(b);
  }
  msb(v: V): V {
    const w = this.A.width(v);
    return this.A.extract(v, w - 1, w - 1);
  }
  parity(r: V): V {
    const A = this.A;
    let p = A.extract(r, 0, 0);
    for (let i = 1; i < 8; i++) p = A.xor(p, A.extract(r, i, i));
    return A.not(p);
  }
  setResult(r: V): void {
    const s = this.s;
    s.setFlag('ZF', this.bitB(isZero(this.A, r)));
    s.setFlag('SF', this.msb(r));
    s.setFlag('PF', this.parity(r));
  }
  undef(f: Flag, v?: V): void {
    const A = this.A;
    const val = A.kind === 'symbolic' ? A.fresh(`undef.${f}#${nextUndef(A)}`, 1) : (v ?? this.s.flags[f]);
    this.s.setUndefined(f, val);
  }
  /**
   * A flag that is undefined when `cond` holds and `v` otherwise. It is marked
   * undefined unless `cond` is known false (its value stays exact where defined).
   */
  undefWhen(f: Flag, cond: B, v: V): void {
    const A = this.A;
    const c = A.asBool(cond);
    if (c === false) {
      const was = this.s.undefinedFlags.has(f) && v === this.s.flags[f];
      this.s.setFlag(f, v);
      if (was) this.s.undefinedFlags.add(f);
      return;
    }
    if (c === true) return this.undef(f, v);
    this.s.setUndefined(f, A.ite(cond, A.fresh(`undef.${f}#${nextUndef(A)}`, 1), v));
  }
  flag(f: Flag): V {
    return this.s.flags[f];
  }
  cond(cc: string): B {
    const A = this.A;
    const f = (n: Flag): B => isSet(A, this.flag(n));
    const fl = this.s.flags;
    const lc = this.s.lastCompare;
    // after cmp/sub, while its flags are current, signed conditions are plain comparisons
    const fromCompare = lc && lc.sf === fl.SF && lc.of === fl.OF ? lc : undefined;
    const sfNeOf = (): B => (fromCompare ? A.slt(fromCompare.a, fromCompare.b) : A.notB(A.eq(this.flag('SF'), this.flag('OF'))));
    if (fromCompare && fromCompare.zf === fl.ZF) {
      if (cc === 'le') return A.sle(fromCompare.a, fromCompare.b);
      if (cc === 'g') return A.notB(A.sle(fromCompare.a, fromCompare.b));
    }
    switch (cc) {
      case 'o':
        return f('OF');
      case 'no':
        return A.notB(f('OF'));
      case 'b':
        return f('CF');
      case 'ae':
        return A.notB(f('CF'));
      case 'e':
        return f('ZF');
      case 'ne':
        return A.notB(f('ZF'));
      case 'be':
        return A.orB(f('CF'), f('ZF'));
      case 'a':
        return A.notB(A.orB(f('CF'), f('ZF')));
      case 's':
        return f('SF');
      case 'ns':
        return A.notB(f('SF'));
      case 'p':
        return f('PF');
      case 'np':
        return A.notB(f('PF'));
      case 'l':
        return sfNeOf();
      case 'ge':
        return A.notB(sfNeOf());
      case 'le':
        return A.orB(f('ZF'), sfNeOf());
      case 'g':
        return A.notB(A.orB(f('ZF'), sfNeOf()));
    }
    return this.fail(`unknown condition ${cc}`);
  }

  // --- stack ------------------------------------------------------------------------------
  push(v: V): void {
    const A = this.A;
    const n = A.width(v) / 8;
    const rsp = A.sub(this.s.regs.rsp, this.c(64, BigInt(n)));
    this.stackStore(rsp, v);
    this.s.regs.rsp = rsp;
  }
  pop(width: number): V {
    const A = this.A;
    const v = this.stackLoad(this.s.regs.rsp, width);
    this.s.regs.rsp = A.add(this.s.regs.rsp, this.c(64, BigInt(width / 8)));
    return v;
  }
  target(op: Operand | undefined): JumpTarget<V> {
    if (!op) return this.fail(`${this.insn.mnemonic} needs a target`);
    if (op.kind === 'label') return { kind: 'label', name: op.name };
    if (op.kind === 'indirect') return { kind: 'value', value: this.read(op.target, 64) };
    if (op.kind === 'reg' || op.kind === 'mem') return { kind: 'value', value: this.read(op, 64) };
    return this.fail('bad jump target');
  }
}

// ---------------------------------------------------------------------------
// Arithmetic helpers

function addWithFlags<V, B>(x: Exec<V, B>, a: V, b: V, carryIn?: V): V {
  const A = x.A;
  const w = A.width(a);
  let r: V;
  let cf: V;
  if (carryIn) {
    const wide = A.add(A.add(A.zext(a, w + 1), A.zext(b, w + 1)), A.zext(carryIn, w + 1));
    r = A.extract(wide, w - 1, 0);
    cf = A.extract(wide, w, w);
  } else {
    r = A.add(a, b);
    cf = A.bit(A.ult(r, a));
  }
  x.s.setFlag('CF', cf);
  x.s.setFlag('OF', x.msb(A.and(A.xor(a, r), A.xor(b, r))));
  x.s.setFlag('AF', A.extract(A.xor(A.xor(a, b), r), 4, 4));
  x.setResult(r);
  return r;
}

function subWithFlags<V, B>(x: Exec<V, B>, a: V, b: V, borrowIn?: V): V {
  const A = x.A;
  const w = A.width(a);
  let r: V;
  let cf: V;
  if (borrowIn) {
    const wide = A.sub(A.sub(A.zext(a, w + 1), A.zext(b, w + 1)), A.zext(borrowIn, w + 1));
    r = A.extract(wide, w - 1, 0);
    cf = A.extract(wide, w, w);
  } else {
    r = A.sub(a, b);
    cf = A.bit(A.ult(a, b));
  }
  x.s.setFlag('CF', cf);
  x.s.setFlag('OF', x.msb(A.and(A.xor(a, b), A.xor(a, r))));
  x.s.setFlag('AF', A.extract(A.xor(A.xor(a, b), r), 4, 4));
  x.setResult(r);
  if (!borrowIn) x.s.lastCompare = { a, b, zf: x.s.flags.ZF, sf: x.s.flags.SF, of: x.s.flags.OF };
  return r;
}

function logicFlags<V, B>(x: Exec<V, B>, r: V): void {
  x.s.setFlag('CF', x.c(1, 0n));
  x.s.setFlag('OF', x.c(1, 0n));
  x.undef('AF', x.c(1, 0n));
  x.setResult(r);
}

function binop<V, B>(x: Exec<V, B>, f: (a: V, b: V, w: number) => V, store = true): void {
  x.arity(2);
  const w = x.size();
  const [src, dst] = x.ops;
  const b = x.read(src, w);
  const a = x.read(dst, w);
  const r = f(a, b, w);
  if (store) x.write(dst, r);
}

function unop<V, B>(x: Exec<V, B>, f: (a: V, w: number) => V): void {
  x.arity(1);
  const w = x.size();
  const a = x.read(x.ops[0], w);
  x.write(x.ops[0], f(a, w));
}

// ---------------------------------------------------------------------------
// Shifts and rotates

function shiftCount<V, B>(x: Exec<V, B>, w: number): { count: V; dst: Operand } {
  const A = x.A;
  let raw: V;
  let dst: Operand;
  if (x.ops.length === 1) {
    raw = x.c(8, 1n);
    dst = x.ops[0];
  } else {
    x.arity(2);
    const src = x.ops[0];
    dst = x.ops[1];
    if (src.kind === 'imm') raw = src.symbol ? x.read(src, 8) : x.c(8, src.value);
    else if (src.kind === 'reg' && src.name === 'cl') raw = x.s.read('cl');
    else return x.fail('shift count must be an immediate or %cl');
  }
  return { count: A.and(raw, x.c(8, w === 64 ? 0x3fn : 0x1fn)), dst };
}

type ShiftKind = 'shl' | 'shr' | 'sar';

function shift<V, B>(x: Exec<V, B>, kind: ShiftKind): void {
  const A = x.A;
  const s = x.s;
  const w = x.size({ skipFirst: true });
  const { count, dst } = shiftCount(x, w);
  const a = x.read(dst, w);
  const nW = w === 8 ? count : A.zext(count, w);
  const r = kind === 'shl' ? A.shl(a, nW) : kind === 'shr' ? A.lshr(a, nW) : A.ashr(a, nW);
  // CF: the last bit shifted out (computed in w+1 bits so counts up to 31 behave)
  const n1 = A.zext(count, w + 1);
  let cf: V;
  if (kind === 'shl') cf = A.extract(A.shl(A.zext(a, w + 1), n1), w, w);
  else {
    const ext = A.concat(a, A.const(1, 0n));
    cf = A.extract(kind === 'shr' ? A.lshr(ext, n1) : A.ashr(ext, n1), 0, 0);
  }
  let of: V;
  if (kind === 'shl') of = A.xor(x.msb(r), cf);
  else if (kind === 'shr') of = x.msb(a);
  else of = A.const(1, 0n);
  const cc = A.asConst(count);
  const isZeroCount = isZero(A, count);
  const pick = (f: Flag, v: V): V => A.ite(isZeroCount, s.flags[f], v);
  x.write(dst, r);
  if (cc === 0n) return;
  const wasUndefined = new Set(s.undefinedFlags);
  const zf = pick('ZF', A.bit(isZero(A, r)));
  const sf = pick('SF', x.msb(r));
  const pf = pick('PF', x.parity(r));
  const cfv = pick('CF', cf);
  s.setFlag('ZF', zf);
  s.setFlag('SF', sf);
  s.setFlag('PF', pf);
  s.setFlag('CF', cfv);
  if (cc === undefined) {
    // unknown count: a zero count keeps flags, so previously undefined ones may stay undefined
    for (const f of ['CF', 'ZF', 'SF', 'PF'] as Flag[]) if (wasUndefined.has(f)) s.undefinedFlags.add(f);
  }
  const nonZero = A.notB(isZeroCount);
  // OF is defined for a count of 1 only; AF is undefined for any non-zero count
  x.undefWhen('OF', A.andB(nonZero, A.notB(A.eq(count, A.const(8, 1n)))), pick('OF', of));
  x.undefWhen('AF', nonZero, pick('AF', A.const(1, 0n)));
  // SHL/SHR: CF undefined when the count reaches the operand size (8/16-bit operands only)
  if (kind !== 'sar' && w < 32) x.undefWhen('CF', A.ule(A.const(8, BigInt(w)), count), cfv);
}

function rotate<V, B>(x: Exec<V, B>, left: boolean): void {
  const A = x.A;
  const s = x.s;
  const w = x.size({ skipFirst: true });
  const { count, dst } = shiftCount(x, w);
  const a = x.read(dst, w);
  const k8 = A.and(count, x.c(8, BigInt(w - 1)));
  const kw = w === 8 ? k8 : A.zext(k8, w);
  const back = A.sub(x.c(w, BigInt(w)), kw);
  const backSafe = A.ite(isZero(A, kw), x.c(w, 0n), back);
  const r = left ? A.or(A.shl(a, kw), A.lshr(a, backSafe)) : A.or(A.lshr(a, kw), A.shl(a, backSafe));
  x.write(dst, r);
  const cc = A.asConst(count);
  if (cc === 0n) return;
  const isZeroCount = isZero(A, count);
  const cf = left ? A.extract(r, 0, 0) : x.msb(r);
  const of = left ? A.xor(x.msb(r), cf) : A.xor(x.msb(r), A.extract(r, w - 2, w - 2));
  const wasUndefined = new Set(s.undefinedFlags);
  s.setFlag('CF', A.ite(isZeroCount, s.flags.CF, cf));
  if (cc === undefined && wasUndefined.has('CF')) s.undefinedFlags.add('CF');
  x.undefWhen('OF', A.andB(A.notB(isZeroCount), A.notB(A.eq(count, A.const(8, 1n)))), A.ite(isZeroCount, s.flags.OF, of));
}

/**
 * RCL/RCR: a rotate of the operand and CF together (w+1 bits). The count is masked as for the
 * other rotates, then taken modulo w+1 for 8- and 16-bit operands; only an immediate count is
 * modelled (a %cl count is unknown). OF is defined for a count of 1 only.
 */
function rotateCarry<V, B>(x: Exec<V, B>, left: boolean): void {
  const A = x.A;
  const s = x.s;
  const w = x.size({ skipFirst: true });
  const { count, dst } = shiftCount(x, w);
  const cc = A.asConst(count);
  if (cc === undefined) return x.fail('rcl/rcr with a count in %cl');
  const k = Number(w < 32 ? cc % BigInt(w + 1) : cc);
  const a = x.read(dst, w);
  const cfIn = x.flag('CF');
  if (k === 0) return; // nothing moves (the operand and the flags stay)
  const n = w + 1;
  const t = A.concat(cfIn, a);
  // rotate left by k on n bits: the low n-k bits move up, the top k bits come round to the bottom
  const kl = left ? k : n - k;
  const r = A.concat(A.extract(t, n - 1 - kl, 0), A.extract(t, n - 1, n - kl));
  const res = A.extract(r, w - 1, 0);
  const cf = A.extract(r, w, w);
  x.write(dst, res);
  const of = left ? A.xor(x.msb(res), cf) : A.xor(x.msb(a), cfIn);
  s.setFlag('CF', cf);
  x.undefWhen('OF', A.notB(A.eq(count, A.const(8, 1n))), of);
}

// ---------------------------------------------------------------------------
// Bit tests

function bitTest<V, B>(x: Exec<V, B>, op: 'bt' | 'bts' | 'btr' | 'btc'): void {
  const A = x.A;
  x.arity(2);
  const [src, dst] = x.ops;
  const w = x.size({ skipFirst: src.kind === 'imm' });
  if (w === 8) x.fail('bit tests have no 8-bit form');
  let base: V;
  let bitIndex: V;
  let addr: V | undefined;
  if (src.kind === 'imm') {
    bitIndex = x.c(w, src.value & BigInt(w - 1));
  } else {
    const off = x.read(src, w);
    bitIndex = A.and(off, x.c(w, BigInt(w - 1)));
    if (dst.kind === 'mem') {
      // bit string: the operand-sized unit at ea + (offset >> log2 w) * (w / 8)
      const lg = BigInt(Math.log2(w));
      const units = A.ashr(A.sext(off, 64), x.c(64, lg));
      addr = A.add(x.ea(dst), A.shl(units, x.c(64, BigInt(Math.log2(w / 8)))));
    }
  }
  if (dst.kind === 'mem') base = x.load(dst, w, addr);
  else base = x.read(dst, w);
  const one = A.shl(x.c(w, 1n), bitIndex);
  const bit = A.extract(A.lshr(base, bitIndex), 0, 0);
  x.s.setFlag('CF', bit);
  for (const f of ['PF', 'AF', 'SF', 'OF'] as Flag[]) x.undef(f);
  if (op === 'bt') return;
  const r = op === 'bts' ? A.or(base, one) : op === 'btr' ? A.and(base, A.not(one)) : A.xor(base, one);
  if (dst.kind === 'mem') x.store(dst, r, addr ?? x.ea(dst));
  else x.write(dst, r);
}

// ---------------------------------------------------------------------------
// Flags to and from the stack

function popfValue<V, B>(x: Exec<V, B>, v: V): void {
  const A = x.A;
  const s = x.s;
  const old = s.rflags();
  // bits popf may change at each privilege level (VM, VIF, VIP never; RF cleared)
  const base = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4000 | 0x40000 | 0x200000;
  const ring0 = BigInt(base | 0x200 | 0x3000);
  const ioplOk = BigInt(base | 0x200);
  const user = BigInt(base);
  const cpl0 = isZero(A, s.cpl);
  const cplLeIopl = A.ule(s.cpl, s.iopl);
  const m = A.ite(cpl0, A.const(64, ring0), A.ite(cplLeIopl, A.const(64, ioplOk), A.const(64, user)));
  const v64 = A.width(v) === 64 ? v : A.concat(A.extract(old, 63, 16), v);
  const mm = A.width(v) === 64 ? m : A.and(m, A.const(64, 0xffffn));
  const nv = A.or(A.and(v64, mm), A.and(old, A.not(mm)));
  s.setRflags(A.and(A.or(nv, A.const(64, 2n)), A.const(64, ~0x10000n & mask(64))));
  s.undefinedFlags.clear();
}

// ---------------------------------------------------------------------------
// The instruction table

const H: Record<string, Handler> = {
  mov: (x) => {
    x.arity(2);
    const [src, dst] = x.ops;
    const isSpecial = (o: Operand): boolean => o.kind === 'reg' && !lookupRegister(o.name);
    if (isSpecial(src) || isSpecial(dst)) {
      // control and segment registers
      const g = x.gprRef(isSpecial(src) ? dst : src);
      const w = g ? g.width : x.pm.size ?? 16;
      if (isSpecial(src)) {
        const v = x.read(src, Math.max(w, 16));
        x.write(dst, x.A.width(v) === w ? v : w < x.A.width(v) ? x.A.extract(v, w - 1, 0) : x.A.zext(v, w));
      } else {
        const v = x.read(src, w);
        const sr = (dst as { name: string }).name;
        if ((CONTROL_REGS as readonly string[]).includes(sr) && w !== 64) x.fail('control registers are written from 64-bit registers');
        x.write(dst, v);
      }
      return;
    }
    const w = x.size();
    x.write(dst, x.read(src, w));
  },
  movabs: (x) => H.mov(x),
  movzx: (x) => extendMove(x, false),
  movsx: (x) => extendMove(x, true),
  movsxd: (x) => extendMove(x, true),
  lea: (x) => {
    x.arity(2);
    const [src, dst] = x.ops;
    if (src.kind !== 'mem') return x.fail('lea needs a memory operand');
    const w = x.size();
    const a = x.ea(src);
    x.write(dst, w === 64 ? a : x.A.extract(a, w - 1, 0));
  },
  push: (x) => {
    x.arity(1);
    const op = x.ops[0];
    const w = op.kind === 'reg' && lookupRegister(op.name) ? x.size() : x.pm.size ?? 64;
    if (w !== 64 && w !== 16) x.fail(`push of ${w} bits is not encodable in 64-bit mode`);
    const v = op.kind === 'imm' ? x.A.sext(x.read(op, 32), w === 64 ? 64 : 32) : x.read(op, w);
    x.push(w === 16 && x.A.width(v) !== 16 ? x.A.extract(v, 15, 0) : v);
  },
  pop: (x) => {
    x.arity(1);
    const op = x.ops[0];
    const w = op.kind === 'reg' && lookupRegister(op.name) ? x.size() : x.pm.size ?? 64;
    if (w !== 64 && w !== 16) x.fail(`pop of ${w} bits is not encodable in 64-bit mode`);
    const v = x.pop(w);
    // a memory destination based on RSP is addressed after the increment
    x.write(op, v);
  },
  pushf: (x) => {
    x.arity(0);
    const w = x.pm.size ?? 64;
    const f = x.A.and(x.s.rflags(), x.A.const(64, ~0x30000n & mask(64)));
    x.push(w === 64 ? f : x.A.extract(f, 15, 0));
  },
  popf: (x) => {
    x.arity(0);
    popfValue(x, x.pop(x.pm.size ?? 64));
  },
  add: (x) => binop(x, (a, b) => addWithFlags(x, a, b)),
  adc: (x) => binop(x, (a, b) => addWithFlags(x, a, b, x.flag('CF'))),
  sub: (x) => binop(x, (a, b) => subWithFlags(x, a, b)),
  sbb: (x) => binop(x, (a, b) => subWithFlags(x, a, b, x.flag('CF'))),
  cmp: (x) => binop(x, (a, b) => subWithFlags(x, a, b), false),
  and: (x) =>
    binop(x, (a, b) => {
      const r = x.A.and(a, b);
      logicFlags(x, r);
      return r;
    }),
  or: (x) =>
    binop(x, (a, b) => {
      const r = x.A.or(a, b);
      logicFlags(x, r);
      return r;
    }),
  xor: (x) =>
    binop(x, (a, b) => {
      const r = x.A.xor(a, b);
      logicFlags(x, r);
      return r;
    }),
  test: (x) =>
    binop(
      x,
      (a, b) => {
        const r = x.A.and(a, b);
        logicFlags(x, r);
        return r;
      },
      false,
    ),
  inc: (x) =>
    unop(x, (a, w) => {
      const cf = x.flag('CF');
      const cfU = x.s.undefinedFlags.has('CF');
      const r = addWithFlags(x, a, x.A.const(w, 1n));
      x.s.setFlag('CF', cf);
      if (cfU) x.s.undefinedFlags.add('CF');
      return r;
    }),
  dec: (x) =>
    unop(x, (a, w) => {
      const cf = x.flag('CF');
      const cfU = x.s.undefinedFlags.has('CF');
      const r = subWithFlags(x, a, x.A.const(w, 1n));
      x.s.setFlag('CF', cf);
      if (cfU) x.s.undefinedFlags.add('CF');
      return r;
    }),
  neg: (x) =>
    unop(x, (a, w) => {
      const r = subWithFlags(x, x.A.const(w, 0n), a);
      return r;
    }),
  not: (x) => unop(x, (a) => x.A.not(a)),
  shl: (x) => shift(x, 'shl'),
  shr: (x) => shift(x, 'shr'),
  sar: (x) => shift(x, 'sar'),
  rol: (x) => rotate(x, true),
  ror: (x) => rotate(x, false),
  rcl: (x) => rotateCarry(x, true),
  rcr: (x) => rotateCarry(x, false),
  bt: (x) => bitTest(x, 'bt'),
  bts: (x) => bitTest(x, 'bts'),
  btr: (x) => bitTest(x, 'btr'),
  btc: (x) => bitTest(x, 'btc'),
  xchg: (x) => {
    x.arity(2);
    const w = x.size();
    const [a, b] = x.ops;
    // a memory operand's address is formed before either write (its index may be the other operand)
    const addrA = a.kind === 'mem' ? x.ea(a) : undefined;
    const addrB = b.kind === 'mem' ? x.ea(b) : undefined;
    const va = a.kind === 'mem' ? x.load(a, w, addrA) : x.read(a, w);
    const vb = b.kind === 'mem' ? x.load(b, w, addrB) : x.read(b, w);
    if (a.kind === 'mem') x.store(a, vb, addrA);
    else x.write(a, vb);
    if (b.kind === 'mem') x.store(b, va, addrB);
    else x.write(b, va);
  },
  jmp: (x) => {
    x.arity(1);
    return { kind: 'jump', target: x.target(x.ops[0]) };
  },
  call: (x) => {
    x.arity(1);
    const target = x.target(x.ops[0]);
    const ret = x.ctx.nextRip ?? (x.A.kind === 'symbolic' ? x.A.fresh('return_address', 64) : x.fail('call needs the next instruction address'));
    x.push(ret);
    return { kind: 'call', target };
  },
  ret: (x) => {
    if (x.ops.length > 1) x.fail('ret takes at most one operand');
    const target = x.pop(64);
    if (x.ops.length === 1) {
      const n = x.ops[0];
      if (n.kind !== 'imm') return x.fail('ret operand must be an immediate');
      x.s.regs.rsp = x.A.add(x.s.regs.rsp, x.A.const(64, n.value & 0xffffn));
    }
    return { kind: 'ret', target };
  },
  cli: (x) => {
    x.arity(0);
    privilegedIf(x);
    x.s.setFlag('IF', x.A.const(1, 0n));
  },
  sti: (x) => {
    x.arity(0);
    privilegedIf(x);
    x.s.setFlag('IF', x.A.const(1, 1n));
  },
  cld: (x) => x.s.setFlag('DF', x.A.const(1, 0n)),
  std: (x) => x.s.setFlag('DF', x.A.const(1, 1n)),
  clc: (x) => x.s.setFlag('CF', x.A.const(1, 0n)),
  stc: (x) => x.s.setFlag('CF', x.A.const(1, 1n)),
  cmc: (x) => {
    const u = x.s.undefinedFlags.has('CF');
    x.s.setFlag('CF', x.A.not(x.flag('CF')));
    if (u) x.s.undefinedFlags.add('CF');
  },
  clac: (x) => x.s.setFlag('AC', x.A.const(1, 0n)),
  stac: (x) => x.s.setFlag('AC', x.A.const(1, 1n)),
  swapgs: (x) => {
    x.arity(0);
    const s = x.s;
    // (bases no code has written follow gsKernel: the toggle swaps them; written ones are swapped)
    const written = s.msrs.has('GS_BASE') || s.msrs.has('KERNEL_GS_BASE');
    const g = s.msr('GS_BASE');
    const k = s.msr('KERNEL_GS_BASE');
    s.gsKernel = x.A.not(s.gsKernel);
    if (written) {
      s.setMsr('GS_BASE', k);
      s.setMsr('KERNEL_GS_BASE', g);
    }
  },
  syscall: (x) => {
    x.arity(0);
    const next = x.ctx.nextRip ?? (x.A.kind === 'symbolic' ? x.A.fresh('syscall_return_address', 64) : x.fail('syscall needs the next instruction address'));
    applySyscall(x.A, x.s, next);
    return { kind: 'syscall' };
  },
  sysret: (x) => {
    x.arity(0);
    let size = (x.pm.size ?? 32) as 32 | 64;
    if (x.insn.prefixes?.includes('rex64')) size = 64;
    const exit = sysret(x.A, x.s, size, x.ctx.vaBits ?? 48);
    return { kind: 'exit', exit };
  },
  sysexit: (x) => {
    x.arity(0);
    let size = (x.pm.size ?? 32) as 32 | 64;
    if (x.insn.prefixes?.includes('rex64')) size = 64;
    return { kind: 'exit', exit: sysexit(x.A, x.s, size, x.ctx.vaBits ?? 48) };
  },
  iret: (x) => {
    x.arity(0);
    let size = (x.pm.size ?? 32) as 32 | 64;
    if (x.insn.prefixes?.includes('rex64')) size = 64;
    const exit = iret(x.A, x.s, size, x.ctx.vaBits ?? 48, x.ctx.selectors ?? LINUX_SELECTORS, (a, w) => x.stackLoad(a, w));
    return { kind: 'exit', exit };
  },
  rdmsr: (x) => {
    x.arity(0);
    const v = x.s.msr(msrName(x));
    x.s.write('eax', x.A.extract(v, 31, 0));
    x.s.write('edx', x.A.extract(v, 63, 32));
  },
  wrmsr: (x) => {
    x.arity(0);
    const name = msrName(x);
    const v = x.A.concat(x.s.read('edx'), x.s.read('eax'));
    x.s.setMsr(name, v);
    if (name === 'GS_BASE') noteGsBaseWrite(x.s, v);
  },
  rdfsbase: (x) => baseRegister(x, 'FS_BASE', false),
  rdgsbase: (x) => baseRegister(x, 'GS_BASE', false),
  wrfsbase: (x) => baseRegister(x, 'FS_BASE', true),
  wrgsbase: (x) => baseRegister(x, 'GS_BASE', true),
  lfence: () => undefined,
  mfence: () => undefined,
  sfence: () => undefined,
  pause: () => undefined,
  nop: () => undefined,
  verw: (x) => {
    x.arity(1);
    // ZF reports writability of the selector's segment: not modelled, so unknown
    x.undef('ZF');
  },
  // HLT waits for an interrupt; the state afterwards is what the interrupted code had.
  hlt: (x) => x.arity(0),
  bsr: (x) => bitScan(x, true),
  bsf: (x) => bitScan(x, false),
  // Indirect-branch-tracking landing pads: no architectural effect.
  endbr64: (x) => x.arity(0),
  endbr32: (x) => x.arity(0),
  // CET shadow stacks. The shadow-stack pointer (SSP) and the shadow-stack tokens are not
  // modelled: RDSSP's destination becomes unknown (it is the SSP, or unchanged when shadow stacks
  // are off: Xen and Linux test for that by zeroing the register first); INCSSP, SETSSBSY and
  // SAVEPREVSSP change only the SSP and tokens; CLRSSBSY and RSTORSSP set CF from a token check;
  // WRSS is a store.
  rdssp: (x) => {
    x.arity(1);
    const d = x.gprRef(x.ops[0]);
    if (!d || d.width < 32) return x.fail('rdssp needs a 32- or 64-bit register');
    if (x.A.kind !== 'symbolic') return x.fail('the shadow-stack pointer is not modelled');
    x.s.writeRef(d, x.A.fresh(`ssp#${nextUndef(x.A)}`, d.width));
  },
  incssp: (x) => {
    x.arity(1);
    x.read(x.ops[0], x.pm.size ?? 64);
  },
  setssbsy: (x) => x.arity(0),
  saveprevssp: (x) => x.arity(0),
  clrssbsy: (x) => {
    x.arity(1);
    x.undef('CF');
  },
  rstorssp: (x) => {
    x.arity(1);
    x.undef('CF');
  },
  wrss: (x) => {
    x.arity(2);
    const w = x.pm.size ?? 64;
    x.write(x.ops[1], x.read(x.ops[0], w));
  },
  movs: (x) => stringOp(x, 'movs'),
  stos: (x) => stringOp(x, 'stos'),
  div: (x) => divide(x, false),
  idiv: (x) => divide(x, true),
  lsl: (x) => {
    x.arity(2);
    // LSL loads the segment limit of the selector's descriptor and sets ZF when the selector is
    // valid and visible at this CPL (Linux keeps the CPU and node numbers in a GDT entry's limit).
    // The descriptor tables are not modelled: the destination and ZF become unknown.
    const d = x.gprRef(x.ops[1]);
    if (!d || d.width < 16) return x.fail('lsl destination must be a 16-, 32- or 64-bit register');
    if (x.A.kind !== 'symbolic') return x.fail('lsl reads the descriptor tables, which are not modelled');
    x.s.writeRef(d, x.A.fresh(`lsl.limit#${nextUndef(x.A)}`, d.width));
    x.undef('ZF');
  },
  ud2: (x) => ({ kind: 'fault', fault: { vector: 6, name: '#UD', ring: ringOf(x), vendor: 'both', when: x.A.bool(true), reason: 'ud2', taken: 'before' } }),
  int3: (x) => ({ kind: 'fault', fault: { vector: 3, name: '#BP', ring: ringOf(x), vendor: 'both', when: x.A.bool(true), reason: 'int3 breakpoint', taken: 'after' } }),
  cdqe: (x) => x.s.write('rax', x.A.sext(x.s.read('eax'), 64)),
  cwde: (x) => x.s.write('eax', x.A.sext(x.s.read('ax'), 32)),
  cdq: (x) => x.s.write('edx', x.A.ashr(x.s.read('eax'), x.A.const(32, 31n))),
  cqo: (x) => x.s.write('rdx', x.A.ashr(x.s.read('rax'), x.A.const(64, 63n))),
  leave: (x) => {
    x.s.regs.rsp = x.s.regs.rbp;
    x.s.regs.rbp = x.pop(64);
  },
};

/** RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE: the base lives in the matching MSR. */
function baseRegister<V, B>(x: Exec<V, B>, msr: string, write: boolean): void {
  x.arity(1);
  const r = x.gprRef(x.ops[0]);
  if (!r || r.width < 32) x.fail(`${x.insn.mnemonic} needs a 32- or 64-bit register`);
  if (write) {
    const v = x.A.zext(x.s.readRef(r), 64);
    x.s.setMsr(msr, v);
    if (msr === 'GS_BASE') noteGsBaseWrite(x.s, v);
  }
  else x.s.writeRef(r, r.width === 64 ? x.s.msr(msr) : x.A.extract(x.s.msr(msr), 31, 0));
}

/**
 * BSR / BSF src, dst: dst ← the index of the highest (BSR) or lowest (BSF) set bit of src, ZF ← 1
 * when src is zero (dst is then left unchanged, as both vendors do in practice; Intel documents it
 * as undefined). The other status flags are undefined.
 */
function bitScan<V, B>(x: Exec<V, B>, reverse: boolean): void {
  x.arity(2);
  const A = x.A;
  const w = x.size();
  const src = x.read(x.ops[0], w);
  const dst = x.ops[1];
  if (!x.gprRef(dst)) x.fail(`${x.insn.mnemonic} needs a register destination`);
  const zero = A.eq(src, A.const(w, 0n));
  let idx = x.read(dst, w);
  // Build the priority chain from the least preferred bit up, so the preferred one wins.
  for (let k = 0; k < w; k++) {
    const bit = reverse ? k : w - 1 - k;
    idx = A.ite(A.eq(A.extract(src, bit, bit), A.const(1, 1n)), A.const(w, BigInt(bit)), idx);
  }
  x.write(dst, idx);
  x.s.setFlag('ZF', A.bit(zero));
  for (const f of ['CF', 'OF', 'SF', 'AF', 'PF'] as Flag[]) x.undef(f);
}

/** Elements a rep-prefixed string instruction may move before the model gives up. */
const MAX_STRING_COUNT = 4096n;

/**
 * MOVS / STOS (with or without rep): element by element, forward. Needs DF known clear and, with
 * rep, a known count in %rcx (Linux and Xen copy or fill frames with constant counts).
 */
function stringOp<V, B>(x: Exec<V, B>, op: 'movs' | 'stos'): void {
  if (x.ops.length !== 0 && x.ops.length !== 2 - (op === 'stos' ? 1 : 0)) x.fail(`${x.insn.mnemonic}: unexpected operands`);
  const A = x.A;
  const w = x.pm.size ?? x.fail(`${x.insn.mnemonic}: add a b/w/l/q suffix`);
  const bytes = BigInt(w / 8);
  if (A.asConst(x.flag('DF')) !== 0n) x.fail(`${x.insn.mnemonic}: the direction flag is not known to be clear`);
  const rep = (x.insn.prefixes ?? []).some((p) => /^rep/.test(p));
  let count = 1n;
  if (rep) {
    const c = A.asConst(x.s.read('rcx'));
    if (c === undefined) x.fail(`rep ${x.insn.mnemonic}: the count in %rcx is not a known constant`);
    if (c > MAX_STRING_COUNT) x.fail(`rep ${x.insn.mnemonic}: ${c} elements is more than the model runs`);
    count = c;
  }
  const step = x.c(64, bytes);
  for (let k = 0n; k < count; k++) {
    const rdi = x.s.read('rdi');
    if (op === 'stos') {
      x.stackStore(rdi, A.extract(x.s.read('rax'), w - 1, 0));
    } else {
      const rsi = x.s.read('rsi');
      x.stackStore(rdi, x.stackLoad(rsi, w));
      x.s.write('rsi', A.add(rsi, step));
    }
    x.s.write('rdi', A.add(rdi, step));
  }
  if (rep) x.s.write('rcx', x.c(64, 0n));
}

/**
 * DIV / IDIV: the double-width dividend (AH:AL for a byte divisor, else rDX:rAX) divided by the
 * operand; quotient to AL/AX/EAX/RAX, remainder to AH/DX/EDX/RDX; the status flags are undefined.
 * #DE (vector 0) when the divisor is zero or the quotient does not fit. Exact when dividend and
 * divisor are known; an unsigned division with a known non-zero divisor and a known-zero high
 * half cannot fault, so its results may be unknown; any other case is not modelled.
 */
function divide<V, B>(x: Exec<V, B>, signed: boolean): StepOutcome<V, B> | void {
  x.arity(1);
  const A = x.A;
  const w = x.size();
  const src = x.read(x.ops[0], w);
  const names = w === 8 ? ['ah', 'al'] : w === 16 ? ['dx', 'ax'] : w === 32 ? ['edx', 'eax'] : ['rdx', 'rax'];
  const hi = w === 8 ? A.extract(x.s.read('ax'), 15, 8) : x.s.read(names[0]);
  const lo = w === 8 ? A.extract(x.s.read('ax'), 7, 0) : x.s.read(names[1]);
  const d = A.asConst(src);
  const h = A.asConst(hi);
  const l = A.asConst(lo);
  const de = (reason: string): StepOutcome<V, B> => ({ kind: 'fault', fault: { vector: 0, name: '#DE', ring: ringOf(x), vendor: 'both', when: A.bool(true), reason, taken: 'before' } });
  if (d === 0n) return de('division by zero');
  let q: V;
  let r: V;
  if (d !== undefined && h !== undefined && l !== undefined) {
    let n = (h << BigInt(w)) | l;
    let dv = d;
    if (signed) {
      n = toSigned(n, 2 * w);
      dv = toSigned(d, w);
    }
    const qq = n / dv; // BigInt division truncates toward zero, as DIV/IDIV do
    const rr = n % dv; // and the remainder takes the dividend's sign
    const fits = signed ? qq >= -(1n << BigInt(w - 1)) && qq < 1n << BigInt(w - 1) : qq <= mask(w);
    if (!fits) return de('quotient too large for the destination');
    q = A.const(w, qq & mask(w));
    r = A.const(w, rr & mask(w));
  } else if (!signed && d !== undefined && h === 0n && A.kind === 'symbolic') {
    q = A.fresh(`div.quotient#${nextUndef(A)}`, w);
    r = A.fresh(`div.remainder#${nextUndef(A)}`, w);
  } else {
    return x.fail(`${x.insn.mnemonic}: the model cannot tell whether this division raises #DE`);
  }
  if (w === 8) {
    x.s.write('al', q);
    x.s.write('ah', r);
  } else {
    x.s.write(names[1], q);
    x.s.write(names[0], r);
  }
  for (const f of ['CF', 'OF', 'SF', 'ZF', 'AF', 'PF'] as Flag[]) x.undef(f);
}

function ringOf<V, B>(x: Exec<V, B>): 0 | 3 {
  const c = x.A.asConst(x.s.cpl);
  return c === 3n ? 3 : 0;
}

function privilegedIf<V, B>(x: Exec<V, B>): void {
  const cpl = x.A.asConst(x.s.cpl);
  const iopl = x.A.asConst(x.s.iopl);
  if (cpl !== undefined && iopl !== undefined && cpl > iopl) throw new PrivFault();
}

class PrivFault extends Error {}

function msrName<V, B>(x: Exec<V, B>): string {
  const ecx = x.A.asConst(x.s.read('ecx'));
  if (ecx === undefined) return x.fail('MSR number in %ecx is not a known constant');
  return MSR_NAMES.get(ecx) ?? 'MSR_0x' + ecx.toString(16);
}

function extendMove<V, B>(x: Exec<V, B>, signed: boolean): void {
  x.arity(2);
  const [src, dst] = x.ops;
  const dr = x.gprRef(dst);
  if (!dr) x.fail(`${x.insn.mnemonic} needs a register destination`);
  const w = x.pm.size ?? dr.width;
  if (w !== dr.width) x.fail(`${x.insn.mnemonic}: destination %${(dst as { name: string }).name} is not ${w}-bit`);
  const sr = x.gprRef(src);
  const sw = x.pm.srcSize ?? sr?.width ?? x.fail(`${x.insn.mnemonic}: source size is ambiguous`);
  if (sw >= w && !(x.pm.canonical === 'movsxd' && sw === 32 && w === 32)) x.fail(`${x.insn.mnemonic}: source must be narrower than the destination`);
  const v = x.read(src, sw);
  x.write(dst, sw === w ? v : signed ? x.A.sext(v, w) : x.A.zext(v, w));
}

// ---------------------------------------------------------------------------
// Conditional families

function conditional<V, B>(x: Exec<V, B>): StepOutcome<V, B> | void {
  const pm = x.pm;
  const cc = pm.cc as string;
  if (!CONDITIONS[cc]) x.fail(`unknown condition ${cc}`);
  const A = x.A;
  if (pm.ccKind === 'j') {
    x.arity(1);
    const t = x.ops[0];
    if (t.kind !== 'label') x.fail('conditional jumps take a label');
    return { kind: 'branch', cond: x.cond(cc), target: t.name };
  }
  if (pm.ccKind === 'set') {
    x.arity(1);
    const op = x.ops[0];
    const r = x.gprRef(op);
    if (r && r.width !== 8) x.fail('setcc writes a byte register');
    x.write(op, A.zext(A.bit(x.cond(cc)), 8));
    return;
  }
  // cmov
  x.arity(2);
  const [src, dst] = x.ops;
  const w = x.size();
  if (w === 8) x.fail('cmov has no 8-bit form');
  if (!x.gprRef(dst)) x.fail('cmov needs a register destination');
  const v = x.read(src, w);
  const old = x.read(dst, w);
  x.write(dst, A.ite(x.cond(cc), v, old));
}

/** The status flags an instruction reads, given its parsed mnemonic (for undefined-flag tracking). */
export function flagsReadBy(pm: ParsedMnemonic): Flag[] {
  if (pm.cc) return CONDITIONS[pm.cc].flags as Flag[];
  switch (pm.canonical) {
    case 'adc':
    case 'sbb':
    case 'cmc':
      return ['CF'];
    case 'pushf':
      return [...STATUS_FLAGS];
    // count-0 shifts and rotates keep flags, and inc/dec keep CF: copying an undefined flag is not reading it
  }
  return [];
}

const PREFIX_WORDS = ['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'rex64', 'notrack', 'ds', 'cs'];
interface Normalized {
  /** What it was worked out from (an instruction object changed since is worked out again). */
  src: string;
  srcPrefixes: readonly string[] | undefined;
  pm: ReturnType<typeof parseMnemonic>;
  /** The instruction with that mnemonic and those prefixes, as the handlers get it. */
  insn: Instruction;
}
/** An instruction's mnemonic and prefixes as the handlers read them, worked out once per instruction. */
const normalizedOf = new WeakMap<Instruction, Normalized>();
function normalized(insn: Instruction): Normalized {
  let n = normalizedOf.get(insn);
  if (n && n.src === insn.mnemonic && n.srcPrefixes === insn.prefixes && n.insn.operands === insn.operands) return n;
  const prefixes = (insn.prefixes ?? []).map((p) => p.toLowerCase());
  // prefixes written into the mnemonic ("rep ret", "lock xaddl")
  const words = insn.mnemonic.trim().toLowerCase().split(/\s+/);
  while (words.length > 1 && PREFIX_WORDS.includes(words[0])) prefixes.push(words.shift() as string);
  const mnemonic = words.join(' ');
  n = { src: insn.mnemonic, srcPrefixes: insn.prefixes, pm: parseMnemonic(mnemonic), insn: { ...insn, mnemonic, prefixes } };
  normalizedOf.set(insn, n);
  return n;
}

/**
 * Executes one instruction on `s` (in place) and says where control goes.
 * Unknown or malformed instructions give `{ kind: 'unknown' }`, never an exception.
 */
export function step<V, B>(s: MachineState<V, B>, insn: Instruction, A: Algebra<V, B>, ctx: StepContext<V> = {}): StepOutcome<V, B> {
  const { pm, insn: normal } = normalized(insn);
  if (!pm) return { kind: 'unknown', reason: `unknown instruction ${insn.mnemonic}` };
  const handler: Handler | undefined = pm.cc ? (conditional as Handler) : H[pm.canonical];
  if (!handler) return { kind: 'unknown', reason: `unmodelled instruction ${insn.mnemonic}` };
  // ring-0-only instructions outside ring 0 (SYSRET and IRET record their own faults; CLI/STI follow IOPL)
  const cpl = A.asConst(s.cpl);
  const touchesCr = pm.canonical === 'mov' && insn.operands.some((o) => o.kind === 'reg' && (CONTROL_REGS as readonly string[]).includes(o.name));
  if (cpl !== undefined && cpl !== 0n && (RING0_ONLY.has(pm.canonical) || touchesCr)) {
    const ud = pm.canonical === 'clac' || pm.canonical === 'stac';
    return { kind: 'fault', fault: { vector: ud ? 6 : 13, name: ud ? '#UD' : '#GP', ring: 3, vendor: 'both', when: A.bool(true), reason: `${insn.mnemonic} outside ring 0`, errorCode: ud ? undefined : 0n, taken: 'before' } };
  }
  // registers are copied, memory writes are logged: a failing instruction changes nothing
  const work = s.cloneRegisters();
  const x = new Exec(A, work, ctx, normal, pm);
  let out: StepOutcome<V, B> | void;
  s.mem.begin();
  try {
    out = handler(x);
    s.mem.commit();
  } catch (e) {
    s.mem.rollback();
    if (e instanceof PrivFault) {
      return { kind: 'fault', fault: { vector: 13, name: '#GP', ring: ringOf(x), vendor: 'both', when: A.bool(true), reason: `${insn.mnemonic} with CPL > IOPL`, taken: 'before' } };
    }
    if (e instanceof Unmodeled) return { kind: 'unknown', reason: e.message };
    return { kind: 'unknown', reason: `${insn.mnemonic}: ${e instanceof Error ? e.message : String(e)}` };
  }
  // commit
  Object.assign(s, work);
  return out ?? { kind: 'next' };
}

/** Whether a mnemonic (any accepted spelling) has semantics in the model. */
export function isModelled(mnemonic: string): boolean {
  const pm = parseMnemonic(mnemonic.trim().toLowerCase().split(/\s+/).pop() ?? '');
  if (!pm) return false;
  return pm.cc !== undefined || H[pm.canonical] !== undefined;
}

/** Canonical mnemonics with semantics (without condition-code families). */
export function modelledMnemonics(): string[] {
  return Object.keys(H);
}
