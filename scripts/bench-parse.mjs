// Warm parse time of the syntax layer for a ~1,500-line entry file.
// Usage: node scripts/bench-parse.mjs [file] [--runs N]
//   default file: samples/entry_64.S when present, otherwise a generated 1,500-line file.
// Needs the compiled code: npm run compile-tests (out/server/src/syntax).
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const modPath = join(root, 'out/server/src/syntax/index.js');
if (!existsSync(modPath)) {
  console.error('bench-parse: compile first (npm run compile-tests)');
  process.exit(2);
}
const { parseProgram } = require(modPath);

const args = process.argv.slice(2);
let runs = 50;
const ri = args.indexOf('--runs');
if (ri >= 0) {
  runs = Number(args[ri + 1]) || runs;
  args.splice(ri, 2);
}

/** A kernel-style file of `lines` lines: entry code, macros, cpp conditionals, alternatives. */
function generate(lines) {
  const head = [
    '#include <linux/linkage.h>',
    '#include <asm/segment.h>',
    '#include <asm/calling.h>',
    '#include <asm/percpu.h>',
    '#include <asm/smap.h>',
    '',
    '.macro CHECK_WORK reg, target',
    '	movq	PER_CPU_VAR(current_task), \\reg',
    '	testl	$_TIF_ALLWORK_MASK, TASK_TI_flags(\\reg)',
    '	jnz	\\target',
    '.endm',
    '	.section .entry.text, "ax"',
  ];
  const block = (k) => [
    `/* block ${k}: a syscall-style entry and its return */`,
    `SYM_CODE_START(entry_${k})`,
    '	swapgs',
    '	movq	%rsp, PER_CPU_VAR(rsp_scratch)',
    '	SWITCH_TO_KERNEL_CR3 scratch_reg=%rsp',
    '	movq	PER_CPU_VAR(cpu_current_top_of_stack), %rsp',
    '	pushq	$__USER_DS				/* pt_regs->ss */',
    '	pushq	PER_CPU_VAR(rsp_scratch)		/* pt_regs->sp */',
    '	pushq	%r11					/* pt_regs->flags */',
    '	pushq	$__USER_CS				/* pt_regs->cs */',
    '	pushq	%rcx					/* pt_regs->ip */',
    '	pushq	%rax					/* pt_regs->orig_ax */',
    '	PUSH_AND_CLEAR_REGS rax=$-ENOSYS',
    '	ASM_CLAC',
    '#if __SYSCALL_MASK == ~0',
    '	cmpq	$__NR_syscall_max, %rax',
    '#else',
    '	andl	$__SYSCALL_MASK, %eax',
    '	cmpl	$__NR_syscall_max, %eax',
    '#endif',
    '	ja	1f',
    '	movq	%r10, %rcx',
    '	call	*sys_call_table(, %rax, 8)',
    '	movq	%rax, RAX(%rsp)',
    '1:	CHECK_WORK %r11, 2f',
    '	movq	RCX(%rsp), %rcx',
    '	movq	RIP(%rsp), %r11',
    '	cmpq	%rcx, %r11',
    `	jne	.Lfail_${k}`,
    '	shl	$(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx',
    '	sar	$(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx',
    '	cmpq	%rcx, %r11',
    `	jne	.Lfail_${k}`,
    '	cmpq	$__USER_CS, CS(%rsp)',
    `	jne	.Lfail_${k}`,
    '	movq	R11(%rsp), %r11',
    '	cmpq	%r11, EFLAGS(%rsp)',
    `	jne	.Lfail_${k}`,
    '	testq	$(X86_EFLAGS_RF|X86_EFLAGS_TF), %r11',
    `	jnz	.Lfail_${k}`,
    '	cmpq	$__USER_DS, SS(%rsp)',
    `	jne	.Lfail_${k}`,
    '	POP_REGS pop_rdi=0 skip_r11rcx=1',
    '	movq	%rsp, %rdi',
    '	movq	PER_CPU_VAR(cpu_tss_rw + TSS_sp0), %rsp',
    '	pushq	RSP-RDI(%rdi)',
    '	pushq	(%rdi)',
    '	SWITCH_TO_USER_CR3_STACK scratch_reg=%rdi',
    '	popq	%rdi',
    '	popq	%rsp',
    '	swapgs',
    '	sysretq',
    `.Lfail_${k}:`,
    '2:	movq	%rsp, %rdi',
    '	call	syscall_return_slowpath',
    '	jmp	restore_regs_and_iret',
    '	swapgs',
    '	iretq',
    `SYM_CODE_END(entry_${k})`,
    '',
  ];
  const out = [...head];
  for (let k = 0; out.length + block(k).length <= lines; k++) out.push(...block(k));
  while (out.length < lines) out.push('/* padding */');
  return out.join('\n') + '\n';
}

let file = args[0];
let text;
if (file) {
  file = resolve(file);
  text = readFileSync(file, 'utf8');
} else if (existsSync(join(root, 'samples/entry_64.S'))) {
  file = join(root, 'samples/entry_64.S');
  text = readFileSync(file, 'utf8');
} else {
  file = join(root, 'samples/generated-bench.S');
  text = generate(1500);
}
const reader = { read: (p) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } } };
const lines = text.split('\n').length;

for (let i = 0; i < 10; i++) parseProgram(file, text, {}, reader); // warm-up
const times = [];
const cpu = [];
let program;
for (let i = 0; i < runs; i++) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  program = parseProgram(file, text, {}, reader);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const cpuMedian = cpu[Math.floor(cpu.length / 2)];
console.log(`file: ${file}${args[0] || existsSync(join(root, 'samples/entry_64.S')) ? '' : ' (generated)'}`);
console.log(`lines: ${lines}, statements: ${program.statements.length}, diagnostics: ${program.diagnostics.length}`);
console.log(`warm parse: median ${median.toFixed(2)} ms, min ${times[0].toFixed(2)} ms, max ${times[times.length - 1].toFixed(2)} ms over ${runs} runs`);
// Process CPU time: every thread of this process, the garbage collector's helpers included.
console.log(`process cpu time per parse (all threads): median ${cpuMedian.toFixed(2)} ms`);
