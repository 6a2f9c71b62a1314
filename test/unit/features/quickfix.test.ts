// Quick fixes: each bug fixture that lacks one of the fast return's tests gets the test back, in
// the file's own style and branching to its own IRET path, and the re-analysed file is clean.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, type Analysis } from '../../../server/src/analysis';
import { applyFix, quickFixes } from '../../../server/src/features/quickfix';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const severe = (a: Analysis) => a.findings.filter((f) => f.severity !== 'info');

describe('quick fixes for missing SYSRET tests', () => {
  const cases: [string, string, RegExp][] = [
    ['no-rf-tf-test.S', 'sysret-rf-tf', /^\ttestq\t\$\(X86_EFLAGS_RF \| X86_EFLAGS_TF\), EFLAGS\(%rsp\)\n\tjnz\topportunistic_sysret_failed\n$/],
    ['no-canonical-check.S', 'sysret-noncanonical-rip', /^\tmovq\tRIP\(%rsp\), %rcx\n\tshlq\t\$\(64 - \(__VIRTUAL_MASK_SHIFT \+ 1\)\), %rcx\n\tsarq\t\$\(64 - \(__VIRTUAL_MASK_SHIFT \+ 1\)\), %rcx\n\tcmpq\t%rcx, RIP\(%rsp\)\n\tjne\topportunistic_sysret_failed\n$/],
    ['no-cs-check.S', 'sysret-selectors', /^\tcmpq\t\$__USER_CS, CS\(%rsp\)\n\tjne\topportunistic_sysret_failed\n\tcmpq\t\$__USER_DS, SS\(%rsp\)\n\tjne\topportunistic_sysret_failed\n$/],
    ['no-ss-check.S', 'sysret-selectors', /cmpq\t\$__USER_DS, SS\(%rsp\)/],
    ['missing-swapgs.S', 'gs-not-user', /^\tSWAPGS\n$/],
  ];
  for (const [name, code, shape] of cases) {
    test(`${name}: ${code} fixed, and the re-analysis is clean`, async () => {
      const file = fixture('kernels', 'bugs', name);
      const text = readFileSync(file, 'utf8');
      const run = (t: string) => analyze({ file, text: t }, defaultOptions, diskReader);
      const a = await run(text);
      const f = severe(a).find((x) => x.code === code);
      assert.ok(f, `${name} has its ${code}`);
      const fixes = await quickFixes(a, text, f, run);
      assert.equal(fixes.length, 1, `one working fix for ${code}`);
      assert.match(fixes[0].text, shape);
      const after = await run(applyFix(text, fixes[0]));
      assert.deepEqual(severe(after).map((x) => `${x.code}@${x.loc.range.start.line + 1}`), []);
    });
  }
  test('SWAPGS run twice: the fix removes the one too many (and the file is clean again)', async () => {
    const file = fixture('kernels', 'bugs', 'double-swapgs.S');
    const text = readFileSync(file, 'utf8');
    const run = (t: string) => analyze({ file, text: t }, defaultOptions, diskReader);
    const a = await run(text);
    const f = severe(a).find((x) => x.code === 'gs-not-user');
    assert.ok(f);
    const fixes = await quickFixes(a, text, f, run);
    assert.equal(fixes.length, 1);
    assert.equal(fixes[0].remove, true);
    assert.equal(fixes[0].line + 1, 227); // the explicit one in front of USERGS_SYSRET64 (which has its own)
    assert.match(text.split('\n')[fixes[0].line], /^\tSWAPGS\b/);
    assert.deepEqual(severe(await run(applyFix(text, fixes[0]))).map((x) => x.code), []);
  });
  test('a fix that does not remove the finding is not offered', async () => {
    const file = fixture('kernels', 'bugs', 'no-rf-tf-test.S');
    const text = readFileSync(file, 'utf8');
    const run = (t: string) => analyze({ file, text: t }, defaultOptions, diskReader);
    const a = await run(text);
    const f = severe(a).find((x) => x.code === 'sysret-rf-tf');
    assert.ok(f);
    // a re-analysis that still has the finding (here: the unchanged text) rejects every candidate
    assert.deepEqual(await quickFixes(a, text, f, () => run(text)), []);
  });
});
