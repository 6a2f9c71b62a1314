// The model against this machine's CPU (GNU as + gcc), and the symbolic run
// against the concrete one on the same generated sequences.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Expr, FLAG_BITS, GPRS, Gpr, MachineState, Rng, SymbolicAlgebra, evaluate, mask, step } from '../../../server/src/x86';
import { compare, formatMismatch, generateCase, runDifferential, runDifferentialParallel, runModel } from '../../differential/run';
import { RBP_OFF, RSP_OFF, SCRATCH_SIZE } from '../../differential/gen';
import { runBatch } from '../../differential/harness';

const SEED = 20251125;

describe('differential testing against the CPU', () => {
  test(`2,000 random cases match bit for bit (seed ${SEED})`, () => {
    console.log(`differential seed: ${SEED}`);
    const r = runDifferential({ cases: 2000, seed: SEED, batch: 1000 });
    console.log(`differential: ${r.cases} cases, ${r.mismatches.length} mismatches, ${r.casesPerSecond} cases/s`);
    assert.equal(r.cases, 2000);
    assert.equal(r.skipped, 0);
    assert.equal(r.mismatches.length, 0, r.mismatches.slice(0, 3).map(formatMismatch).join('\n\n'));
  });

  test('worker threads run the same cases (batches are seeded by index)', async () => {
    const seq: string[] = [];
    const par = await runDifferentialParallel({ cases: 400, seed: 5, batch: 100, workers: 2, onBatch: (d) => seq.push(String(d)) });
    assert.equal(par.cases, 400);
    assert.equal(par.mismatches.length, 0);
    assert.equal(seq.length, 4);
    const rngA = new Rng(5n * 1000003n + 2n);
    const rngB = new Rng(5n * 1000003n + 2n);
    assert.deepEqual(generateCase(rngA, 200).text, generateCase(rngB, 200).text);
  });

  test('a wrong model result is reported with the case, inputs, expected and actual', () => {
    const rng = new Rng(99);
    const cases = [generateCase(rng, 0), generateCase(rng, 1)];
    const { scratch, results } = runBatch(cases);
    const model = runModel(cases[1], scratch, results[1].entryFlags);
    assert.equal(compare(cases[1], results[1], model), undefined);
    model.regs[3] ^= 0x10n;
    const mm = compare(cases[1], results[1], model);
    assert.ok(mm);
    assert.equal(mm.diffs[0].what, 'rbx');
    const text = formatMismatch(mm);
    assert.match(text, /case 1:/);
    assert.match(text, /expected 0x[0-9a-f]{16}, actual 0x[0-9a-f]{16}/);
    assert.ok(text.includes(cases[1].text[0]));
  });
});

describe('symbolic and concrete runs agree on generated sequences', () => {
  test('500 sequences: every register, defined flag and memory byte', () => {
    const rng = new Rng(4242);
    const scratch = 0x404000n;
    for (let n = 0; n < 500; n++) {
      const c = generateCase(rng, n);
      const con = runModel(c, scratch, c.flags);
      const S = new SymbolicAlgebra();
      const env = new Map<string, bigint>();
      const regs: Partial<Record<Gpr, Expr>> = {};
      GPRS.forEach((g, i) => {
        regs[g] = S.fresh('in.' + g, 64);
        env.set('in.' + g, c.regs[i]);
      });
      regs.rsp = S.const(64, scratch + BigInt(RSP_OFF));
      regs.rbp = S.const(64, scratch + BigInt(RBP_OFF));
      const bytes = c.mem.flatMap((q) => Array.from({ length: 8 }, (_, k) => (q >> BigInt(8 * k)) & 0xffn));
      const s = new MachineState(S, {
        regs,
        rflags: S.fresh('in.rflags', 64),
        cpl: S.const(2, 3n),
        memInit: (base, off, size) => {
          assert.equal(base, '');
          const rel = Number(off - scratch);
          assert.ok(rel >= 0 && rel + size <= SCRATCH_SIZE);
          let v = 0n;
          for (let k = size - 1; k >= 0; k--) v = (v << 8n) | bytes[rel + k];
          const name = `in.mem${rel}.${size}`;
          env.set(name, v);
          return S.fresh(name, size * 8);
        },
      });
      env.set('in.rflags', c.flags);
      const ctx = { resolveSymbol: (name: string) => (name === 'scratch' ? scratch : undefined) };
      for (const i of c.insns) assert.equal(step(s, i, S, ctx).kind, 'next', c.text.join('; '));
      GPRS.forEach((g, i) => assert.equal(evaluate(s.regs[g], env), con.regs[i], `${g} after ${c.text.join('; ')}`));
      let m = mask(64);
      for (const f of [...s.undefinedFlags, ...con.undefinedFlags]) m &= ~(1n << BigInt(FLAG_BITS[f]));
      assert.equal(evaluate(s.rflags(), env) & m, con.flags & m, `rflags after ${c.text.join('; ')}`);
      for (let q = 0; q < SCRATCH_SIZE / 8; q++) {
        const v = s.load(S.const(64, scratch + BigInt(q * 8)), 64);
        assert.equal(evaluate(v, env), con.mem[q], `scratch+${q * 8} after ${c.text.join('; ')}`);
      }
    }
  });
});


