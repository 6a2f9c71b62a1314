// The verdict follows the semantics, not the text: the 2015 fixture's canonical test (shl/sar,
// then compare) rewritten the ways kernels and patches have written it. The correct forms stay
// clean; the subtly wrong ones are caught at the SYSRET (line 223) by what they break —
// whatever the instructions look like.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const file = fixture('kernels', 'linux-2015-entry_64.S');
const source = readFileSync(file, 'utf8');
const CHECK = '\tshl\t$(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx\n\tsar\t$(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx\n\n\tcmpq\t%rcx, %r11\t\t\t/* unchanged <=> canonical */\n\tjne\topportunistic_sysret_failed\n';

/** The fixture with its canonical test replaced by `lines` (same number of lines, so line numbers stay). */
function variant(lines: string[]): string {
  assert.ok(source.includes(CHECK), 'the fixture still has its canonical test');
  const n = CHECK.split('\n').length - 1;
  const body = [...lines, ...Array(Math.max(0, n - lines.length)).fill('')].slice(0, n);
  assert.equal(lines.length <= n, true, 'a variant fits in the lines it replaces');
  return source.replace(CHECK, body.join('\n') + '\n');
}

const severe = async (text: string) =>
  (await analyze({ file, text }, defaultOptions, diskReader)).findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}@${f.loc.range.start.line + 1}`);

describe('canonical tests written differently', () => {
  test('unsigned compare with TASK_SIZE_MAX (the C form): clean', async () => {
    assert.deepEqual(await severe(variant(['\tmovabsq\t$0x00007ffffffff000, %rax', '\tcmpq\t%rax, %rcx', '\tjae\topportunistic_sysret_failed'])), []);
  });
  test('shr by 47 and a zero test on a copy: clean', async () => {
    assert.deepEqual(await severe(variant(['\tmovq\t%rcx, %rax', '\tshrq\t$47, %rax', '\tjnz\topportunistic_sysret_failed'])), []);
  });
  test('sign-extension compared with sar by 47 in the other order of registers: clean', async () => {
    assert.deepEqual(await severe(variant(['\tmovq\t%rcx, %rax', '\tshlq\t$16, %rax', '\tsarq\t$16, %rax', '\tcmpq\t%r11, %rax', '\tjne\topportunistic_sysret_failed'])), []);
  });
  test('bt $47 then jnz (tests ZF, not the bit bt put in CF): missing canonical check', async () => {
    assert.deepEqual(await severe(variant(['\tbtq\t$47, %rcx', '\tjnz\topportunistic_sysret_failed'])), ['sysret-noncanonical-rip@223']);
  });
  test('bt $47 then jc (bit 47 alone: bits 63..48 unchecked): missing canonical check', async () => {
    assert.deepEqual(await severe(variant(['\tbtq\t$47, %rcx', '\tjc\topportunistic_sysret_failed'])), ['sysret-noncanonical-rip@223']);
  });
  test('a 32-bit compare after the sign extension: RCX is canonical, but no longer the saved RIP', async () => {
    // sext48(cx) is canonical by construction; the low-half compare lets it differ from ip above bit 31
    assert.deepEqual(await severe(variant(['\tshl\t$16, %rcx', '\tsar\t$16, %rcx', '', '\tcmpl\t%ecx, %r11d', '\tjne\topportunistic_sysret_failed'])), ['sysret-rcx-not-rip@223']);
  });
  test('shift by 63 - 48 (sign-extends from bit 48): missing canonical check, and the check is too wide', async () => {
    assert.deepEqual(await severe(variant(['\tshl\t$15, %rcx', '\tsar\t$15, %rcx', '', '\tcmpq\t%rcx, %r11', '\tjne\topportunistic_sysret_failed'])), ['canonical-width@188', 'sysret-noncanonical-rip@223']);
  });
});
