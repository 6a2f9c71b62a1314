// `diff`: the question a reviewer of an entry rewrite asks — which properties did the new code
// lose or gain? Returns are matched by entry, kind and order; findings by code and instruction.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { diffAnalyses, formatDiffText } from '../../../server/src/features/diff';
import { main } from '../../../server/src/cli';
import { diskReader } from '../../support/files';
import { fixture, repoRoot } from '../../support/paths';

const load = (...parts: string[]) => {
  const file = fixture(...parts);
  return analyze({ file, text: readFileSync(file, 'utf8') }, defaultOptions, diskReader);
};

describe('diff', () => {
  test('dropping the RF/TF test: the SYSRET gets worse, stops testing (ptregs.r11 & 0x10100) == 0, a finding is introduced', async () => {
    const d = diffAnalyses(await load('kernels', 'linux-2015-entry_64.S'), await load('kernels', 'bugs', 'no-rf-tf-test.S'));
    assert.equal(d.worse, true);
    const r = d.returns.find((x) => x.name === 'SYSRET #2 (entry_SYSCALL_64)');
    assert.deepEqual([r?.old, r?.new], [{ line: 223, verdict: 'ok' }, { line: 219, verdict: 'finding' }]);
    assert.deepEqual(r?.conditions, [{ name: 'RF and TF clear in r11', old: 'proven', new: 'broken' }]);
    assert.deepEqual(r?.exitCondition?.noLongerTests, ['(ptregs.r11 & 0x10100) == 0']);
    assert.deepEqual(r?.exitCondition?.nowAlsoTests, []);
    assert.deepEqual(d.introduced.map((f) => [f.code, f.line]), [['sysret-rf-tf', 219]]);
    assert.deepEqual(d.fixed, []);
    assert.match(formatDiffText('old.S', 'new.S', d), /no longer tests: \(ptregs\.r11 & 0x10100\) == 0/);
  });
  test('the fix the other way round is better, not worse; a file against itself has no change', async () => {
    const bad = await load('kernels', 'bugs', 'no-rf-tf-test.S');
    const good = await load('kernels', 'linux-2015-entry_64.S');
    const d = diffAnalyses(bad, good);
    assert.equal(d.worse, false);
    assert.deepEqual(d.fixed.map((f) => f.code), ['sysret-rf-tf']);
    const same = diffAnalyses(good, good);
    assert.deepEqual([same.returns, same.introduced, same.fixed, same.worse], [[], [], [], false]);
  });
  test('entry-review diff exits 1 when something got worse, 0 otherwise', async () => {
    const rel = (...p: string[]) => path.relative(repoRoot, fixture(...p));
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), cwd: repoRoot };
    assert.equal(await main(['diff', rel('kernels', 'linux-2015-entry_64.S'), rel('kernels', 'bugs', 'no-canonical-check.S')], io), 1);
    assert.match(out.join(''), /rcx canonical \(48-bit\): proven → broken/);
    assert.equal(await main(['diff', rel('kernels', 'bugs', 'no-canonical-check.S'), rel('kernels', 'linux-2015-entry_64.S'), '--format', 'json'], io), 0);
    const j = JSON.parse(out.at(-1) ?? '{}');
    assert.deepEqual(j.fixed.map((f: { code: string }) => f.code), ['sysret-noncanonical-rip']);
    assert.equal(await main(['diff', rel('kernels', 'linux-2015-entry_64.S')], io), 2);
  });
});
