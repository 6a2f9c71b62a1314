// The two algebras agree: random terms built once against the interface,
// evaluated concretely and symbolically (after simplification).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Algebra, CV, Expr, Rng, SymbolicAlgebra, concrete, evaluate, edgeValues, mask } from '../../../server/src/x86';

/** Builds a random term of `width` bits from leaves, written once against the algebra. */
function randomTerm<V, B>(A: Algebra<V, B>, rng: Rng, leaves: (w: number) => V, width: number, depth: number): V {
  const sub = (w: number): V => randomTerm(A, rng, leaves, w, depth - 1);
  if (depth <= 0 || rng.below(6) === 0) {
    if (rng.below(3) === 0) {
      const e = edgeValues(width);
      return A.const(width, e[rng.below(e.length)]);
    }
    return leaves(width);
  }
  const boolTerm = (): B => {
    const w = [1, 8, 16, 64][rng.below(4)];
    const a = sub(w);
    const b = sub(w);
    switch (rng.below(8)) {
      case 0:
        return A.eq(a, b);
      case 1:
        return A.ult(a, b);
      case 2:
        return A.ule(a, b);
      case 3:
        return A.slt(a, b);
      case 4:
        return A.sle(a, b);
      case 5:
        return A.andB(A.eq(a, b), A.notB(A.ult(b, a)));
      case 6:
        return A.orB(A.eq(a, A.const(w, 0n)), A.slt(a, b));
      default:
        return A.iteB(A.eq(a, b), A.ult(a, b), A.notB(A.sle(a, b)));
    }
  };
  const op = rng.below(19);
  switch (op) {
    case 0:
      return A.add(sub(width), sub(width));
    case 1:
      return A.sub(sub(width), sub(width));
    case 2:
      return A.and(sub(width), sub(width));
    case 3:
      return A.or(sub(width), sub(width));
    case 4:
      return A.xor(sub(width), sub(width));
    case 5:
      return A.not(sub(width));
    case 6:
      return A.neg(sub(width));
    case 7:
    case 8:
    case 9: {
      const n = rng.below(2) ? A.const(width, BigInt(rng.below(width + 3))) : sub(width);
      const a = sub(width);
      return op === 7 ? A.shl(a, n) : op === 8 ? A.lshr(a, n) : A.ashr(a, n);
    }
    case 10: {
      // extract from something wider
      const w = Math.min(64, width + rng.below(64 - width + 1));
      const lo = rng.below(w - width + 1);
      return A.extract(sub(w), lo + width - 1, lo);
    }
    case 11:
    case 12: {
      if (width === 1) return A.bit(boolTerm());
      const from = 1 + rng.below(width);
      const a = sub(from);
      return op === 11 ? A.zext(a, width) : A.sext(a, width);
    }
    case 13: {
      if (width === 1) return sub(1);
      const lw = 1 + rng.below(width - 1);
      return A.concat(sub(width - lw), sub(lw));
    }
    case 14:
      return A.ite(boolTerm(), sub(width), sub(width));
    case 15:
      return width === 1 ? A.bit(boolTerm()) : A.zext(A.bit(boolTerm()), width);
    case 16: {
      // shl/sar pairs as in the canonical check
      const k = BigInt(rng.below(width));
      return A.ashr(A.shl(sub(width), A.const(width, k)), A.const(width, k));
    }
    case 17: {
      // masks of slices
      const a = sub(width);
      return A.and(a, A.const(width, rng.next64()));
    }
    default:
      return A.or(A.and(sub(width), A.const(width, rng.next64())), A.const(width, rng.next64() & 0x2n));
  }
}

describe('symbolic and concrete algebras agree', () => {
  const seed = 7;
  test(`2,000 random terms (seed ${seed})`, () => {
    const rng = new Rng(seed);
    let checked = 0;
    for (let t = 0; t < 2000; t++) {
      const S = new SymbolicAlgebra();
      const env = new Map<string, bigint>();
      // the same random choices drive both builds
      const termSeed = rng.next64();
      const width = [1, 8, 16, 32, 64][Number(termSeed % 5n)];
      const values: bigint[] = [];
      for (let i = 0; i < 8; i++) values.push(rng.below(2) ? edgeValues(64)[rng.below(edgeValues(64).length)] : rng.next64());
      let vi = 0;
      const symLeaves = (w: number): Expr => {
        const name = `v${vi % 8}_${w}`;
        env.set(name, values[vi % 8] & mask(w));
        vi++;
        return S.fresh(name, w);
      };
      let ci = 0;
      const conLeaves = (w: number): CV => concrete.const(w, values[ci++ % 8]);
      const sym = randomTerm(S, new Rng(termSeed), symLeaves, width, 5);
      const con = randomTerm(concrete, new Rng(termSeed), conLeaves, width, 5);
      assert.equal(sym.width, con.width);
      const got = evaluate(sym, env);
      assert.equal(got, con.value, `term ${t}: ${S.show(sym)}`);
      checked++;
    }
    assert.equal(checked, 2000);
  });
});

describe('concrete algebra', () => {
  const A = concrete;
  test('arithmetic wraps at the width', () => {
    assert.equal(A.add(A.const(8, 0xffn), A.const(8, 1n)).value, 0n);
    assert.equal(A.sub(A.const(16, 0n), A.const(16, 1n)).value, 0xffffn);
    assert.equal(A.neg(A.const(64, 1n)).value, mask(64));
  });
  test('shifts past the width', () => {
    assert.equal(A.shl(A.const(8, 1n), A.const(8, 8n)).value, 0n);
    assert.equal(A.lshr(A.const(8, 0x80n), A.const(8, 200n)).value, 0n);
    assert.equal(A.ashr(A.const(8, 0x80n), A.const(8, 200n)).value, 0xffn);
  });
  test('signed comparisons and extensions', () => {
    assert.equal(A.slt(A.const(8, 0x80n), A.const(8, 0x7fn)), true);
    assert.equal(A.ult(A.const(8, 0x80n), A.const(8, 0x7fn)), false);
    assert.equal(A.sext(A.const(32, 0x80000000n), 64).value, 0xffffffff80000000n);
    assert.equal(A.zext(A.const(32, 0x80000000n), 64).value, 0x80000000n);
    assert.equal(A.concat(A.const(8, 0xabn), A.const(4, 0xcn)).value, 0xabcn);
    assert.equal(A.extract(A.const(64, 0x123456789n), 15, 8).value, 0x67n);
  });
  test('width mismatches are programming errors', () => {
    assert.throws(() => A.add(A.const(8, 1n), A.const(16, 1n)), /width mismatch/);
    assert.throws(() => A.fresh('x', 64), /no unknown values/);
  });
});

describe('symbolic simplification and printing', () => {
  test('hash-consing gives identical nodes', () => {
    const S = new SymbolicAlgebra();
    const x = S.fresh('x', 64);
    assert.equal(S.add(x, S.const(64, 1n)), S.add(x, S.const(64, 1n)));
    assert.equal(S.fresh('x', 64), x);
  });
  test('local rules', () => {
    const S = new SymbolicAlgebra();
    const x = S.fresh('x', 64);
    const y = S.fresh('y', 64);
    const zero = S.const(64, 0n);
    assert.equal(S.and(x, zero), zero);
    assert.equal(S.xor(x, x), zero);
    assert.equal(S.sub(x, x), zero);
    assert.equal(S.or(x, zero), x);
    assert.equal(S.not(S.not(x)), x);
    assert.equal(S.eq(x, x), S.T);
    assert.equal(S.ite(S.T, x, y), x);
    assert.equal(S.ite(S.eq(x, y), x, x), x);
    assert.equal(S.extract(S.concat(S.extract(x, 63, 32), S.extract(y, 31, 0)), 40, 33), S.extract(x, 40, 33));
    assert.equal(S.concat(S.extract(x, 63, 32), S.extract(x, 31, 0)), x);
    assert.equal(S.asConst(S.sext(S.const(8, 0x80n), 16)), 0xff80n);
    assert.equal(S.asConst(S.extract(S.const(64, 0xabcdn), 11, 4)), 0xbcn);
    assert.equal(S.sub(S.add(x, S.const(64, 0x80n)), S.add(x, S.const(64, 0x10n))), S.const(64, 0x70n));
    assert.equal(S.eq(S.sub(x, y), zero), S.eq(x, y));
    assert.equal(S.andB(S.eq(x, y), S.notB(S.eq(x, y))), S.F);
    assert.equal(S.orB(S.ult(x, y), S.eq(y, x)), S.ule(x, y));
    assert.equal(S.orB(S.eq(x, y), S.slt(x, y)), S.sle(x, y));
  });
  test('readable printing', () => {
    const S = new SymbolicAlgebra();
    const ip = S.fresh('user.rip', 64);
    const flags = S.fresh('ptregs.flags', 64);
    assert.equal(S.show(S.and(flags, S.const(64, 0x10100n))), 'ptregs.flags & 0x10100');
    const canon = S.ashr(S.shl(ip, S.const(64, 16n)), S.const(64, 16n));
    assert.equal(S.show(canon), 'sext47(user.rip)');
    assert.equal(S.show(S.notB(S.eq(canon, ip))), 'user.rip != sext47(user.rip)');
    assert.equal(S.show(S.add(ip, S.const(64, -168n))), 'user.rip - 0xa8');
    assert.equal(S.show(S.lshr(ip, S.const(64, 47n))), 'zext64(user.rip[63:47])');
  });
  test('address keys split constant offsets from the symbolic base', () => {
    const S = new SymbolicAlgebra();
    const top = S.fresh('kstack_top', 64);
    const rsp = S.sub(top, S.const(64, 168n));
    assert.deepEqual(S.addressKey(S.add(rsp, S.const(64, 0x80n))), { base: 'kstack_top', offset: -40n });
    assert.deepEqual(concrete.addressKey(concrete.const(64, 0x1000n)), { base: '', offset: 0x1000n });
  });
});

describe('deep expressions', () => {
  test('evaluation of a 20,000-deep chain does not overflow the stack', () => {
    const S = new SymbolicAlgebra();
    let e: Expr = S.fresh('x', 64);
    for (let i = 0; i < 20000; i++) e = i % 2 ? S.add(e, S.fresh('y', 64)) : S.xor(e, S.fresh('z', 64));
    const env = new Map([
      ['x', 5n],
      ['y', 3n],
      ['z', 1n],
    ]);
    let v = 5n;
    for (let i = 0; i < 20000; i++) v = i % 2 ? (v + 3n) & mask(64) : v ^ 1n;
    assert.equal(evaluate(e, env), v);
  });
});

describe('printing limits', () => {
  test('very deep or very long expressions print without throwing', () => {
    const S = new SymbolicAlgebra();
    let e: Expr = S.fresh('x', 64);
    for (let i = 0; i < 100000; i++) e = i % 2 ? S.add(e, S.fresh('y', 64)) : S.xor(e, S.fresh('z', 64));
    const t = S.show(e);
    assert.ok(t.length <= 4001);
    assert.ok(t.startsWith('<expression') || t.endsWith('…'));
  });
});
