/*
 * samples/entry_64.S -- the sample file Entry Review analyses on
 * `npm start`.
 *
 * Written for the Entry Review project in the style of Linux's
 * arch/x86/entry/entry_64.S as it looked in 2016 (the v4.6 .. v4.9 era):
 * one file holding every way from 64-bit user mode into the kernel and
 * every way back.  It is not kernel source.  The instruction sequences
 * follow the hardware's documented behaviour and the kernel's published
 * conventions (pt_regs layout, selectors, work flags); the text and the
 * comments are this project's own.
 *
 * Ways in:
 *
 *   entry_SYSCALL_64     64-bit SYSCALL (MSR_LSTAR)
 *   ignore_sysret        32-bit SYSCALL when there is no compat support
 *   irq_entries_start    external interrupts: one small stub per vector
 *   apicinterrupt ...    local APIC timer, IPIs, thermal, error, spurious
 *   idtentry ...         CPU exceptions, ordinary and paranoid (IST)
 *   nmi                  non-maskable interrupts, including nesting
 *
 * Ways out to user mode:
 *
 *   SYSRET  -- from the syscall fast path, and from the slow path once
 *              the six "opportunistic SYSRET" tests have passed
 *   IRET    -- everything else, via restore_regs_and_iret, whose IRET
 *              has an exception-table fixup for bad user frames
 *
 * What the checker should find here: nothing of severity warning or
 * error on any return reached from entry_SYSCALL_64.  One deliberate,
 * documented exception exists elsewhere, and it is the kernel's own
 * trade-off rather than an accident:
 *
 *   The NMI return to user mode (nmi -> .Lnmi_from_user ->
 *   restore_c_regs_and_iret) does NOT test the thread-info work flags.
 *   NMIs must not run exit work (it may sleep or enable interrupts), and
 *   anything an NMI handler wants done later is requested with a
 *   self-IPI, whose own return path does the work.  A checker that
 *   analyses `nmi` as an interrupt entry from user mode will therefore
 *   report exit-work-unchecked at the INTERRUPT_RETURN under irq_return
 *   (path: nmi, .Lnmi_from_user's SWAPGS, restore_c_regs_and_iret);
 *   that is the single finding this sample is meant to demonstrate.
 *
 *   (The same holds in principle for double_fault, the one paranoid=2
 *   entry, whose user-mode path leaves through paranoid_exit.  Its C
 *   handler never returns to user mode; a contract has to say so.)
 *
 * Conventions used below:
 *
 *  - pt_regs offsets (R15 .. SS) and the register save/restore macros
 *    come from calling.h; SIZEOF_PTREGS is 21*8.
 *  - "partial frame": only the caller-saved registers are in pt_regs;
 *    rbx, rbp, r12-r15 are still live in their registers (C preserves
 *    them).  SAVE_EXTRA_REGS completes the frame.
 *  - %ebx after paranoid_entry/error_entry: 0 means "SWAPGS on exit",
 *    1 means "the GS base was already the kernel's, leave it alone".
 *  - Interrupts are off on every entry; each path says when it turns
 *    them on and guarantees they are off again before the exit work
 *    test.
 *
 * The kernel stack at the moment a C handler is called (higher
 * addresses first; offsets from %rsp as calling.h names them):
 *
 *             +------------------+  <- top of the task (or IST) stack
 *   SS        | ss       (20*8)  | -+
 *   RSP       | sp       (19*8)  |  |  pushed by the CPU on an interrupt
 *   EFLAGS    | flags    (18*8)  |  |  or exception, or by entry_SYSCALL_64
 *   CS        | cs       (17*8)  |  |  itself (SYSCALL pushes nothing)
 *   RIP       | ip       (16*8)  | -+
 *   ORIG_RAX  | orig_ax  (15*8)  |     syscall number, error code, ~vector or -1
 *   RDI       | di       (14*8)  | -+
 *   RSI       | si       (13*8)  |  |
 *   RDX       | dx       (12*8)  |  |
 *   RCX       | cx       (11*8)  |  |  caller-saved ("C") registers:
 *   RAX       | ax       (10*8)  |  |  always saved on entry
 *   R8        | r8       ( 9*8)  |  |
 *   R9        | r9       ( 8*8)  |  |
 *   R10       | r10      ( 7*8)  |  |
 *   R11       | r11      ( 6*8)  | -+
 *   RBX       | bx       ( 5*8)  | -+
 *   RBP       | bp       ( 4*8)  |  |  callee-saved ("extra") registers:
 *   R12       | r12      ( 3*8)  |  |  saved only where a path needs the
 *   R13       | r13      ( 2*8)  |  |  complete frame
 *   R14       | r14      ( 1*8)  |  |
 *   R15       | r15      ( 0*8)  | -+
 *             +------------------+  <- %rsp
 */

#include <linux/linkage.h>
#include <linux/err.h>
#include <asm/segment.h>
#include <asm/cache.h>
#include <asm/errno.h>
#include <asm/calling.h>
#include <asm/asm-offsets.h>
#include <asm/msr.h>
#include <asm/unistd.h>
#include <asm/thread_info.h>
#include <asm/hw_irq.h>
#include <asm/page_types.h>
#include <asm/irqflags.h>
#include <asm/paravirt.h>
#include <asm/percpu.h>
#include <asm/asm.h>
#include <asm/smap.h>
#include <asm/pgtable_types.h>
#include <asm/frame.h>

/*
 * Per-CPU slot for one IST stack pointer in the TSS.  The IST numbers
 * are 1-based, the array in the TSS is not.
 */
#define CPU_TSS_IST(x)	PER_CPU_VAR(cpu_tss) + (TSS_ist + ((x) - 1) * 8)

	.code64
	.section .entry.text, "ax"

#ifdef CONFIG_PARAVIRT
/*
 * The native implementation behind the USERGS_SYSRET64 paravirt op.
 * Hypervisors that cannot let a guest execute SYSRET patch it out.
 */
ENTRY(native_usergs_sysret64)
	swapgs
	sysretq
ENDPROC(native_usergs_sysret64)
#endif /* CONFIG_PARAVIRT */

/*
 * DEBUG_ENTRY_ASSERT_IRQS_OFF -- on debug kernels, stop dead if a path
 * that must run with interrupts disabled finds them enabled.  Costs a
 * PUSHF, so only with CONFIG_DEBUG_ENTRY; otherwise it expands to
 * nothing.
 */
#ifdef CONFIG_DEBUG_ENTRY
.macro DEBUG_ENTRY_ASSERT_IRQS_OFF
	pushq	%rax
	pushfq
	popq	%rax
	testl	$X86_EFLAGS_IF, %eax
	jz	.Lirqs_off_ok_\@
	ud2
.Lirqs_off_ok_\@:
	popq	%rax
.endm
#else
.macro DEBUG_ENTRY_ASSERT_IRQS_OFF
.endm
#endif

/*
 * entry_SYSCALL_64 -- the 64-bit SYSCALL instruction lands here.
 *
 * The CPU has done very little for us:
 *
 *   rax  system call number
 *   rcx  address of the instruction after SYSCALL (the user RIP)
 *   r11  user RFLAGS; the live RFLAGS had MSR_SYSCALL_MASK applied, so
 *        IF, TF, DF and AC are clear and we cannot be interrupted yet
 *   rdi, rsi, rdx, r10, r8, r9: arguments 1 to 6 (r10 replaces rcx,
 *        which SYSCALL itself overwrote)
 *   rsp  still the user's stack pointer -- it may point anywhere
 *   GS   still the user's GS base
 *   CS/SS were loaded from MSR_STAR: __KERNEL_CS and __KERNEL_DS
 *
 * So the very first job is to switch the GS base and the stack, in that
 * order, since the kernel stack address is per-CPU data.
 *
 * Only 64-bit user code arrives here.  32-bit SYSCALL goes through
 * MSR_CSTAR (entry_SYSCALL_compat in entry_64_compat.S, or
 * ignore_sysret at the end of this file).
 */
ENTRY(entry_SYSCALL_64)
	/*
	 * One instruction of "unsafe" state: no usable stack and the user
	 * GS base.  SWAPGS_UNSAFE_STACK exists because some hypervisors
	 * would otherwise want a stack for the swap.
	 */
	SWAPGS_UNSAFE_STACK

GLOBAL(entry_SYSCALL_64_after_swapgs)
	/*
	 * Hypervisor-provided entry points that have done the SWAPGS
	 * themselves (Xen PV) jump in here.  From now on %gs: is ours.
	 */
	movq	%rsp, PER_CPU_VAR(rsp_scratch)
	movq	PER_CPU_VAR(cpu_current_top_of_stack), %rsp

	/*
	 * Build the IRET-shaped top of pt_regs.  SYSCALL guarantees both
	 * selectors, so constants are exact here; C code may change the
	 * frame later, which is why the exit path checks them again.
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
	pushq	$-ENOSYS			/* pt_regs->ax: result if nothing runs */
	pushq	%r8				/* pt_regs->r8 */
	pushq	%r9				/* pt_regs->r9 */
	pushq	%r10				/* pt_regs->r10 */
	pushq	%r11				/* pt_regs->r11 */
	sub	$(6*8), %rsp			/* bp, bx, r12-r15: slots only */

	/*
	 * Anything that needs the whole frame at entry (ptrace, seccomp,
	 * audit, syscall tracepoints) or has exit work queued already goes
	 * to the slow path.  %r11 is dead: its value is in the frame twice.
	 */
	movq	PER_CPU_VAR(current_task), %r11
	testl	$_TIF_WORK_SYSCALL_ENTRY|_TIF_ALLWORK_MASK, TASK_TI_flags(%r11)
	jnz	entry_SYSCALL64_slow_path

entry_SYSCALL_64_fastpath:
	/*
	 * The common case: interrupts on, call the handler straight from
	 * the table.  A handler that needs pt_regs is really a ptregs_*
	 * stub, which notices it was called from here and restarts the
	 * call on the slow path.
	 */
	TRACE_IRQS_ON
	ENABLE_INTERRUPTS(CLBR_NONE)
#if __SYSCALL_MASK == ~0
	cmpq	$__NR_syscall_max, %rax
#else
	andl	$__SYSCALL_MASK, %eax		/* x32: strip the ABI bit */
	cmpl	$__NR_syscall_max, %eax
#endif
	ja	1f				/* no such call: ax slot is -ENOSYS */
	movq	%r10, %rcx			/* C ABI: fourth argument in rcx */
	call	*sys_call_table(, %rax, 8)
.Lentry_SYSCALL_64_after_fastpath_call:
	movq	%rax, RAX(%rsp)
1:
	/*
	 * Decide how to leave.  The work flags are read with interrupts
	 * disabled, and interrupts stay disabled until SYSRET: otherwise an
	 * interrupt arriving between the test and the return could set
	 * NEED_RESCHED or queue a signal that nobody would act on until the
	 * next entry -- possibly never, for a task spinning in user mode.
	 */
	DISABLE_INTERRUPTS(CLBR_NONE)
	TRACE_IRQS_OFF
	movq	PER_CPU_VAR(current_task), %r11
	testl	$_TIF_ALLWORK_MASK, TASK_TI_flags(%r11)
	jnz	.Lfastpath_work_pending

	DEBUG_ENTRY_ASSERT_IRQS_OFF
	LOCKDEP_SYS_EXIT
	TRACE_IRQS_ON				/* lockdep: user mode is IRQs-on */

	/*
	 * Fast SYSRET.  No code on this path can have rewritten the frame
	 * (that is what the ptregs stubs are for), so pt_regs->ip and
	 * pt_regs->flags are still exactly the rcx and r11 that SYSCALL
	 * produced: canonical, selectors as SYSRET loads them, and RF clear.
	 */
	movq	RIP(%rsp), %rcx
	movq	EFLAGS(%rsp), %r11
	RESTORE_C_REGS_EXCEPT_RCX_R11
	movq	RSP(%rsp), %rsp
	USERGS_SYSRET64

.Lfastpath_work_pending:
	/*
	 * The handler queued work (a signal, a reschedule, a single-step
	 * trap...).  The C exit code wants the full frame and runs with
	 * interrupts on; it turns them off again before returning.
	 */
	TRACE_IRQS_ON
	ENABLE_INTERRUPTS(CLBR_NONE)
	SAVE_EXTRA_REGS
	movq	%rsp, %rdi
	call	syscall_return_slowpath		/* returns with IRQs off */
	jmp	return_from_SYSCALL_64

entry_SYSCALL64_slow_path:
	/* Interrupts are still off: do_syscall_64 decides when to enable. */
	SAVE_EXTRA_REGS
	movq	%rsp, %rdi
	call	do_syscall_64			/* returns with IRQs off */

return_from_SYSCALL_64:
	DEBUG_ENTRY_ASSERT_IRQS_OFF		/* C promised IRQs off */
	RESTORE_EXTRA_REGS
	TRACE_IRQS_IRETQ			/* IF is about to change */

	/*
	 * Opportunistic SYSRET.
	 *
	 * We got here through C code that saw the whole frame and was free
	 * to change it: ptrace, signal delivery, sigreturn, execve all do.
	 * IRET restores any frame faithfully; SYSRET only frames of a very
	 * particular shape.  Test for that shape, field by field, and fall
	 * back to IRET at the first mismatch.
	 */
	movq	RCX(%rsp), %rcx
	movq	RIP(%rsp), %r11

	cmpq	%rcx, %r11			/* SYSRET: RIP := RCX, so need cx == ip */
	jne	opportunistic_sysret_failed

	/*
	 * Canonical RIP.  On Intel CPUs a non-canonical RCX makes SYSRET
	 * raise #GP while still at CPL 0 -- after SWAPGS, with %rsp already
	 * holding the user's stack pointer.  The kernel would then push an
	 * exception frame wherever user space pointed.  AMD CPUs leave ring
	 * 0 first and fault in user mode, but we must be safe on both.
	 *
	 * Sign-extend the address from its top implemented bit; a canonical
	 * address comes out unchanged.  The shift counts are only right for
	 * 48-bit virtual addresses, so refuse to assemble if that changes.
	 */
	.ifne __VIRTUAL_MASK_SHIFT - 47
	.error "virtual address width changed -- SYSRET checks need update"
	.endif

	shl	$(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx
	sar	$(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx

	cmpq	%rcx, %r11			/* changed => was not canonical */
	jne	opportunistic_sysret_failed

	cmpq	$__USER_CS, CS(%rsp)		/* SYSRET always loads __USER_CS */
	jne	opportunistic_sysret_failed

	movq	R11(%rsp), %r11
	cmpq	%r11, EFLAGS(%rsp)		/* SYSRET: RFLAGS := R11 */
	jne	opportunistic_sysret_failed

	/*
	 * RF cannot be restored by SYSRET at all.  TF can, but a TF that
	 * SYSRET sets traps right after SYSRET, before any user instruction
	 * executes.  If the #DB that follows also left through this path
	 * with the same state, user space would never make progress (think
	 * of a debugger single-stepping code that loads r11 and rcx with
	 * its own flags and address).  IRET gets both bits right.
	 */
	testq	$(X86_EFLAGS_RF|X86_EFLAGS_TF), %r11
	jnz	opportunistic_sysret_failed

	/* SYSRET leaves RSP alone, so any user stack pointer works. */

	cmpq	$__USER_DS, SS(%rsp)		/* SYSRET always loads __USER_DS */
	jne	opportunistic_sysret_failed

	/*
	 * Every test passed.  No jump targets this label; it exists so that
	 * profiles show the two exits separately.
	 */
syscall_return_via_sysret:
	/* rcx and r11 hold the checked ip and flags already. */
	RESTORE_C_REGS_EXCEPT_RCX_R11
	movq	RSP(%rsp), %rsp
	USERGS_SYSRET64

opportunistic_sysret_failed:
	/* IRET it is.  It expects the user GS base, like retint_user. */
	SWAPGS
	jmp	restore_c_regs_and_iret
END(entry_SYSCALL_64)

/*
 * stub_ptregs_64 -- the table entry of every system call that must see
 * or modify the complete pt_regs.  %rax holds the real handler.
 *
 * Called from the fast path, the frame has empty slots for the callee-
 * saved registers: cancel this call and redo it on the slow path, which
 * fills them in first.  Called from do_syscall_64 the frame is complete
 * and we simply tail-call the handler.
 */
ENTRY(stub_ptregs_64)
	cmpq	$.Lentry_SYSCALL_64_after_fastpath_call, (%rsp)
	jne	1f

	/*
	 * From the fast path, which enabled interrupts: the slow path
	 * starts with them off.  Drop our return address so the stack is
	 * exactly as it was before the table call.
	 */
	DISABLE_INTERRUPTS(CLBR_NONE)
	TRACE_IRQS_OFF
	popq	%rax
	jmp	entry_SYSCALL64_slow_path

1:
	jmp	*%rax				/* from C: just run the handler */
END(stub_ptregs_64)

/*
 * One ptregs_<handler> stub per system call that needs the full frame.
 * The table points at these instead of at the handlers themselves.
 */
.macro ptregs_stub func
ENTRY(ptregs_\func)
	leaq	\func(%rip), %rax
	jmp	stub_ptregs_64
END(ptregs_\func)
.endm

	.irp	handler, sys_rt_sigreturn, sys_clone, sys_fork, sys_vfork, \
		sys_execve, sys_execveat, sys_iopl
	ptregs_stub \handler
	.endr

/*
 * __switch_to_asm(prev, next) -- the stack half of a context switch.
 *
 * Callee-saved registers go onto the old task's stack, the stack
 * pointer is swapped through task_struct, and the new task's callee-
 * saved registers come off its own stack.  __switch_to does the rest in
 * C and returns on the new stack.
 */
ENTRY(__switch_to_asm)
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15

	movq	%rsp, TASK_threadsp(%rdi)	/* park prev's stack */
	movq	TASK_threadsp(%rsi), %rsp	/* adopt next's */

#ifdef CONFIG_CC_STACKPROTECTOR
	/* The canary lives in per-CPU data and follows the running task. */
	movq	TASK_stack_canary(%rsi), %rbx
	movq	%rbx, PER_CPU_VAR(irq_stack_union) + stack_canary_offset
#endif

	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp

	jmp	__switch_to
END(__switch_to_asm)

/*
 * ret_from_fork -- where a new task runs for the first time.
 *
 * copy_thread() arranged the stack so that __switch_to_asm "returns"
 * here with:
 *   rax  the previous task (what __switch_to returned)
 *   rbx  a kernel thread's function, or 0 for a user task
 *   r12  the kernel thread's argument
 * and a complete pt_regs for the child above it.
 */
ENTRY(ret_from_fork)
	movq	%rax, %rdi
	call	schedule_tail			/* finish the switch for prev */

	testq	%rbx, %rbx			/* kernel thread? */
	jnz	1f				/* (rare) */

2:
	/*
	 * A user child: it resumes as if from the fork-type system call it
	 * never made.  The exit work may change anything in the frame, so
	 * leave through IRET, never SYSRET.
	 */
	movq	%rsp, %rdi
	call	syscall_return_slowpath		/* returns with IRQs off */
	TRACE_IRQS_ON				/* user mode counts as IRQs-on */
	SWAPGS
	jmp	restore_regs_and_iret

1:
	/* A kernel thread: run its function on this stack. */
	movq	%r12, %rdi
	call	*%rbx
	/*
	 * Kernel threads normally never return.  The exception is one that
	 * completed an execve(): it now owns a user frame and leaves to
	 * user mode as that execve's return, with the result 0.
	 */
	movq	$0, RAX(%rsp)
	jmp	2b
END(ret_from_fork)

/*
 * External interrupts.
 *
 * irq_entries_start holds one tiny stub for every vector between
 * FIRST_EXTERNAL_VECTOR and FIRST_SYSTEM_VECTOR.  Each pushes a value
 * that encodes its vector and jumps to common_interrupt.  The value is
 * ~vector + 0x80 so that it fits a sign-extended imm8 (two-byte push);
 * common_interrupt subtracts the 0x80 again, leaving ~vector in the
 * orig_ax slot, which do_IRQ decodes.  Every stub is padded to 8 bytes
 * so the IDT setup can compute its address.
 */
	.align 8
ENTRY(irq_entries_start)
	vector = FIRST_EXTERNAL_VECTOR
	.rept (FIRST_SYSTEM_VECTOR - FIRST_EXTERNAL_VECTOR)
	pushq	$(~vector + 0x80)		/* this vector, biased for imm8 */
	vector = vector + 1
	jmp	common_interrupt
	.align	8
	.endr
END(irq_entries_start)

/*
 * CALL_ON_IRQ_STACK -- run \func on this CPU's interrupt stack unless
 * we are on it already.  irq_count is -1 when the CPU is not on the
 * interrupt stack, so the increment sets ZF exactly when we should
 * switch.  The previous stack pointer is kept in %rbp, which the C
 * callee preserves.
 */
.macro CALL_ON_IRQ_STACK func
	pushq	%rbp
	movq	%rsp, %rbp
	incl	PER_CPU_VAR(irq_count)
	jnz	.Lalready_on_irq_stack_\@
	movq	PER_CPU_VAR(irq_stack_ptr), %rsp
.Lalready_on_irq_stack_\@:
	pushq	%rbp				/* unwinder back-link */
	call	\func
	movq	%rbp, %rsp
	decl	PER_CPU_VAR(irq_count)
	popq	%rbp
.endm

/*
 * interrupt -- common part of every interrupt entry.  On entry the CPU
 * has pushed the hardware frame and the stub has pushed orig_ax.
 *
 * Saves the complete pt_regs, fixes the GS base if we came from user
 * mode, moves to the interrupt stack (if not already there) keeping the
 * old stack pointer on the new stack, and calls \func with %rdi
 * pointing at pt_regs.  The caller undoes the stack switch.
 */
.macro interrupt func
	cld
	ALLOC_PT_GPREGS_ON_STACK
	SAVE_C_REGS
	SAVE_EXTRA_REGS

	testb	$3, CS(%rsp)			/* interrupted CPL 3? */
	jz	1f

	/*
	 * From user mode: the GS base is the user's, switch it before any
	 * per-CPU access.  lockdep is told that IRQs are off only after
	 * the swap (it uses per-CPU data too); telling it twice is harmless.
	 */
	SWAPGS
	TRACE_IRQS_OFF
#ifdef CONFIG_CONTEXT_TRACKING
	call	enter_from_user_mode
#endif

1:
	/*
	 * Interrupt stack: irq_count is -1 outside of it, so the counter
	 * reaching zero means "first level, switch now".  cmovz keeps this
	 * branch-free.
	 */
	movq	%rsp, %rdi
	incl	PER_CPU_VAR(irq_count)
	cmovzq	PER_CPU_VAR(irq_stack_ptr), %rsp
	pushq	%rdi				/* the stack we came from */
	TRACE_IRQS_OFF

	call	\func				/* %rdi = pt_regs */
.endm

	/*
	 * The stubs above all jump here; a cache line of its own keeps
	 * the hot path compact.
	 */
	.p2align 6
common_interrupt:
	ASM_CLAC
	addq	$-0x80, (%rsp)			/* undo the imm8 bias: ~vector */
	interrupt do_IRQ
	/* (%rsp) is the pre-interrupt stack pointer */

ret_from_intr:
	DISABLE_INTERRUPTS(CLBR_NONE)
	TRACE_IRQS_OFF
	decl	PER_CPU_VAR(irq_count)

	popq	%rsp				/* back to the task or IST stack */

	testb	$3, CS(%rsp)
	jz	retint_kernel

	/* Back to user mode. */
GLOBAL(retint_user)
	/*
	 * Exit work (signals, rescheduling, notify-resume, uprobes...) is
	 * done in C, which is entered and left with interrupts off.
	 */
	movq	%rsp, %rdi
	call	prepare_exit_to_usermode
	DEBUG_ENTRY_ASSERT_IRQS_OFF
	TRACE_IRQS_IRETQ
#ifdef CONFIG_DEBUG_ENTRY
	/* Only frames that really return to CPL 3 may come this way. */
	testb	$3, CS(%rsp)
	jnz	1f
	ud2
1:
#endif
	SWAPGS
	jmp	restore_regs_and_iret

	/* Back to kernel mode. */
retint_kernel:
#ifdef CONFIG_PREEMPT
	/*
	 * An interrupt that hit preemptible kernel code is a preemption
	 * point -- but only if the interrupted code had interrupts on.
	 */
	btl	$9, EFLAGS(%rsp)		/* IF in the interrupted context */
	jnc	1f
0:	cmpl	$0, PER_CPU_VAR(__preempt_count)
	jnz	1f
	call	preempt_schedule_irq
	jmp	0b
1:
#endif
	/* IRET may turn interrupts back on: tell lockdep first. */
	TRACE_IRQS_IRETQ

/*
 * The single IRET exit.  Syscalls, interrupts and exceptions, returning
 * to user or to kernel mode, all end here.  Callers going to user mode
 * have already restored the user GS base.
 */
GLOBAL(restore_regs_and_iret)
	RESTORE_EXTRA_REGS
restore_c_regs_and_iret:
	RESTORE_C_REGS
	REMOVE_PT_GPREGS_FROM_STACK 8		/* the gprs and orig_ax */
irq_return:
	INTERRUPT_RETURN
	/*
	 * IRET validates what it pops.  A frame with a bad CS or SS (or a
	 * non-canonical RIP) faults here, at CPL 0, instead of in user mode;
	 * the exception table turns that into a user-mode #GP (bad_iret).
	 */
	_ASM_EXTABLE(irq_return, bad_iret)

#ifdef CONFIG_PARAVIRT
/*
 * native_iret -- what the INTERRUPT_RETURN paravirt op does on bare
 * metal.  Kept separate from irq_return so that it can be patched.
 */
ENTRY(native_iret)
#ifdef CONFIG_X86_ESPFIX64
	/*
	 * Returning to a 16-bit stack segment from the LDT?  Then IRET would
	 * only restore the low 16 bits of RSP and leak the rest of our stack
	 * address; take the espfix detour.
	 */
	testb	$4, (SS-RIP)(%rsp)		/* TI bit: LDT selector */
	jnz	native_irq_return_ldt
#endif

.global native_irq_return_iret
native_irq_return_iret:
	iretq
	_ASM_EXTABLE(native_irq_return_iret, bad_iret)

#ifdef CONFIG_X86_ESPFIX64
native_irq_return_ldt:
	/*
	 * Rebuild the IRET frame on this CPU's espfix stack, whose address
	 * bits 31:16 can be chosen freely: the page is aliased 64K times.
	 * Put the user's RSP[31:16] there so that the bits IRET leaves in
	 * the upper half of ESP are the user's, not ours.  We need two
	 * scratch registers and the per-CPU area to do it, hence the swaps
	 * around the per-CPU reads.
	 */
	pushq	%rdi				/* user rdi */
	SWAPGS
	movq	PER_CPU_VAR(espfix_waddr), %rdi
	movq	%rax, (0*8)(%rdi)		/* user rax */
	movq	(1*8)(%rsp), %rax		/* rip */
	movq	%rax, (1*8)(%rdi)
	movq	(2*8)(%rsp), %rax		/* cs */
	movq	%rax, (2*8)(%rdi)
	movq	(3*8)(%rsp), %rax		/* rflags */
	movq	%rax, (3*8)(%rdi)
	movq	(5*8)(%rsp), %rax		/* ss */
	movq	%rax, (5*8)(%rdi)
	movq	(4*8)(%rsp), %rax		/* rsp, last: we keep it */
	movq	%rax, (4*8)(%rdi)
	andl	$0xffff0000, %eax		/* user RSP[31:16] only */
	popq	%rdi				/* user rdi again */
	orq	PER_CPU_VAR(espfix_stack), %rax
	SWAPGS
	movq	%rax, %rsp			/* read-only alias from here */
	popq	%rax				/* user rax */
	jmp	native_irq_return_iret
#endif
END(native_iret)
#endif /* CONFIG_PARAVIRT */

	.pushsection .fixup, "ax"
bad_iret:
	/*
	 * The IRET at irq_return (or native_irq_return_iret) faulted on a
	 * frame user space controls.  The fault came from CPL 0, so its
	 * handler kept the kernel GS base, and the exception table resumed
	 * us here with the user's IRET frame at the top of the stack.
	 *
	 * Treat it as if IRET had completed and the first user instruction
	 * took #GP(0): push an error code and enter general_protection,
	 * which will see a user CS and run SWAPGS -- so restore the user GS
	 * base first to keep the swaps balanced.
	 */
	pushq	$0				/* error code */
	SWAPGS
	jmp	general_protection
	.popsection

/*
 * APIC interrupts.  Each has its own vector and IDT entry, and pushes
 * ~vector itself (the value does not need to fit an imm8 here).
 */
.macro apicinterrupt3 num sym do_sym
ENTRY(\sym)
	ASM_CLAC
	pushq	$~(\num)
.Lcommon_\sym:
	interrupt \do_sym
	jmp	ret_from_intr
END(\sym)
.endm

#ifdef CONFIG_TRACING
/*
 * With tracing, every APIC vector gets a second entry that calls the
 * tracing flavour of its handler; the IDT is switched between the two
 * tables when tracepoints are enabled.
 */
#define trace(sym)	trace_##sym
#define smp_trace(sym)	smp_trace_##sym

.macro trace_apicinterrupt num sym
apicinterrupt3 \num trace(\sym) smp_trace(\sym)
.endm
#else
.macro trace_apicinterrupt num sym do_sym
.endm
#endif

/* APIC handlers go to .irqentry.text so that stack traces can tell. */
#define PUSH_SECTION_IRQENTRY	.pushsection .irqentry.text, "ax"
#define POP_SECTION_IRQENTRY	.popsection

.macro apicinterrupt num sym do_sym
PUSH_SECTION_IRQENTRY
apicinterrupt3 \num \sym \do_sym
trace_apicinterrupt \num \sym
POP_SECTION_IRQENTRY
.endm

#ifdef CONFIG_SMP
apicinterrupt3 IRQ_MOVE_CLEANUP_VECTOR	irq_move_cleanup_interrupt	smp_irq_move_cleanup_interrupt
apicinterrupt3 REBOOT_VECTOR		reboot_interrupt		smp_reboot_interrupt
#endif

#ifdef CONFIG_X86_UV
apicinterrupt3 UV_BAU_MESSAGE		uv_bau_message_intr1		uv_bau_message_interrupt
#endif

apicinterrupt LOCAL_TIMER_VECTOR	apic_timer_interrupt		smp_apic_timer_interrupt
apicinterrupt X86_PLATFORM_IPI_VECTOR	x86_platform_ipi		smp_x86_platform_ipi

#ifdef CONFIG_HAVE_KVM
apicinterrupt3 POSTED_INTR_VECTOR	kvm_posted_intr_ipi		smp_kvm_posted_intr_ipi
apicinterrupt3 POSTED_INTR_WAKEUP_VECTOR kvm_posted_intr_wakeup_ipi	smp_kvm_posted_intr_wakeup_ipi
#endif

#ifdef CONFIG_X86_MCE_THRESHOLD
apicinterrupt THRESHOLD_APIC_VECTOR	threshold_interrupt		smp_threshold_interrupt
#endif

#ifdef CONFIG_X86_MCE_AMD
apicinterrupt DEFERRED_ERROR_VECTOR	deferred_error_interrupt	smp_deferred_error_interrupt
#endif

#ifdef CONFIG_X86_THERMAL_VECTOR
apicinterrupt THERMAL_APIC_VECTOR	thermal_interrupt		smp_thermal_interrupt
#endif

#ifdef CONFIG_SMP
apicinterrupt CALL_FUNCTION_SINGLE_VECTOR call_function_single_interrupt smp_call_function_single_interrupt
apicinterrupt CALL_FUNCTION_VECTOR	call_function_interrupt		smp_call_function_interrupt
apicinterrupt RESCHEDULE_VECTOR		reschedule_interrupt		smp_reschedule_interrupt
#endif

/* Some invocations below use commas between the arguments; both work. */
apicinterrupt ERROR_APIC_VECTOR, error_interrupt, smp_error_interrupt
apicinterrupt SPURIOUS_APIC_VECTOR, spurious_interrupt, smp_spurious_interrupt

#ifdef CONFIG_IRQ_WORK
apicinterrupt IRQ_WORK_VECTOR		irq_work_interrupt		smp_irq_work_interrupt
#endif

/*
 * CPU exceptions.
 *
 * idtentry sym do_sym has_error_code:req paranoid=0 shift_ist=-1
 *
 *   sym             the IDT entry point to define
 *   do_sym          the C handler: do_sym(struct pt_regs *, long error_code)
 *   has_error_code  1 if the CPU pushes an error code for this vector
 *   paranoid        0: an ordinary entry, the CS in the frame tells us the
 *                      GS base (error_entry / error_exit)
 *                   1: may arrive at any instruction, including the few
 *                      with a user GS base in kernel mode; find out from
 *                      the GS base MSR instead (paranoid_entry/exit).
 *                      From user mode it switches to the task stack and
 *                      continues as an ordinary entry.
 *                   2: like 1, but stays on the IST stack even when it
 *                      came from user mode (#DF)
 *   shift_ist       an IST index to move down by one exception stack
 *                   while the handler runs, so that the same exception
 *                   can nest once (#DB, #BP with kernel debuggers)
 */
.macro idtentry sym do_sym has_error_code:req paranoid=0 shift_ist=-1
ENTRY(\sym)
	.if \shift_ist != -1 && \paranoid == 0
	.error "shift_ist only makes sense for paranoid entries"
	.endif

	ASM_CLAC

	.ifeq \has_error_code
	pushq	$-1				/* orig_ax: not a system call */
	.endif

	ALLOC_PT_GPREGS_ON_STACK

	.if \paranoid
	.if \paranoid == 1
	testb	$3, CS(%rsp)			/* from user mode? */
	jnz	1f				/* then treat it as ordinary */
	.endif
	call	paranoid_entry
	.else
	call	error_entry
	.endif
	/* %ebx: 0 = SWAPGS on the way out, 1 = don't */

	.if \paranoid
	TRACE_IRQS_OFF
	.endif

	movq	%rsp, %rdi			/* arg 1: pt_regs */

	.if \has_error_code
	movq	ORIG_RAX(%rsp), %rsi		/* arg 2: the error code */
	movq	$-1, ORIG_RAX(%rsp)		/* and not a system call */
	.else
	xorl	%esi, %esi			/* arg 2: no error code */
	.endif

	.if \shift_ist != -1
	subq	$EXCEPTION_STKSZ, CPU_TSS_IST(\shift_ist)
	.endif

	call	\do_sym

	.if \shift_ist != -1
	addq	$EXCEPTION_STKSZ, CPU_TSS_IST(\shift_ist)
	.endif

	.if \paranoid
	jmp	paranoid_exit			/* %ebx says whether to SWAPGS */
	.else
	jmp	error_exit			/* likewise */
	.endif

	.if \paranoid == 1
	/*
	 * A paranoid exception from user mode.  Nothing odd can be going on
	 * with the GS base here, so do what an ordinary entry does, then
	 * copy the frame from the IST stack to the task stack so that the
	 * handler runs in normal process context and may even schedule.
	 */
1:
	call	error_entry

	movq	%rsp, %rdi			/* frame on the IST stack */
	call	sync_regs			/* returns the task-stack copy */
	movq	%rax, %rsp

	movq	%rsp, %rdi

	.if \has_error_code
	movq	ORIG_RAX(%rsp), %rsi
	movq	$-1, ORIG_RAX(%rsp)
	.else
	xorl	%esi, %esi
	.endif

	call	\do_sym

	jmp	error_exit
	.endif
END(\sym)
.endm

#ifdef CONFIG_TRACING
.macro trace_idtentry sym do_sym has_error_code:req
idtentry trace(\sym) trace(\do_sym) has_error_code=\has_error_code
idtentry \sym \do_sym has_error_code=\has_error_code
.endm
#else
.macro trace_idtentry sym do_sym has_error_code:req
idtentry \sym \do_sym has_error_code=\has_error_code
.endm
#endif

idtentry divide_error			do_divide_error			has_error_code=0
idtentry overflow			do_overflow			has_error_code=0
idtentry bounds				do_bounds			has_error_code=0
idtentry invalid_op			do_invalid_op			has_error_code=0
idtentry device_not_available		do_device_not_available		has_error_code=0
idtentry double_fault			do_double_fault			has_error_code=1 paranoid=2
idtentry coprocessor_segment_overrun	do_coprocessor_segment_overrun	has_error_code=0
idtentry invalid_TSS			do_invalid_TSS			has_error_code=1
idtentry segment_not_present		do_segment_not_present		has_error_code=1
idtentry spurious_interrupt_bug		do_spurious_interrupt_bug	has_error_code=0
idtentry coprocessor_error		do_coprocessor_error		has_error_code=0
idtentry alignment_check		do_alignment_check		has_error_code=1
idtentry simd_coprocessor_error		do_simd_coprocessor_error	has_error_code=0

/*
 * paranoid_entry -- save the rest of pt_regs and find out whether the
 * GS base needs switching.
 *
 * A paranoid exception can hit between an entry's first instruction and
 * its SWAPGS, or between an exit's SWAPGS and its SYSRET/IRET: kernel CS
 * with the user GS base.  The CS in the frame cannot tell us, so ask
 * the CPU: kernel GS bases are kernel addresses, i.e. negative.
 *
 * Returns %ebx = 1 if the GS base was the kernel's already (no SWAPGS on
 * exit), 0 if we swapped it.  Called with one return address above the
 * frame, hence the offset of 8.
 */
ENTRY(paranoid_entry)
	cld
	SAVE_C_REGS 8
	SAVE_EXTRA_REGS 8
	movl	$1, %ebx
	movl	$MSR_GS_BASE, %ecx
	rdmsr					/* edx = high half of GS base */
	testl	%edx, %edx
	js	1f				/* negative: kernel's already */
	SWAPGS
	xorl	%ebx, %ebx			/* swap back on the way out */
1:	ret
END(paranoid_entry)

/*
 * paranoid_exit -- leave a paranoid exception.  No exit work: we may be
 * deep inside something that cannot tolerate it (an NMI-like context,
 * or a kernel instruction that runs with the user GS base).  From user
 * mode this path is only taken by #DF, which never returns anyway.
 *
 * %ebx: 0 = SWAPGS before IRET, 1 = don't.
 */
ENTRY(paranoid_exit)
	DISABLE_INTERRUPTS(CLBR_NONE)
	TRACE_IRQS_OFF
	testl	%ebx, %ebx
	jnz	paranoid_exit_no_swapgs
	TRACE_IRQS_IRETQ
	SWAPGS_UNSAFE_STACK
	jmp	paranoid_exit_restore
paranoid_exit_no_swapgs:
	TRACE_IRQS_IRETQ
paranoid_exit_restore:
	RESTORE_EXTRA_REGS
	RESTORE_C_REGS
	REMOVE_PT_GPREGS_FROM_STACK 8
	INTERRUPT_RETURN
END(paranoid_exit)

/*
 * error_entry -- save the rest of pt_regs for an ordinary exception and
 * switch to the kernel GS base if we came from user mode.
 *
 * Returns %ebx = 0 if we came from user mode (swap back on exit), 1 if
 * from kernel mode.  Called with a return address above the frame.
 */
ENTRY(error_entry)
	cld
	SAVE_C_REGS 8
	SAVE_EXTRA_REGS 8
	xorl	%ebx, %ebx
	testb	$3, CS+8(%rsp)
	jz	.Lerror_kernelspace

.Lerror_entry_from_usermode_swapgs:
	/* User mode, or kernel code that faults while on the user GS base. */
	SWAPGS

.Lerror_entry_from_usermode_after_swapgs:
	/*
	 * lockdep needs per-CPU data, so it hears about IRQs being off only
	 * now.  Context tracking may take locks, so it comes after that.
	 */
	TRACE_IRQS_OFF
#ifdef CONFIG_CONTEXT_TRACKING
	call	enter_from_user_mode
#endif
	ret

.Lerror_entry_done:
	TRACE_IRQS_OFF
	ret

.Lerror_kernelspace:
	/*
	 * A fault in kernel mode: %ebx = 1, nothing to swap on the way out.
	 *
	 * One kernel instruction runs on the user GS base and can fault:
	 * the %gs load in native_load_gs_index.  Switch to the kernel GS
	 * base now so the handler can use per-CPU data, and leave %ebx at 1:
	 * error_exit then returns to the fixup (bad_gs) without swapping,
	 * and bad_gs expects exactly that -- it swaps back itself.  (A fault
	 * on the IRET to user mode is handled by the exception table; see
	 * bad_iret.)
	 */
	incl	%ebx
	cmpq	$.Lgs_change, RIP+8(%rsp)
	jne	.Lerror_entry_done
	jmp	.Lerror_entry_from_usermode_swapgs
END(error_entry)

/*
 * error_exit -- %ebx from error_entry says where we are going back to:
 * 0 = user mode (retint_user does the exit work and the SWAPGS),
 * 1 = kernel mode.
 */
ENTRY(error_exit)
	movl	%ebx, %eax
	DISABLE_INTERRUPTS(CLBR_NONE)
	TRACE_IRQS_OFF
	testl	%eax, %eax
	jnz	retint_kernel
	jmp	retint_user
END(error_exit)

/*
 * native_load_gs_index(unsigned int selector)
 *
 * Loading %gs also reloads the GS base from the descriptor, and the
 * base that matters to user space is the one SWAPGS parks in
 * MSR_KERNEL_GS_BASE.  So swap, load, swap back -- with interrupts off,
 * since an interrupt in between would find the GS bases reversed.
 */
ENTRY(native_load_gs_index)
	pushfq
	DISABLE_INTERRUPTS(CLBR_ANY & ~CLBR_RDI)
	SWAPGS
.Lgs_change:
	movl	%edi, %gs			/* may fault: bad selector */
2:	ALTERNATIVE "", "mfence", X86_BUG_SWAPGS_FENCE
	SWAPGS
	popfq
	ret
END(native_load_gs_index)

	_ASM_EXTABLE(.Lgs_change, bad_gs)
	.section .fixup, "ax"
	/*
	 * The selector was refused.  error_entry already put us on the
	 * kernel GS base; go back to the user one, load a harmless selector
	 * instead and carry on as if the load had worked.
	 */
bad_gs:
	SWAPGS
.macro ZAP_GS
	/* Some CPUs keep the old base when loading a NULL selector. */
	movl	$__USER_DS, %eax
	movl	%eax, %gs
.endm
	ALTERNATIVE "", "ZAP_GS", X86_BUG_NULL_SEG
	xorl	%eax, %eax
	movl	%eax, %gs
	jmp	2b
	.previous

/*
 * do_softirq_own_stack -- run pending softirqs on the interrupt stack,
 * so that a deep softirq chain cannot overflow a task stack.
 */
ENTRY(do_softirq_own_stack)
	CALL_ON_IRQ_STACK __do_softirq
	ret
END(do_softirq_own_stack)

#ifdef CONFIG_XEN
idtentry xen_hypervisor_callback xen_do_hypervisor_callback has_error_code=0

/*
 * A Xen event upcall.  Like an interrupt, it must run on the interrupt
 * stack; unlike one it can arrive in the middle of our own exit path
 * (the critical region), which xen_evtchn_do_upcall sorts out.
 */
ENTRY(xen_do_hypervisor_callback)
	movq	%rdi, %rsp			/* pt_regs from the idtentry */
	CALL_ON_IRQ_STACK xen_evtchn_do_upcall
#ifndef CONFIG_PREEMPT
	call	xen_maybe_preempt_hcall
#endif
	jmp	error_exit
END(xen_do_hypervisor_callback)

/*
 * The hypervisor calls this when it could not load the segment
 * registers of the frame we gave it; rcx and r11 arrive on the stack.
 */
ENTRY(xen_failsafe_callback)
	movl	%ds, %ecx
	cmpw	%cx, 0x10(%rsp)
	jne	1f
	movl	%es, %ecx
	cmpw	%cx, 0x18(%rsp)
	jne	1f
	movl	%fs, %ecx
	cmpw	%cx, 0x20(%rsp)
	jne	1f
	movl	%gs, %ecx
	cmpw	%cx, 0x28(%rsp)
	jne	1f
	/*
	 * Every segment register matched the frame, so it was the IRET
	 * itself that failed: report it as a #GP from user mode.
	 */
	movq	(%rsp), %rcx
	movq	8(%rsp), %r11
	addq	$0x30, %rsp
	pushq	$0				/* a fake error code */
	jmp	general_protection
1:	/*
	 * A segment register did not match: the hypervisor reset it.  Go
	 * out through the normal exit, which reloads what user space has.
	 */
	movq	(%rsp), %rcx
	movq	8(%rsp), %r11
	addq	$0x30, %rsp
	pushq	$-1				/* orig_ax: not a system call */
	ALLOC_PT_GPREGS_ON_STACK
	SAVE_C_REGS
	SAVE_EXTRA_REGS
	jmp	error_exit
END(xen_failsafe_callback)

apicinterrupt3 HYPERVISOR_CALLBACK_VECTOR \
	xen_hvm_callback_vector xen_evtchn_do_upcall
#endif /* CONFIG_XEN */

#if defined(CONFIG_HYPERV) || defined(CONFIG_HYPERV_MODULE)
apicinterrupt3 HYPERVISOR_CALLBACK_VECTOR \
	hyperv_callback_vector hyperv_vector_handler
#endif

/* The exceptions that may arrive with a broken GS base: paranoid. */
idtentry debug			do_debug		has_error_code=0	paranoid=1 shift_ist=DEBUG_STACK
idtentry int3			do_int3			has_error_code=0	paranoid=1 shift_ist=DEBUG_STACK
idtentry stack_segment		do_stack_segment	has_error_code=1

#ifdef CONFIG_XEN
idtentry xen_debug		do_debug		has_error_code=0
idtentry xen_int3		do_int3			has_error_code=0
idtentry xen_stack_segment	do_stack_segment	has_error_code=1
#endif

idtentry general_protection	do_general_protection	has_error_code=1
trace_idtentry page_fault	do_page_fault		has_error_code=1

#ifdef CONFIG_KVM_GUEST
idtentry async_page_fault	do_async_page_fault	has_error_code=1
#endif

#ifdef CONFIG_X86_MCE
/* The handler is a pointer, picked at boot for the CPU vendor. */
idtentry machine_check		has_error_code=0	paranoid=1 do_sym=*machine_check_vector(%rip)
#endif

/*
 * Non-maskable interrupts.
 *
 * An NMI always arrives on its own IST stack.  The CPU blocks further
 * NMIs until the next IRET -- any IRET, including one that returns from
 * a #DB or #PF taken inside the NMI handler.  After such an IRET a
 * second NMI can arrive while the first is still running, and since it
 * uses the same IST stack, its hardware frame overwrites the first one's.
 *
 * The scheme below copes with that.  The first NMI copies its hardware
 * frame twice, lower on the stack, where a nested NMI cannot reach:
 *
 *     stack index (8-byte slots, 0 at the lowest address)
 *
 *     16..12  hardware frame: ss, rsp, rflags, cs, rip  (top of stack)
 *         11  rdx, saved by whichever NMI is entering
 *         10  "NMI executing" flag
 *      9.. 5  "iret" frame: what the outer NMI will really IRET with
 *      4.. 0  "outermost" frame: a safe copy of the original frame
 *      below  pt_regs of the outer NMI
 *
 * A nested NMI that sees the flag set does not handle anything: it
 * rewrites the "iret" frame so that the outer NMI's IRET lands in
 * repeat_nmi instead of the interrupted code, and returns at once.
 * repeat_nmi copies "outermost" into "iret" again and handles the NMI
 * that was latched.  The flag is cleared just before the outer IRET; the
 * gap between that store and the IRET itself is closed by setting DF
 * first, which a nested NMI detects together with an RSP that lies on
 * the NMI stack.
 *
 * NMIs from user mode need none of this: they move to the task stack at
 * once, like an ordinary interrupt, and any NMI nesting from then on
 * happens on a stack that is not in use.
 */
ENTRY(nmi)
	/*
	 * We cannot tell user from kernel without a scratch register, and
	 * cannot use the stack below the hardware frame before knowing
	 * whether a nested NMI owns it.  rdx goes to slot 11, which is ours
	 * in either case.
	 */
	pushq	%rdx

	testb	$3, CS-RIP+8(%rsp)		/* interrupted CPL 3? */
	jz	.Lnmi_from_kernel

.Lnmi_from_user:
	/*
	 * From user mode: the GS base is the user's, the interrupted code
	 * cannot be part of this handler, and the task stack is free.
	 * Copy the hardware frame there and build a complete pt_regs.
	 */
	SWAPGS_UNSAFE_STACK
	cld
	movq	%rsp, %rdx
	movq	PER_CPU_VAR(cpu_current_top_of_stack), %rsp
	pushq	5*8(%rdx)			/* pt_regs->ss */
	pushq	4*8(%rdx)			/* pt_regs->sp */
	pushq	3*8(%rdx)			/* pt_regs->flags */
	pushq	2*8(%rdx)			/* pt_regs->cs */
	pushq	1*8(%rdx)			/* pt_regs->ip */
	pushq	$-1				/* pt_regs->orig_ax */
	pushq	%rdi				/* pt_regs->di */
	pushq	%rsi				/* pt_regs->si */
	pushq	(%rdx)				/* pt_regs->dx */
	pushq	%rcx				/* pt_regs->cx */
	pushq	%rax				/* pt_regs->ax */
	pushq	%r8				/* pt_regs->r8 */
	pushq	%r9				/* pt_regs->r9 */
	pushq	%r10				/* pt_regs->r10 */
	pushq	%r11				/* pt_regs->r11 */
	pushq	%rbx				/* pt_regs->bx */
	pushq	%rbp				/* pt_regs->bp */
	pushq	%r12				/* pt_regs->r12 */
	pushq	%r13				/* pt_regs->r13 */
	pushq	%r14				/* pt_regs->r14 */
	pushq	%r15				/* pt_regs->r15 */

	/*
	 * An NMI on this stack from here on is an ordinary kernel-mode NMI
	 * with its own frame on the (now unused) NMI stack.
	 */
	movq	%rsp, %rdi
	movq	$-1, %rsi			/* no error code */
	call	do_nmi

	/*
	 * Back to user mode -- WITHOUT the exit work.  It could enable
	 * interrupts or sleep, neither of which an NMI may do; an NMI
	 * handler that wants work done raises a self-IPI, and the IPI's
	 * return does the work.  do_nmi leaves pt_regs alone, so the frame
	 * is still exactly what the CPU saved.
	 *
	 * This is the one return in this file that skips the work-flag
	 * test on purpose (see the top of the file).
	 */
	SWAPGS
	jmp	restore_c_regs_and_iret

.Lnmi_from_kernel:
	/*
	 * Case 1: we interrupted the outer NMI between repeat_nmi and
	 * end_repeat_nmi, while it copies "outermost" to "iret".  It is
	 * about to handle an NMI anyway; just return.
	 */
	movq	$repeat_nmi, %rdx
	cmpq	8(%rsp), %rdx
	ja	1f
	movq	$end_repeat_nmi, %rdx
	cmpq	8(%rsp), %rdx
	ja	nested_nmi_out
1:
	/* Case 2: the outer NMI is running (the flag in slot 10 is set). */
	cmpl	$1, -8(%rsp)
	je	nested_nmi

	/*
	 * Case 3: the outer NMI cleared the flag but has not reached its
	 * IRET yet.  It set DF just before clearing the flag, and its RSP
	 * lies inside the NMI stack.  Check both.
	 */
	lea	6*8(%rsp), %rdx			/* top of the NMI stack */
	cmpq	%rdx, 4*8(%rsp)			/* interrupted RSP above it? */
	ja	first_nmi
	subq	$EXCEPTION_STKSZ, %rdx
	cmpq	%rdx, 4*8(%rsp)			/* ... or below the bottom? */
	jb	first_nmi
	testb	$(X86_EFLAGS_DF >> 8), (3*8 + 1)(%rsp)	/* DF in its RFLAGS */
	jz	first_nmi

	/* All three say nested: fall through. */

nested_nmi:
	/*
	 * Point the outer NMI's "iret" frame (slots 5..9) at repeat_nmi.
	 * The stack pointer it will have there is that of slot 0, where
	 * the "outermost" frame starts.
	 */
	subq	$8, %rsp			/* now at slot 10 */
	leaq	-10*8(%rsp), %rdx		/* address of slot 0 */
	pushq	$__KERNEL_DS			/* slot 9: ss */
	pushq	%rdx				/* slot 8: rsp */
	pushfq					/* slot 7: rflags */
	pushq	$__KERNEL_CS			/* slot 6: cs */
	pushq	$repeat_nmi			/* slot 5: rip */
	addq	$(6*8), %rsp			/* back to slot 11 */

nested_nmi_out:
	popq	%rdx
	/* To kernel mode: the frame is the CPU's own, IRET cannot fault. */
	INTERRUPT_RETURN

first_nmi:
	/* Not nested.  Restore rdx and lay out slots 10 .. 0. */
	movq	(%rsp), %rdx
	pushq	$0				/* slot 10: flag, cleared for now */
	subq	$(5*8), %rsp			/* slots 9..5: "iret", later */

	/* Slots 4..0: copy the hardware frame (slots 16..12). */
	.rept 5
	pushq	11*8(%rsp)
	.endr

#ifdef CONFIG_DEBUG_ENTRY
	/*
	 * Unmask NMIs now with an IRET to the next instruction, so that
	 * the nesting logic gets exercised on debug kernels.
	 */
	pushq	$__KERNEL_DS
	pushq	%rsp
	addq	$8, (%rsp)			/* RSP as it was before the ss push */
	pushfq
	pushq	$__KERNEL_CS
	pushq	$1f
	INTERRUPT_RETURN
1:
#endif

repeat_nmi:
	/*
	 * Entered on the first pass by falling through, and later each time
	 * a nested NMI redirected the outer IRET here.  Mark the handler as
	 * running, then refresh "iret" from "outermost".  A nested NMI that
	 * hits before the flag is set restarts this copy (case 1 above).
	 */
	movq	$1, 10*8(%rsp)			/* slot 10: NMI executing */

	addq	$(10*8), %rsp			/* at slot 10 */
	.rept 5
	pushq	-6*8(%rsp)			/* slot k+5 := slot k */
	.endr
	subq	$(5*8), %rsp			/* at slot 0 */
end_repeat_nmi:

	/* From here on it is an ordinary paranoid entry. */
	pushq	$-1				/* orig_ax */
	ALLOC_PT_GPREGS_ON_STACK

	/*
	 * We may have interrupted kernel code with the user GS base (the
	 * last instructions before SYSRET, the first after SYSCALL), so
	 * ask the MSR, not the CS.
	 */
	call	paranoid_entry

	movq	%rsp, %rdi
	movq	$-1, %rsi
	call	do_nmi

	testl	%ebx, %ebx			/* did paranoid_entry swap? */
	jnz	nmi_restore
nmi_swapgs:
	SWAPGS_UNSAFE_STACK
nmi_restore:
	RESTORE_EXTRA_REGS
	RESTORE_C_REGS

	/* Drop pt_regs, orig_ax and the "outermost" frame: at slot 5. */
	REMOVE_PT_GPREGS_FROM_STACK 6*8

	/*
	 * Clear "NMI executing" and IRET with the "iret" frame.  DF goes on
	 * first so that a nested NMI arriving in between still sees us
	 * (case 3).  The IRET restores the interrupted RFLAGS, DF included.
	 */
	std
	movq	$0, 5*8(%rsp)			/* slot 10 */
	INTERRUPT_RETURN
END(nmi)

/*
 * ignore_sysret -- MSR_CSTAR when the kernel has no 32-bit compat
 * support.  A 32-bit process that executes SYSCALL anyway gets -ENOSYS
 * back without the kernel touching anything else: no stack switch, no
 * GS swap (we never leave the user GS base), no per-CPU access.  ECX
 * holds the 32-bit return address SYSCALL saved, which SYSRETL jumps to.
 */
#ifndef CONFIG_IA32_EMULATION
ENTRY(ignore_sysret)
	mov	$-ENOSYS, %eax
	sysretl
END(ignore_sysret)
#endif

/*
 * rewind_stack_do_exit(signr) -- called on oops: throw away whatever is
 * on the task stack and die from the top of it, where a pt_regs-sized
 * hole is left so the stack still has its usual shape.
 */
ENTRY(rewind_stack_do_exit)
	xorl	%ebp, %ebp			/* nothing to unwind into */

	movq	PER_CPU_VAR(cpu_current_top_of_stack), %rax
	leaq	-SIZEOF_PTREGS(%rax), %rsp

	call	do_exit
1:	jmp	1b				/* do_exit does not return */
END(rewind_stack_do_exit)
