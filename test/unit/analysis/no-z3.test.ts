// The C-verified returns of the team's 2025-style fixtures are proven by the cheap proofs alone
// (analysis/decide.ts: refuteBySplits): the C function's result is an ite over its tests, and
// "returns true and the frame breaks a condition" comes apart into the tests each path took.
// Z3 (~0.4 s to load, ~50 MB) is not started. This file runs in a process of its own, so
// z3IsLoaded() says whether anything here needed it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { z3IsLoaded } from '../../../server/src/x86';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const cases: [string, string, string][] = [
  ['linux-2025-entry_64.S', 'syscall_64.c', 'sysret'],
  ['linux-2025-compat.S', 'fast_syscall_32.c', 'sysretl'],
];

for (const [entry, c, kind] of cases) {
  test(`${entry} with ${c}: every return proven, no question for Z3`, async () => {
    const file = fixture('kernels', entry);
    const a = await analyze({ file, text: readFileSync(file, 'utf8') }, { ...defaultOptions, cSources: [fixture('contracts', c)] }, diskReader);
    assert.deepEqual(a.findings.filter((f) => f.severity !== 'info').map((f) => f.code), []);
    const fast = a.returns.find((r) => r.kind === kind);
    assert.ok(fast);
    assert.equal(fast.verdict, 'ok');
    assert.ok(fast.assumes.some((s) => s.includes(`verified from ${fixture('contracts', c)}`)), fast.assumes.join(' | '));
    assert.ok(a.returns.every((r) => r.verdict === 'ok'), a.returns.map((r) => `${r.kind}:${r.verdict}`).join(' '));
    assert.equal(a.stats.solver.z3, 0);
    assert.equal(z3IsLoaded(), false);
  });
}
