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

/** The top-level conjuncts of a boolean (the analysis's cheap proof reads them too). */
export function conjunctsOf(e: Expr, out: Expr[] = []): Expr[] {
  if (e.op === 'band') for (const a of e.args) conjunctsOf(a, out);
  else out.push(e);
  return out;
}

/**
 * Solves the query's equalities for their variables, on `env` (the assignment being tried): a
 * conjunct `e == k` whose e is a variable — or one combined with constants (`x | 3`, `x & m`,
 * `x + c`, `x ^ c`), widened, a bit range of one, a concatenation, or an ite whose condition the
 * assignment so far decides — sets it so that the conjunct holds; `a == b` solves a for b's
 * value (or b for a's).
 * Entry code's path conditions are mostly such equalities (`ss | 3 == 0x2b`, `r11 == flags`, a
 * work-flags bit clear), which random values almost never meet. Passes repeat, since one pin can
 * decide another's ite. What it sets may still fail the query: the caller evaluates.
 */
function solveEqualities(cs: Expr[], env: Map<string, bigint>): void {
  const pinned = new Set<string>();
  const invert = (e: Expr, k: bigint): void => {
    k &= mask(e.width);
    switch (e.op) {
      case 'var':
        if (!pinned.has(e.name)) {
          env.set(e.name, k);
          pinned.add(e.name);
        }
        return;
      case 'or':
      case 'and':
      case 'add':
      case 'xor': {
        const [x, c] = e.args[1].op === 'const' ? [e.args[0], e.args[1].value] : e.args[0].op === 'const' ? [e.args[1], e.args[0].value] : [undefined, 0n];
        if (!x) return;
        if (e.op === 'or' && (k & c) === c) invert(x, k);
        else if (e.op === 'and' && (k & ~c) === 0n) invert(x, k);
        else if (e.op === 'add') invert(x, k - c);
        else if (e.op === 'xor') invert(x, k ^ c);
        return;
      }
      case 'zext':
        if (k >> BigInt(e.args[0].width) === 0n) invert(e.args[0], k);
        return;
      case 'extract': {
        const x = e.args[0];
        if (x.op !== 'var' || pinned.has(x.name)) return;
        const field = mask(e.hi - e.lo + 1) << BigInt(e.lo);
        env.set(x.name, ((env.get(x.name) ?? 0n) & ~field & mask(x.width)) | (k << BigInt(e.lo)));
        return;
      }
      case 'concat': {
        const w = BigInt(e.args[1].width);
        invert(e.args[0], k >> w);
        invert(e.args[1], k & mask(e.args[1].width));
        return;
      }
      case 'ite':
        invert(evaluate(e.args[0], env) === 1n ? e.args[1] : e.args[2], k);
        return;
    }
  };
  for (let pass = 0; pass < 3; pass++) {
    for (const c of cs) {
      if (c.op !== 'eq') continue;
      const [a, b] = c.args;
      if (b.op === 'const') invert(a, b.value);
      else if (a.op === 'const') invert(b, a.value);
      else {
        invert(a, evaluate(b, env));
        if (evaluate(c, env) !== 1n) invert(b, evaluate(a, env));
      }
    }
  }
}

/**
 * The cheap decision procedure: trivially true/false after simplification,
 * otherwise a search over edge and random assignments for a witness, each also tried with the
 * query's equalities solved on it (solveEqualities).
 * Never answers unsat except for the constant false.
 */
export function quickCheck(cond: Expr, opts: CheckOptions = {}): CheckResult {
  if (cond.width !== 0) throw new Error('quickCheck: a boolean expression is required');
  if (cond.op === 'bconst') return cond.value ? { status: 'sat', model: new Map(), by: 'simplifier' } : { status: 'unsat', by: 'simplifier' };
  const vars = [...variables(cond)];
  const rng = new Rng(opts.seed ?? 1);
  const tries = opts.tries ?? 256;
  const cs = conjunctsOf(cond);
  const test = (env: Map<string, bigint>): boolean => {
    if (evaluate(cond, env) === 1n) return true;
    solveEqualities(cs, env);
    return evaluate(cond, env) === 1n;
  };
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
        // numbered in the order of the walk, not by node id: the text (and so Z3's answer) is a
        // function of the query's structure alone, whatever else the process built before
        const n = 't' + names.size;
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

// The z3 module is typed loosely here on purpose: it is loaded on demand. Its low-level API is
// used: a context per query, run on an SMT-LIB script and deleted as soon as it has answered.
interface Z3Low {
  mk_config(): number;
  del_config(cfg: number): void;
  mk_context(cfg: number): number;
  del_context(ctx: number): void;
  eval_smtlib2_string(ctx: number, script: string): Promise<string>;
}
interface Z3Like {
  Z3: Z3Low;
}

let z3Promise: Promise<Z3Low> | undefined;
let z3Loaded = false;

/** True once a query has loaded Z3 (for tests of laziness). */
export function z3IsLoaded(): boolean {
  return z3Loaded;
}

function loadZ3(): Promise<Z3Low> {
  if (!z3Promise) {
    z3Promise = (async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('z3-solver') as { init: () => Promise<Z3Like> };
      const z3 = await mod.init();
      z3Loaded = true;
      return z3.Z3;
    })();
  }
  return z3Promise;
}

/**
 * Z3's budget is counted in its own resource units (rlimit), not in time: a query gets the same
 * answer on an idle machine and on a loaded one (the entry files' hardest queries use a few
 * thousand units). The clock is only a backstop, WALL_FACTOR times the caller's timeout.
 */
const Z3_RLIMIT = 4_000_000;
const WALL_FACTOR = 4;

/** One SMT-LIB value as printed by get-value: #x…, #b… or (_ bvN W). */
function smtValue(v: string): bigint | undefined {
  if (v.startsWith('#x')) return BigInt('0x' + v.slice(2));
  if (v.startsWith('#b')) return BigInt('0b' + v.slice(2));
  const m = /^\(_ bv(\d+) \d+\)$/.exec(v);
  return m ? BigInt(m[1]) : undefined;
}

/**
 * Asks Z3 (loading it on first use), in a fresh context per query: a shared context remembers
 * every term it was given, and its models then depend on what was asked before (another file,
 * another order); a fresh one answers the same text with the same model, so an answer is a
 * function of the query alone and `check --jobs N` prints what `--jobs 1` prints. The context
 * is deleted when it has answered, so memory does not grow with the number of queries.
 */
export async function z3Check(cond: Expr, timeoutMs = 2000): Promise<CheckResult> {
  let Z3: Z3Low;
  try {
    Z3 = await loadZ3();
  } catch (e) {
    return { status: 'unknown', reason: 'z3 unavailable: ' + (e instanceof Error ? e.message : String(e)) };
  }
  const { text, vars } = toSmtLib(cond);
  const names = [...vars.keys()];
  const quote = (n: string): string => '|' + n.replace(/[|\\]/g, '_') + '|';
  const script =
    `(set-option :rlimit ${Z3_RLIMIT})\n(set-option :timeout ${Math.max(1, Math.floor(timeoutMs * WALL_FACTOR))})\n${text}\n(check-sat)\n` +
    (names.length ? `(get-value (${names.map(quote).join(' ')}))\n` : '');
  // (z3-solver's asynchronous eval now and then reads the script damaged — `(error "… unexpected
  // end of quoted symbol")` on a loaded machine — so a reply with an error is asked again)
  let out = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const cfg = Z3.mk_config();
    const ctx = Z3.mk_context(cfg);
    Z3.del_config(cfg);
    try {
      out = await Z3.eval_smtlib2_string(ctx, script);
    } catch (e) {
      return { status: 'unknown', reason: 'z3: ' + (e instanceof Error ? e.message : String(e)) };
    } finally {
      Z3.del_context(ctx);
    }
    if (!/\(error /.test(out)) break;
  }
  const verdict = /^\s*(sat|unsat|unknown)\b/.exec(out)?.[1];
  if (verdict === 'unsat') return { status: 'unsat', by: 'z3' };
  if (verdict !== 'sat') return { status: 'unknown', reason: verdict === 'unknown' ? 'z3: unknown (resource limit ' + Z3_RLIMIT + ' or ' + timeoutMs * WALL_FACTOR + ' ms)' : 'z3: ' + out.trim().slice(0, 200) };
  // the values in the order asked (names are quoted |…| and hold no '|', so drop them first)
  const values = out.slice(out.indexOf('sat') + 3).replace(/\|[^|]*\|/g, '').match(/#x[0-9a-fA-F]+|#b[01]+|\(_ bv\d+ \d+\)/g) ?? [];
  if (values.length !== names.length) return { status: 'unknown', reason: 'z3 model without a value for every variable' };
  const model = new Map<string, bigint>();
  for (let i = 0; i < names.length; i++) {
    const v = smtValue(values[i]);
    if (v === undefined) return { status: 'unknown', reason: 'z3 model value ' + values[i] + ' not read' };
    model.set(names[i], v);
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
