/* expect: sysret-noncanonical-rip at line 211: missing canonical check: a pt_regs->ip with bits 63..47 not all equal (e.g. 0x0000800000000000 in both ip and cx) reaches SYSRET; Intel raises #GP in ring 0 on the user RSP */
/*
 * samples/sysret-no-canonical-check.S -- the bundled sample with one historic bug: a copy of test/fixtures/kernels/linux-2015-entry_64.S without the canonical check (the CVE-2012-0217 shape); identical to test/fixtures/kernels/bugs/no-canonical-check.S.
 *
 * The sign-extension test of RCX on the opportunistic path was deleted
 * ("RCX == RIP already, and the user chose RIP via SYSCALL").  That
 * reasoning ignores C code and ptrace, which can rewrite both fields.
 */
/*
 * linux-2015-entry_64.S -- Entry Review test fixture (written for this
 * project in the style of arch/x86/entry/entry_64.S; not kernel source).
 *
 * The 64-bit SYSCALL entry and its ways back to user mode as Linux had
 * them after the exit work moved to C (late 2015 / 2016):
 *
 *   - a fast path that calls the table entry with a partial pt_regs and
 *     returns with SYSRET when no work flag is set (flags read with
 *     interrupts off);
 *   - a slow path (do_syscall_64, or syscall_return_slowpath when work
 *     turned up after the fast call) followed by "opportunistic SYSRET":
 *     six tests on the saved frame, any failure of which sends the task
 *     out through IRET instead;
 *   - the IRET exit with its exception-table fixup.
 *
 * THIS COPY CARRIES ONE DELIBERATE MISTAKE (see the top of the file).
 *
 * Registers on entry (what SYSCALL leaves behind):
 *   rax  syscall number            rcx  user RIP after the SYSCALL insn
 *   r11  user RFLAGS               rdi, rsi, rdx, r10, r8, r9: args 1-6
 *   rsp  user stack (untouched)    GS base: the user's
 *   RFLAGS has had the SYSCALL mask applied, so IF, TF, DF, AC are 0.
 */

#include <linux/linkage.h>
#include <linux/err.h>
#include <asm/segment.h>
#include <asm/asm-offsets.h>
#include <asm/calling.h>
#include <asm/msr.h>
#include <asm/thread_info.h>
#include <asm/unistd.h>
#include <asm/irqflags.h>
#include <asm/paravirt.h>
#include <asm/asm.h>
#include <asm/smap.h>
#include <asm/percpu.h>

	.code64
	.section .entry.text, "ax"

/*
 * entry_SYSCALL_64 -- MSR_LSTAR points here.
 *
 * Until SWAPGS runs, %gs still addresses the user's idea of per-CPU data,
 * and until the stack switch %rsp is whatever user space left in it.
 * SYSCALL has cleared IF for us, so nothing can interrupt the few
 * instructions that fix both.
 */
ENTRY(entry_SYSCALL_64)
	SWAPGS_UNSAFE_STACK

GLOBAL(entry_SYSCALL_64_after_swapgs)
	/* Kernel GS from here on: per-CPU data is ours. */
	movq	%rsp, PER_CPU_VAR(rsp_scratch)
	movq	PER_CPU_VAR(cpu_current_top_of_stack), %rsp

	/*
	 * Lay out the hardware part of the frame exactly as an interrupt
	 * would have: ss, sp, flags, cs, ip.  The selectors are the ones
	 * SYSCALL loaded, so we can write them as constants.
	 */
	pushq	$__USER_DS			/* pt_regs->ss */
	pushq	PER_CPU_VAR(rsp_scratch)	/* pt_regs->sp */
	pushq	%r11				/* pt_regs->flags */
	pushq	$__USER_CS			/* pt_regs->cs */
	pushq	%rcx				/* pt_regs->ip */
	pushq	%rax				/* pt_regs->orig_ax */
	pushq	%rdi				/* pt_regs->di */
	pushq	%rsi				/* pt_regs->si */
	pushq	%rdx				/* pt_regs->dx */
	pushq	%rcx				/* pt_regs->cx */
	pushq	$-ENOSYS			/* pt_regs->ax */
	pushq	%r8				/* pt_regs->r8 */
	pushq	%r9				/* pt_regs->r9 */
	pushq	%r10				/* pt_regs->r10 */
	pushq	%r11				/* pt_regs->r11 */
	/*
	 * rbx, rbp and r12-r15 are callee-saved in C, so the fast path can
	 * leave them live in their registers; just reserve their slots.
	 */
	sub	$(6*8), %rsp

	/*
	 * Entry work (tracing, seccomp, audit) or any pending exit work
	 * needs the complete frame: go the slow way.  %r11 is free to use,
	 * its user value is already in the frame.
	 */
	movq	PER_CPU_VAR(current_task), %r11
	testl	$_TIF_WORK_SYSCALL_ENTRY|_TIF_ALLWORK_MASK, TASK_TI_flags(%r11)
	jnz	entry_SYSCALL64_slow_path

entry_SYSCALL_64_fastpath:
	/* Nothing special pending: run the handler with interrupts on. */
	TRACE_IRQS_ON
	ENABLE_INTERRUPTS(CLBR_NONE)
#if __SYSCALL_MASK == ~0
	cmpq	$__NR_syscall_max, %rax
#else
	andl	$__SYSCALL_MASK, %eax
	cmpl	$__NR_syscall_max, %eax
#endif
	ja	1f				/* bad number: ax slot says -ENOSYS */
	movq	%r10, %rcx			/* C expects argument 4 in rcx */
	call	*sys_call_table(, %rax, 8)
.Lentry_SYSCALL_64_after_fastpath_call:
	movq	%rax, RAX(%rsp)
1:
	/*
	 * The work flags have to be sampled with interrupts disabled and
	 * stay that way until SYSRET: an interrupt that slipped in after the
	 * test could set TIF_NEED_RESCHED or queue a signal, and we would
	 * carry it out to user mode unprocessed.
	 */
	DISABLE_INTERRUPTS(CLBR_NONE)
	TRACE_IRQS_OFF
	movq	PER_CPU_VAR(current_task), %r11
	testl	$_TIF_ALLWORK_MASK, TASK_TI_flags(%r11)
	jnz	2f

	LOCKDEP_SYS_EXIT
	TRACE_IRQS_ON			/* lockdep treats user mode as IRQs-on */

	/*
	 * Nothing on the fast path may rewrite the frame: handlers that need
	 * to (sigreturn, execve, clone, iopl, ...) are routed through
	 * stub_ptregs_64, which sends them to the slow path instead.  So ip
	 * and flags are still the rcx and r11 that SYSCALL produced, which
	 * makes them valid SYSRET operands as they stand.
	 */
	movq	RIP(%rsp), %rcx
	movq	EFLAGS(%rsp), %r11
	RESTORE_C_REGS_EXCEPT_RCX_R11
	movq	RSP(%rsp), %rsp
	USERGS_SYSRET64

2:
	/*
	 * Work appeared while the handler ran (a signal, a reschedule, a
	 * ptrace request...).  Finish the frame and let C deal with it.
	 */
	TRACE_IRQS_ON
	ENABLE_INTERRUPTS(CLBR_NONE)
	SAVE_EXTRA_REGS
	movq	%rsp, %rdi
	call	syscall_return_slowpath		/* returns with IRQs off */
	jmp	return_from_SYSCALL_64

entry_SYSCALL64_slow_path:
	/* IRQs are still off, as SYSCALL left them. */
	SAVE_EXTRA_REGS
	movq	%rsp, %rdi
	call	do_syscall_64			/* returns with IRQs off */

return_from_SYSCALL_64:
	RESTORE_EXTRA_REGS
	TRACE_IRQS_IRETQ			/* IF is about to change */

	/*
	 * Opportunistic SYSRET.
	 *
	 * C code had the full frame and may have changed any of it: ptrace
	 * pokes, signal delivery, sigreturn, execve.  SYSRET can only express
	 * a small subset of what IRET can restore, so check that the frame
	 * lies inside that subset; otherwise use IRET, which is always
	 * correct (just slower).
	 */
	movq	RCX(%rsp), %rcx
	movq	RIP(%rsp), %r11
	cmpq	%rcx, %r11			/* SYSRET sets RIP from RCX: RCX == RIP */
	jne	opportunistic_sysret_failed

	cmpq	$__USER_CS, CS(%rsp)		/* SYSRET loads __USER_CS */
	jne	opportunistic_sysret_failed

	movq	R11(%rsp), %r11
	cmpq	%r11, EFLAGS(%rsp)		/* SYSRET sets RFLAGS from R11 */
	jne	opportunistic_sysret_failed

	/*
	 * SYSRET always clears RF, and a TF it restores fires as soon as it
	 * completes, before any user instruction runs.  If the #DB handler
	 * itself came back through here we would single-step the same
	 * SYSRET for ever.  IRET handles both bits properly.
	 */
	testq	$(X86_EFLAGS_RF|X86_EFLAGS_TF), %r11
	jnz	opportunistic_sysret_failed

	/* Any user RSP is fine: SYSRET does not touch it. */

	cmpq	$__USER_DS, SS(%rsp)		/* SYSRET loads __USER_DS */
	jne	opportunistic_sysret_failed

	/*
	 * All six hold.  Nothing branches here; the label only makes
	 * profiles easier to read.
	 */
syscall_return_via_sysret:
	/* rcx and r11 already hold the values checked above. */
	RESTORE_C_REGS_EXCEPT_RCX_R11
	movq	RSP(%rsp), %rsp
	USERGS_SYSRET64

opportunistic_sysret_failed:
	SWAPGS
	jmp	restore_c_regs_and_iret
END(entry_SYSCALL_64)

/*
 * stub_ptregs_64 -- table entries for system calls that need the whole
 * frame point here (via ptregs_<name>, with the real handler in %rax).
 *
 * From the fast path the callee-saved slots are not filled in yet, so
 * undo the call and restart on the slow path, which saves them first.
 * From the slow path (called from C) everything is in place already.
 */
ENTRY(stub_ptregs_64)
	cmpq	$.Lentry_SYSCALL_64_after_fastpath_call, (%rsp)
	jne	1f

	/* Fast path: back to IRQs-off and drop our return address. */
	DISABLE_INTERRUPTS(CLBR_NONE)
	TRACE_IRQS_OFF
	popq	%rax
	jmp	entry_SYSCALL64_slow_path

1:
	jmp	*%rax				/* from do_syscall_64: tail call */
END(stub_ptregs_64)

.macro ptregs_stub func
ENTRY(ptregs_\func)
	leaq	\func(%rip), %rax
	jmp	stub_ptregs_64
END(ptregs_\func)
.endm

	.irp	name, sys_rt_sigreturn, sys_clone, sys_fork, sys_vfork, sys_execve, sys_execveat, sys_iopl
	ptregs_stub \name
	.endr

/*
 * The IRET exit.  Callers arrive here with the user GS base already
 * active and the kernel stack holding a complete pt_regs.
 */
GLOBAL(restore_regs_and_iret)
	RESTORE_EXTRA_REGS
restore_c_regs_and_iret:
	RESTORE_C_REGS
	REMOVE_PT_GPREGS_FROM_STACK 8		/* and orig_ax */
irq_return:
	INTERRUPT_RETURN
	/*
	 * IRET checks the selectors and RIP it pops; a bad one faults here,
	 * at CPL 0.  The exception table sends that fault to bad_iret.
	 */
	_ASM_EXTABLE(irq_return, bad_iret)

#ifdef CONFIG_PARAVIRT
ENTRY(native_iret)
#ifdef CONFIG_X86_ESPFIX64
	/* A 16-bit stack segment from the LDT needs the espfix dance. */
	testb	$4, (SS-RIP)(%rsp)
	jnz	native_irq_return_ldt
#endif
.global native_irq_return_iret
native_irq_return_iret:
	iretq
	_ASM_EXTABLE(native_irq_return_iret, bad_iret)
END(native_iret)
#endif

	.pushsection .fixup, "ax"
bad_iret:
	/*
	 * The IRET above faulted on something user space supplied (a bogus
	 * CS or SS, a non-canonical RIP).  The fault arrived from CPL 0, so
	 * the handler kept the kernel GS base and resumed us here with the
	 * user's IRET frame still on top of the stack.  Pretend IRET had
	 * completed and user mode then took #GP(0): add an error code and
	 * hand the frame to general_protection.  That handler will see a user
	 * CS and run SWAPGS, so give it back the user GS base first.
	 */
	pushq	$0				/* error code */
	SWAPGS
	jmp	general_protection
	.popsection
