// The cheap proof (analysis/decide.ts): sound refutations the checker settles without Z3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cheapUnsat, decide, newSolverStats } from '../../../server/src/analysis/decide';
import { SymbolicAlgebra, z3IsLoaded } from '../../../server/src/x86';

test('known bits: a selector tested as (ss | 3) == 0x2b decides its low 16 bits | 3, and nothing more', async () => {
  const S = new SymbolicAlgebra();
  const ss = S.fresh('ptregs.ss', 64);
  const cs = S.fresh('ptregs.cs', 64);
  const k = (x: bigint) => S.const(64, x);
  const k16 = (x: bigint) => S.const(16, x);
  const facts = [S.eq(S.or(ss, k(3n)), k(0x2bn)), S.eq(S.or(cs, k(3n)), k(0x33n))];
  const low = (x: typeof ss) => S.or(S.extract(x, 15, 0), k16(3n));
  // what SYSRET loads from the selectors' low 16 bits: proven equal
  const bad = S.orB(S.notB(S.eq(low(ss), k16(0x2bn))), S.notB(S.eq(low(cs), k16(0x33n))));
  assert.equal(cheapUnsat(S, facts, bad), true);
  // a different value is not refuted (it holds)
  assert.equal(cheapUnsat(S, facts, S.notB(S.eq(low(ss), k16(0x33n)))), false);
  // the low two bits are not known: ss[1:0] == 0 is possible
  assert.equal(cheapUnsat(S, facts, S.eq(S.extract(ss, 1, 0), S.const(2, 0n))), false);
  // and a known bit that differs refutes an equality
  assert.equal(cheapUnsat(S, facts, S.eq(S.extract(ss, 5, 5), S.const(1, 0n))), true);
  // the checker's question as a whole needs no Z3
  const stats = newSolverStats();
  const r = await decide(S.andB(facts.reduce((a, b) => S.andB(a, b)), S.notB(S.eq(low(ss), k16(0x33n)))), 2000, stats);
  assert.equal(r.status, 'sat');
  assert.equal(z3IsLoaded(), false);
});
