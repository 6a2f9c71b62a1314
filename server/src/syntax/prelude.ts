// The built-in prelude: what the kernel headers would provide, for a file read on its own.
//
// Written for this project from the documented meaning of each macro and the facts in
// shared/FACTS.md (pt_regs layout, selectors, flag bits); it is not kernel header text.
//
// How it combines with real headers:
//   - The prelude runs through the same C preprocessor and assembler as the file, before it.
//   - Its #defines and .macros are *weak*: when a real header (found through -I or the kernel
//     tree) defines the same name, the header's definition replaces it silently, whichever kind
//     either is (a `.macro NAME` line in a file or header drops a prelude #define NAME). Values from
//     -D / settings / the tree's .config are never replaced by the prelude.
//   - A few names are *primitives* of the model and keep the prelude's meaning even when a
//     header defines them (the header's definition is ignored):
//       * ALTERNATIVE, ALTERNATIVE_2, ALTERNATIVE_3, ALTERNATIVE_TERNARY and the static-branch
//         jumps STATIC_JUMP_IF_TRUE / STATIC_JUMP_IF_FALSE / STATIC_BRANCH_JMP: the real macros
//         put the replacement code in another section for boot-time patching; the model keeps
//         every arm in line, tagged with its feature (Statement.alternative), so the analysis
//         can explore each one.
//       * SWAPGS, SWAPGS_UNSAFE_STACK, USERGS_SYSRET64, USERGS_SYSRET32, INTERRUPT_RETURN,
//         DISABLE_INTERRUPTS, ENABLE_INTERRUPTS, GET_CR2_INTO_RAX: under CONFIG_PARAVIRT the headers turn these
//         into indirect calls through the pv-ops table, which no analysis can follow; the
//         model uses the native instructions (what those calls do on bare metal).
//       * PER_CPU_VAR(x) → %gs:x: newer headers add a RIP-relative form (%gs:x(%rip)); the
//         model's per-CPU cells are keyed by the symbol, so one spelling is used throughout.
//       * ASM_CLAC / ASM_STAC: the headers encode clac/stac as .byte sequences; the model
//         needs the instructions.
//       * _ASM_EXTABLE*: recorded as exception-table entries (Program.exceptionTable) rather
//         than as .pushsection data.
//       * BUG_FRAME (Xen's asm/bug.h .macro): a ud2; the header writes the trapping instruction as
//         `.byte 0xd6` (UDB) and the frame as data the model does not need.
//   - An #include that cannot be found is silent when it is one of COVERED_HEADERS (the
//     prelude stands in for it; it is listed in Program.missingIncludes with covered: true);
//     any other missing #include is a `parse` warning.
//
// Besides Linux, the prelude stands in for the few FreeBSD machine/*.h and Xen header macros and
// constants their entry files use (PCPU, IDTVEC, PSL_*, T_*; FUNC/LABEL/DATA, ENDBR64, X86_EXC_*,
// TBF_*, FLAT_* selectors, tailcall, guest_access_mask_ptr, the SPEC_CTRL_* entry/exit macros of
// asm/spec_ctrl_asm.h, and asm/gen-idt.h's vector list through builtinHeader). Offsets a build
// generates: Linux's few the entry code needs (TI_flags, ...) and Xen's asm-offsets.h (UREGS_*,
// EFRAME_*, CPUINFO_*, TRAPINFO_*, IRQSTAT_*: the current struct layouts; a Xen source tree lacks
// them too) are built in, and so is FreeBSD's genassym output (assym.inc / assym.s: TF_*, PTI_*,
// PC_*, PCB_*, TD_*, the K*SEL selectors) as a stand-in text through builtinHeader (freebsdAssym).
// The GNU as macros here are read through cpp again where they are invoked (gas.ts feedBody): they
// stand in for a header the file includes after its first ones (FreeBSD's machine/asmacros.h
// after assym.inc), so names defined after the prelude have their values in them.
//
// Constants chosen here (document of record):
//   - __VIRTUAL_MASK_SHIFT is 47, or 56 when CONFIG_X86_5LEVEL is defined. A constant, not an
//     ALTERNATIVE on X86_FEATURE_LA57 (kernels from 4.17 choose at boot; the checker's
//     `vaBits` option covers both widths).
//   - __SYSCALL_MASK is ~0, or ~__X32_SYSCALL_BIT with CONFIG_X86_X32_ABI.
//   - _TIF_ALLWORK_MASK / _TIF_WORK_SYSCALL_ENTRY / _TIF_WORK_SYSCALL_EXIT / _TIF_DO_NOTIFY_MASK
//     follow the 4.x definitions.
//   - TASK_TI_flags is 0 (thread_info first in task_struct), TI_flags 8, TI_status 12,
//     TI_sysenter_return 32 (the 4.1-4.8 thread_info; 3.x had exec_domain before flags).
//   - __NR_syscall_max is 322 and IA32_NR_syscalls 359 (their 4.2 values); X86_FEATURE_* use the kernel's word*32+bit
//     numbering where known. The model only needs them distinct.
//   - The PTI CR3 macros are present with or without CONFIG_PAGE_TABLE_ISOLATION, guarded by an
//     ALTERNATIVE on X86_FEATURE_PTI (arm 0: skipped, arm 1: the CR3 switch); the user CR3 sets
//     the user page-table bit (bit 12) and the user PCID bit (bit 11).
//   - TRACE_IRQS_* are calls to the tracing thunks with CONFIG_TRACE_IRQFLAGS, nothing otherwise;
//     LOCKDEP_SYS_EXIT likewise with CONFIG_DEBUG_LOCK_ALLOC; STACKLEAK_ERASE with
//     CONFIG_GCC_PLUGIN_STACKLEAK; ENDBR with CONFIG_X86_KERNEL_IBT.
import type { AlternativeTag } from './types';
import type { Assembler, BuiltinMacro, MacroCall } from './gas';

export const PRELUDE_FILE = 'entry-review:prelude.S';

/** Names whose prelude meaning is kept even when a header defines them (see above). */
export const LOCKED_DEFINES: ReadonlySet<string> = new Set([
  'SWAPGS', 'SWAPGS_UNSAFE_STACK', 'USERGS_SYSRET64', 'USERGS_SYSRET32', 'INTERRUPT_RETURN',
  'DISABLE_INTERRUPTS', 'ENABLE_INTERRUPTS', 'ENABLE_INTERRUPTS_SYSEXIT', 'ENABLE_INTERRUPTS_SYSEXIT32', 'GET_CR2_INTO_RAX', 'PER_CPU_VAR', 'ASM_CLAC', 'ASM_STAC',
  '_ASM_EXTABLE', '_ASM_EXTABLE_UA', '_ASM_EXTABLE_FAULT', '_ASM_EXTABLE_EX', '_ASM_EXTABLE_TYPE',
  '_ASM_EXTABLE_TYPE_REG', '_ASM_EXTABLE_CPY',
]);

/** Headers the prelude stands in for when they cannot be found (no diagnostic). */
export const COVERED_HEADERS: ReadonlySet<string> = new Set([
  'linux/linkage.h', 'linux/err.h', 'linux/errno.h', 'linux/init.h', 'linux/export.h', 'linux/jump_label.h',
  'linux/pgtable.h', 'linux/cfi_types.h', 'linux/objtool.h', 'linux/elf-em.h', 'linux/audit.h',
  'linux/threads.h', 'linux/stringify.h', 'linux/const.h', 'linux/sched.h', 'linux/errno.h',
  'asm/segment.h', 'asm/cache.h', 'asm/errno.h', 'asm/asm-offsets.h', 'asm/calling.h', 'calling.h',
  'asm/msr.h', 'asm/msr-index.h', 'asm/thread_info.h', 'asm/hw_irq.h', 'asm/page_types.h', 'asm/page_64_types.h',
  'asm/irqflags.h', 'asm/paravirt.h', 'asm/percpu.h', 'asm/asm.h', 'asm/smap.h', 'asm/pgtable_types.h',
  'asm/export.h', 'asm/frame.h', 'asm/trapnr.h', 'asm/nospec-branch.h', 'asm/alternative.h',
  'asm/alternative-asm.h', 'asm/cpufeatures.h', 'asm/cpufeature.h', 'asm/unistd.h', 'asm/unistd_64.h',
  'asm/ptrace-abi.h', 'asm/processor-flags.h', 'asm/linkage.h', 'asm/unwind_hints.h', 'asm/fsgsbase.h',
  'asm/irq_vectors.h', 'asm/dwarf2.h', 'asm/page.h', 'asm/processor.h', 'asm/current.h', 'asm/idtentry.h',
  'asm/context_tracking.h', 'asm/kaiser.h', 'asm/pti.h', 'asm/ftrace.h', 'asm/trace/irq_vectors.h',
  'asm/jump_label.h', 'asm/spec-ctrl.h', 'asm/fred.h', 'asm/vdso.h', 'asm/ia32_unistd.h', 'asm/desc.h',
  'asm/irq.h', 'asm/setup.h', 'asm/traps.h', 'asm/errno.h', 'asm/ptrace.h', 'asm/asm-prototypes.h',
  'generated/asm-offsets.h', 'uapi/asm/ptrace-abi.h', 'asm/inst.h', 'asm/frame.h',
  'asm/cpufeatures.h', 'generated/autoconf.h', 'asm/unistd_64_x32.h', 'asm/unistd_32_ia32.h', 'asm/unistd_32.h',
  'asm/syscalls_64.h', 'asm/syscalls_32.h', 'linux/kconfig.h', 'asm/dwarf2.h', 'asm/thread_info.h',
  'asm/context_tracking.h', 'xen/lib/x86/cpuid-autogen.h',
  // Xen (the constants and macros its x86_64/entry.S takes from them; asm/gen-idt.h is a stand-in
  // text, see builtinHeader)
  'xen/config.h', 'xen/bug.h', 'xen/stringify.h', 'xen/linkage.h', 'xen/errno.h', 'xen/softirq.h',
  'xen/kconfig.h', 'public/xen.h', 'asm/config.h', 'asm/x86-defns.h', 'asm/asm-defns.h',
  'asm/spec_ctrl_asm.h', 'asm/spec_ctrl.h', 'asm/irq-vectors.h', 'asm/apicdef.h', 'asm/asm-macros.h',
  'asm/gen-idt.h',
  // FreeBSD
  'machine/asmacros.h', 'machine/asm.h', 'machine/psl.h', 'machine/trap.h', 'machine/segments.h',
  'machine/specialreg.h', 'sys/cdefs.h', 'x86/apicreg.h',
  // FreeBSD's exception.S includes its interrupt vectors from the same tree (the handlers jump to its
  // doreti); a file read alone has no tree, and none of its own paths runs through them
  'amd64/amd64/apic_vector.S', 'amd64/amd64/atpic_vector.S', 'amd64/ia32/ia32_exception.S',
]);

/**
 * Xen's asm/gen-idt.h stand-in: the IDT, one `GEN(vector, symbol, dpl, autogen)` per vector for
 * the includer's GEN (the header is read where it is included, possibly several times). Vectors
 * with a hand-written handler in entry.S are `autogen` 0; every other vector gets a generated
 * stub `entry_0xNN` (or the exception's name). INT $3/INTO are reachable from ring 3 (DPL 3);
 * with PV guests INT $0x80 is too, and with 32-bit PV guests INT $0x82 from ring 1.
 */
function xenIdtList(): string {
  const handled: Record<number, string> = {
    0x00: 'entry_DE', 0x01: 'entry_DB', 0x02: 'entry_NMI', 0x03: 'entry_BP', 0x04: 'entry_OF', 0x05: 'entry_BR',
    0x06: 'entry_UD', 0x07: 'entry_NM', 0x08: 'entry_DF', 0x0a: 'entry_TS', 0x0b: 'entry_NP', 0x0c: 'entry_SS',
    0x0d: 'entry_GP', 0x0e: 'early_page_fault', 0x10: 'entry_MF', 0x11: 'entry_AC', 0x12: 'entry_MC', 0x13: 'entry_XM',
    0x15: 'entry_CP',
  };
  const stubNames: Record<number, string> = { 0x14: 'entry_VE', 0x1c: 'entry_HV', 0x1d: 'entry_VC', 0x1e: 'entry_SX' };
  const hex = (v: number): string => '0x' + v.toString(16).padStart(2, '0');
  const out = ['/* Entry Review stand-in for Xen asm/gen-idt.h: the 256 IDT vectors. */'];
  for (let v = 0; v < 256; v++) {
    const stub = `GEN(${hex(v)}, ${stubNames[v] ?? 'entry_' + hex(v)}, 0, 1);`;
    if (v === 0x80 || v === 0x82) {
      out.push(`#ifdef ${v === 0x80 ? 'CONFIG_PV' : 'CONFIG_PV32'}`, `GEN(${hex(v)}, ${v === 0x80 ? 'entry_int80, 3' : 'entry_int82, 1'}, 0);`, '#else', stub, '#endif');
    } else if (handled[v]) out.push(`GEN(${hex(v)}, ${handled[v]}, ${v === 3 || v === 4 ? 3 : 0}, 0);`);
    else out.push(stub);
  }
  return out.join('\n') + '\n';
}

/**
 * FreeBSD amd64's assym.inc (12 and later; assym.s before): what genassym writes into the build's
 * object directory from the kernel's structure layouts, so that assembly can name members. A source
 * tree has none (the build makes it), and without it no TF_* operand or project-file name has a
 * value. The stand-in follows FreeBSD 12.0's headers: struct trapframe (TF_*, the same since 9.x),
 * struct pti_frame (PTI_*), struct pcpu with amd64's PCPU_MD_FIELDS (PC_*), struct pcb (PCB_*), the
 * GDT slots of x86/segments.h (K*SEL) and the flag bits of sys/proc.h and machine/pcb.h. The
 * struct thread offsets (TD_*) depend on the kernel configuration: these keep every member apart
 * and in order, which is all the model uses. A real assym.inc (a built object directory, -I)
 * replaces it.
 */
function freebsdAssym(): string {
  const hex = (v: number): string => '0x' + v.toString(16);
  const out = ['/* Entry Review stand-in for FreeBSD amd64 assym.inc (genassym output): FreeBSD 12.0 layouts. */'];
  const def = (name: string, v: number): number => out.push(`#define\t${name}\t${hex(v)}`);
  // struct trapframe: fifteen registers, then trapno/fs/gs, addr, flags/es/ds, and the CPU's frame
  ['RDI', 'RSI', 'RDX', 'RCX', 'R8', 'R9', 'RAX', 'RBX', 'RBP', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15'].forEach((r, i) => def(`TF_${r}`, i * 8));
  const tf: [string, number][] = [['TRAPNO', 0x78], ['FS', 0x7c], ['GS', 0x7e], ['ADDR', 0x80], ['FLAGS', 0x88], ['ES', 0x8c], ['DS', 0x8e],
    ['ERR', 0x90], ['RIP', 0x98], ['CS', 0xa0], ['RFLAGS', 0xa8], ['RSP', 0xb0], ['SS', 0xb8], ['SIZE', 0xc0], ['HASSEGS', 1], ['HASBASES', 2], ['HASFPXSTATE', 4]];
  for (const [n, v] of tf) def(`TF_${n}`, v);
  // struct pti_frame: what the trampoline stack holds (the prelude's PTI_* agree)
  ['RDX', 'RAX', 'ERR', 'RIP', 'CS', 'RFLAGS', 'RSP', 'SS'].forEach((r, i) => def(`PTI_${r}`, i * 8));
  def('PTI_SIZE', 0x40);
  // struct pcpu (machine-independent part, then the 128-byte aligned monitor buffer and the MD fields)
  const pc: [string, number][] = [['CURTHREAD', 0], ['IDLETHREAD', 8], ['FPCURTHREAD', 0x10], ['CURPCB', 0x20], ['CPUID', 0x34], ['PRVSPACE', 0x180],
    ['CURPMAP', 0x188], ['TSSP', 0x190], ['COMMONTSSP', 0x198], ['KCR3', 0x1a0], ['UCR3', 0x1a8], ['SAVED_UCR3', 0x1b0], ['RSP0', 0x1b8],
    ['SCRATCH_RSP', 0x1c0], ['SCRATCH_RAX', 0x1c8], ['FS32P', 0x1d8], ['GS32P', 0x1e0], ['LDT', 0x1e8], ['TSS', 0x1f0], ['PM_SAVE_CNT', 0x1f8],
    ['PTI_STACK', 0x288], ['PTI_STACK_SZ', 16], ['PTI_RSP0', 0x308], ['IBPB_SET', 0x324], ['SIZEOF', 0x1000]];
  for (const [n, v] of pc) def(`PC_${n}`, v);
  // struct pcb: 21 saved registers, three packed region descriptors, tr, flags, ...
  const pcb: [string, number][] = [['R15', 0], ['R14', 8], ['R13', 0x10], ['R12', 0x18], ['RBP', 0x20], ['RSP', 0x28], ['RBX', 0x30], ['RIP', 0x38],
    ['FSBASE', 0x40], ['GSBASE', 0x48], ['KGSBASE', 0x50], ['CR0', 0x58], ['CR2', 0x60], ['CR3', 0x68], ['CR4', 0x70], ['DR0', 0x78], ['DR1', 0x80],
    ['DR2', 0x88], ['DR3', 0x90], ['DR6', 0x98], ['DR7', 0xa0], ['GDT', 0xa8], ['IDT', 0xb2], ['LDT', 0xbc], ['TR', 0xc6], ['FLAGS', 0xc8],
    ['ONFAULT', 0xd0], ['SAVED_UCR3', 0xd8], ['TSSP', 0xe0], ['EFER', 0xe8], ['STAR', 0xf0], ['LSTAR', 0xf8], ['CSTAR', 0x100], ['SFMASK', 0x108],
    ['SAVEFPU', 0x110], ['SIZE', 0x140], ['FULL_IRET', 0x01], ['DBREGS', 0x02], ['32BIT', 0x40]];
  for (const [n, v] of pcb) def(`PCB_${n}`, v);
  // struct thread: apart and in order, not a build's numbers (see above)
  const td: [string, number][] = [['LOCK', 0], ['PROC', 8], ['TID', 0x90], ['FLAGS', 0xfc], ['PFLAGS', 0x104], ['PCB', 0x3f0], ['FRAME', 0x3f8], ['MD', 0x420]];
  for (const [n, v] of td) def(`TD_${n}`, v);
  const rest: [string, number][] = [['TDF_ASTPENDING', 0x800], ['TDF_NEEDRESCHED', 0x10000], ['TDP_CALLCHAIN', 0x400000], ['TDP_KTHREAD', 0x200000],
    // GSEL(slot, rpl): kernel code/data 4/5, user 32-bit code 6, user data 7, user code 8, %fs/%gs 2/3, TSS 9, LDT 11
    ['KCSEL', 0x20], ['KDSEL', 0x28], ['KUC32SEL', 0x33], ['KUDSEL', 0x3b], ['KUCSEL', 0x43], ['KUF32SEL', 0x13], ['KUG32SEL', 0x1b],
    ['TSSSEL', 0x48], ['LDTSEL', 0x58], ['SEL_RPL_MASK', 3], ['TSS_RSP0', 4],
    // the local APIC's EOI and first ISR registers (LAPIC_EOI, LAPIC_ISR0 times LAPIC_MEM_MUL)
    ['LA_EOI', 0xb0], ['LA_ISR', 0x100], ['PMC_FN_USER_CALLCHAIN', 9], ['PAGE_SIZE', 0x1000], ['PAGE_SHIFT', 12]];
  for (const [n, v] of rest) def(n, v);
  return out.join('\n') + '\n';
}

const BUILTIN_HEADERS: ReadonlyMap<string, () => string> = new Map([['asm/gen-idt.h', xenIdtList], ['assym.inc', freebsdAssym], ['assym.s', freebsdAssym]]);

/**
 * The text the prelude reads in place of a missing header that must produce code where it is
 * included (a list for the includer's macro), or undefined.
 */
export function builtinHeader(name: string): string | undefined {
  return BUILTIN_HEADERS.get(name)?.();
}

/**
 * The text of a built-in file a definition can live in (`entry-review:prelude.S`, or the stand-in
 * of a header, `entry-review:asm/gen-idt.h`), for an editor to show it read-only.
 */
export function builtinText(file: string): string | undefined {
  if (file === PRELUDE_FILE) return PRELUDE_TEXT;
  return file.startsWith('entry-review:') ? builtinHeader(file.slice('entry-review:'.length)) : undefined;
}

/** True when the prelude stands in for `name` (an #include spelling). */
export function isCoveredHeader(name: string): boolean {
  // FreeBSD's opt_*.h are generated by config(8) from the kernel configuration; absent, every
  // option they would define is off, which is what a missing header gives.
  return COVERED_HEADERS.has(name) || /^opt_[a-z0-9_]+\.h$/.test(name);
}

// The prelude text: C preprocessor definitions and GNU as macros.
// Kept as one template so its line numbers are stable for go-to-definition.
export const PRELUDE_TEXT = String.raw`/* Entry Review built-in prelude: kernel knowledge for files read without their headers. */

/* ---- pt_regs: offsets from the frame base (R15 = 0 ... SS = 20*8) ---- */
#define R15 0
#define R14 8
#define R13 16
#define R12 24
#define RBP 32
#define RBX 40
#define R11 48
#define R10 56
#define R9 64
#define R8 72
#define RAX 80
#define RCX 88
#define RDX 96
#define RSI 104
#define RDI 112
#define ORIG_RAX 120
#define RIP 128
#define CS 136
#define EFLAGS 144
#define RSP 152
#define SS 160
#define SIZEOF_PTREGS 168
/* asm-offsets.h's name for the same size (4.x and later) */
#define PTREGS_SIZE 168
#define FRAME_SIZE 168
/* 3.x calling.h: the partial frame SAVE_ARGS builds starts at R11 (ARGOFFSET); REST_SKIP is the
   six callee-saved slots below it, ARG_SKIP the nine argument slots, SWFRAME the software part. */
#define ARGOFFSET R11
#define REST_SKIP (6*8)
#define ARG_SKIP (9*8)
#define SWFRAME ORIG_RAX

/* ---- segment selectors ---- */
#define GDT_ENTRY_KERNEL_CS 2
#define GDT_ENTRY_KERNEL_DS 3
#define GDT_ENTRY_DEFAULT_USER32_CS 4
#define GDT_ENTRY_DEFAULT_USER_DS 5
#define GDT_ENTRY_DEFAULT_USER_CS 6
#define __KERNEL_CS 0x10
#define __KERNEL_DS 0x18
#define __USER32_CS 0x23
#define __USER_DS 0x2b
#define __USER32_DS __USER_DS
#define __USER_CS 0x33

/* ---- RFLAGS bits ---- */
#define X86_EFLAGS_CF_BIT 0
#define X86_EFLAGS_FIXED_BIT 1
#define X86_EFLAGS_PF_BIT 2
#define X86_EFLAGS_AF_BIT 4
#define X86_EFLAGS_ZF_BIT 6
#define X86_EFLAGS_SF_BIT 7
#define X86_EFLAGS_TF_BIT 8
#define X86_EFLAGS_IF_BIT 9
#define X86_EFLAGS_DF_BIT 10
#define X86_EFLAGS_OF_BIT 11
#define X86_EFLAGS_IOPL_BIT 12
#define X86_EFLAGS_NT_BIT 14
#define X86_EFLAGS_RF_BIT 16
#define X86_EFLAGS_VM_BIT 17
#define X86_EFLAGS_AC_BIT 18
#define X86_EFLAGS_VIF_BIT 19
#define X86_EFLAGS_VIP_BIT 20
#define X86_EFLAGS_ID_BIT 21
#define X86_EFLAGS_CF 0x00000001
#define X86_EFLAGS_FIXED 0x00000002
#define X86_EFLAGS_PF 0x00000004
#define X86_EFLAGS_AF 0x00000010
#define X86_EFLAGS_ZF 0x00000040
#define X86_EFLAGS_SF 0x00000080
#define X86_EFLAGS_TF 0x00000100
#define X86_EFLAGS_IF 0x00000200
#define X86_EFLAGS_DF 0x00000400
#define X86_EFLAGS_OF 0x00000800
#define X86_EFLAGS_IOPL 0x00003000
#define X86_EFLAGS_NT 0x00004000
#define X86_EFLAGS_RF 0x00010000
#define X86_EFLAGS_VM 0x00020000
#define X86_EFLAGS_AC 0x00040000
#define X86_EFLAGS_VIF 0x00080000
#define X86_EFLAGS_VIP 0x00100000
#define X86_EFLAGS_ID 0x00200000

/* ---- address space ---- */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1 << PAGE_SHIFT)
#define THREAD_SIZE_ORDER 2
#define THREAD_SIZE (PAGE_SIZE << THREAD_SIZE_ORDER)
#ifdef CONFIG_X86_5LEVEL
#define __VIRTUAL_MASK_SHIFT 56
#else
#define __VIRTUAL_MASK_SHIFT 47
#endif
#define TASK_SIZE_MAX ((1 << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE)

/* ---- page-table isolation: the user half of the CR3 pair ---- */
#define X86_CR3_PTI_PCID_USER_BIT 11
#define X86_CR3_PCID_NOFLUSH_BIT 63
#define PTI_USER_PGTABLE_BIT PAGE_SHIFT
#define PTI_USER_PGTABLE_MASK (1 << PTI_USER_PGTABLE_BIT)
#define PTI_USER_PCID_BIT X86_CR3_PTI_PCID_USER_BIT
#define PTI_USER_PCID_MASK (1 << PTI_USER_PCID_BIT)
#define PTI_USER_PGTABLE_AND_PCID_MASK (PTI_USER_PCID_MASK | PTI_USER_PGTABLE_MASK)

/* ---- thread-info work flags ---- */
#define TIF_SYSCALL_TRACE 0
#define TIF_NOTIFY_RESUME 1
#define TIF_SIGPENDING 2
#define TIF_NEED_RESCHED 3
#define TIF_SINGLESTEP 4
#define TIF_SSBD 5
#define TIF_SYSCALL_EMU 6
#define TIF_SYSCALL_AUDIT 7
#define TIF_SECCOMP 8
#define TIF_SPEC_IB 9
#define TIF_USER_RETURN_NOTIFY 11
#define TIF_UPROBE 12
#define TIF_PATCH_PENDING 13
#define TIF_NEED_FPU_LOAD 14
#define TIF_NOCPUID 15
#define TIF_NOTSC 16
#define TIF_IA32 17
#define TIF_NOHZ 19
#define TIF_MEMDIE 20
#define TIF_POLLING_NRFLAG 21
#define TIF_IO_BITMAP 22
#define TIF_FORCED_TF 24
#define TIF_BLOCKSTEP 25
#define TIF_LAZY_MMU_UPDATES 27
#define TIF_SYSCALL_TRACEPOINT 28
#define TIF_ADDR32 29
#define TIF_X32 30
#define _TIF_SYSCALL_TRACE (1 << TIF_SYSCALL_TRACE)
#define _TIF_NOTIFY_RESUME (1 << TIF_NOTIFY_RESUME)
#define _TIF_SIGPENDING (1 << TIF_SIGPENDING)
#define _TIF_NEED_RESCHED (1 << TIF_NEED_RESCHED)
#define _TIF_SINGLESTEP (1 << TIF_SINGLESTEP)
#define _TIF_SSBD (1 << TIF_SSBD)
#define _TIF_SYSCALL_EMU (1 << TIF_SYSCALL_EMU)
#define _TIF_SYSCALL_AUDIT (1 << TIF_SYSCALL_AUDIT)
#define _TIF_SECCOMP (1 << TIF_SECCOMP)
#define _TIF_SPEC_IB (1 << TIF_SPEC_IB)
#define _TIF_USER_RETURN_NOTIFY (1 << TIF_USER_RETURN_NOTIFY)
#define _TIF_UPROBE (1 << TIF_UPROBE)
#define _TIF_PATCH_PENDING (1 << TIF_PATCH_PENDING)
#define _TIF_NEED_FPU_LOAD (1 << TIF_NEED_FPU_LOAD)
#define _TIF_NOCPUID (1 << TIF_NOCPUID)
#define _TIF_NOTSC (1 << TIF_NOTSC)
#define _TIF_IA32 (1 << TIF_IA32)
#define _TIF_NOHZ (1 << TIF_NOHZ)
#define _TIF_POLLING_NRFLAG (1 << TIF_POLLING_NRFLAG)
#define _TIF_IO_BITMAP (1 << TIF_IO_BITMAP)
#define _TIF_FORCED_TF (1 << TIF_FORCED_TF)
#define _TIF_BLOCKSTEP (1 << TIF_BLOCKSTEP)
#define _TIF_LAZY_MMU_UPDATES (1 << TIF_LAZY_MMU_UPDATES)
#define _TIF_SYSCALL_TRACEPOINT (1 << TIF_SYSCALL_TRACEPOINT)
#define _TIF_ADDR32 (1 << TIF_ADDR32)
#define _TIF_X32 (1 << TIF_X32)
#define _TIF_WORK_SYSCALL_ENTRY (_TIF_SYSCALL_TRACE | _TIF_SYSCALL_EMU | _TIF_SYSCALL_AUDIT | _TIF_SECCOMP | _TIF_SINGLESTEP | _TIF_SYSCALL_TRACEPOINT | _TIF_NOHZ)
#define _TIF_WORK_SYSCALL_EXIT (_TIF_SYSCALL_TRACE | _TIF_SYSCALL_AUDIT | _TIF_SINGLESTEP | _TIF_SYSCALL_TRACEPOINT | _TIF_NOHZ)
#define _TIF_DO_NOTIFY_MASK (_TIF_SIGPENDING | _TIF_NOTIFY_RESUME | _TIF_USER_RETURN_NOTIFY | _TIF_UPROBE)
#define _TIF_ALLWORK_MASK ((0x0000FFFF & ~_TIF_SECCOMP) | _TIF_SYSCALL_TRACEPOINT | _TIF_NOHZ)
#define _TIF_WORK_MASK (0x0000FFFF & ~(_TIF_SYSCALL_TRACE | _TIF_SYSCALL_AUDIT | _TIF_SINGLESTEP | _TIF_SECCOMP | _TIF_SYSCALL_EMU))
#define TASK_TI_flags 0
#define TI_flags 8
/* thread_info of 4.1-4.8 (task, flags, status, cpu, saved_preempt_count, addr_limit,
   sysenter_return): the compat entries set TS_COMPAT in status and read sysenter_return. */
#define TI_status 12
#define TI_cpu 16
#define TI_addr_limit 24
#define TI_sysenter_return 32
#define TS_COMPAT 0x0002

/* ---- per-CPU / structure offsets (64-bit TSS: sp0 at 4, sp1 at 12, sp2 at 20, ist[] at 36) ---- */
#define TSS_sp0 4
#define TSS_sp1 12
#define TSS_sp2 20
#define TSS_ist 36
/* The stack-protector canary: %gs:40, the compiler's fixed per-CPU slot (x86-64 before 6.2). */
#define stack_canary_offset 40

/* ---- interrupt stacks and vectors ---- */
#define DOUBLEFAULT_STACK 1
#define NMI_STACK 2
#define DEBUG_STACK 3
#define MCE_STACK 4
#define N_EXCEPTION_STACKS 4
#define EXCEPTION_STACK_ORDER 0
#define EXCEPTION_STKSZ (PAGE_SIZE << EXCEPTION_STACK_ORDER)
#define DEBUG_STACK_ORDER (EXCEPTION_STACK_ORDER + 1)
#define DEBUG_STKSZ (PAGE_SIZE << DEBUG_STACK_ORDER)
#define IRQ_STACK_ORDER 2
#define IRQ_STACK_SIZE (PAGE_SIZE << IRQ_STACK_ORDER)
#define NR_VECTORS 256
#define FIRST_EXTERNAL_VECTOR 0x20
#define IA32_SYSCALL_VECTOR 0x80
#define LOCAL_TIMER_VECTOR 0xef
#define POSTED_INTR_NESTED_VECTOR 0xf0
#define POSTED_INTR_WAKEUP_VECTOR 0xf1
#define POSTED_INTR_VECTOR 0xf2
#define HYPERVISOR_CALLBACK_VECTOR 0xf3
#define UV_BAU_MESSAGE 0xf5
#define DEFERRED_ERROR_VECTOR 0xf4
#define IRQ_WORK_VECTOR 0xf6
#define X86_PLATFORM_IPI_VECTOR 0xf7
#define REBOOT_VECTOR 0xf8
#define THRESHOLD_APIC_VECTOR 0xf9
#define THERMAL_APIC_VECTOR 0xfa
#define CALL_FUNCTION_SINGLE_VECTOR 0xfb
#define CALL_FUNCTION_VECTOR 0xfc
#define RESCHEDULE_VECTOR 0xfd
#define ERROR_APIC_VECTOR 0xfe
#define SPURIOUS_APIC_VECTOR 0xff
#define FIRST_SYSTEM_VECTOR LOCAL_TIMER_VECTOR
#define IRQ_MOVE_CLEANUP_VECTOR FIRST_EXTERNAL_VECTOR

/* ---- system calls and errors ---- */
#define __NR_syscall_max 322
#define NR_syscalls (__NR_syscall_max + 1)
/* asm-offsets' count of the compat table (4.2: __NR_ia32_syscall_max 358, execveat) */
#define IA32_NR_syscalls 359
#define __X32_SYSCALL_BIT 0x40000000
#ifdef CONFIG_X86_X32_ABI
#define __SYSCALL_MASK (~(__X32_SYSCALL_BIT))
#else
#define __SYSCALL_MASK (~0)
#endif
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38

/* ---- MSRs ---- */
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_SPEC_CTRL 0x00000048
#define MSR_IA32_PRED_CMD 0x00000049
#define SPEC_CTRL_IBRS (1 << 0)
#define PRED_CMD_IBPB (1 << 0)

/* ---- CPU features (word*32 + bit) ---- */
#define X86_FEATURE_SEP (0*32+11)
#define X86_FEATURE_SYSCALL32 (3*32+14)
#define X86_FEATURE_SYSENTER32 (3*32+15)
#define X86_FEATURE_ALWAYS (3*32+21)
#define X86_FEATURE_PCID (4*32+17)
#define X86_FEATURE_INVPCID_SINGLE (7*32+7)
#define X86_FEATURE_PTI (7*32+11)
#define X86_FEATURE_RETPOLINE (7*32+12)
#define X86_FEATURE_RETPOLINE_LFENCE (7*32+13)
#define X86_FEATURE_MSR_SPEC_CTRL (7*32+16)
#define X86_FEATURE_USE_IBPB (7*32+21)
#define X86_FEATURE_IBRS (7*32+25)
#define X86_FEATURE_IBPB (7*32+26)
#define X86_FEATURE_STIBP (7*32+27)
#define X86_FEATURE_XENPV (8*32+16)
#define X86_FEATURE_FSGSBASE (9*32+0)
#define X86_FEATURE_SMEP (9*32+7)
#define X86_FEATURE_SMAP (9*32+20)
#define X86_FEATURE_FENCE_SWAPGS_USER (11*32+4)
#define X86_FEATURE_FENCE_SWAPGS_KERNEL (11*32+5)
#define X86_FEATURE_KERNEL_IBRS (11*32+7)
#define X86_FEATURE_ENTRY_IBPB (11*32+10)
#define X86_FEATURE_UNRET (11*32+14)
#define X86_FEATURE_CLEAR_CPU_BUF (11*32+18)
#define X86_FEATURE_FRED (12*32+17)
#define X86_FEATURE_LA57 (16*32+16)
#define X86_FEATURE_CLEAR_BHB_LOOP (21*32+1)
#define X86_BUG_SYSRET_SS_ATTRS (22*32+8)
#define X86_BUG_ESPFIX (22*32+9)
#define X86_BUG_NULL_SEG (22*32+10)
#define X86_BUG_SWAPGS_FENCE (22*32+11)
#define X86_BUG_SWAPGS (22*32+21)

/* ---- paravirt clobber masks (ignored by the native forms) ---- */
#define CLBR_NONE 0
#define CLBR_RAX (1 << 0)
#define CLBR_RCX (1 << 1)
#define CLBR_RDX (1 << 2)
#define CLBR_RDI (1 << 3)
#define CLBR_ANY ((1 << 4) - 1)

/* ---- symbol definition macros (linkage) ---- */
#define ALIGN .p2align 4, 0x90
#define ALIGN_STR ".p2align 4, 0x90"
#define ENTRY(name) .globl name; ALIGN; name:
#define GLOBAL(name) .globl name; name:
#define WEAK(name) .weak name; ALIGN; name:
#define END(name) .size name, .-name
#define ENDPROC(name) .type name, @function; END(name)
#define SYM_L_GLOBAL(name) .globl name
#define SYM_L_WEAK(name) .weak name
#define SYM_L_LOCAL(name)
#define SYM_FUNC_START(name) .globl name; ALIGN; name:
#define SYM_FUNC_START_NOALIGN(name) .globl name; name:
#define SYM_FUNC_START_LOCAL(name) ALIGN; name:
#define SYM_FUNC_START_LOCAL_NOALIGN(name) name:
#define SYM_FUNC_START_WEAK(name) .weak name; ALIGN; name:
#define SYM_FUNC_START_WEAK_NOALIGN(name) .weak name; name:
#define SYM_TYPED_FUNC_START(name) SYM_FUNC_START(name)
#define SYM_FUNC_END(name) .type name, @function; .size name, .-name
#define SYM_CODE_START(name) .globl name; ALIGN; name:
#define SYM_CODE_START_NOALIGN(name) .globl name; name:
#define SYM_CODE_START_LOCAL(name) ALIGN; name:
#define SYM_CODE_START_LOCAL_NOALIGN(name) name:
#define SYM_CODE_END(name) .type name, @notype; .size name, .-name
#define SYM_INNER_LABEL(name, linkage) .type name, @notype; linkage(name); name:
#define SYM_INNER_LABEL_ALIGN(name, linkage) .type name, @notype; ALIGN; linkage(name); name:
#define SYM_DATA_START(name) .globl name; name:
#define SYM_DATA_START_LOCAL(name) name:
#define SYM_DATA_END(name) .type name, @object; .size name, .-name
#define SYM_DATA(name, ...) .globl name; name: __VA_ARGS__
#define SYM_DATA_LOCAL(name, ...) name: __VA_ARGS__
#define _ASM_NOKPROBE(entry)
#define NOKPROBE(entry)
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define __ALIGN .p2align 4, 0x90
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define _AC(X, Y) X
#define _UL(x) x
#define _ULL(x) x
#define BIT(nr) (1 << (nr))
#define _BITUL(x) (1 << (x))

/* ---- linux/kconfig.h (the build force-includes it): IS_ENABLED and friends ----
   A CONFIG_ symbol defined as 1 turns ER_ARG_1 into "0," so the second argument picked is 1. */
#define ER_ARG_1 0,
#define ER_SECOND(a, b, ...) b
#define ER_IS_ONE(x) ER_IS_ONE_(x)
#define ER_IS_ONE_(v) ER_IS_ONE__(ER_ARG_##v)
#define ER_IS_ONE__(junk) ER_SECOND(junk 1, 0)
#define IS_BUILTIN(option) ER_IS_ONE(option)
#define IS_MODULE(option) ER_IS_ONE(option##_MODULE)
#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))
#define IS_REACHABLE(option) (IS_BUILTIN(option) || IS_MODULE(option))
#define __is_defined(x) ER_IS_ONE(x)

/* ---- 3.x DWARF CFI annotations (asm/dwarf2.h): no code; the *_cfi forms are the plain
   instruction plus an annotation ---- */
#define CFI_STARTPROC ER_CFI_IGNORE
#define CFI_ENDPROC ER_CFI_IGNORE
#define CFI_DEF_CFA ER_CFI_IGNORE
#define CFI_DEF_CFA_REGISTER ER_CFI_IGNORE
#define CFI_DEF_CFA_OFFSET ER_CFI_IGNORE
#define CFI_ADJUST_CFA_OFFSET ER_CFI_IGNORE
#define CFI_OFFSET ER_CFI_IGNORE
#define CFI_REL_OFFSET ER_CFI_IGNORE
#define CFI_REGISTER ER_CFI_IGNORE
#define CFI_RESTORE ER_CFI_IGNORE
#define CFI_REMEMBER_STATE ER_CFI_IGNORE
#define CFI_RESTORE_STATE ER_CFI_IGNORE
#define CFI_UNDEFINED ER_CFI_IGNORE
#define CFI_ESCAPE ER_CFI_IGNORE
#define CFI_SIGNAL_FRAME ER_CFI_IGNORE

/* ---- 3.x/4.x thread_info on the kernel stack (asm/thread_info.h) ---- */
#define KERNEL_STACK_OFFSET (5*8)
#define THREAD_INFO(reg, off) (KERNEL_STACK_OFFSET+(off)-THREAD_SIZE)(reg)
#define ASM_THREAD_INFO(field, reg, off) ((field)+(off)-THREAD_SIZE)(reg)
#ifdef CONFIG_CONTEXT_TRACKING
#define SCHEDULE_USER call schedule_user
#else
#define SCHEDULE_USER call schedule
#endif

/* ---- paravirt hooks whose native form is no code ---- */
#define PARAVIRT_ADJUST_EXCEPTION_FRAME
#define SWAPGS_UNSAFE_STACK_NOP

/* ---- 5.x/6.x linkage, objtool and speculation helpers ---- */
#define BITS_PER_LONG 64
#define _ASM_SP %rsp
#define _ASM_AX %rax
#define __FUNC_ALIGN __ALIGN
#define FUNCTION_PADDING
#define RSB_CLEAR_LOOPS 32
#define X86_FEATURE_RSB_CTXSW (7*32+19)
#define X86_FEATURE_RSB_VMEXIT (11*32+9)
#define X86_FEATURE_CALL_DEPTH (11*32+19)
#define X86_FEATURE_RSB_VMEXIT_LITE (11*32+17)
#define ER_ALT_NOT (1 << 15)
#define ALT_NOT(feature) ((feature) | ER_ALT_NOT)

/* ---- FreeBSD amd64 (machine/asmacros.h, asm.h, psl.h, trap.h, segments.h, specialreg.h):
   for a FreeBSD exception.S read without its sys/amd64/include; the trapframe, pcpu and pcb
   offsets (TF_*, PC_*, PCB_*, TD_*) come from the build's generated assym.inc, for which
   freebsdAssym stands in when it is missing ---- */
#define PCPU(member) %gs:PC_ ## member
#define PCPU_ADDR(member, reg) movq %gs:PC_PRVSPACE, reg; addq $PC_ ## member, reg
#define ALIGN_TEXT .p2align 4,0x90
#define SUPERALIGN_TEXT .p2align 4,0x90
#define IDTVEC(name) ALIGN_TEXT; .globl X ## name; .type X ## name,@function; X ## name:
#define MCOUNT_LABEL(name)
#define MEXITCOUNT
#define MCOUNT
#define FAKE_MCOUNT(caller)
#define __FBSDID(s)
#define PSL_C 0x00000001
#define PSL_PF 0x00000004
#define PSL_AF 0x00000010
#define PSL_Z 0x00000040
#define PSL_N 0x00000080
#define PSL_T 0x00000100
#define PSL_I 0x00000200
#define PSL_D 0x00000400
#define PSL_V 0x00000800
#define PSL_IOPL 0x00003000
#define PSL_NT 0x00004000
#define PSL_RF 0x00010000
#define PSL_AC 0x00040000
#define PSL_ID 0x00200000
#define PSL_RESERVED_DEFAULT 0x00000002
#define PSL_KERNEL PSL_RESERVED_DEFAULT
#define PSL_USER (PSL_RESERVED_DEFAULT | PSL_I)
#define SEL_RPL_MASK 3
#define SEL_KPL 0
#define SEL_UPL 3
#define T_PRIVINFLT 1
#define T_BPTFLT 3
#define T_ARITHTRAP 6
#define T_PROTFLT 9
#define T_TRCTRAP 10
#define T_PAGEFLT 12
#define T_ALIGNFLT 14
#define T_DIVIDE 18
#define T_NMI 19
#define T_OFLOW 20
#define T_BOUND 21
#define T_DNA 22
#define T_DOUBLEFLT 23
#define T_FPOPFLT 24
#define T_TSSFLT 25
#define T_SEGNPFLT 26
#define T_STKFLT 27
#define T_MCHK 28
#define T_XMMFLT 29
#define T_RESERVED 30
#define T_DTRACE_RET 32
#define MSR_FSBASE 0xc0000100
#define MSR_GSBASE 0xc0000101
#define MSR_KGSBASE 0xc0000102
#define MSR_SF_MASK 0xc0000084
#define CPUID_STDEXT_FSGSBASE 0x00000001
#define CPUID_STDEXT3_IBPB 0x04000000
/* x2APIC registers as MSRs (specialreg.h): the EOI register and the first in-service register. */
#define MSR_APIC_000 0x800
#define MSR_APIC_EOI 0x80b
#define MSR_APIC_ISR0 0x810
/* FreeBSD 12 page-table isolation: the trampoline frame (struct pti_frame: rdx, rax, err, rip,
   cs, rflags, rsp, ss), whose offsets assym.inc gives (a file alone may name them before it). */
#define PTI_RDX 0
#define PTI_RAX 8
#define PTI_ERR 16
#define PTI_RIP 24
#define PTI_CS 32
#define PTI_RFLAGS 40
#define PTI_RSP 48
#define PTI_SS 56
#define PTI_SIZE 64

/* ---- Xen (public/xen.h, asm-x86/config.h, processor.h): constants its entry.S sizes tables and
   bounce frames with ---- */
#define NR_hypercalls 64
#define __HYPERVISOR_arch_0 48
#define TBF_EXCEPTION 1
#define TBF_EXCEPTION_ERRCODE 2
#define TBF_INTERRUPT 8
#define TBF_FAILSAFE 16
#define TRAP_syscall 256
/* xen/config.h (Xen's build force-includes it): a release build (no CONFIG_DEBUG) drops ASSERTs. */
#ifndef CONFIG_DEBUG
#define NDEBUG
#endif
/* xen/bug.h: a BUG or failed ASSERT is a ud2 (its bug frame is data in another section). */
#define ASSERT_FAILED(msg) ud2
#define BUG ud2
/* Current Xen's linkage (xen/linkage.h): FUNC/LABEL/DATA with an optional alignment. */
#define ER_ALIGN_OR(dflt, a...) ER_SECOND(x, ## a, dflt)
#define FUNC(name, align...) .globl name; .type name, @function; .balign ER_ALIGN_OR(16, ## align); name:
#define FUNC_LOCAL(name, align...) .type name, @function; .balign ER_ALIGN_OR(16, ## align); name:
#define LABEL(name, align...) .globl name; .type name, @notype; .balign ER_ALIGN_OR(16, ## align); name:
#define LABEL_LOCAL(name, align...) .type name, @notype; .balign ER_ALIGN_OR(16, ## align); name:
#define DATA(name, align...) .globl name; .type name, @object; .balign ER_ALIGN_OR(8, ## align); name:
#define DATA_LOCAL(name, align...) .type name, @object; .balign ER_ALIGN_OR(8, ## align); name:
#ifdef CONFIG_XEN_IBT
#define ENDBR64 endbr64
#else
#define ENDBR64
#endif
/* Exception vectors (asm/x86-defns.h). */
#define X86_EXC_DE 0
#define X86_EXC_DB 1
#define X86_EXC_NMI 2
#define X86_EXC_BP 3
#define X86_EXC_OF 4
#define X86_EXC_BR 5
#define X86_EXC_UD 6
#define X86_EXC_NM 7
#define X86_EXC_DF 8
#define X86_EXC_CSO 9
#define X86_EXC_TS 10
#define X86_EXC_NP 11
#define X86_EXC_SS 12
#define X86_EXC_GP 13
#define X86_EXC_PF 14
#define X86_EXC_SPV 15
#define X86_EXC_MF 16
#define X86_EXC_AC 17
#define X86_EXC_MC 18
#define X86_EXC_XM 19
#define X86_EXC_VE 20
#define X86_EXC_CP 21
#define X86_EXC_HV 28
#define X86_EXC_VC 29
#define X86_EXC_SX 30
/* The PML4 slot of the shadow linear page table (asm/config.h: slot 259). */
#define L4_PAGETABLE_SHIFT 39
#define L4_PAGETABLE_ENTRIES 512
#define SH_LINEAR_PT_VIRT_START 0xffff818000000000
#define root_table_offset(a) (((a) >> L4_PAGETABLE_SHIFT) & (L4_PAGETABLE_ENTRIES - 1))
/* Selectors (public/arch-x86/xen-x86_64.h, asm/desc.h): the flat ring-3 selectors PV guests run
   on, and Xen's own. */
#define FLAT_RING3_CS32 0xe023
#define FLAT_RING3_CS64 0xe033
#define FLAT_RING3_DS32 0xe02b
#define FLAT_RING3_SS32 0xe02b
#define FLAT_RING3_DS64 0x0000
#define FLAT_RING3_SS64 0xe02b
#define FLAT_KERNEL_CS64 FLAT_RING3_CS64
#define FLAT_KERNEL_SS64 FLAT_RING3_SS64
#define FLAT_KERNEL_CS32 FLAT_RING3_CS32
#define FLAT_KERNEL_SS32 FLAT_RING3_SS32
#define FLAT_KERNEL_CS FLAT_KERNEL_CS64
#define FLAT_KERNEL_SS FLAT_KERNEL_SS64
#define FLAT_USER_CS64 FLAT_RING3_CS64
#define FLAT_USER_SS64 FLAT_RING3_SS64
#define FLAT_USER_CS32 FLAT_RING3_CS32
#define FLAT_USER_SS32 FLAT_RING3_SS32
#define FLAT_USER_CS FLAT_USER_CS64
#define FLAT_USER_SS FLAT_USER_SS64
#define __HYPERVISOR_CS 0xe008
#define __HYPERVISOR_DS64 0x0000
#define __HYPERVISOR_DS32 0xe010
#define __HYPERVISOR_DS __HYPERVISOR_DS64
/* Address space (asm/config.h, asm/page.h, public/arch-x86/xen-x86_64.h). */
#define STACK_ORDER 3
#define STACK_SIZE (PAGE_SIZE << STACK_ORDER)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PADDR_BITS 52
#define PADDR_MASK ((1 << PADDR_BITS) - 1)
#define VADDR_BITS 48
#define HYPERVISOR_VIRT_START 0xffff800000000000
#define HYPERVISOR_VIRT_END 0xffff880000000000
#define DIRECTMAP_VIRT_START 0xffff830000000000
#define ROOT_PAGETABLE_ENTRIES L4_PAGETABLE_ENTRIES
#define ROOT_PAGETABLE_FIRST_XEN_SLOT 256
#define ROOT_PAGETABLE_LAST_XEN_SLOT 271
/* Vectors, flags and bits the entry code tests (asm/irq-vectors.h, asm/processor.h, asm/domain.h,
   public/xen.h, asm/x86-defns.h). TRAP_* are the exception vectors under their 2012 names. */
#define EVENT_CHECK_VECTOR 0xfc
#define TF_kernel_mode (1 << 0)
#define VMASST_TYPE_architectural_iopl 4
#define X86_XEC_IDT 2
#define PFEC_page_present 0x01
#define PFEC_write_access 0x02
#define PFEC_user_mode 0x04
#define PFEC_insn_fetch 0x10
#define TRAP_divide_error 0
#define TRAP_debug 1
#define TRAP_nmi 2
#define TRAP_int3 3
#define TRAP_overflow 4
#define TRAP_bounds 5
#define TRAP_invalid_op 6
#define TRAP_no_device 7
#define TRAP_double_fault 8
#define TRAP_copro_seg 9
#define TRAP_invalid_tss 10
#define TRAP_no_segment 11
#define TRAP_stack_error 12
#define TRAP_gp_fault 13
#define TRAP_page_fault 14
#define TRAP_spurious_int 15
#define TRAP_copro_error 16
#define TRAP_alignment_check 17
#define TRAP_machine_check 18
#define TRAP_simd_error 19
/* Xen's asm-offsets.h (generated by its build, so absent from a source tree too): the frame
   (struct cpu_user_regs) and the block at the top of every stack (struct cpu_info), at the offsets
   of the current layout. UREGS_* equal Linux's pt_regs slots (error_code/entry_vector share
   orig_ax's); EFRAME_* are the same fields counted from error_code, where the CPU's frame starts.
   An older Xen's cpu_info has fewer fields (2012: no FRED block, no CR3 or SPEC_CTRL fields), so
   its build's numbers differ, but these keep every field it has apart and in order. */
#define UREGS_r15 0
#define UREGS_r14 8
#define UREGS_r13 16
#define UREGS_r12 24
#define UREGS_rbp 32
#define UREGS_rbx 40
#define UREGS_r11 48
#define UREGS_r10 56
#define UREGS_r9 64
#define UREGS_r8 72
#define UREGS_rax 80
#define UREGS_rcx 88
#define UREGS_rdx 96
#define UREGS_rsi 104
#define UREGS_rdi 112
#define UREGS_error_code 120
#define UREGS_entry_vector 124
#define UREGS_rip 128
#define UREGS_cs 136
#define UREGS_saved_upcall_mask 140
#define UREGS_eflags 144
#define UREGS_rsp 152
#define UREGS_ss 160
#define UREGS_kernel_sizeof 168
#define EFRAME_error_code (UREGS_error_code - UREGS_error_code)
#define EFRAME_entry_vector (UREGS_entry_vector - UREGS_error_code)
#define EFRAME_rip (UREGS_rip - UREGS_error_code)
#define EFRAME_cs (UREGS_cs - UREGS_error_code)
#define EFRAME_eflags (UREGS_eflags - UREGS_error_code)
#define EFRAME_shadow_scf (EFRAME_eflags + 4)
#define EFRAME_shadow_sel (EFRAME_eflags + 6)
#define EFRAME_rsp (UREGS_rsp - UREGS_error_code)
#define EFRAME_ss (UREGS_ss - UREGS_error_code)
#define CPUINFO_guest_cpu_user_regs 0
#define CPUINFO_error_code UREGS_error_code
#define CPUINFO_rip UREGS_rip
#define CPUINFO_processor_id 184
#define CPUINFO_verw_sel 188
#define CPUINFO_current_vcpu 192
#define CPUINFO_per_cpu_offset 200
#define CPUINFO_cr4 208
#define CPUINFO_xen_cr3 216
#define CPUINFO_pv_cr3 224
#define CPUINFO_shadow_spec_ctrl 232
#define CPUINFO_xen_spec_ctrl 236
#define CPUINFO_last_spec_ctrl 240
#define CPUINFO_scf 244
#define CPUINFO_root_pgt_changed 245
#define CPUINFO_use_pv_cr3 246
#define CPUINFO_sizeof 248
/* A guest's trap table entry (public struct trap_info: vector, flags, cs, address) and the per-CPU
   interrupt statistics (irq_cpustat_t: pending softirqs first, one 128-byte cache line each). */
#define TRAPINFO_flags 1
#define TRAPINFO_cs 2
#define TRAPINFO_eip 8
#define TRAPINFO_sizeof 16
#define IRQSTAT_softirq_pending 0
#define IRQSTAT_shift 7
/* asm/asm_defns.h (current form: %reg holds the stack end) and asm/spec_ctrl_asm.h's helper. */
#define STACK_CPUINFO_FIELD(field) (1 - CPUINFO_sizeof + CPUINFO_##field)
#define STK_REL(field, top_of_stk) ((field) - (top_of_stk))
/* asm/spec_ctrl.h, asm/msr-index.h: the speculation-control flags byte (cpu_info's scf) and MSRs. */
#define SCF_use_shadow (1 << 0)
#define SCF_ist_sc_msr (1 << 1)
#define SCF_ist_rsb (1 << 2)
#define SCF_verw (1 << 3)
#define SCF_ist_ibpb (1 << 4)
#define SCF_entry_ibpb (1 << 5)
#define SCF_entry_bhb (1 << 6)
#define MSR_SPEC_CTRL 0x00000048
#define MSR_PRED_CMD 0x00000049

/* ---- model primitives (see prelude.ts) ---- */
#define SWAPGS swapgs
#define SWAPGS_UNSAFE_STACK swapgs
#define USERGS_SYSRET64 swapgs; sysretq
#define USERGS_SYSRET32 swapgs; sysretl
#define INTERRUPT_RETURN iretq
#define ENABLE_INTERRUPTS_SYSEXIT sti; sysexit
#define ENABLE_INTERRUPTS_SYSEXIT32 swapgs; sti; sysexitl
#define DISABLE_INTERRUPTS(clobbers) cli
#define ENABLE_INTERRUPTS(clobbers) sti
#define PER_CPU_VAR(var) %gs:var
#define ASM_CLAC ALTERNATIVE "", "clac", X86_FEATURE_SMAP
#define ASM_STAC ALTERNATIVE "", "stac", X86_FEATURE_SMAP
#define _ASM_EXTABLE(from, to) ER_EXTABLE from, to, _ASM_EXTABLE
#define _ASM_EXTABLE_UA(from, to) ER_EXTABLE from, to, _ASM_EXTABLE_UA
#define _ASM_EXTABLE_FAULT(from, to) ER_EXTABLE from, to, _ASM_EXTABLE_FAULT
#define _ASM_EXTABLE_EX(from, to) ER_EXTABLE from, to, _ASM_EXTABLE_EX
#define _ASM_EXTABLE_CPY(from, to) ER_EXTABLE from, to, _ASM_EXTABLE_CPY
#define _ASM_EXTABLE_TYPE(from, to, type) ER_EXTABLE from, to, _ASM_EXTABLE_TYPE
#define _ASM_EXTABLE_TYPE_REG(from, to, type, reg) ER_EXTABLE from, to, _ASM_EXTABLE_TYPE_REG

/* ---- interrupt-state tracing ---- */
#ifdef CONFIG_TRACE_IRQFLAGS
#define TRACE_IRQS_ON call trace_hardirqs_on_thunk
#define TRACE_IRQS_OFF call trace_hardirqs_off_thunk
#define TRACE_IRQS_IRETQ ER_TRACE_IRQS_IRETQ
#define TRACE_IRQS_IRETQ_DEBUG ER_TRACE_IRQS_IRETQ
#define TRACE_IRQS_ON_DEBUG call trace_hardirqs_on_thunk
#define TRACE_IRQS_OFF_DEBUG call trace_hardirqs_off_thunk
#else
#define TRACE_IRQS_ON
#define TRACE_IRQS_OFF
#define TRACE_IRQS_IRETQ
#define TRACE_IRQS_IRETQ_DEBUG
#define TRACE_IRQS_ON_DEBUG
#define TRACE_IRQS_OFF_DEBUG
#endif
#ifdef CONFIG_DEBUG_LOCK_ALLOC
#define LOCKDEP_SYS_EXIT call lockdep_sys_exit_thunk
#define LOCKDEP_SYS_EXIT_IRQ call lockdep_sys_exit_thunk
#else
#define LOCKDEP_SYS_EXIT
#define LOCKDEP_SYS_EXIT_IRQ
#endif

/* ---- thread info (stack-based, pre-4.9) ---- */
/* 3.x-4.0 found thread_info from the per-CPU kernel_stack (KERNEL_STACK_OFFSET below the top),
   4.1-4.8 from cpu_current_top_of_stack: the file's own entry code says which it is (it loads
   %rsp from that variable), and GET_THREAD_INFO follows it (ER_GET_THREAD_INFO, prelude.ts). */
#define GET_THREAD_INFO(reg) ER_GET_THREAD_INFO reg
#define GET_CR2_INTO(reg) movq %cr2, reg
#define GET_CR2_INTO_RAX movq %cr2, %rax

/* ---- annotations that produce no code ---- */
#define ANNOTATE_NOENDBR
#define ANNOTATE_UNRET_SAFE
#define ANNOTATE_RETPOLINE_SAFE
#define ANNOTATE_INTRA_FUNCTION_CALL
#define ANNOTATE_UNRET_END
#define VALIDATE_UNRET_END
#define UNTRAIN_RET
#define UNTRAIN_RET_FROM_CALL
#define UNTRAIN_RET_VM
#define FRAME_BEGIN
#define FRAME_END
#define RET ret
#ifdef CONFIG_X86_KERNEL_IBT
#define ENDBR endbr64
#else
#define ENDBR
#endif

.macro ER_TRACE_IRQS_IRETQ
	btl	$X86_EFLAGS_IF_BIT, EFLAGS(%rsp)
	jnc	.Ler_trace_iretq_\@
	call	trace_hardirqs_on_thunk
.Ler_trace_iretq_\@:
.endm

.macro UNWIND_HINT type:req sp_reg=0 sp_offset=0 signal=0 end=0
.endm
.macro UNWIND_HINT_EMPTY
.endm
.macro UNWIND_HINT_REGS base=%rsp offset=0 indirect=0 extra=1 partial=0 signal=1
.endm
.macro UNWIND_HINT_IRET_REGS base=%rsp offset=0 signal=1
.endm
.macro UNWIND_HINT_IRET_ENTRY base=%rsp offset=0 signal=1
.endm
.macro UNWIND_HINT_FUNC
.endm
.macro UNWIND_HINT_ENTRY
.endm
.macro UNWIND_HINT_END_OF_STACK
.endm
.macro UNWIND_HINT_UNDEFINED
.endm
.macro UNWIND_HINT_SAVE
.endm
.macro UNWIND_HINT_RESTORE
.endm

/* ---- pt_regs save / restore (layout above) ---- */
.macro ALLOC_PT_GPREGS_ON_STACK addskip=0
	addq	$-(15*8+\addskip), %rsp
.endm

.macro REMOVE_PT_GPREGS_FROM_STACK addskip=0
	subq	$-(15*8+\addskip), %rsp
.endm

.macro SAVE_C_REGS_HELPER offset=0 rax=1 rcx=1 r8910=1 r11=1
	movq	%rdi, RDI+\offset(%rsp)
	movq	%rsi, RSI+\offset(%rsp)
	movq	%rdx, RDX+\offset(%rsp)
	.if \rcx
	movq	%rcx, RCX+\offset(%rsp)
	.endif
	.if \rax
	movq	%rax, RAX+\offset(%rsp)
	.endif
	.if \r8910
	movq	%r8, R8+\offset(%rsp)
	movq	%r9, R9+\offset(%rsp)
	movq	%r10, R10+\offset(%rsp)
	.endif
	.if \r11
	movq	%r11, R11+\offset(%rsp)
	.endif
.endm

.macro SAVE_C_REGS offset=0
	SAVE_C_REGS_HELPER \offset, 1, 1, 1, 1
.endm
.macro SAVE_C_REGS_EXCEPT_RAX_RCX offset=0
	SAVE_C_REGS_HELPER \offset, 0, 0, 1, 1
.endm
.macro SAVE_C_REGS_EXCEPT_R891011
	SAVE_C_REGS_HELPER 0, 1, 1, 0, 0
.endm
.macro SAVE_C_REGS_EXCEPT_RCX_R891011
	SAVE_C_REGS_HELPER 0, 1, 0, 0, 0
.endm
.macro SAVE_C_REGS_EXCEPT_RAX_RCX_R11
	SAVE_C_REGS_HELPER 0, 0, 0, 1, 0
.endm

.macro SAVE_EXTRA_REGS offset=0
	movq	%r15, R15+\offset(%rsp)
	movq	%r14, R14+\offset(%rsp)
	movq	%r13, R13+\offset(%rsp)
	movq	%r12, R12+\offset(%rsp)
	movq	%rbp, RBP+\offset(%rsp)
	movq	%rbx, RBX+\offset(%rsp)
.endm

.macro RESTORE_EXTRA_REGS offset=0
	movq	R15+\offset(%rsp), %r15
	movq	R14+\offset(%rsp), %r14
	movq	R13+\offset(%rsp), %r13
	movq	R12+\offset(%rsp), %r12
	movq	RBP+\offset(%rsp), %rbp
	movq	RBX+\offset(%rsp), %rbx
.endm

.macro ZERO_EXTRA_REGS
	xorl	%r15d, %r15d
	xorl	%r14d, %r14d
	xorl	%r13d, %r13d
	xorl	%r12d, %r12d
	xorl	%ebp, %ebp
	xorl	%ebx, %ebx
.endm

.macro RESTORE_C_REGS_HELPER rstor_rax=1, rstor_rcx=1, rstor_r11=1, rstor_r8910=1, rstor_rdx=1
	.if \rstor_r11
	movq	R11(%rsp), %r11
	.endif
	.if \rstor_r8910
	movq	R10(%rsp), %r10
	movq	R9(%rsp), %r9
	movq	R8(%rsp), %r8
	.endif
	.if \rstor_rax
	movq	RAX(%rsp), %rax
	.endif
	.if \rstor_rcx
	movq	RCX(%rsp), %rcx
	.endif
	.if \rstor_rdx
	movq	RDX(%rsp), %rdx
	.endif
	movq	RSI(%rsp), %rsi
	movq	RDI(%rsp), %rdi
.endm

.macro RESTORE_C_REGS
	RESTORE_C_REGS_HELPER 1, 1, 1, 1, 1
.endm
.macro RESTORE_C_REGS_EXCEPT_RAX
	RESTORE_C_REGS_HELPER 0, 1, 1, 1, 1
.endm
.macro RESTORE_C_REGS_EXCEPT_RCX
	RESTORE_C_REGS_HELPER 1, 0, 1, 1, 1
.endm
.macro RESTORE_C_REGS_EXCEPT_R11
	RESTORE_C_REGS_HELPER 1, 1, 0, 1, 1
.endm
.macro RESTORE_C_REGS_EXCEPT_RCX_R11
	RESTORE_C_REGS_HELPER 1, 0, 0, 1, 1
.endm
.macro RESTORE_RSI_RDI
	RESTORE_C_REGS_HELPER 0, 0, 0, 0, 0
.endm
.macro RESTORE_RSI_RDI_RDX
	RESTORE_C_REGS_HELPER 0, 0, 0, 0, 1
.endm

.macro SAVE_ALL
	ALLOC_PT_GPREGS_ON_STACK
	SAVE_C_REGS
	SAVE_EXTRA_REGS
.endm

.macro RESTORE_ALL
	RESTORE_EXTRA_REGS
	RESTORE_C_REGS
	REMOVE_PT_GPREGS_FROM_STACK
.endm

/* Pushes the general registers below orig_ax (di first ... r15 last), then clears the ones
   user space could steer speculation with. */
.macro PUSH_REGS rdx=%rdx rcx=%rcx rax=%rax save_ret=0
	.if \save_ret
	pushq	%rsi
	movq	8(%rsp), %rsi
	movq	%rdi, 8(%rsp)
	.else
	pushq	%rdi
	pushq	%rsi
	.endif
	pushq	\rdx
	pushq	\rcx
	pushq	\rax
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	.if \save_ret
	pushq	%rsi
	.endif
.endm

.macro CLEAR_REGS clear_bp=1
	xorl	%esi, %esi
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%ebx, %ebx
	.if \clear_bp
	xorl	%ebp, %ebp
	.endif
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
.endm

.macro PUSH_AND_CLEAR_REGS rdx=%rdx rcx=%rcx rax=%rax save_ret=0 clear_bp=1 unwind_hint=1
	PUSH_REGS rdx=\rdx, rcx=\rcx, rax=\rax, save_ret=\save_ret
	CLEAR_REGS clear_bp=\clear_bp
.endm

.macro POP_REGS pop_rdi=1 skip_r11rcx=0
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	.if \skip_r11rcx
	popq	%rsi
	.else
	popq	%r11
	.endif
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	.if \skip_r11rcx
	popq	%rsi
	.else
	popq	%rcx
	.endif
	popq	%rdx
	popq	%rsi
	.if \pop_rdi
	popq	%rdi
	.endif
.endm

/* ---- page-table isolation CR3 switches ---- */
.macro SWITCH_TO_KERNEL_CR3 scratch_reg:req
	ALTERNATIVE "jmp .Ler_cr3_end_\@", "", X86_FEATURE_PTI
	mov	%cr3, \scratch_reg
	andq	$(~PTI_USER_PGTABLE_AND_PCID_MASK), \scratch_reg
	mov	\scratch_reg, %cr3
.Ler_cr3_end_\@:
.endm

.macro SWITCH_TO_USER_CR3_NOSTACK scratch_reg:req scratch_reg2:req
	ALTERNATIVE "jmp .Ler_cr3_end_\@", "", X86_FEATURE_PTI
	mov	%cr3, \scratch_reg
	orq	$(PTI_USER_PGTABLE_AND_PCID_MASK), \scratch_reg
	mov	\scratch_reg, %cr3
.Ler_cr3_end_\@:
.endm

.macro SWITCH_TO_USER_CR3 scratch_reg:req scratch_reg2:req
	SWITCH_TO_USER_CR3_NOSTACK scratch_reg=\scratch_reg scratch_reg2=\scratch_reg2
.endm

.macro SWITCH_TO_USER_CR3_STACK scratch_reg:req
	pushq	%rax
	SWITCH_TO_USER_CR3_NOSTACK scratch_reg=\scratch_reg scratch_reg2=%rax
	popq	%rax
.endm

.macro SAVE_AND_SWITCH_TO_KERNEL_CR3 scratch_reg:req save_reg:req
	ALTERNATIVE "jmp .Ler_cr3_done_\@", "", X86_FEATURE_PTI
	movq	%cr3, \scratch_reg
	movq	\scratch_reg, \save_reg
	testq	$(PTI_USER_PGTABLE_MASK), \scratch_reg
	jz	.Ler_cr3_done_\@
	andq	$(~PTI_USER_PGTABLE_AND_PCID_MASK), \scratch_reg
	movq	\scratch_reg, %cr3
.Ler_cr3_done_\@:
.endm

.macro RESTORE_CR3 scratch_reg:req save_reg:req
	ALTERNATIVE "jmp .Ler_cr3_end_\@", "", X86_FEATURE_PTI
	movq	\save_reg, %cr3
.Ler_cr3_end_\@:
.endm

/* ---- speculation barriers and mitigations ---- */
.macro FENCE_SWAPGS_USER_ENTRY
	ALTERNATIVE "", "lfence", X86_FEATURE_FENCE_SWAPGS_USER
.endm
.macro FENCE_SWAPGS_KERNEL_ENTRY
	ALTERNATIVE "", "lfence", X86_FEATURE_FENCE_SWAPGS_KERNEL
.endm

.macro IBRS_ENTER save_reg
	ALTERNATIVE "jmp .Ler_ibrs_end_\@", "", X86_FEATURE_KERNEL_IBRS
	movl	$MSR_IA32_SPEC_CTRL, %ecx
	.ifnb \save_reg
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, \save_reg
	.endif
	movq	PER_CPU_VAR(x86_spec_ctrl_current), %rdx
	movl	%edx, %eax
	shrq	$32, %rdx
	wrmsr
.Ler_ibrs_end_\@:
.endm

.macro IBRS_EXIT save_reg
	ALTERNATIVE "jmp .Ler_ibrs_end_\@", "", X86_FEATURE_KERNEL_IBRS
	movl	$MSR_IA32_SPEC_CTRL, %ecx
	.ifnb \save_reg
	movq	\save_reg, %rdx
	.else
	movq	PER_CPU_VAR(x86_spec_ctrl_current), %rdx
	andl	$(~SPEC_CTRL_IBRS), %edx
	.endif
	movl	%edx, %eax
	shrq	$32, %rdx
	wrmsr
.Ler_ibrs_end_\@:
.endm

.macro CLEAR_CPU_BUFFERS
	ALTERNATIVE "", "verw mds_verw_sel(%rip)", X86_FEATURE_CLEAR_CPU_BUF
.endm

.macro CLEAR_BRANCH_HISTORY
	ALTERNATIVE "", "call clear_bhb_loop", X86_FEATURE_CLEAR_BHB_LOOP
.endm

.macro ER_CFI_IGNORE args:vararg
.endm

/* FreeBSD 12 machine/asmacros.h: segment saves, register restore and the PTI trampolines.
   PTI_UUENTRY: on the kernel page table, copy the trampoline frame to the thread's kernel stack
   and continue there; PTI_UENTRY: the same from user mode when PTI is on (UCR3 != ~0);
   PTI_ENTRY: the X<name>_pti vector that does it for a trap from user mode. */
.macro SAVE_SEGS
	movw	%fs, TF_FS(%rsp)
	movw	%gs, TF_GS(%rsp)
	movw	%es, TF_ES(%rsp)
	movw	%ds, TF_DS(%rsp)
.endm
.macro RESTORE_REGS
	movq	TF_RDI(%rsp), %rdi
	movq	TF_RSI(%rsp), %rsi
	movq	TF_RDX(%rsp), %rdx
	movq	TF_RCX(%rsp), %rcx
	movq	TF_R8(%rsp), %r8
	movq	TF_R9(%rsp), %r9
	movq	TF_RAX(%rsp), %rax
	movq	TF_RBX(%rsp), %rbx
	movq	TF_RBP(%rsp), %rbp
	movq	TF_R10(%rsp), %r10
	movq	TF_R11(%rsp), %r11
	movq	TF_R12(%rsp), %r12
	movq	TF_R13(%rsp), %r13
	movq	TF_R14(%rsp), %r14
	movq	TF_R15(%rsp), %r15
.endm
.macro MOVE_STACKS qw
	.Ler_move_off = 0
	.rept \qw
	movq	.Ler_move_off(%rsp), %rdx
	movq	%rdx, .Ler_move_off(%rax)
	.Ler_move_off = .Ler_move_off + 8
	.endr
.endm
.macro PTI_UUENTRY has_err
	movq	PCPU(KCR3), %rax
	movq	%rax, %cr3
	movq	PCPU(RSP0), %rax
	subq	$PTI_SIZE - 8 * (1 - \has_err), %rax
	MOVE_STACKS ((PTI_SIZE / 8) - 1 + \has_err)
	movq	%rax, %rsp
	popq	%rdx
	popq	%rax
.endm
.macro PTI_UENTRY has_err
	swapgs
	lfence
	cmpq	$~0, PCPU(UCR3)
	je	.Ler_pti_u_\@
	pushq	%rax
	pushq	%rdx
	PTI_UUENTRY \has_err
.Ler_pti_u_\@:
.endm
/* FreeBSD 12 interrupt vectors (machine/asmacros.h): INTR_HANDLER makes X<name>_pti, which moves a
   frame taken from user mode to the thread's stack (PTI_UENTRY) and joins X<name> past its swapgs,
   and X<name>, which saves the registers in a trapframe below the CPU's frame (no error code, no
   trap number) and, from user mode, clears PCB_FULL_IRET and calls handle_ibrs_entry. */
.macro PTI_INTRENTRY vec_name
	SUPERALIGN_TEXT
	.globl	X\vec_name\()_pti
	.type	X\vec_name\()_pti, @function
X\vec_name\()_pti:
	testb	$SEL_RPL_MASK, PTI_CS - 3 * 8(%rsp)
	jz	.L\vec_name\()_u
	PTI_UENTRY has_err=0
	jmp	.L\vec_name\()_u
.endm
.macro INTR_PUSH_FRAME vec_name
	SUPERALIGN_TEXT
	.globl	X\vec_name
	.type	X\vec_name, @function
X\vec_name:
	testb	$SEL_RPL_MASK, PTI_CS - 3 * 8(%rsp)
	jz	.L\vec_name\()_u
	swapgs
.L\vec_name\()_u:
	subq	$TF_RIP, %rsp
	ER_FBSD_SAVE_REGS
	SAVE_SEGS
	movl	$TF_HASSEGS, TF_FLAGS(%rsp)
	pushfq
	andq	$~(PSL_D | PSL_AC), (%rsp)
	popfq
	testb	$SEL_RPL_MASK, TF_CS(%rsp)
	jz	.Ler_intr_k_\@
	movq	PCPU(CURPCB), %r8
	andl	$~PCB_FULL_IRET, PCB_FLAGS(%r8)
	call	handle_ibrs_entry
.Ler_intr_k_\@:
.endm
.macro INTR_HANDLER vec_name
	.text
	PTI_INTRENTRY \vec_name
	INTR_PUSH_FRAME \vec_name
.endm
/* every general register into its trapframe slot, in struct trapframe's order */
.macro ER_FBSD_SAVE_REGS
	movq	%rdi, TF_RDI(%rsp)
	movq	%rsi, TF_RSI(%rsp)
	movq	%rdx, TF_RDX(%rsp)
	movq	%rcx, TF_RCX(%rsp)
	movq	%r8, TF_R8(%rsp)
	movq	%r9, TF_R9(%rsp)
	movq	%rax, TF_RAX(%rsp)
	movq	%rbx, TF_RBX(%rsp)
	movq	%rbp, TF_RBP(%rsp)
	movq	%r10, TF_R10(%rsp)
	movq	%r11, TF_R11(%rsp)
	movq	%r12, TF_R12(%rsp)
	movq	%r13, TF_R13(%rsp)
	movq	%r14, TF_R14(%rsp)
	movq	%r15, TF_R15(%rsp)
.endm
.macro PTI_ENTRY name, cont, has_err=0
	ALIGN_TEXT
	.globl	X\name\()_pti
	.type	X\name\()_pti, @function
X\name\()_pti:
	testb	$SEL_RPL_MASK, PTI_CS - (2 + 1 - \has_err) * 8(%rsp)
	jz	\cont
	PTI_UENTRY \has_err
	swapgs
	jmp	\cont
.endm

/* Xen: a call that must not return (asm/asm-defns.h); the BUG frame is a ud2. */
.macro tailcall fn:req
	call	\fn
	BUG
.endm

/* Xen asm/asm-defns.h: a guest pointer made harmless before Xen dereferences it. With
   CONFIG_SPECULATIVE_HARDEN_GUEST_ACCESS, branch-free: below HYPERVISOR_VIRT_END the pointer loses
   bit 47 and, when that bit was set, gets bit 63 set, so an address in Xen's range (or a
   non-canonical one) comes out non-canonical; at or above it, bit 63 is cleared and set back (no
   change). The count register of BTR is used modulo 64, so the end address itself selects bit 63.
   \scratch1 and \scratch2 are clobbered; debug builds without the hardening poison them. */
.macro guest_access_mask_ptr ptr:req, scratch1:req, scratch2:req
#if defined(CONFIG_SPECULATIVE_HARDEN_GUEST_ACCESS)
	mov	$(HYPERVISOR_VIRT_END - 1), \scratch1
	mov	$(VADDR_BITS - 1), \scratch2
	cmp	\ptr, \scratch1
	cmovnb	\scratch2, \scratch1
	xor	\scratch2, \scratch2
	btr	\scratch1, \ptr
	rcr	$1, \scratch2
	or	\scratch2, \ptr
#elif defined(CONFIG_DEBUG) && defined(CONFIG_PV)
	xor	$~\@, \scratch1
	xor	$~\@, \scratch2
#endif
.endm

/* Xen asm/spec_ctrl_asm.h: the speculation controls at every entry from and exit to a guest.
   What each does is chosen twice: at boot (ALTERNATIVE arms on Xen's synthetic X86_FEATURE_SC_* /
   X86_SPEC_* features) and per CPU (the SCF_* bits of cpu_info's scf byte, read through %r14 =
   the stack end, or at a fixed distance from %rsp when it points into the cpu_info block). Each
   stand-in writes exactly what the real macro does: the registers it clobbers (entries: rax, rbx,
   rcx, rdx; exit to a guest: rcx, rdx, and rax with the DIV flush; exit to Xen: rax, rbx, rcx,
   rdx; VERW: flags only), the MSRs (SPEC_CTRL, PRED_CMD) and the cpu_info / frame bytes. */
/* IBPB: a write of PRED_CMD (with %edx = 0 from the caller). */
.macro ER_XEN_IBPB
	mov	$MSR_PRED_CMD, %ecx
	mov	$PRED_CMD_IBPB, %eax
	wrmsr
.endm
.macro ER_XEN_COND_IBPB
	testb	$SCF_entry_ibpb, %bl
	jz	.Ler_xibpb_\@
	ER_XEN_IBPB
.Ler_xibpb_\@:
.endm
/* RSB stuffing: 32 calls whose return addresses are then dropped by restoring %rsp from \tmp
   (clobbers \tmp and %rcx); with CET shadow stacks the shadow-stack pointer is unwound too, which
   leaves %ecx unknown. */
.macro ER_XEN_OVERWRITE_RSB tmp=rax
	mov	$16, %ecx
	mov	%rsp, %\tmp
.Ler_xrsb_loop_\@:
	call	.Ler_xrsb_a_\@
	int3
.Ler_xrsb_a_\@:
	call	.Ler_xrsb_b_\@
	int3
.Ler_xrsb_b_\@:
	sub	$1, %ecx
	jnz	.Ler_xrsb_loop_\@
	mov	%\tmp, %rsp
#ifdef CONFIG_XEN_SHSTK
	mov	$1, %ecx
	rdsspd	%ecx
	cmp	$1, %ecx
	je	.Ler_xrsb_done_\@
	mov	$64, %ecx
	incsspd	%ecx
.Ler_xrsb_done_\@:
#endif
.endm
/* Xen's SPEC_CTRL value loaded on entry. Shadowing (SCF_use_shadow) is turned off first: always
   when %rsp is known to be the guest frame in cpu_info (maybexen=0), else only when the frame's
   CS says the guest was interrupted (branch-free). ist=1: the IST form, whose caller guarantees
   %edx = 0 and which selects the MSR after the shadow update. */
.macro ER_XEN_SPEC_CTRL_ENTRY maybexen:req ist=0
	.if !\ist
	mov	$MSR_SPEC_CTRL, %ecx
	xor	%edx, %edx
	.endif
	.if \maybexen
	xor	%eax, %eax
	testb	$3, UREGS_cs(%rsp)
	setnz	%al
	not	%eax
	and	%al, STACK_CPUINFO_FIELD(scf)(%r14)
	.if \ist
	mov	$MSR_SPEC_CTRL, %ecx
	.endif
	mov	STACK_CPUINFO_FIELD(xen_spec_ctrl)(%r14), %eax
	.else
	andb	$~SCF_use_shadow, CPUINFO_scf(%rsp)
	mov	CPUINFO_xen_spec_ctrl(%rsp), %eax
	.endif
	wrmsr
.endm
/* Branch-history clearing when SCF_entry_bhb is set: a call to one of Xen's two sequences. */
.macro ER_XEN_CLEAR_BHB
	testb	$SCF_entry_bhb, %bl
	jz	.Ler_xbhb_\@
	ALTERNATIVE_2 "", "call clear_bhb_loops", X86_SPEC_BHB_LOOPS, "call clear_bhb_tsx", X86_SPEC_BHB_TSX
.Ler_xbhb_\@:
.endm
/* A byte DIV for its flushing side effect (clobbers %rax). */
.macro ER_XEN_SPEC_CTRL_DIV
	mov	$1, %eax
	div	%al
.endm
/* Entry from a PV guest (SYSCALL, SYSENTER, INT $N): %rsp = the frame in cpu_info, %r14 = the
   stack end, %rdx = 0. */
.macro SPEC_CTRL_ENTRY_FROM_PV
	movzbl	STACK_CPUINFO_FIELD(scf)(%r14), %ebx
	ALTERNATIVE "", ER_XEN_COND_IBPB, X86_FEATURE_IBPB_ENTRY_PV
	ALTERNATIVE "", ER_XEN_OVERWRITE_RSB, X86_FEATURE_SC_RSB_PV
	ALTERNATIVE "", "ER_XEN_SPEC_CTRL_ENTRY maybexen=0", X86_FEATURE_SC_MSR_PV
	ER_XEN_CLEAR_BHB
	ALTERNATIVE "lfence", "", X86_SPEC_NO_LFENCE_ENTRY_PV
.endm
/* Entry by an exception or interrupt that may have hit Xen itself: IBPB and RSB stuffing only
   when the frame's CS is a guest's. */
.macro SPEC_CTRL_ENTRY_FROM_INTR
	movzbl	STACK_CPUINFO_FIELD(scf)(%r14), %ebx
	testb	$3, UREGS_cs(%rsp)
	jz	.Ler_xintr_\@
	ALTERNATIVE "", ER_XEN_COND_IBPB, X86_FEATURE_IBPB_ENTRY_PV
	ALTERNATIVE "", ER_XEN_OVERWRITE_RSB, X86_FEATURE_SC_RSB_PV
.Ler_xintr_\@:
	ALTERNATIVE "", "ER_XEN_SPEC_CTRL_ENTRY maybexen=1", X86_FEATURE_SC_MSR_PV
	ER_XEN_CLEAR_BHB
	ALTERNATIVE "lfence", "", X86_SPEC_NO_LFENCE_ENTRY_INTR
.endm
/* Entry on an IST stack (NMI, #MC, #DB, #DF), which may hit any point of Xen: the same actions,
   each chosen by its SCF_ist_* bit instead of at boot; always an LFENCE. */
.macro SPEC_CTRL_ENTRY_FROM_INTR_IST
	movzbl	STACK_CPUINFO_FIELD(scf)(%r14), %ebx
	test	$SCF_ist_ibpb, %bl
	jz	.Ler_xist_ibpb_\@
	ER_XEN_IBPB
.Ler_xist_ibpb_\@:
	test	$SCF_ist_rsb, %bl
	jz	.Ler_xist_rsb_\@
	ER_XEN_OVERWRITE_RSB
.Ler_xist_rsb_\@:
	test	$SCF_ist_sc_msr, %bl
	jz	.Ler_xist_msr_\@
	ER_XEN_SPEC_CTRL_ENTRY maybexen=1, ist=1
.Ler_xist_msr_\@:
	ER_XEN_CLEAR_BHB
	lfence
.endm
/* Exit to a PV guest: %eax = the guest's SPEC_CTRL, %rsp = the frame in cpu_info. The value is
   stored as the shadow before shadowing is turned on, then loaded. */
.macro SPEC_CTRL_EXIT_TO_PV
	ALTERNATIVE "", "mov %eax, CPUINFO_shadow_spec_ctrl(%rsp); orb $SCF_use_shadow, CPUINFO_scf(%rsp); mov $MSR_SPEC_CTRL, %ecx; xor %edx, %edx; wrmsr", X86_FEATURE_SC_MSR_PV
	ALTERNATIVE "", ER_XEN_SPEC_CTRL_DIV, X86_FEATURE_SC_DIV
.endm
/* Exit to Xen (%r12 = nonzero for an IST exit, %r14 = the stack end, %rsp = the frame): the shadow
   value is reloaded if shadowing is on; an IST exit stashes scf and the VERW selector in the upper
   half of the frame's eflags slot (EFRAME_shadow_scf/_sel), for SPEC_CTRL_COND_VERW after the
   guest registers are back. */
.macro SPEC_CTRL_EXIT_TO_XEN
	movzbl	STACK_CPUINFO_FIELD(scf)(%r14), %ebx
	testb	$SCF_ist_sc_msr, %bl
	jz	.Ler_xexit_msr_\@
	xor	%edx, %edx
	testb	$SCF_use_shadow, %bl
	jz	.Ler_xexit_msr_\@
	mov	STACK_CPUINFO_FIELD(shadow_spec_ctrl)(%r14), %eax
	mov	$MSR_SPEC_CTRL, %ecx
	wrmsr
.Ler_xexit_msr_\@:
	test	%r12, %r12
	jz	.Ler_xexit_ist_\@
	or	$(__HYPERVISOR_DS32 << 16), %ebx
	mov	%ebx, UREGS_eflags + 4(%rsp)
	ALTERNATIVE "", ER_XEN_SPEC_CTRL_DIV, X86_FEATURE_SC_DIV
.Ler_xexit_ist_\@:
.endm
/* VERW for its buffer-flushing side effect when SCF_verw is set; \scf and \sel are offsets from
   %rsp (by default %rsp points at the frame's error_code in cpu_info). Only the flags change. */
.macro SPEC_CTRL_COND_VERW scf=STK_REL(CPUINFO_scf,CPUINFO_error_code), sel=STK_REL(CPUINFO_verw_sel,CPUINFO_error_code)
	testb	$SCF_verw, \scf(%rsp)
	jz	.Ler_xverw_\@
	verw	\sel(%rsp)
.Ler_xverw_\@:
.endm

/* 3.x dwarf2.h: the instruction and a CFI annotation (the annotation is not code). */
.macro pushq_cfi reg
	pushq	\reg
.endm
.macro popq_cfi reg
	popq	\reg
.endm
.macro pushfq_cfi
	pushfq
.endm
.macro popfq_cfi
	popfq
.endm
.macro movq_cfi reg offset=0
	movq	%\reg, \offset(%rsp)
.endm
.macro movq_cfi_restore offset reg
	movq	\offset(%rsp), %\reg
.endm
.macro pushl_cfi reg
	pushl	\reg
.endm
.macro popl_cfi reg
	popl	\reg
.endm
.macro pushfl_cfi
	pushfl
.endm
.macro popfl_cfi
	popfl
.endm
.macro movl_cfi reg offset=0
	movl	%\reg, \offset(%esp)
.endm
.macro movl_cfi_restore offset reg
	movl	\offset(%esp), %\reg
.endm

/* objtool annotations: no code. */
.macro VALIDATE_UNRET_BEGIN
.endm
.macro REACHABLE
.endm
.macro STACK_FRAME_NON_STANDARD func:req
.endm
.macro STACK_FRAME_NON_STANDARD_FP func:req
.endm

/* The frame-pointer encoding of pt_regs for the unwinder (CONFIG_FRAME_POINTER only). */
.macro ENCODE_FRAME_POINTER ptregs_offset=0
#ifdef CONFIG_FRAME_POINTER
	leaq	1+\ptregs_offset(%rsp), %rbp
#endif
.endm

/* Return-stack-buffer stuffing: nr/2 iterations of two calls whose return slots are dropped. */
.macro FILL_RETURN_BUFFER reg:req nr:req ftr:req ftr2=ALT_NOT(X86_FEATURE_ALWAYS)
	ALTERNATIVE_2 "jmp .Ler_rsb_skip_\@", "mov $(\nr/2), \reg; .Ler_rsb_loop_\@: call .Ler_rsb_a_\@; int3; .Ler_rsb_a_\@: call .Ler_rsb_b_\@; int3; .Ler_rsb_b_\@: add $16, %rsp; dec \reg; jnz .Ler_rsb_loop_\@; lfence", \ftr, "call .Ler_rsb_one_\@; int3; .Ler_rsb_one_\@: add $8, %rsp; lfence", \ftr2
.Ler_rsb_skip_\@:
.endm

/* Indirect calls and jumps through a register (5.x+ spell the register rbx, 4.15-5.8 %rbx). */
.macro CALL_NOSPEC reg:req
	ER_NOSPEC call, \reg
.endm
.macro JMP_NOSPEC reg:req
	ER_NOSPEC jmp, \reg
.endm

/* Call-depth accounting for return thunks (CONFIG_CALL_DEPTH_TRACKING only). */
.macro CALL_DEPTH_ACCOUNT
#ifdef CONFIG_CALL_DEPTH_TRACKING
	ALTERNATIVE "", "sarq $5, %gs:__x86_call_depth", X86_FEATURE_CALL_DEPTH
#endif
.endm

.macro STACKLEAK_ERASE
#ifdef CONFIG_GCC_PLUGIN_STACKLEAK
	call	stackleak_erase
#endif
.endm

.macro STACKLEAK_ERASE_NOCLOBBER
#ifdef CONFIG_GCC_PLUGIN_STACKLEAK
	PUSH_REGS
	call	stackleak_erase
	POP_REGS
#endif
.endm
`;

// ---- builtin (primitive) GAS macros ----------------------------------------------------------

function trimArg(s: string | undefined): string {
  return (s ?? '').trim();
}

function alternative(asm: Assembler, call: MacroCall, arms: { feature: string; text: string }[], featureName: (t: string) => string): void {
  const named = arms.map((a, k) => ({ feature: k === 0 ? '' : featureName(a.feature), text: a.text }));
  const group = asm.beginAlternative(call, named);
  named.forEach((a, k) => {
    const tag: AlternativeTag = { group, arm: k, feature: a.feature };
    asm.emitText(call, a.text, tag);
  });
}

/**
 * The model's primitive GAS macros. `featureName` turns a feature argument (a name, or the
 * number a real cpufeatures.h expanded it to) into the X86_FEATURE_* name.
 */
export function builtinMacros(featureName: (text: string) => string): Map<string, BuiltinMacro> {
  const m = new Map<string, BuiltinMacro>();
  const need = (asm: Assembler, call: MacroCall, n: number): boolean => {
    if (call.args.length < n) {
      asm.error(call.loc, `'${call.name}' expects ${n} arguments, got ${call.args.length}`);
      return false;
    }
    return true;
  };
  m.set('ALTERNATIVE', (asm, call) => {
    const a = [...call.args];
    if (call.named.size) {
      a[0] = call.named.get('oldinstr') ?? a[0];
      a[1] = call.named.get('newinstr') ?? a[1];
      a[2] = call.named.get('feature') ?? a[2];
    }
    if (a.length < 3) {
      need(asm, { ...call, args: a }, 3);
      return;
    }
    alternative(asm, call, [{ feature: '', text: a[0] }, { feature: trimArg(a[2]), text: a[1] }], featureName);
  });
  m.set('ALTERNATIVE_2', (asm, call) => {
    if (!need(asm, call, 5)) return;
    const a = call.args;
    alternative(asm, call, [{ feature: '', text: a[0] }, { feature: trimArg(a[2]), text: a[1] }, { feature: trimArg(a[4]), text: a[3] }], featureName);
  });
  m.set('ALTERNATIVE_3', (asm, call) => {
    if (!need(asm, call, 7)) return;
    const a = call.args;
    alternative(asm, call, [
      { feature: '', text: a[0] }, { feature: trimArg(a[2]), text: a[1] }, { feature: trimArg(a[4]), text: a[3] },
      { feature: trimArg(a[6]), text: a[5] },
    ], featureName);
  });
  // ALTERNATIVE_TERNARY oldinstr, feature, newinstr_yes, newinstr_no: "no" is the default.
  m.set('ALTERNATIVE_TERNARY', (asm, call) => {
    if (!need(asm, call, 4)) return;
    const a = call.args;
    alternative(asm, call, [{ feature: '', text: a[3] }, { feature: trimArg(a[1]), text: a[2] }], featureName);
  });
  // Static branches: arm 0 is the code as assembled (the key's default), arm 1 the patched one.
  const staticJump = (whenTrue: boolean) => (asm: Assembler, call: MacroCall) => {
    const target = trimArg(call.named.get('target') ?? call.args[0]);
    const key = trimArg(call.named.get('key') ?? call.args[1]);
    const defText = trimArg(call.named.get('def') ?? call.args[2] ?? '0');
    if (!target || !key) {
      asm.error(call.loc, `'${call.name}' expects a target and a key`);
      return;
    }
    const def = defText !== '' && defText !== '0';
    // The jump is taken when key == whenTrue; the default state is def.
    const jumpsByDefault = def === whenTrue;
    const jmp = `jmp ${target}`;
    const tagKey = key.replace(/\+.*$/, '').trim();
    alternative(asm, call, [
      { feature: '', text: jumpsByDefault ? jmp : '' },
      { feature: tagKey, text: jumpsByDefault ? '' : jmp },
    ], (t) => t);
  };
  m.set('STATIC_JUMP_IF_TRUE', staticJump(true));
  m.set('STATIC_JUMP_IF_FALSE', staticJump(false));
  // STATIC_BRANCH_JMP l_yes, key, branch: jumps to l_yes when the key's state differs from `branch`.
  m.set('STATIC_BRANCH_JMP', (asm, call) => {
    const target = trimArg(call.named.get('l_yes') ?? call.args[0]);
    const key = trimArg(call.named.get('key') ?? call.args[1]);
    const branch = trimArg(call.named.get('branch') ?? call.args[2] ?? '0');
    if (!target || !key) {
      asm.error(call.loc, `'${call.name}' expects l_yes, key and branch`);
      return;
    }
    const jumpsByDefault = branch !== '' && branch !== '0';
    alternative(asm, call, [
      { feature: '', text: jumpsByDefault ? `jmp ${target}` : '' },
      { feature: key, text: jumpsByDefault ? '' : `jmp ${target}` },
    ], (t) => t);
  });
  // ER_GET_THREAD_INFO reg: the thread_info pointer, from the per-CPU stack variable this file uses.
  m.set('ER_GET_THREAD_INFO', (asm, call) => {
    if (!need(asm, call, 1)) return;
    const reg = trimArg(call.args[0]);
    const old = asm.usesKernelStackVar;
    asm.emitText(call, old
      ? `movq %gs:kernel_stack, ${reg}; subq $(THREAD_SIZE-KERNEL_STACK_OFFSET), ${reg}`
      : `movq %gs:cpu_current_top_of_stack, ${reg}; subq $(THREAD_SIZE), ${reg}`);
  });
  // ER_NOSPEC op, reg: `op *%reg`, the retpoline thunk, or lfence first (CALL_NOSPEC/JMP_NOSPEC).
  m.set('ER_NOSPEC', (asm, call) => {
    if (!need(asm, call, 2)) return;
    const op = trimArg(call.args[0]);
    const reg = trimArg(call.args[1]).replace(/^%/, '');
    alternative(asm, call, [
      { feature: '', text: `${op} *%${reg}` },
      { feature: 'X86_FEATURE_RETPOLINE', text: `${op} __x86_indirect_thunk_${reg}` },
      { feature: 'X86_FEATURE_RETPOLINE_LFENCE', text: `lfence; ${op} *%${reg}` },
    ], (t) => t);
  });
  // Xen's BUG_FRAME (asm/bug.h): the trapping instruction (current Xen writes UDB as `.byte 0xd6`,
  // older ones ud2; both raise #UD) and bug-frame data in other sections, which the model needs
  // not: the instruction it stands for.
  m.set('BUG_FRAME', (asm, call) => asm.emitText(call, 'ud2'));
  m.set('ER_EXTABLE', (asm, call) => {
    if (!need(asm, call, 2)) return;
    asm.addExtable({ ...call, name: trimArg(call.args[2]) || '_ASM_EXTABLE' }, call.args[0], call.args[1]);
  });
  return m;
}
