// Soundness of the cheap proofs by case analysis (analysis/decide.ts, refuteBySplits), by brute
// force: random queries over a few narrow variables (the same operators entry code's questions
// are made of: masks, bit ranges, widenings, sign extensions, merges, comparisons), and every
// query it calls unsatisfiable is evaluated under every assignment — none may satisfy it. A fixed
// seed, printed, so that a failure reproduces.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cheapUnsat, refuteBySplits } from '../../../server/src/analysis/decide';
import { type Expr, SymbolicAlgebra, evaluate } from '../../../server/src/x86';

const SEED = 0x5eed5;
const W = 4;
const RUNS = 400;

type Gen = (S: SymbolicAlgebra) => Expr;

const term: fc.Memo<Gen> = fc.memo((n) => {
  const leaf = fc.oneof(
    fc.constantFrom<Gen>((S) => S.fresh('a', W), (S) => S.fresh('b', W), (S) => S.fresh('c', W)),
    fc.integer({ min: 0, max: (1 << W) - 1 }).map<Gen>((k) => (S) => S.const(W, BigInt(k))),
  );
  if (n <= 1) return leaf;
  const t = term(n - 1);
  const k = fc.integer({ min: 0, max: (1 << W) - 1 });
  return fc.oneof(
    leaf,
    fc.tuple(fc.constantFrom('and', 'or', 'xor', 'add'), t, k).map<Gen>(([op, x, c]) => (S) => S[op as 'and'](x(S), S.const(W, BigInt(c)))),
    fc.tuple(t, t).map<Gen>(([x, y]) => (S) => S.and(x(S), y(S))),
    fc.tuple(t, fc.integer({ min: 0, max: W - 1 }), fc.integer({ min: 0, max: W - 1 })).map<Gen>(([x, i, j]) => (S) => S.zext(S.extract(x(S), Math.max(i, j), Math.min(i, j)), W)),
    fc.tuple(t, fc.integer({ min: 0, max: W - 2 })).map<Gen>(([x, h]) => (S) => S.sext(S.extract(x(S), h, 0), W)),
    fc.tuple(formula(n - 1), t, t).map<Gen>(([c, x, y]) => (S) => S.ite(c(S), x(S), y(S))),
  );
});

const formula: fc.Memo<Gen> = fc.memo((n) => {
  const t = term(Math.max(1, n - 1));
  const atom = fc.oneof(
    fc.tuple(fc.constantFrom('eq', 'ult', 'ule', 'slt'), t, t).map<Gen>(([op, x, y]) => (S) => S[op as 'eq'](x(S), y(S))),
    fc.tuple(t, fc.integer({ min: 0, max: (1 << W) - 1 })).map<Gen>(([x, k]) => (S) => S.eq(x(S), S.const(W, BigInt(k)))),
    fc.constant<Gen>((S) => S.eq(S.fresh('p', 1), S.const(1, 1n))),
  );
  if (n <= 1) return atom;
  const f = formula(n - 1);
  return fc.oneof(
    atom,
    fc.tuple(f, f).map<Gen>(([x, y]) => (S) => S.andB(x(S), y(S))),
    fc.tuple(f, f).map<Gen>(([x, y]) => (S) => S.orB(x(S), y(S))),
    f.map<Gen>((x) => (S) => S.notB(x(S))),
  );
});

/** Some assignment of a, b, c (W bits) and p (1 bit) satisfies q. */
function satisfiable(q: Expr): boolean {
  const env = new Map<string, bigint>();
  for (let v = 0; v < 1 << (3 * W + 1); v++) {
    env.set('a', BigInt(v & 15));
    env.set('b', BigInt((v >> 4) & 15));
    env.set('c', BigInt((v >> 8) & 15));
    env.set('p', BigInt((v >> 12) & 1));
    if (evaluate(q, env) === 1n) return true;
  }
  return false;
}

test(`refuteBySplits and cheapUnsat never call a satisfiable query unsatisfiable (seed 0x${SEED.toString(16)})`, () => {
  let refuted = 0;
  let unsat = 0;
  fc.assert(
    fc.property(fc.array(formula(4), { minLength: 1, maxLength: 4 }), (gens) => {
      const S = new SymbolicAlgebra();
      const parts = gens.map((g) => g(S));
      const q = parts.reduce((x, y) => S.andB(x, y));
      const sat = satisfiable(q);
      if (!sat) unsat++;
      const r = refuteBySplits(S, q);
      if (r) refuted++;
      assert.ok(!r || !sat, 'refuteBySplits: satisfiable, yet refuted');
      const cheap = cheapUnsat(S, parts.slice(0, -1), parts[parts.length - 1]);
      assert.ok(!cheap || !sat, 'cheapUnsat: satisfiable, yet refuted');
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  console.log(`refuted ${refuted} of ${unsat} unsatisfiable queries (${RUNS} in all)`);
  // the test means something only if it refutes some
  assert.ok(refuted >= 20, `refuted ${refuted}`);
});
