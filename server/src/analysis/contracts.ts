// What a call into C may do, as data: registers clobbered, whether the saved frame may change,
// the interrupt flag on return, whether exit work is done, and what a return value promises.
// Built-ins cover Linux's well-known functions; anything else gets the default contract, which
// assumes the worst a C function may do (ptrace may rewrite every pt_regs field: CVE-2014-4699).
import type { Gpr } from '../x86';
import type { CFunction } from '../csrc/reader';

/**
 * How a call may change the saved frame: `never`, `always` (any field, e.g. through ptrace),
 * only together with a flag it sets in a word of memory (FreeBSD's PCB_FULL_IRET in pcb_flags,
 * OpenBSD's MDP_IRET, NetBSD's MDL_IRET): when the flag is clear afterwards, the frame is as it was;
 * or only together with a work flag it sets that nobody but the task clears, when it runs exit
 * work (`setsWork`: Linux since the CVE-2014-4699 fix, where every ptrace stop sets
 * TIF_NOTIFY_RESUME), so a rewritten frame always meets exit work before a return to user mode.
 */
export type FrameChange =
  | 'never'
  | 'always'
  | { onlyWith: { base: string; offset: bigint; mask: bigint; name: string } }
  | { setsWork: { name: string } };
export type IfOnReturn = 'off' | 'on' | 'unchanged' | 'unknown';

export interface Contract {
  /** Function name, or `sys_call_table[]` for the syscall table's entries. */
  name: string;
  clobbers: readonly Gpr[];
  frame: FrameChange;
  interrupts: IfOnReturn;
  /** The function runs exit work and returns with none pending (interrupts off). */
  exitWorkDone: boolean;
  /**
   * False: the function leaves the work-flags words alone (a speculation-control or copy helper
   * called with interrupts off); by default a call may set any work flag.
   */
  setsWork?: boolean;
  /** %rax on return is the system call's result, which user mode is meant to see. */
  returnsToUser?: boolean;
  /**
   * A non-zero %al on return promises the fast return's conditions hold on the saved frame:
   * 'sysret' (64-bit: RCX == RIP, canonical, __USER_CS/__USER_DS, R11 == RFLAGS, no RF/TF) or
   * 'sysretl' (compat SYSRETL/SYSEXIT: __USER32_CS/__USER_DS, a 32-bit RIP, no RF/TF/VM).
   */
  returnsSysretSafe?: 'sysret' | 'sysretl';
  /**
   * %rax on return is this argument register's value: a function that copies the saved frame to
   * where it belongs and returns the copy's address (sync_regs), whose contents are the frame's.
   */
  returnsArg?: Gpr;
  /** The sentence shown in `assumes`. */
  describe: string;
  builtin: boolean;
  /**
   * The function's C source, read (analysis/csource.ts): the walk runs it in place of the frame
   * havoc and the promise, so what the C really tests decides the fast return.
   */
  source?: { fn: CFunction; file: string };
  /**
   * For a frame change `onlyWith` a flag: the function's C, read to check that it sets the flag
   * whenever the RIP it leaves could not be returned to with SYSRET (contractcheck.ts).
   */
  flagSource?: { fn: CFunction; file: string };
}

export const CALLER_SAVED: readonly Gpr[] = ['rax', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11'];

export function defaultContract(name: string): Contract {
  return {
    name,
    clobbers: CALLER_SAVED,
    frame: 'always',
    interrupts: 'unknown',
    exitWorkDone: false,
    describe: `${name}: no contract known — assumed to clobber caller-saved registers, may rewrite every pt_regs field and leaves the interrupt flag unknown`,
    builtin: false,
  };
}

const exitToUser = (name: string, extra = ''): Contract => ({
  name,
  clobbers: CALLER_SAVED,
  frame: 'always',
  interrupts: 'off',
  exitWorkDone: true,
  describe: `${name}: returns with interrupts off and no exit work pending; pt_regs may have been rewritten (ptrace, signals)${extra}`,
  builtin: true,
});

const BUILTINS: Contract[] = [
  {
    ...exitToUser('do_syscall_64', '; a non-zero %al promises the SYSRET conditions on pt_regs (bool form, Linux 6.5+)'),
    returnsSysretSafe: 'sysret',
  },
  { ...exitToUser('do_fast_syscall_32', '; a non-zero %al promises SYSRETL/SYSEXIT is safe'), returnsSysretSafe: 'sysretl' },
  { ...exitToUser('do_SYSENTER_32', '; a non-zero %al promises SYSRETL/SYSEXIT is safe'), returnsSysretSafe: 'sysretl' },
  exitToUser('do_int80_syscall_32'),
  exitToUser('do_int80_emulation'),
  exitToUser('syscall_return_slowpath'),
  exitToUser('prepare_exit_to_usermode'),
  exitToUser('syscall_exit_to_user_mode'),
  exitToUser('irqentry_exit_to_user_mode'),
  exitToUser('exit_to_user_mode'),
  {
    name: 'syscall_trace_enter_phase1',
    clobbers: CALLER_SAVED,
    frame: 'never',
    interrupts: 'unchanged',
    exitWorkDone: false,
    describe: 'syscall_trace_enter_phase1 (Linux 4.1–4.4): seccomp and audit only; it cannot rewrite pt_regs (ptrace stops happen in phase 2, which returns through the slow path)',
    builtin: true,
  },
  {
    name: 'sys_call_table[]',
    clobbers: CALLER_SAVED,
    frame: 'never',
    interrupts: 'unchanged',
    exitWorkDone: false,
    returnsToUser: true,
    describe: 'sys_call_table[] entries: cannot rewrite pt_regs — the ptregs-taking system calls go through stub_ptregs_64 to the slow path, and since the CVE-2014-4699 fix a ptrace stop inside a system call sets TIF_NOTIFY_RESUME, which sends the return through the slow path — and return with the interrupt flag as it was',
    builtin: true,
  },
];

// The 3.x audit fast path (auditsys / sysret_audit) calls the audit hooks and goes back to the
// fast path: they record the system call, they do not touch pt_regs.
for (const name of ['__audit_syscall_entry', '__audit_syscall_exit']) {
  BUILTINS.push({
    name,
    clobbers: CALLER_SAVED,
    frame: 'never',
    interrupts: 'unchanged',
    exitWorkDone: false,
    describe: `${name} (Linux 3.x audit fast path): records the system call for audit; pt_regs is left as it was`,
    builtin: true,
  });
}

// The scheduler switches tasks and comes back: the saved frame is the task's own and unchanged.
for (const name of ['schedule', 'schedule_user', 'preempt_schedule_irq']) {
  BUILTINS.push({
    name,
    clobbers: CALLER_SAVED,
    frame: 'never',
    interrupts: name === 'preempt_schedule_irq' ? 'off' : 'on',
    exitWorkDone: false,
    describe: `${name}: switches to another task and back; pt_regs is left as it was`,
    builtin: true,
  });
}

// The NMI handler (3.x-5.7 do_nmi, 5.8+ exc_nmi) reads pt_regs and never writes it: an NMI is no
// ptrace stop and delivers no signal. (3.x's NMI returns through a copy of the hardware frame it
// made before the call, below the IST stack's top, which a frame rewrite placed at the top would
// not reach: with the default contract the return would compare the wrong cells.)
for (const name of ['do_nmi', 'exc_nmi']) {
  BUILTINS.push({
    name,
    clobbers: CALLER_SAVED,
    frame: 'never',
    interrupts: 'off',
    exitWorkDone: false,
    describe: `${name}: handles the NMI with interrupts off; pt_regs is read, never rewritten (an NMI is no ptrace stop and delivers no signal)`,
    builtin: true,
  });
}

// The 3.x/4.x tracing slow path at system call entry (ptrace, seccomp, audit, tracepoints). A
// ptrace stop in it may rewrite pt_regs, and since the CVE-2014-4699 fix (3.16, backported to
// stable) every ptrace stop sets TIF_NOTIFY_RESUME, so the return meets the work-flag test.
for (const name of ['syscall_trace_enter', 'syscall_trace_enter_phase2']) {
  BUILTINS.push({
    name,
    clobbers: CALLER_SAVED,
    frame: { setsWork: { name: '_TIF_NOTIFY_RESUME' } },
    interrupts: 'unchanged',
    exitWorkDone: false,
    describe: `${name} (Linux 3.x–4.x): a ptrace stop may rewrite pt_regs, and every ptrace stop sets TIF_NOTIFY_RESUME (the CVE-2014-4699 fix), which only the task clears, in exit work`,
    builtin: true,
  });
}

// Entry from user mode with page-table isolation runs on the per-CPU entry trampoline stack;
// error_entry (4.15+) moves to the task's stack with sync_regs, which copies pt_regs there and
// returns the copy's address (the frame's contents are what they were).
BUILTINS.push({
  name: 'sync_regs',
  clobbers: CALLER_SAVED,
  frame: 'never',
  interrupts: 'unchanged',
  exitWorkDone: false,
  returnsArg: 'rdi',
  setsWork: false,
  describe: 'sync_regs: copies pt_regs from the entry stack to the task stack and returns the copy (its contents unchanged)',
  builtin: true,
});

const byName = new Map(BUILTINS.map((c) => [c.name, c]));

/**
 * The C handlers of idtentry entries (Linux 5.8+: DEFINE_IDTENTRY and friends, `exc_page_fault`,
 * `sysvec_apic_timer_interrupt`, `common_interrupt`): they end in irqentry_exit(), which on the
 * way back to user mode runs exit work and returns with interrupts off. The NMI's (`exc_nmi`)
 * does not (irqentry_nmi_exit runs no exit work) and keeps the default contract.
 */
const IDTENTRY_HANDLER = /^(?:(?:noist_|user_|kernel_)?exc_(?!nmi$)\w+|sysvec_\w+|common_interrupt|spurious_interrupt|xen_pv_evtchn_do_upcall|int80_emulation)$/;
const idtentryHandler = (name: string): Contract => ({
  ...exitToUser(name),
  describe: `${name}: an idtentry handler (Linux 5.8+); irqentry_exit() runs exit work on the way back to user mode and returns with interrupts off; pt_regs may have been rewritten (ptrace, signals)`,
});

/** Helper thunks that preserve every register (TRACE_IRQS_*, lockdep), so they change nothing the checks see. */
const TRANSPARENT = /^(trace_hardirqs_(on|off)_thunk|lockdep_sys_exit_thunk|trace_hardirqs_on_caller|__fentry__|__x86_return_thunk)$/;

/**
 * The contract of a call target: a symbol name, or `sys_call_table[]` when the target address is
 * read from the syscall table. `extra` holds the project file's contracts, which win over built-ins.
 */
export function contractFor(target: string, extra?: ReadonlyMap<string, Contract>): Contract | 'transparent' {
  const e = extra?.get(target);
  if (e) return e;
  if (TRANSPARENT.test(target)) return 'transparent';
  return byName.get(target) ?? (IDTENTRY_HANDLER.test(target) ? idtentryHandler(target) : defaultContract(target));
}
