// The scale benchmark's generated entry (scripts/gen-entry.mjs), small enough for the tests: 64
// branch diamonds on the return path stay one merged walk (an extract pushed through a value
// merged at k joins used to cost 2^k: 40 diamonds ran out of the walk's time budget), every
// return is proven, and the solver statistics add up.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { SymbolicAlgebra } from '../../../server/src/x86';
import { repoRoot } from '../../support/paths';

// an ES module from CommonJS (tsc would turn import() into require())
const importEsm = new Function('p', 'return import(p)') as (p: string) => Promise<{ generateEntry(n: number): string }>;

describe('scale', () => {
  test('64 diamonds with nested ALTERNATIVEs: one merged walk, every return ok, solver questions counted', async () => {
    const { generateEntry } = await importEsm(path.join(repoRoot, 'scripts', 'gen-entry.mjs'));
    const text = generateEntry(64);
    const started = performance.now();
    const a = await analyze({ file: '/virtual/scale-64.S', text }, defaultOptions, { read: () => undefined });
    const ms = performance.now() - started;
    assert.deepEqual(a.log, [], 'the walk finished');
    assert.ok(ms < 3500, `took ${Math.round(ms)} ms`);
    assert.deepEqual(a.findings.filter((f) => f.severity !== 'info').map((f) => f.code), []);
    assert.deepEqual(a.returns.map((r) => [r.kind, r.verdict]), [['sysret', 'ok'], ['iret', 'ok']]);
    assert.equal(a.program.alternatives.length, 32, 'an outer ALTERNATIVE every fourth diamond, each with an inner one');
    const s = a.stats.solver;
    assert.ok(s.queries >= 64, JSON.stringify(s));
    assert.equal(s.cheap + s.cached + s.search + s.z3, s.queries);
    assert.ok(a.stats.parseMillis > 0 && a.stats.parseMillis <= a.stats.millis);
  });

  test('an extract of a value merged 200 times over is made once per node', () => {
    const S = new SymbolicAlgebra();
    let v = S.fresh('rdx', 64);
    for (let k = 0; k < 200; k++) v = S.ite(S.eq(S.fresh(`c${k}`, 1), S.const(1, 1n)), S.add(v, S.const(64, BigInt(k + 1))), v);
    const before = S.size;
    const started = performance.now();
    for (let bit = 0; bit < 8; bit++) S.extract(v, bit, bit);
    assert.ok(performance.now() - started < 1000);
    assert.ok(S.size - before < 8 * 3 * 200 + 100, `${S.size - before} nodes`);
  });
});
