// Returns to user mode in the editor: CodeLens titles with verdict, paths and exit condition, and
// the hover on the returning instruction (here the USERGS_SYSRET64 invocation) listing each condition.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { hover } from '../../../server/src/features/hover';
import { returnLenses } from '../../../server/src/features/returns';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const load = async (...parts: string[]) => {
  const file = fixture(...parts);
  const text = readFileSync(file, 'utf8');
  return { text, a: await analyze({ file, text }, defaultOptions, diskReader) };
};

describe('returns in the editor', () => {
  test('a CodeLens on every return: verdict, conditions proven, paths, exit condition', async () => {
    const { a } = await load('kernels', 'linux-2015-entry_64.S');
    const lenses = returnLenses(a);
    assert.deepEqual(lenses.map((l) => l.range.start.line + 1), [138, 223, 273]);
    assert.match(lenses[0].command?.title ?? '', /^SYSRET · 9\/9 conditions proven · 2 paths · taken when /);
    assert.match(lenses[1].command?.title ?? '', /^SYSRET · 9\/9 conditions proven · 3 paths · taken when /);
    assert.match(lenses[2].command?.title ?? '', /^IRET · 3\/3 conditions proven · \d+ paths · taken when /);
  });
  test('a SYSRET whose contract was verified from its C source says so in the CodeLens and the hover', async () => {
    const file = fixture('kernels', 'linux-2025-entry_64.S');
    const text = readFileSync(file, 'utf8');
    const a = await analyze({ file, text }, { ...defaultOptions, cSources: [fixture('contracts', 'syscall_64.c')] }, diskReader);
    const t = returnLenses(a).find((l) => l.range.start.line + 1 === 160)?.command?.title ?? '';
    assert.match(t, /^SYSRET · \d+\/\d+ conditions proven · \d+ paths? · do_syscall_64 verified from syscall_64\.c:30 · taken when /);
    const h = hover(a, text, { line: 159, character: 3 });
    assert.match((h?.contents as MarkupContent).value, /- do_syscall_64: verified from .*syscall_64\.c:30 \(returning true implies every SYSRET condition on the frame it leaves\)/);
  });
  test('a compat SYSRETL verified from do_fast_syscall_32 / do_SYSENTER_32 says so, and what the landing pad rests on', async () => {
    const file = fixture('kernels', 'linux-2025-compat.S');
    const text = readFileSync(file, 'utf8');
    const a = await analyze({ file, text }, { ...defaultOptions, cSources: [fixture('contracts', 'fast_syscall_32.c')] }, diskReader);
    const line = text.split('\n').findIndex((l) => l.includes('\tsysretl'));
    const t = returnLenses(a).find((l) => l.range.start.line === line)?.command?.title ?? '';
    assert.match(t, /^SYSRETL · \d+\/\d+ conditions proven · \d+ paths? · do_fast_syscall_32 verified from fast_syscall_32\.c:53 · do_SYSENTER_32 verified from fast_syscall_32\.c:85 · taken when /);
    const h = (hover(a, text, { line, character: 3 })?.contents as MarkupContent).value;
    assert.match(h, /- do_fast_syscall_32: verified from .*fast_syscall_32\.c:53 \(returning true implies every SYSRETL condition on the frame it leaves\); landing_pad \(current->mm->context\.vdso \+ vdso_image_32\.sym_int80_landing_pad, fast_syscall_32\.c:56\) is a 32-bit address/);
  });
  test('a return with a finding says which', async () => {
    const { a } = await load('kernels', 'bugs', 'no-canonical-check.S');
    const t = returnLenses(a).find((l) => l.range.start.line + 1 === 211)?.command?.title ?? '';
    assert.equal(t, 'SYSRET · missing canonical check · 7/9 conditions proven · 3 paths');
  });
  test('the hover on the returning macro lists each condition and what the verdict assumes', async () => {
    const { a, text } = await load('kernels', 'linux-2015-entry_64.S');
    const h = hover(a, text, { line: 222, character: 3 });
    const v = (h?.contents as MarkupContent).value;
    assert.match(v, /^\*\*USERGS_SYSRET64\*\*/);
    assert.match(v, /\*\*SYSRET to user mode\*\* — ok \(3 paths from entry_SYSCALL_64\)/);
    assert.match(v, /- ✓ rcx canonical \(48-bit\) — proven/);
    assert.match(v, /- ✓ RF and TF clear in r11 — proven/);
    assert.match(v, /Assumes:\n(- .*\n)*- do_syscall_64: returns with interrupts off/);
  });
  test('the hover on a register operand gives its symbolic value before and after the line', async () => {
    const { a, text } = await load('kernels', 'linux-2015-entry_64.S');
    const at = (line: number, needle: string) => {
      const character = text.split('\n')[line].indexOf(needle) + 1;
      return (hover(a, text, { line, character })?.contents as MarkupContent | undefined)?.value;
    };
    // line 172: movq RIP(%rsp), %r11 on the opportunistic path, after do_syscall_64 / syscall_return_slowpath
    assert.equal(at(171, '%r11'), '**%r11** (from entry_SYSCALL_64)\n\nbefore: `kernel.r11` — a kernel value left by the calls into C\n\nafter: `ptregs.ip` — pt_regs->ip after the calls into C');
    // line 70: pushq %rcx right after SYSCALL: the user's RIP
    assert.equal(at(69, '%rcx'), '**%rcx** (from entry_SYSCALL_64)\n\nbefore: `user.rip` — the user\'s value at entry\n\nunchanged by this line');
  });
});
