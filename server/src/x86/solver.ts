// Deciding boolean expressions: a cheap procedure first (simplification and
// concrete evaluation under edge and random assignments), Z3 only when that
// cannot decide. Nothing of z3-solver loads until a query needs it.

import { mask } from './algebra';
import { Expr, evaluate, variables } from './symbolic';

export type CheckResult =
  | { status: 'sat'; model: Map<string, bigint>; by: 'simplifier' | 'search' | 'z3' }
  | { status: 'unsat'; by: 'simplifier' | 'z3' }
  | { status: 'unknown'; reason: string };

export interface CheckOptions {
  /** Random assignments tried by the cheap search (default 256). */
  tries?: number;
  /** Seed of the cheap search (default 1). */
  seed?: number;
  /** Z3 time budget in milliseconds (default 2000). */
  timeoutMs?: number;
  /** Whether Z3 may be used (default true). */
  useZ3?: boolean;
}

/** Small deterministic PRNG (xorshift64*) for the witness search. */
export class Rng {
  private s: bigint;
  constructor(seed: number | bigint) {
    this.s = (BigInt(seed) ^ 0x9e3779b97f4a7c15n) & mask(64);
    if (this.s === 0n) this.s = 1n;
  }
  next64(): bigint {
    let x = this.s;
    x ^= x >> 12n;
    x ^= (x << 25n) & mask(64);
    x ^= x >> 27n;
    this.s = x;
    return (x * 0x2545f4914f6cdd1dn) & mask(64);
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Number(this.next64() % BigInt(n));
  }
}

/** Values worth trying first for a variable of `width` bits. */
export function edgeValues(width: number): bigint[] {
  const m = mask(width);
  const out = new Set<bigint>([0n, 1n, m, m >> 1n, (m >> 1n) + 1n, 2n]);
  if (width === 64) {
    for (const v of [
      0x00007fffffffffffn,
      0x0000800000000000n,
      0xffff7fffffffffffn,
      0xffff800000000000n,
      0x00ffffffffffffffn,
      0x0100000000000000n,
      0xfeffffffffffffffn,
      0xff00000000000000n,
      0x33n,
      0x2bn,
      0x202n,
      0x10100n,
      0x100n,
      0x10000n,
    ])
      out.add(v);
  }
  return [...out].map((v) => v & m);
}

/**
 * The cheap decision procedure: trivially true/false after simplification,
 * otherwise a search over edge and random assignments for a witness.
 * Never answers unsat except for the constant false.
 */
export function quickCheck(cond: Expr, opts: CheckOptions = {}): CheckResult {
  if (cond.width !== 0) throw new Error('quickCheck: a boolean expression is required');
  if (cond.op === 'bconst') return cond.value ? { status: 'sat', model: new Map(), by: 'simplifier' } : { status: 'unsat', by: 'simplifier' };
  const vars = [...variables(cond)];
  const rng = new Rng(opts.seed ?? 1);
  const tries = opts.tries ?? 256;
  const test = (env: Map<string, bigint>): boolean => evaluate(cond, env) === 1n;
  // All variables at the same edge value, then one-at-a-time edge values.
  const env = new Map<string, bigint>();
  const edges = vars.map(([, w]) => edgeValues(w));
  const maxEdges = Math.max(0, ...edges.map((e) => e.length));
  for (let k = 0; k < maxEdges; k++) {
    vars.forEach(([n], i) => env.set(n, edges[i][k % edges[i].length]));
    if (test(env)) return { status: 'sat', model: new Map(env), by: 'search' };
  }
  for (let t = 0; t < tries; t++) {
    vars.forEach(([n, w], i) => {
      const r = rng.below(3);
      env.set(n, r === 0 ? edges[i][rng.below(edges[i].length)] : rng.next64() & mask(w));
    });
    if (test(env)) return { status: 'sat', model: new Map(env), by: 'search' };
  }
  return { status: 'unknown', reason: 'no witness found by search' };
}

// --- Z3 ---------------------------------------------------------------------

/** SMT-LIB 2 text asserting `cond`, one define-fun per shared node. */
export function toSmtLib(cond: Expr): { text: string; vars: Map<string, number> } {
  const vars = variables(cond);
  const lines: string[] = [];
  const names = new Map<number, string>();
  const quote = (n: string): string => '|' + n.replace(/[|\\]/g, '_') + '|';
  for (const [n, w] of vars) lines.push(`(declare-const ${quote(n)} (_ BitVec ${w}))`);
  const sort = (e: Expr): string => (e.width === 0 ? 'Bool' : `(_ BitVec ${e.width})`);
  const ref = (e: Expr): string => {
    if (e.op === 'var') return quote(e.name);
    if (e.op === 'const') return `(_ bv${e.value} ${e.width})`;
    if (e.op === 'bconst') return e.value ? 'true' : 'false';
    const n = names.get(e.id);
    if (n === undefined) throw new Error('toSmtLib: node used before definition');
    return n;
  };
  const term = (e: Expr): string => {
    const a = e.args.map(ref);
    const bin: Partial<Record<string, string>> = {
      add: 'bvadd',
      sub: 'bvsub',
      and: 'bvand',
      or: 'bvor',
      xor: 'bvxor',
      shl: 'bvshl',
      lshr: 'bvlshr',
      ashr: 'bvashr',
      ult: 'bvult',
      ule: 'bvule',
      slt: 'bvslt',
      sle: 'bvsle',
      eq: '=',
      band: 'and',
      bor: 'or',
      concat: 'concat',
    };
    const b = bin[e.op];
    if (b) return `(${b} ${a[0]} ${a[1]})`;
    switch (e.op) {
      case 'not':
        return `(bvnot ${a[0]})`;
      case 'neg':
        return `(bvneg ${a[0]})`;
      case 'bnot':
        return `(not ${a[0]})`;
      case 'extract':
        return `((_ extract ${e.hi} ${e.lo}) ${a[0]})`;
      case 'zext':
        return `((_ zero_extend ${e.width - e.args[0].width}) ${a[0]})`;
      case 'sext':
        return `((_ sign_extend ${e.width - e.args[0].width}) ${a[0]})`;
      case 'ite':
      case 'bite':
        return `(ite ${a[0]} ${a[1]} ${a[2]})`;
      case 'bit':
        return `(ite ${a[0]} #b1 #b0)`;
    }
    throw new Error('toSmtLib: unexpected ' + e.op);
  };
  // post-order over the DAG
  const seen = new Set<number>();
  const visit = (root: Expr): void => {
    const stack: [Expr, boolean][] = [[root, false]];
    while (stack.length) {
      const [e, done] = stack.pop() as [Expr, boolean];
      if (e.op === 'var' || e.op === 'const' || e.op === 'bconst') continue;
      if (done) {
        if (names.has(e.id)) continue;
        const n = 't' + e.id;
        lines.push(`(define-fun ${n} () ${sort(e)} ${term(e)})`);
        names.set(e.id, n);
        continue;
      }
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      stack.push([e, true]);
      for (const x of e.args) stack.push([x, false]);
    }
  };
  visit(cond);
  lines.push(`(assert ${ref(cond)})`);
  return { text: lines.join('\n'), vars };
}

// The z3 module is typed loosely here on purpose: it is loaded on demand.
interface Z3Like {
  Context: (name: string) => Z3Ctx;
}
interface Z3Ctx {
  Solver: new () => Z3Solver;
  BitVec: { const: (name: string, bits: number) => unknown };
}
interface Z3Solver {
  set(key: string, value: number): void;
  fromString(s: string): void;
  check(): Promise<'sat' | 'unsat' | 'unknown'>;
  model(): { eval(e: unknown, completion: boolean): { value?: () => bigint; toString(): string } };
}

let z3Promise: Promise<Z3Ctx> | undefined;
let z3Loaded = false;

/** True once a query has loaded Z3 (for tests of laziness). */
export function z3IsLoaded(): boolean {
  return z3Loaded;
}

function loadZ3(): Promise<Z3Ctx> {
  if (!z3Promise) {
    z3Promise = (async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('z3-solver') as { init: () => Promise<Z3Like> };
      const z3 = await mod.init();
      z3Loaded = true;
      return z3.Context('main');
    })();
  }
  return z3Promise;
}

/** Asks Z3 (loading it on first use). */
export async function z3Check(cond: Expr, timeoutMs = 2000): Promise<CheckResult> {
  let ctx: Z3Ctx;
  try {
    ctx = await loadZ3();
  } catch (e) {
    return { status: 'unknown', reason: 'z3 unavailable: ' + (e instanceof Error ? e.message : String(e)) };
  }
  const { text, vars } = toSmtLib(cond);
  const s = new ctx.Solver();
  s.set('timeout', timeoutMs);
  s.fromString(text);
  const r = await s.check();
  if (r === 'unsat') return { status: 'unsat', by: 'z3' };
  if (r === 'unknown') return { status: 'unknown', reason: 'z3: unknown (timeout ' + timeoutMs + ' ms)' };
  const m = s.model();
  const model = new Map<string, bigint>();
  for (const [n, w] of vars) {
    const r = m.eval(ctx.BitVec.const(n.replace(/[|\\]/g, '_'), w), true);
    if (typeof r.value !== 'function') return { status: 'unknown', reason: 'z3 model without a value for ' + n };
    model.set(n, r.value());
  }
  // Trust but verify: the witness must satisfy the condition under our own semantics.
  if (evaluate(cond, model) !== 1n) return { status: 'unknown', reason: 'z3 model does not evaluate to true' };
  return { status: 'sat', model, by: 'z3' };
}

/** Decides `cond`: cheap procedure first, Z3 when needed and allowed. */
export async function check(cond: Expr, opts: CheckOptions = {}): Promise<CheckResult> {
  const q = quickCheck(cond, opts);
  if (q.status !== 'unknown' || opts.useZ3 === false) return q;
  return z3Check(cond, opts.timeoutMs ?? 2000);
}
