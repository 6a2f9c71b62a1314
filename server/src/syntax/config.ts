// The configuration a file is read under when its tree gives none (no .config, no
// include/generated/autoconf.h), and what a kernel build's command line adds to every .S file.
//
// Written for this project from the documented defaults of the options (Kconfig `default`/
// `def_bool` and arch/x86/configs/x86_64_defconfig); only options that entry code and the
// headers it includes test are listed. Deliberately not set: CONFIG_PARAVIRT / CONFIG_XEN* (the
// pv-ops indirections are model primitives anyway), CONFIG_X86_5LEVEL (the checker's `vaBits`
// option covers both widths), tracing and lock debugging (CONFIG_TRACE_IRQFLAGS,
// CONFIG_DEBUG_LOCK_ALLOC, CONFIG_DEBUG_ENTRY, CONFIG_FUNCTION_TRACER), CONFIG_X86_X32(_ABI),
// CONFIG_PREEMPT, CONFIG_CONTEXT_TRACKING, CONFIG_X86_KERNEL_IBT, CONFIG_X86_FRED.
// Xen's own x86 options (CONFIG_PV, CONFIG_PV32, CONFIG_HVM, CONFIG_XEN_SHSTK, ...) are listed
// too, at their Kconfig defaults: Linux does not use those names, and without CONFIG_PV a Xen
// entry.S has no return-to-guest path at all.
// -D adds to or replaces any of them, -U (ParseOptions.undefines) removes one.

/** CONFIG_ options assumed for a Linux x86-64 file read without its tree's configuration. */
export const DEFAULT_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['CONFIG_X86', '1'], ['CONFIG_X86_64', '1'], ['CONFIG_64BIT', '1'], ['CONFIG_SMP', '1'],
  ['CONFIG_NR_CPUS', '64'], ['CONFIG_X86_L1_CACHE_SHIFT', '6'], ['CONFIG_X86_INTERNODE_CACHE_SHIFT', '6'],
  ['CONFIG_X86_LOCAL_APIC', '1'], ['CONFIG_X86_IO_APIC', '1'],
  ['CONFIG_IA32_EMULATION', '1'], ['CONFIG_COMPAT', '1'],
  ['CONFIG_X86_16BIT', '1'], ['CONFIG_X86_ESPFIX64', '1'],
  ['CONFIG_AUDIT', '1'], ['CONFIG_AUDITSYSCALL', '1'],
  ['CONFIG_X86_MCE', '1'], ['CONFIG_X86_MCE_INTEL', '1'], ['CONFIG_X86_MCE_AMD', '1'], ['CONFIG_X86_MCE_THRESHOLD', '1'],
  ['CONFIG_X86_THERMAL_VECTOR', '1'], ['CONFIG_IRQ_WORK', '1'], ['CONFIG_HAVE_KVM', '1'],
  // Page-table isolation (4.15+) and its 6.9+ name.
  ['CONFIG_PAGE_TABLE_ISOLATION', '1'], ['CONFIG_MITIGATION_PAGE_TABLE_ISOLATION', '1'],
  // Retpolines (4.15+) and their 6.9+ name.
  ['CONFIG_RETPOLINE', '1'], ['CONFIG_MITIGATION_RETPOLINE', '1'],
  ['CONFIG_CPU_SUP_INTEL', '1'], ['CONFIG_CPU_SUP_AMD', '1'],
  ['CONFIG_STACKPROTECTOR', '1'], ['CONFIG_CC_STACKPROTECTOR', '1'],
  ['CONFIG_VMAP_STACK', '1'], ['CONFIG_UNWINDER_ORC', '1'], ['CONFIG_STACK_VALIDATION', '1'], ['CONFIG_OBJTOOL', '1'],
  ['CONFIG_PHYSICAL_START', '0x1000000'], ['CONFIG_PHYSICAL_ALIGN', '0x200000'],
  ['CONFIG_ILLEGAL_POINTER_VALUE', '0xdead000000000000'], ['CONFIG_HZ', '1000'],
  // Kconfig integers the 6.x headers use directly (PAGE_SHIFT, __ALIGN).
  ['CONFIG_PAGE_SHIFT', '12'], ['CONFIG_FUNCTION_ALIGNMENT', '16'],
  // Xen's own x86 options at their Kconfig defaults (names Linux does not use): PV guests
  // (32-bit too), HVM, CET shadow stacks and IBT, retpoline thunks, the branch-free masking of
  // guest pointers (guest_access_mask_ptr). Not set: CONFIG_DEBUG (a release build: no ASSERTs)
  // and CONFIG_RETURN_THUNK (RET stays `ret`, as the model needs to follow a return).
  ['CONFIG_PV', '1'], ['CONFIG_PV32', '1'], ['CONFIG_HVM', '1'], ['CONFIG_XEN_SHSTK', '1'], ['CONFIG_XEN_IBT', '1'],
  ['CONFIG_INDIRECT_THUNK', '1'], ['CONFIG_SPECULATIVE_HARDEN_GUEST_ACCESS', '1'],
];

/**
 * What a kernel's build adds on every .S file's command line besides -D__KERNEL__ (which the
 * driver defines): Linux arch/x86/Makefile's assembler probes of 3.x/4.x (`-DCONFIG_AS_CFI=1`
 * ...), FreeBSD's kern.pre.mk `-DLOCORE -D_KERNEL` (ASM_CFLAGS).
 */
export const BUILD_DEFINES: ReadonlyArray<readonly [string, string]> = [
  ['LOCORE', '1'], ['_KERNEL', '1'],
  ['CONFIG_AS_CFI', '1'], ['CONFIG_AS_CFI_SIGNAL_FRAME', '1'], ['CONFIG_AS_CFI_SECTIONS', '1'],
  ['CONFIG_AS_FXSAVEQ', '1'], ['CONFIG_AS_SSSE3', '1'], ['CONFIG_AS_CRC32', '1'], ['CONFIG_AS_AVX', '1'],
  ['CONFIG_AS_AVX2', '1'],
];
