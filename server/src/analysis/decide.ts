// Deciding the checks' questions: "can this property fail under this path condition?". A cheap
// proof first (what the path pins substituted, then a contradiction in every disjunct, with the
// bit-range and canonical-range facts that entry code's tests produce), then the cheap witness
// search, then Z3. Answers are cached by the query's structure across analyses, so an edit that
// does not touch a path re-solves nothing.
import { type CheckResult, type Expr, SymbolicAlgebra, conjunctsOf, mask, quickCheck, z3Check } from '../x86';
import { rebuild } from './properties';

const CACHE_LIMIT = 20000;
const cache = new Map<string, CheckResult>();

/** Number of cached solver answers (for tests of the cache). */
export function solverCacheSize(): number {
  return cache.size;
}

/** A text that is equal for two queries exactly when they are the same DAG (node ids renumbered). */
export function structuralKey(e: Expr): string {
  const local = new Map<number, number>();
  const parts: string[] = [];
  const stack: [Expr, boolean][] = [[e, false]];
  while (stack.length) {
    const [x, done] = stack.pop() as [Expr, boolean];
    if (local.has(x.id)) continue;
    if (!done) {
      stack.push([x, true]);
      for (let i = x.args.length - 1; i >= 0; i--) if (!local.has(x.args[i].id)) stack.push([x.args[i], false]);
      continue;
    }
    const n = local.size;
    local.set(x.id, n);
    const args = x.args.map((a) => local.get(a.id)).join(',');
    const extra = x.op === 'const' || x.op === 'bconst' ? x.value.toString(16) : x.op === 'var' ? x.name : x.op === 'extract' ? `${x.hi}:${x.lo}` : '';
    parts.push(`${x.op}/${x.width}(${args})${extra}`);
  }
  return parts.join(';');
}

function contains(e: Expr, target: Expr, seen = new Set<number>()): boolean {
  if (e === target) return true;
  if (seen.has(e.id)) return false;
  seen.add(e.id);
  return e.args.some((a) => contains(a, target, seen));
}

function disjunctsOf(e: Expr, out: Expr[] = []): Expr[] {
  if (e.op === 'bor') for (const a of e.args) disjunctsOf(a, out);
  else out.push(e);
  return out;
}

/**
 * A cheap proof that `conjuncts ∧ bad` has no solution. Sound, incomplete: when it says nothing,
 * the solver decides.
 */
export function cheapUnsat(S: SymbolicAlgebra, conjuncts: Expr[], bad: Expr): boolean {
  const flat: Expr[] = [];
  for (const c of conjuncts) conjunctsOf(c, flat);
  // what the path pins: x == const, and x == y (any expressions: the later node by the earlier)
  const map = new Map<number, Expr>();
  for (const c of flat) {
    if (c.op !== 'eq') continue;
    let [x, y] = c.args;
    if (x.op === 'const') [x, y] = [y, x];
    if (x.op === 'const' || map.has(x.id)) continue;
    if (y.op !== 'const' && x.id < y.id && !map.has(y.id) && !contains(x, y)) [x, y] = [y, x];
    if (!contains(y, x)) map.set(x.id, y);
  }
  const memo = new Map<number, Expr>();
  const sub = (e: Expr): Expr => {
    let cur = e;
    for (let i = 0; i < 4; i++) {
      const next = rebuild(S, cur, (n) => map.get(n.id), memo);
      if (next === cur) break;
      cur = next;
      memo.clear();
    }
    return cur;
  };
  // the facts as written and as substituted: both hold on the path
  const facts: Expr[] = [...flat];
  for (const c of flat) {
    const x = sub(c);
    if (x === S.F) return true;
    conjunctsOf(x, facts);
  }
  const bits = knownBitsOf(facts);
  return disjunctsOf(sub(bad)).every((d) => {
    if (d === S.F) return true;
    const parts = conjunctsOf(d);
    const known = new Set([...facts, ...parts].map((f) => f.id));
    const all = [...facts, ...parts];
    return parts.some((p) => isFalse(S, p, known, all) || contradictsBits(p, bits));
  });
}

/** Bits of a value known from the facts: where `mask` is 1, the value's bit is `value`'s. */
interface Bits {
  mask: bigint;
  value: bigint;
}

/**
 * The bits of each variable the path's equalities pin: `x == K`, `(x | c) == K` (x's bits outside
 * c are K's: entry code's `cmpq $__USER_DS, SS(%rsp)` on a frame whose selectors are kept `| 3`),
 * `(x & m) == K` (x's bits in m), `x[h:l] == K`.
 */
function knownBitsOf(facts: Expr[]): Map<string, Bits> {
  const out = new Map<string, Bits>();
  const pin = (x: Expr, bits: bigint, value: bigint): void => {
    if (x.op !== 'var') return;
    const old = out.get(x.name) ?? { mask: 0n, value: 0n };
    out.set(x.name, { mask: old.mask | bits, value: (old.value & ~bits) | (value & bits) });
  };
  for (const f of facts) {
    if (f.op !== 'eq' || f.args[1].op !== 'const') continue;
    const [a, k] = [f.args[0], f.args[1].value];
    const w = mask(a.width);
    if (a.op === 'var') pin(a, w, k);
    else if (a.op === 'or' && a.args[1].op === 'const' && (k & a.args[1].value) === a.args[1].value) pin(a.args[0], w & ~a.args[1].value, k);
    else if (a.op === 'and' && a.args[1].op === 'const' && (k & ~a.args[1].value) === 0n) pin(a.args[0], a.args[1].value, k);
    else if (a.op === 'extract') pin(a.args[0], mask(a.hi - a.lo + 1) << BigInt(a.lo), k << BigInt(a.lo));
  }
  return out;
}

/** The known bits of `e` (constants, pinned variables, and what or/and/extract/zext/concat make of them). */
function bitsOf(e: Expr, vars: Map<string, Bits>): Bits {
  const w = mask(e.width);
  switch (e.op) {
    case 'const':
      return { mask: w, value: e.value & w };
    case 'var':
      return vars.get(e.name) ?? { mask: 0n, value: 0n };
    case 'or': {
      const [a, b] = [bitsOf(e.args[0], vars), bitsOf(e.args[1], vars)];
      const one = (a.mask & a.value) | (b.mask & b.value);
      const zero = (a.mask & ~a.value) & (b.mask & ~b.value);
      return { mask: (one | zero) & w, value: one & w };
    }
    case 'and': {
      const [a, b] = [bitsOf(e.args[0], vars), bitsOf(e.args[1], vars)];
      const zero = (a.mask & ~a.value) | (b.mask & ~b.value);
      const one = a.mask & a.value & b.mask & b.value;
      return { mask: (one | zero) & w, value: one & w };
    }
    case 'extract': {
      const a = bitsOf(e.args[0], vars);
      const m = mask(e.hi - e.lo + 1);
      return { mask: (a.mask >> BigInt(e.lo)) & m, value: (a.value >> BigInt(e.lo)) & m };
    }
    case 'zext': {
      const a = bitsOf(e.args[0], vars);
      return { mask: (a.mask | (w & ~mask(e.args[0].width))) & w, value: a.value };
    }
    case 'concat': {
      const [h, l] = [bitsOf(e.args[0], vars), bitsOf(e.args[1], vars)];
      const lw = BigInt(e.args[1].width);
      return { mask: ((h.mask << lw) | l.mask) & w, value: ((h.value << lw) | l.value) & w };
    }
    default:
      return { mask: 0n, value: 0n };
  }
}

/** `p` cannot hold given the known bits: an equality with a constant, or its negation, that the bits decide the other way. */
function contradictsBits(p: Expr, vars: Map<string, Bits>): boolean {
  if (!vars.size) return false;
  const neg = p.op === 'bnot';
  const q = neg ? p.args[0] : p;
  if (q.op !== 'eq' || q.args[1].op !== 'const') return false;
  const b = bitsOf(q.args[0], vars);
  const k = q.args[1].value;
  const differs = ((b.value ^ k) & b.mask) !== 0n;
  const decided = b.mask === mask(q.args[0].width);
  // x == k is false when a known bit differs; x != k is false when every bit is known and equal
  return neg ? decided && !differs : differs;
}

/** `x[h:l] == 0` as (x, h, l). */
function zeroRange(e: Expr): { x: Expr; h: number; l: number } | undefined {
  if (e.op !== 'eq' || e.args[1].op !== 'const' || e.args[1].value !== 0n) return undefined;
  const a = e.args[0];
  if (a.op === 'extract') return { x: a.args[0], h: a.hi, l: a.lo };
  return { x: a, h: a.width - 1, l: 0 };
}

/** Bits h..l of e are known to be zero (from constants, masks, concatenations and the facts). */
function zeroBits(facts: Expr[], e: Expr, h: number, l: number): boolean {
  if (h < l) return true;
  switch (e.op) {
    case 'const':
      return ((e.value >> BigInt(l)) & ((1n << BigInt(h - l + 1)) - 1n)) === 0n;
    case 'extract':
      return zeroBits(facts, e.args[0], h + e.lo, l + e.lo) || zeroAt(facts, e, h, l);
    case 'concat': {
      const w = e.args[1].width;
      return zeroBits(facts, e.args[1], Math.min(h, w - 1), l) && zeroBits(facts, e.args[0], h - w, Math.max(l - w, 0));
    }
    case 'zext': {
      const w = e.args[0].width;
      return zeroBits(facts, e.args[0], Math.min(h, w - 1), l);
    }
    case 'ite':
      return zeroBits(facts, e.args[1], h, l) && zeroBits(facts, e.args[2], h, l);
    case 'and': {
      for (let i = l; i <= h; i++) if (!zeroBits(facts, e.args[0], i, i) && !zeroBits(facts, e.args[1], i, i)) return false;
      return true;
    }
    default:
      return zeroAt(facts, e, h, l);
  }
}

/** Some fact says bits h..l of x are zero. */
function zeroAt(facts: Expr[], x: Expr, h: number, l: number): boolean {
  return facts.some((f) => {
    const g = zeroRange(f);
    return !!g && g.x === x && g.l <= l && h <= g.h;
  });
}

function isTrue(S: SymbolicAlgebra, q: Expr, known: Set<number>, facts: Expr[]): boolean {
  if (q === S.T || known.has(q.id)) return true;
  if (q.op === 'band') return q.args.every((a) => isTrue(S, a, known, facts));
  if (q.op === 'bor') return q.args.some((a) => isTrue(S, a, known, facts));
  // e == 0 when each of its bits is a constant 0 or lies in a range known to be zero
  if (q.op === 'eq' && q.args[1].op === 'const' && q.args[1].value === 0n && zeroBits(facts, q.args[0], q.args[0].width - 1, 0)) return true;
  // canonical by range: sext(x[k:0]) == x when x < C <= 2^k
  if (q.op === 'eq') {
    for (const [s, x] of [[q.args[0], q.args[1]], [q.args[1], q.args[0]]]) {
      if (s.op !== 'sext' || s.args[0].op !== 'extract' || s.args[0].lo !== 0 || s.args[0].args[0] !== x) continue;
      const k = s.args[0].hi;
      if (facts.some((f) => f.op === 'ult' && f.args[0] === x && f.args[1].op === 'const' && f.args[1].value <= 1n << BigInt(k))) return true;
    }
  }
  return false;
}

function isFalse(S: SymbolicAlgebra, p: Expr, known: Set<number>, facts: Expr[]): boolean {
  if (p === S.F) return true;
  if (known.has(S.notB(p).id)) return true;
  if (p.op === 'bnot') return isTrue(S, p.args[0], known, facts);
  if (p.op === 'bor') return p.args.every((a) => isFalse(S, a, known, facts));
  if (p.op === 'band') return p.args.some((a) => isFalse(S, a, known, facts));
  return false;
}

/** How an analysis's questions were answered (AnalysisStats.solver; the scale benchmark reads it). */
export interface SolverStats {
  /** Questions asked (the cheap proof's included). */
  queries: number;
  /** Settled by the cheap proof or by simplification. */
  cheap: number;
  /** Answered from the cache of earlier answers. */
  cached: number;
  /** Settled by the witness search. */
  search: number;
  /** Sent to Z3. */
  z3: number;
}

export function newSolverStats(): SolverStats {
  return { queries: 0, cheap: 0, cached: 0, search: 0, z3: 0 };
}

/** Decides `q`: simplification, then the witness search, then Z3 (each answer cached). */
export async function decide(q: Expr, timeoutMs: number, stats?: SolverStats): Promise<CheckResult> {
  if (stats) stats.queries++;
  const b = new SymbolicAlgebra().asBool(q);
  if (b === false) {
    if (stats) stats.cheap++;
    return { status: 'unsat', by: 'simplifier' };
  }
  const key = structuralKey(q);
  const hit = cache.get(key);
  if (hit) {
    if (stats) stats.cached++;
    return hit;
  }
  let r = quickCheck(q, { tries: 8 });
  if (stats && r.status !== 'unknown') stats.search++;
  if (r.status === 'unknown') {
    if (stats) stats.z3++;
    r = await z3Check(q, timeoutMs);
  }
  if (r.status !== 'unknown') {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, r);
  }
  return r;
}
