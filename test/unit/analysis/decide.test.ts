// The cheap proof (analysis/decide.ts): sound refutations the checker settles without Z3.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cheapUnsat, decide, newSolverStats, refuteBySplits } from '../../../server/src/analysis/decide';
import { type Expr, SymbolicAlgebra, evaluate, z3IsLoaded } from '../../../server/src/x86';

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
  const r = await decide(S, S.andB(facts.reduce((a, b) => S.andB(a, b)), S.notB(S.eq(low(ss), k16(0x33n)))), 2000, stats);
  assert.equal(r.status, 'sat');
  assert.equal(z3IsLoaded(), false);
});

// The case analysis (refuteBySplits): what C code's promise and merged work flags come to.
describe('refutation by case splits', () => {
  const S = new SymbolicAlgebra();
  const v = (n: string, w = 64) => S.fresh(n, w);
  const k = (x: bigint, w = 64) => S.const(w, x);
  const all = (xs: Expr[]) => xs.reduce((a, b) => S.andB(a, b));
  const ip = v('ptregs.ip');
  const cx = v('ptregs.cx');
  const flags = v('ptregs.flags');
  const xen = S.eq(v('feature.X86_FEATURE_XENPV', 1), k(1n, 1));
  const canonical48 = (x: Expr) => S.eq(S.sext(S.extract(x, 47, 0), 64), x);
  // do_syscall_64's shape: return false (0) at each test it makes, true (1) at the end
  const ret = (tests: Expr[]) => tests.reduceRight((rest, t) => S.ite(t, k(0n), rest), k(1n));
  const tests = [xen, S.notB(S.eq(cx, ip)), S.ule(k(0x7ffffffff000n), ip), S.notB(S.eq(S.and(flags, k(0x10100n)), k(0n)))];

  test('returning true after the C tests implies a canonical RCX: refuted, without Z3', async () => {
    const q = all([S.notB(S.eq(ret(tests), k(0n))), S.notB(canonical48(cx))]);
    assert.equal(refuteBySplits(S, q), true);
    const stats = newSolverStats();
    const r = await decide(S, q, 2000, stats);
    assert.equal(r.status, 'unsat');
    assert.deepEqual([stats.cheap, stats.z3], [1, 0]);
    assert.equal(z3IsLoaded(), false);
  });

  test('the C without its TASK_SIZE_MAX test: not refuted (a non-canonical RCX gets through)', () => {
    const weak = tests.filter((_, i) => i !== 2);
    const q = all([S.notB(S.eq(ret(weak), k(0n))), S.notB(canonical48(cx))]);
    assert.equal(refuteBySplits(S, q), false);
    // and it is satisfiable: the witness a reviewer would give
    const m = new Map([['ptregs.ip', 0x800000000000n], ['ptregs.cx', 0x800000000000n], ['ptregs.flags', 0n], ['feature.X86_FEATURE_XENPV', 0n]]);
    assert.equal(evaluate(q, m), 1n);
  });

  test('ranges: below the 48-bit limit is below the 57-bit one; a widened 32-bit value is below 2^32', () => {
    assert.equal(refuteBySplits(S, all([S.ult(ip, k(0x7ffffffff000n)), S.notB(S.ult(ip, k(0xfffffffffff000n)))])), true);
    const pad = v('landing_pad', 32);
    assert.equal(refuteBySplits(S, all([S.eq(S.zext(pad, 64), ip), S.notB(S.ult(ip, k(1n << 32n)))])), true);
    // the other way round holds for some ip: not refuted
    assert.equal(refuteBySplits(S, all([S.ult(ip, k(0x800000000000n)), S.notB(S.ult(ip, k(0x7ffffffff000n)))])), false);
    // below 2^32, a value is its low 32 bits widened (SYSRETL takes EIP from ECX)
    assert.equal(refuteBySplits(S, all([S.ult(ip, k(1n << 32n)), S.notB(S.eq(ip, S.zext(S.extract(ip, 31, 0), 64)))])), true);
    assert.equal(refuteBySplits(S, all([S.ult(ip, k(1n << 33n)), S.notB(S.eq(ip, S.zext(S.extract(ip, 31, 0), 64)))])), false);
    // 48-bit canonical is 57-bit canonical
    assert.equal(refuteBySplits(S, all([canonical48(cx), S.notB(S.eq(S.sext(S.extract(cx, 56, 0), 64), cx))])), true);
  });

  test('merged work flags: the split on the merge picks each arm, and its bits decide the test', () => {
    const [a, b] = [v('ti_flags@L10'), v('ti_flags@L20')];
    const irq = S.eq(v('kernel.IF', 1), k(1n, 1));
    const merged = S.ite(irq, a, b);
    // each path tested bits 3..1 clear; the return reads the merged word's bits 1..3
    const pc = all([S.eq(S.extract(merged, 3, 1), k(0n, 3)), S.eq(S.extract(merged, 15, 9), k(0n, 7))]);
    assert.equal(refuteBySplits(S, all([pc, S.notB(S.eq(S.and(merged, k(0x0en)), k(0n)))])), true);
    // bit 4 was never tested: not refuted
    assert.equal(refuteBySplits(S, all([pc, S.notB(S.eq(S.and(merged, k(0x10n)), k(0n)))])), false);
    // the proof needs the split (one case per arm): with a budget of one case it gives up —
    // false, "not shown", never a wrong answer
    assert.equal(refuteBySplits(S, all([pc, S.notB(S.eq(S.and(merged, k(0x0en)), k(0n)))]), 1), false);
  });

  test('an equality its bits decide is folded before any split: (x | 2) == 0 is false', () => {
    const x = v('x', 8);
    const never = S.eq(S.or(x, k(2n, 8)), k(0n, 8));
    const [a, b] = [S.eq(v('y', 8), k(1n, 8)), S.eq(v('z', 8), k(1n, 8))];
    const q = all([S.orB(never, a), S.orB(never, b), S.orB(S.notB(a), S.notB(b))]);
    // one case: the two disjunctions are a and b, the third contradicts them
    assert.equal(refuteBySplits(S, q, 1), true);
  });

  test('equal values in two forms: a mask of the 32-bit copy, a variable equal to another', () => {
    const rf = v('user.rflags');
    const full = S.or(S.and(rf, k(0x244cd5n)), k(0x202n));
    const low = S.zext(S.extract(full, 31, 0), 64);
    assert.notEqual(full, low);
    assert.equal(refuteBySplits(S, S.notB(S.eq(full, low))), true);
    const r11 = v('ptregs.r11');
    const m = k(0x10100n);
    assert.equal(cheapUnsat(S, [S.eq(r11, flags), S.eq(S.and(flags, m), k(0n))], S.notB(S.eq(S.and(r11, m), k(0n)))), true);
  });
});
