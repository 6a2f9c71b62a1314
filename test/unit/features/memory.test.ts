// Hovers on memory operands: the cell as a reviewer reads it (a pt_regs field, a per-CPU variable,
// the thread_info flags), its value before and after the instruction, and the entry the state is
// from — on the team's kernel fixtures, and on a small file for the ways an operand is written
// (several statements on a line, a macro's argument, a register inside the operand).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver';
import { analyze, defaultOptions, type Analysis } from '../../../server/src/analysis';
import { hover } from '../../../server/src/features/hover';
import { diskReader } from '../../support/files';
import { fixture, repoRoot } from '../../support/paths';

const load = async (...parts: string[]) => {
  const file = fixture(...parts);
  const text = readFileSync(file, 'utf8');
  return { text, a: await analyze({ file, text }, defaultOptions, diskReader) };
};

/** The hover at the `nth` occurrence of `needle` on 1-based line `line` (cursor `shift` characters into it). */
const hoverOf = (a: Analysis, text: string, line: number, needle: string, shift = 0, nth = 1) => {
  const l = text.split('\n')[line - 1];
  let character = -1;
  for (let i = 0; i < nth; i++) character = l.indexOf(needle, character + 1);
  assert.ok(character >= 0, `'${needle}' on line ${line}`);
  const h = hover(a, text, { line: line - 1, character: character + shift });
  return { value: (h?.contents as MarkupContent | undefined)?.value, range: h?.range };
};

describe('hover on a memory operand', () => {
  let k15: { text: string; a: Analysis };
  before(async () => {
    k15 = await load('kernels', 'linux-2015-entry_64.S');
  });

  test('a pt_regs field on the opportunistic SYSRET path: its name, the cell, the value the calls into C left (then the macro that names it)', () => {
    // line 172: movq RIP(%rsp), %r11
    const h = hoverOf(k15.a, k15.text, 172, 'RIP');
    assert.equal(h.value, [
      '**`RIP(%rsp)`** = `128(%rsp)` (from entry_SYSCALL_64)',
      '',
      'address: pt_regs->ip at `percpu.cpu_current_top_of_stack-0x28` — 8 bytes read',
      '',
      'before: `ptregs.ip` — pt_regs->ip after the calls into C',
      '',
      'unchanged by this instruction',
      '',
      '---',
      '',
      '**RIP** — built-in kernel macro',
      '',
      'value: `0x80 (128)`',
      '',
      'Expands to:',
      '```x86-entry-asm',
      '128',
      '```',
    ].join('\n'));
    assert.deepEqual(h.range, { start: { line: 171, character: 6 }, end: { line: 171, character: 15 } }, 'the range is the operand as written');
    // from its base register: the register's value first, then the operand it addresses
    assert.match(hoverOf(k15.a, k15.text, 172, '(%rsp)', 2).value ?? '', /^\*\*%rsp\*\* \(from entry_SYSCALL_64\)\n\nbefore: `percpu\.cpu_current_top_of_stack - 0xa8`\n\nunchanged by this line\n\n---\n\n\*\*`RIP\(%rsp\)`\*\* = `128\(%rsp\)`/);
  });

  test('a write of a frame field: the constant before in hex, the value written after', () => {
    // line 110: movq %rax, RAX(%rsp) after the system call: the ax slot held -ENOSYS
    const h = hoverOf(k15.a, k15.text, 110, 'RAX');
    assert.equal(h.value?.split('\n\n---\n\n')[0], [
      '**`RAX(%rsp)`** = `80(%rsp)` (from entry_SYSCALL_64)',
      '',
      'address: pt_regs->ax at `percpu.cpu_current_top_of_stack-0x58` — 8 bytes written',
      '',
      'before: `0xffffffffffffffda`',
      '',
      'after: `syscall.ret@L108` — the system call\'s return value',
    ].join('\n'));
  });

  test('a per-CPU variable through PER_CPU_VAR(...): the per-CPU name, before and after the write', () => {
    // line 58: movq %rsp, PER_CPU_VAR(rsp_scratch)
    const h = hoverOf(k15.a, k15.text, 58, 'rsp_scratch');
    assert.equal(h.value, [
      '**`PER_CPU_VAR(rsp_scratch)`** = `%gs:rsp_scratch` (from entry_SYSCALL_64)',
      '',
      'address: per-CPU rsp_scratch — 8 bytes written',
      '',
      'before: `percpu.rsp_scratch` — per-CPU rsp_scratch as the entry found it',
      '',
      'after: `user.rsp` — the user\'s value at entry',
    ].join('\n'));
    // on the macro's name: the operand's state, then the expansion as before
    const m = hoverOf(k15.a, k15.text, 58, 'PER_CPU_VAR').value ?? '';
    assert.match(m, /^\*\*`PER_CPU_VAR\(rsp_scratch\)`\*\*[^]*\n\n---\n\n\*\*PER_CPU_VAR\*\* — built-in kernel macro\n\nExpands to:\n```x86-entry-asm\n%gs:rsp_scratch\n```$/);
  });

  test('the thread_info flags through TASK_TI_flags(%r11): a 32-bit read of the work flags', () => {
    // line 93: testl $_TIF_WORK_SYSCALL_ENTRY|_TIF_ALLWORK_MASK, TASK_TI_flags(%r11)
    const h = hoverOf(k15.a, k15.text, 93, 'TASK_TI_flags');
    assert.equal(h.value?.split('\n\n---\n\n')[0], [
      '**`TASK_TI_flags(%r11)`** = `0(%r11)` (from entry_SYSCALL_64)',
      '',
      'address: thread_info flags at `percpu.current_task` — 4 bytes read',
      '',
      'before: `ti_flags[31:0]` — the low 32 bits of the thread-info work flags at entry',
      '',
      'unchanged by this instruction',
    ].join('\n'));
  });

  test('%gs:cpu_tss_rw + TSS_sp0 (the 2018 PTI entry): per-CPU cpu_tss_rw+0x4', async () => {
    const { a, text } = await load('kernels', 'linux-2018-pti-entry_64.S');
    // line 169: movq PER_CPU_VAR(cpu_tss_rw + TSS_sp0), %rsp
    assert.equal(hoverOf(a, text, 169, 'cpu_tss_rw').value, [
      '**`PER_CPU_VAR(cpu_tss_rw + TSS_sp0)`** = `%gs:cpu_tss_rw + 4` (from entry_SYSCALL_64)',
      '',
      'address: per-CPU cpu_tss_rw+0x4 — 8 bytes read',
      '',
      'before: `percpu.cpu_tss_rw+0x4` — per-CPU cpu_tss_rw+0x4 as the entry found it',
      '',
      'unchanged by this instruction',
    ].join('\n'));
  });

  test('the bundled sample: the saved CS an NMI from user mode tests, a constant in hex', async () => {
    const file = join(repoRoot, 'samples', 'entry_64.S');
    const text = readFileSync(file, 'utf8');
    const a = await analyze({ file, text }, defaultOptions, diskReader);
    // line 1242: testb $3, CS-RIP+8(%rsp) on the NMI's stack
    assert.equal(hoverOf(a, text, 1242, 'CS-RIP').value?.split('\n\n---\n\n')[0], [
      '**`CS-RIP+8(%rsp)`** = `136-128+8(%rsp)` (from nmi)',
      '',
      'address: pt_regs->cs at `kernel.tss_rsp0-0x20` — 1 byte read',
      '',
      'before: `0x33`',
      '',
      'unchanged by this instruction',
    ].join('\n'));
  });

  test('a frame a project file lays out (FreeBSD\'s trapframe): the field as its constants name it, the work flags', async () => {
    const file = fixture('kernels', 'freebsd-exception.S');
    const projectPath = join(dirname(file), '.entry-review.json');
    const projectText = readFileSync(fixture('projects', 'freebsd.entry-review.json'), 'utf8');
    const reader = { read: (p: string) => (p === projectPath ? projectText : diskReader.read(p)), exists: (p: string) => p === projectPath || (diskReader.exists?.(p) ?? false) };
    const text = readFileSync(file, 'utf8');
    const a = await analyze({ file, text }, defaultOptions, reader);
    // line 245: movq TF_RIP(%rsp), %rcx after amd64_syscall, whose contract rewrites the frame only with PCB_FULL_IRET set
    assert.equal(hoverOf(a, text, 245, 'TF_RIP').value?.split('\n\n---\n\n')[0], [
      '**`TF_RIP(%rsp)`** = `0x98(%rsp)` (from Xfast_syscall)',
      '',
      'address: the saved frame\'s tf_rip at `percpu.0xa0-0x28` — 8 bytes read',
      '',
      'before: `((PCB_FULL_IRET@L219 & 1) == 0 ? user.rip : ptregs.ip@L219)`',
      '',
      'unchanged by this instruction',
    ].join('\n'));
    // line 231: testl $TDF_ASTPENDING|TDF_NEEDRESCHED, TD_FLAGS(%rax), the project's work-flags word
    assert.match(hoverOf(a, text, 231, 'TD_FLAGS').value ?? '', /^\*\*`TD_FLAGS\(%rax\)`\*\* = `0xfc\(%rax\)` \(from Xfast_syscall\)\n\naddress: the work flags at `percpu\.0x0\+0xfc` — 4 bytes read\n/);
  });

  test('recorded per instruction, not per path: at most one record per operand of each instruction reached', () => {
    const { a } = k15;
    assert.ok(a.memory.size > 0 && a.memory.size <= a.registers.size, `${a.memory.size} instructions with memory operands, ${a.registers.size} reached`);
    for (const [i, r] of a.memory) {
      assert.ok(a.registers.has(i), 'only instructions the walk reached');
      assert.equal(new Set(r.operands.map((o) => o.operand)).size, r.operands.length);
    }
  });
});

describe('which memory operand is under the cursor', () => {
  const text = [
    '.macro LOADQ src, dst',                                            // 1
    '\tmovq\t\\src, \\dst',                                             // 2
    '.endm',                                                            // 3
    '#define SCRATCH\t8',                                               // 4
    'entry_SYSCALL_64:',                                                // 5
    '\tswapgs',                                                         // 6
    '\tmovq\tPER_CPU_VAR(cpu_current_top_of_stack), %rsp',             // 7
    '\tpushq\t$__USER_DS; movq $0x1234, (%rsp); movq (%rsp), %rdi',   // 8  three statements
    '\tLOADQ\t(%rsp), %rax',                                           // 9  a macro's argument
    '\tmovq\t%rcx, SCRATCH(%rdi)',                                     // 10
    '\tincl\t%gs:cpu_tss_rw+4',                                        // 11
    '\tLOADQ\t16(%rsp), %rax',                                         // 12
    '\tswapgs',                                                         // 13
    '\tsysretq',                                                        // 14
  ].join('\n');
  let a: Analysis;
  before(async () => {
    a = await analyze({ file: '/m.S', text }, defaultOptions, { read: () => undefined });
  });

  test('several statements on a line: each (%rsp) is its own instruction\'s', () => {
    assert.equal(hoverOf(a, text, 8, '(%rsp)', 1, 1).value, [
      '**`(%rsp)`** (from entry_SYSCALL_64)',
      '',
      'address: pt_regs->ss at `percpu.cpu_current_top_of_stack-0x8` — 8 bytes written',
      '',
      'before: `0x2b`',
      '',
      'after: `0x1234`',
    ].join('\n'));
    assert.match(hoverOf(a, text, 8, '(%rsp)', 0, 2).value ?? '', /8 bytes read\n\nbefore: `0x1234`\n\nunchanged by this instruction$/);
  });

  test('an operand in a macro invocation: the state at the expanded instruction; the macro name: its expansion', () => {
    assert.equal(hoverOf(a, text, 9, '(%rsp)').value, [
      '**`(%rsp)`** in `movq (%rsp), %rax` (from entry_SYSCALL_64)',
      '',
      'address: pt_regs->ss at `percpu.cpu_current_top_of_stack-0x8` — 8 bytes read',
      '',
      'before: `0x1234`',
      '',
      'unchanged by this instruction',
    ].join('\n'));
    assert.match(hoverOf(a, text, 9, 'LOADQ', 1).value ?? '', /^\*\*LOADQ\*\* — defined at line 1\n\nExpands to:/);
  });

  test('a constant address, a register inside the operand, a #define displacement, a read-modify-write', () => {
    assert.match(hoverOf(a, text, 10, 'SCRATCH').value ?? '', /^\*\*`SCRATCH\(%rdi\)`\*\* = `8\(%rdi\)` \(from entry_SYSCALL_64\)\n\naddress: `0x123c` — 8 bytes written\n\nbefore: `mem\[0x123c\]:64` — memory not written since the entry\n\nafter: `user\.rip` — the user's value at entry\n\n---\n\n\*\*SCRATCH\*\* — define/);
    assert.match(hoverOf(a, text, 10, 'rdi').value ?? '', /^\*\*%rdi\*\* \(from entry_SYSCALL_64\)\n\nbefore: `0x1234`\n\nunchanged by this line\n\n---\n\n\*\*`SCRATCH\(%rdi\)`\*\*/);
    assert.equal(hoverOf(a, text, 11, 'cpu_tss_rw').value, [
      '**`%gs:cpu_tss_rw+4`** (from entry_SYSCALL_64)',
      '',
      'address: per-CPU cpu_tss_rw+0x4 — 4 bytes read and written',
      '',
      'before: `percpu.cpu_tss_rw+0x4` — per-CPU cpu_tss_rw+0x4 as the entry found it',
      '',
      'after: `percpu.cpu_tss_rw+0x4 + 1`',
    ].join('\n'));
  });

  test('what is not a memory operand keeps its hover: the mnemonic, an immediate', () => {
    assert.match(hoverOf(a, text, 8, 'movq', 1).value ?? '', /^\*\*mov\*\* — Move\n/);
    assert.equal(hoverOf(a, text, 8, '$0x1234', 1).value, undefined);
  });
});
