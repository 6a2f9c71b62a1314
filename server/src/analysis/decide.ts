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
 * The path's facts with what its equalities pin substituted in: `x == const`, and `x == y` (any
 * expressions: the later node by the earlier). `facts` holds the conjuncts as written and as
 * substituted (both hold on the path); `sub` substitutes in another expression; `contradiction`
 * is set when a substituted fact is false.
 */
function pinned(S: SymbolicAlgebra, conjuncts: Expr[]): { facts: Expr[]; sub: (e: Expr) => Expr; contradiction: boolean } {
  const written: Expr[] = [];
  for (const c of conjuncts) conjunctsOf(c, written);
  // variables equal to each other or to a constant first, each by the earliest of its class or by
  // the constant, so that what the facts say of any of them is said of one (`r11 == flags` with
  // `(flags & m) == 0` and `(r11 & m) != 0`; `rdi == K` with `(ti & rdi) == 0`); then the other
  // equalities on what that leaves
  const root = new Map<number, Expr>();
  const find = (x: Expr): Expr => {
    let r = x;
    for (let n = root.get(r.id); n; n = root.get(r.id)) r = n;
    return r;
  };
  for (const c of written) {
    if (c.op !== 'eq' || c.args[0].op !== 'var' || c.args[1].op !== 'var') continue;
    const [a, b] = [find(c.args[0]), find(c.args[1])];
    if (a !== b) root.set(Math.max(a.id, b.id), a.id < b.id ? a : b);
  }
  // and a class pinned to a constant by that constant
  const value = new Map<number, Expr>();
  const members = new Map<number, Expr>();
  for (const c of written) {
    if (c.op !== 'eq') continue;
    for (const x of c.args) if (x.op === 'var') members.set(x.id, x);
    if (c.args[0].op === 'var' && c.args[1].op === 'const') value.set(find(c.args[0]).id, c.args[1]);
  }
  const classes = new Map<number, Expr>();
  for (const [id, x] of members) {
    const r = find(x);
    const to = value.get(r.id) ?? r;
    if (to !== x) classes.set(id, to);
  }
  const vmemo = new Map<number, Expr>();
  const byClass = (e: Expr): Expr => (classes.size ? rebuild(S, e, (n) => classes.get(n.id), vmemo) : e);
  const flat: Expr[] = [...written];
  if (classes.size) {
    for (const c of written) {
      const x = byClass(c);
      if (x === S.F) return { facts: flat, sub: byClass, contradiction: true };
      if (x !== c) conjunctsOf(x, flat);
    }
  }
  const map = new Map<number, Expr>();
  for (const c of flat) {
    if (c.op !== 'eq' || (c.args[0].op === 'var' && c.args[1].op === 'var')) continue;
    let [x, y] = c.args;
    if (x.op === 'const') [x, y] = [y, x];
    if (x.op === 'const' || map.has(x.id)) continue;
    if (y.op !== 'const' && x.id < y.id && !map.has(y.id) && !contains(x, y)) [x, y] = [y, x];
    if (!contains(y, x)) map.set(x.id, y);
  }
  const memo = new Map<number, Expr>();
  const sub = (e: Expr): Expr => {
    if (!map.size) return byClass(e);
    let cur = byClass(e);
    for (let i = 0; i < 4; i++) {
      const next = rebuild(S, cur, (n) => map.get(n.id), memo);
      if (next === cur) break;
      cur = next;
      memo.clear();
    }
    return cur;
  };
  const facts: Expr[] = [...flat];
  for (const c of flat) {
    const x = sub(c);
    if (x === S.F) return { facts, sub, contradiction: true };
    conjunctsOf(x, facts);
  }
  return { facts, sub, contradiction: false };
}

/**
 * A cheap proof that `conjuncts ∧ bad` has no solution. Sound, incomplete: when it says nothing,
 * the solver decides.
 */
export function cheapUnsat(S: SymbolicAlgebra, conjuncts: Expr[], bad: Expr): boolean {
  const { facts, sub, contradiction } = pinned(S, conjuncts);
  if (contradiction) return true;
  const bits = knownBitsOf(facts);
  return disjunctsOf(sub(bad)).every((d) => {
    if (d === S.F) return true;
    const parts = conjunctsOf(d);
    const known = new Set([...facts, ...parts].map((f) => f.id));
    const all = [...facts, ...parts];
    return parts.some((p) => isFalse(S, p, known, all) || contradictsBits(p, bits));
  });
}

/**
 * What literals (comparisons and their negations) say together: `conflict` when they cannot all
 * hold (cheapUnsat's proof on each, a range left empty); else their substitution and known bits,
 * for deciding the comparisons left.
 */
function literalsConflict(S: SymbolicAlgebra, literals: Expr[]): { conflict: true } | { conflict: false; sub: (e: Expr) => Expr; bits: Map<string, Bits> } {
  const { facts, sub, contradiction } = pinned(S, literals);
  if (contradiction) return { conflict: true };
  const bits = knownBitsOf(facts);
  const known = new Set(facts.map((f) => f.id));
  if (facts.some((p) => isFalse(S, p, known, facts) || contradictsBits(p, bits) || bitwiseFalse(p, bits)) || emptyRange(facts)) return { conflict: true };
  return { conflict: false, sub, bits };
}

/** A bit of a value: a constant, or bit `bit` of variable `v`. */
type BitForm = bigint | { v: number; bit: number };

/**
 * The bits of `e`, each a constant or a variable's bit, when its form says so: constants,
 * variables (their bits the facts pin as constants), bit ranges, widenings, concatenations, and masks (`and`/`or`) where every bit of
 * one side is a constant. Undefined when some bit is a computation. (The algebra writes
 * `x & m | c` as a concatenation of x's bit ranges; one built another way is the same value.)
 */
function bitForms(e: Expr, known: Map<string, Bits>, memo = new Map<number, BitForm[] | undefined>()): BitForm[] | undefined {
  if (memo.has(e.id)) return memo.get(e.id);
  let out: BitForm[] | undefined;
  const w = e.width;
  switch (e.op) {
    case 'const':
      out = Array.from({ length: w }, (_, i) => (e.value >> BigInt(i)) & 1n);
      break;
    case 'var': {
      const b = known.get(e.name);
      out = Array.from({ length: w }, (_, i) => (b && (b.mask >> BigInt(i)) & 1n ? (b.value >> BigInt(i)) & 1n : { v: e.id, bit: i }));
      break;
    }
    case 'extract': {
      const a = bitForms(e.args[0], known, memo);
      out = a?.slice(e.lo, e.hi + 1);
      break;
    }
    case 'zext': {
      const a = bitForms(e.args[0], known, memo);
      out = a && [...a, ...Array.from({ length: w - a.length }, () => 0n)];
      break;
    }
    case 'concat': {
      const [h, l] = [bitForms(e.args[0], known, memo), bitForms(e.args[1], known, memo)];
      out = h && l && [...l, ...h];
      break;
    }
    case 'and':
    case 'or': {
      const [a, b] = [bitForms(e.args[0], known, memo), bitForms(e.args[1], known, memo)];
      if (!a || !b) break;
      const one = e.op === 'and' ? 1n : 0n;
      out = [];
      for (let i = 0; i < w; i++) {
        const [x, y] = [a[i], b[i]];
        // and: 0 absorbs, 1 passes the other; or: 1 absorbs, 0 passes the other
        if (typeof x === 'bigint') out.push(x === one ? y : x);
        else if (typeof y === 'bigint') out.push(y === one ? x : y);
        else if (x.v === y.v && x.bit === y.bit) out.push(x);
        else return memo.set(e.id, undefined), undefined;
      }
      break;
    }
  }
  memo.set(e.id, out);
  return out;
}

/** An equality (or its negation) that the two sides' bits decide false: a constant bit differs, or every bit is the same. */
function bitwiseFalse(p: Expr, known: Map<string, Bits>): boolean {
  const neg = p.op === 'bnot';
  const q = neg ? p.args[0] : p;
  if (q.op !== 'eq' || q.args[0].width === 0) return false;
  const memo = new Map<number, BitForm[] | undefined>();
  const [a, b] = [bitForms(q.args[0], known, memo), bitForms(q.args[1], known, memo)];
  if (!a || !b) return false;
  const same = (x: BitForm, y: BitForm): boolean => (typeof x === 'bigint' ? x === y : typeof y !== 'bigint' && x.v === y.v && x.bit === y.bit);
  if (neg) return a.every((x, i) => same(x, b[i]));
  return a.some((x, i) => typeof x === 'bigint' && typeof b[i] === 'bigint' && x !== b[i]);
}

/**
 * Some expression's unsigned range is empty by the facts: bounds from `x < K`, `K < x`, `x <= K`,
 * `K <= x`, `x == K` and their negations (a return address tested below TASK_SIZE_MAX for 48 bits
 * and asked about below the 57-bit limit).
 */
function emptyRange(facts: Expr[]): boolean {
  const lo = new Map<number, bigint>();
  const hi = new Map<number, bigint>();
  const not = new Map<number, bigint[]>();
  const same: [Expr, Expr][] = [];
  const bound = (x: Expr, l: bigint | undefined, h: bigint | undefined): void => {
    if (!hi.has(x.id)) hi.set(x.id, largest(x));
    if (l !== undefined && l > (lo.get(x.id) ?? 0n)) lo.set(x.id, l);
    if (h !== undefined && h < (hi.get(x.id) as bigint)) hi.set(x.id, h);
  };
  for (const f of facts) {
    const neg = f.op === 'bnot';
    const p = neg ? f.args[0] : f;
    if (p.op !== 'ult' && p.op !== 'ule' && p.op !== 'eq') continue;
    const [a, b] = p.args;
    const strict = p.op === 'ult' ? 1n : 0n;
    if (p.op === 'eq' && !neg && a.op !== 'const' && b.op !== 'const') same.push([a, b]);
    else if (p.op === 'eq') {
      if (b.op !== 'const' || a.op === 'const') continue;
      if (neg) not.set(a.id, [...(not.get(a.id) ?? []), b.value]);
      else bound(a, b.value, b.value);
    } else if (b.op === 'const' && a.op !== 'const') {
      // a < K (a <= K), or, negated, a >= K (a > K)
      if (!neg) bound(a, undefined, b.value - strict);
      else bound(a, b.value + 1n - strict, undefined);
    } else if (a.op === 'const' && b.op !== 'const') {
      // K < b (K <= b), or, negated, b <= K (b < K)
      if (!neg) bound(b, a.value + strict, undefined);
      else bound(b, undefined, a.value - 1n + strict);
    }
  }
  // equal expressions share their bounds (`zext(x) == ip` bounds ip by x's width)
  for (let round = 0; round < 2; round++) {
    for (const [a, b] of same) {
      bound(a, lo.get(b.id), hi.get(b.id) ?? largest(b));
      bound(b, lo.get(a.id), hi.get(a.id));
    }
  }
  for (const [id, l] of lo) if (l > (hi.get(id) ?? l)) return true;
  for (const [id, h] of hi) if ((lo.get(id) ?? 0n) > h) return true;
  for (const [id, ks] of not) {
    const l = lo.get(id);
    if (l !== undefined && l === hi.get(id) && ks.includes(l)) return true;
  }
  return false;
}

/** The largest value `e` can take by its form: a widened narrower value, a mask, a right shift. */
function largest(e: Expr): bigint {
  const w = mask(e.width);
  switch (e.op) {
    case 'const':
      return e.value;
    case 'zext':
      return mask(e.args[0].width);
    case 'and': {
      const [a, b] = [largest(e.args[0]), largest(e.args[1])];
      return a < b ? a : b;
    }
    case 'lshr':
      return e.args[1].op === 'const' ? (e.args[1].value >= BigInt(e.width) ? 0n : w >> e.args[1].value) : w;
    default:
      return w;
  }
}

const NO_BITS = new Map<string, Bits>();

/** Case splits one refutation may make before it gives up (the witness search and Z3 go on). */
const SPLIT_BUDGET = 512;

/**
 * The query rewritten so that case analysis sees its comparisons: `a <= b` as `!(b < a)` (signed
 * alike), chains of `&&` (`||`) in one order, an equality its two sides' bits decide as true or false,
 * and a comparison of an ite holding a constant with a constant as the choice it makes —
 * `ite(c, 0, r) == 0` is `c || r == 0`, `ite(c, 1, r) == 0` is `!c && r == 0` — so a C function's
 * result, an ite over its tests, becomes the tests its paths took.
 */
function forSplits(S: SymbolicAlgebra, e: Expr): Expr {
  const memo = new Map<number, Expr>();
  const norm = (x: Expr): Expr => rebuild(S, x, replace, memo);
  function replace(n: Expr): Expr | undefined {
    if (n.op === 'band' || n.op === 'bor') {
      // a chain of one connective in one order (by node), so that the same conjunction built in
      // two nestings is one node: `A || !A` folds
      const leaves: Expr[] = [];
      const flat = (x: Expr, normed: boolean): void => {
        if (x.op === n.op) for (const a of x.args) flat(a, normed);
        else if (normed) leaves.push(x);
        else flat(norm(x), true);
      };
      flat(n, false);
      const parts = [...new Map(leaves.map((x) => [x.id, x])).values()].sort((a, b) => a.id - b.id);
      const join = (a: Expr, b: Expr): Expr => (n.op === 'band' ? S.andB(a, b) : S.orB(a, b));
      return parts.reduceRight((acc, x) => join(x, acc));
    }
    if (n.op === 'ule') return S.notB(S.ult(norm(n.args[1]), norm(n.args[0])));
    if (n.op === 'sle') return S.notB(S.slt(norm(n.args[1]), norm(n.args[0])));
    if (n.op !== 'eq') return undefined;
    const q = S.eq(norm(n.args[0]), norm(n.args[1]));
    if (q.op !== 'eq') return norm(q);
    // an equality its two sides' bits decide (`(x | 2) == 0`: bit 1 differs)
    if (bitwiseFalse(q, NO_BITS)) return S.F;
    if (bitwiseFalse(S.notB(q), NO_BITS)) return S.T;
    const [t, k] = q.args;
    if (t.op !== 'ite' || k.op !== 'const') return q;
    const [c, x, y] = t.args;
    if (x.op !== 'const' && y.op !== 'const') return q;
    // one arm a constant: the choice is that arm's test, or the other arm's comparison
    const [arm, other, when] = x.op === 'const' ? [x, y, c] : [y, x, S.notB(c)];
    const rest = norm(S.eq(other, k));
    return arm.value === k.value ? S.orB(when, rest) : S.andB(S.notB(when), rest);
  }
  return norm(e);
}

/** What one refutation shares across its cases: the splits left, and each node's first ite. */
interface SplitContext {
  left: number;
  ites: Map<number, Expr | null>;
}

/** The first ite in `e`'s bit-vector terms (a merged value the comparison reads), or null. */
function firstIte(e: Expr, ctx: SplitContext): Expr | null {
  const hit = ctx.ites.get(e.id);
  if (hit !== undefined) return hit;
  let out: Expr | null = null;
  if (e.op === 'ite') out = e;
  else for (const a of e.args) if ((out = firstIte(a, ctx))) break;
  ctx.ites.set(e.id, out);
  return out;
}

/** A comparison that reads a merged value is split on the merge's condition before it is taken as given. */
function isLiteral(a: Expr, ctx: SplitContext): boolean {
  return a.op !== 'bor' && a.op !== 'band' && a.op !== 'bite' && firstIte(a, ctx) === null;
}

/**
 * What to split on: the condition of a merged value a comparison reads (whole: deciding it picks
 * the merge's arm, and the path condition's disjunct it came from), the one the facts share most;
 * when none is left, the comparison they share most.
 */
function mostShared(rest: Expr[], ctx: SplitContext): Expr | undefined {
  const count = new Map<number, number>();
  const conds = new Map<number, number>();
  const atoms = new Map<number, Expr>();
  const seen = new Set<number>();
  const visit = (e: Expr): void => {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    if (e.op === 'band' || e.op === 'bor' || e.op === 'bnot' || e.op === 'bite') {
      for (const a of e.args) visit(a);
      return;
    }
    if (e.op === 'bconst') return;
    const ite = firstIte(e, ctx);
    if (ite) {
      const c = ite.args[0];
      conds.set(c.id, (conds.get(c.id) ?? 0) + 1);
      atoms.set(c.id, c);
      return;
    }
    count.set(e.id, (count.get(e.id) ?? 0) + 1);
    atoms.set(e.id, e);
  };
  let best: Expr | undefined;
  let most = 0;
  for (const f of rest) {
    seen.clear();
    visit(f);
  }
  for (const [id, n] of conds.size ? conds : count) {
    if (n > most) {
      most = n;
      best = atoms.get(id);
    }
  }
  return best;
}

/**
 * A cheap proof that the conjunction `q` has no solution, by case analysis (DPLL over the
 * query's comparisons): the literals among its conjuncts are taken as given and substituted into
 * the rest, a comparison the rest still holds — or the condition of a merged value one reads — is
 * split on (true, then false), and every case must end in literals that contradict each other
 * (literalsConflict) or a conjunct made false. Sound; incomplete (the budget, and what
 * literalsConflict cannot see): false means "not shown". It settles what a C function's promise
 * comes to (`ret != 0` for ret an ite over the function's tests, with the property's negation)
 * and the exit-work questions of a return reached through merged work flags.
 */
export function refuteBySplits(S: SymbolicAlgebra, q: Expr, budget = SPLIT_BUDGET): boolean {
  try {
    return refuteCase(S, [forSplits(S, q)], { left: budget, ites: new Map() });
  } catch (e) {
    // a query too deep for the recursion: not shown here, the solver decides
    if (e instanceof RangeError) return false;
    throw e;
  }
}

function refuteCase(S: SymbolicAlgebra, given: Expr[], ctx: SplitContext): boolean {
  if (ctx.left-- <= 0) return false;
  const value = new Map<number, boolean>();
  const literals: Expr[] = [];
  let rest: Expr[] = [];
  let changed = false;
  // false when `f` contradicts the literals so far
  const take = (f: Expr, out: Expr[]): boolean => {
    if (f === S.T) return true;
    if (f === S.F) return false;
    if (f.op === 'band') return take(f.args[0], out) && take(f.args[1], out);
    if (f.op === 'bnot' && f.args[0].op === 'bor') return take(S.notB(f.args[0].args[0]), out) && take(S.notB(f.args[0].args[1]), out);
    const neg = f.op === 'bnot';
    const a = neg ? f.args[0] : f;
    const had = value.get(a.id);
    if (had !== undefined) return had === !neg;
    // a disjunction (or a comparison of a merged value) is kept, and where another fact holds it
    // (a merge's condition, split on), it is replaced by its value
    value.set(a.id, !neg);
    changed = true;
    if (isLiteral(a, ctx)) literals.push(f);
    else out.push(f);
    return true;
  };
  // a kept fact with the values substituted below it (not for itself: it would become true)
  const lookup = (n: Expr): Expr | undefined => {
    const v = value.get(n.id);
    return v === undefined ? undefined : S.bool(v);
  };
  const rebuildFact = (f: Expr, memo: Map<number, Expr>): Expr => {
    const neg = f.op === 'bnot';
    const a = neg ? f.args[0] : f;
    const saved = memo.get(a.id);
    memo.delete(a.id);
    const g = rebuild(S, a, (n) => (n === a ? undefined : lookup(n)), memo);
    if (saved !== undefined) memo.set(a.id, saved);
    else memo.delete(a.id);
    return neg ? S.notB(g) : g;
  };
  // each fact left rewritten, and what changed taken again: false on a contradiction
  const retake = (rewrite: (f: Expr) => Expr): boolean => {
    const next: Expr[] = [];
    for (const f of rest) {
      const g = rewrite(f);
      if (g === f) next.push(f);
      else if (!take(g, next)) return false;
    }
    rest = next;
    return true;
  };
  for (const f of given) if (!take(f, rest)) return true;
  for (;;) {
    while (changed && rest.length) {
      changed = false;
      const memo = new Map<number, Expr>();
      if (!retake((f) => rebuildFact(f, memo))) return true;
    }
    const lits = literalsConflict(S, literals);
    if (lits.conflict) return true;
    if (!rest.length) return false;
    // what the literals' known bits decide of the comparisons left (`x[3:1] == 0` once bits 3..1
    // of x are known): given, and round again
    const { sub, bits } = lits;
    if (!bits.size) break;
    const memo = new Map<number, Expr>();
    const decided = (n: Expr): Expr | undefined => {
      if (n.op !== 'eq' || n.args[1].op !== 'const' || !isLiteral(n, ctx)) return undefined;
      const m = sub(n);
      if (m.op === 'bconst') return m;
      if (m.op !== 'eq' || m.args[1].op !== 'const') return undefined;
      const b = bitsOf(m.args[0], bits);
      if (((b.value ^ m.args[1].value) & b.mask) !== 0n) return S.F;
      return b.mask === mask(m.args[0].width) ? S.T : undefined;
    };
    if (!retake((f) => rebuild(S, f, decided, memo))) return true;
    // no new literal: split on what is left
    if (!changed) break;
  }
  const atom = mostShared(rest, ctx);
  if (!atom) return false;
  const base = [...literals, ...rest];
  return refuteCase(S, [...base, atom], ctx) && refuteCase(S, [...base, S.notB(atom)], ctx);
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
    // a bit range of a variable, or a widened one, pins the variable's bits there
    if (x.op === 'extract') return pin(x.args[0], (bits & mask(x.width)) << BigInt(x.lo), (value & mask(x.width)) << BigInt(x.lo));
    if (x.op === 'zext') return pin(x.args[0], bits & mask(x.args[0].width), value);
    if (x.op !== 'var') return;
    const old = out.get(x.name) ?? { mask: 0n, value: 0n };
    out.set(x.name, { mask: old.mask | bits, value: (old.value & ~bits) | (value & bits) });
  };
  for (const f of facts) {
    // x < K, or !(K < x): x's bits above the largest value's highest are zero
    const largestOf = (x: Expr, hi: bigint): void => {
      const top = hi.toString(2).length;
      if (x.op === 'var' && top < x.width) pin(x, mask(x.width) & ~mask(top), 0n);
    };
    if (f.op === 'ult' && f.args[1].op === 'const' && f.args[1].value > 0n) largestOf(f.args[0], f.args[1].value - 1n);
    if (f.op === 'bnot' && f.args[0].op === 'ult' && f.args[0].args[0].op === 'const') largestOf(f.args[0].args[1], f.args[0].args[0].value);
    let a: Expr;
    let k: bigint;
    if (f.op === 'eq' && f.args[1].op === 'const') [a, k] = [f.args[0], f.args[1].value];
    // a one-bit value unequal to one constant equals the other
    else if (f.op === 'bnot' && f.args[0].op === 'eq' && f.args[0].args[0].width === 1 && f.args[0].args[1].op === 'const') [a, k] = [f.args[0].args[0], 1n - f.args[0].args[1].value];
    else continue;
    const w = mask(a.width);
    if (a.op === 'var') pin(a, w, k);
    else if (a.op === 'or' && a.args[1].op === 'const' && (k & a.args[1].value) === a.args[1].value) pin(a.args[0], w & ~a.args[1].value, k);
    else if (a.op === 'and' && a.args[1].op === 'const' && (k & ~a.args[1].value) === 0n) pin(a.args[0], a.args[1].value, k);
    else if (a.op === 'extract' || a.op === 'zext') pin(a, w, k);
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

/** k when `f` says x == sext(x[k:0]) (x is canonical for k + 1 bits). */
function canonicalBits(f: Expr, x: Expr): number | undefined {
  if (f.op !== 'eq') return undefined;
  for (const [s, y] of [[f.args[0], f.args[1]], [f.args[1], f.args[0]]]) {
    if (y === x && s.op === 'sext' && s.args[0].op === 'extract' && s.args[0].lo === 0 && s.args[0].args[0] === x) return s.args[0].hi;
  }
  return undefined;
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
      // canonical for fewer bits: canonical for more (a 48-bit canonical address is a 57-bit one)
      if (facts.some((f) => (canonicalBits(f, x) ?? k + 1) <= k)) return true;
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
export async function decide(S: SymbolicAlgebra, q: Expr, timeoutMs: number, stats?: SolverStats): Promise<CheckResult> {
  if (stats) stats.queries++;
  const b = S.asBool(q);
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
  if (r.status === 'unknown' && refuteBySplits(S, q)) {
    r = { status: 'unsat', by: 'simplifier' };
    if (stats) stats.cheap++;
  }
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
