// What the kernel's C headers would give the contract functions the checks read, for a C file
// read without them: the selectors, flag bits and address limits of shared/FACTS.md, and the
// helpers whose meaning the translation knows (they become calls it interprets, see
// analysis/cverify.ts). Written for this project from the documented values; not header text.
export const C_PRELUDE = String.raw`
#define __KERNEL__ 1
#define __x86_64__ 1
#define likely(x) (x)
#define unlikely(x) (x)
#define __visible
#define noinstr
#define notrace
#define __always_inline inline
#define __init
#define __user
#define __force
#define __must_check
#define asmlinkage
#define instrumentation_begin() do { } while (0)
#define instrumentation_end() do { } while (0)
#define add_random_kstack_offset() do { } while (0)
#define READ_ONCE(x) (x)
#define IS_ENABLED(option) __er_is_enabled(option)
#define __USER_CS 0x33
#define __USER_DS 0x2b
#define __USER32_CS 0x23
#define __KERNEL_CS 0x10
#define __KERNEL_DS 0x18
#define X86_EFLAGS_CF 0x1UL
#define X86_EFLAGS_TF 0x100UL
#define X86_EFLAGS_IF 0x200UL
#define X86_EFLAGS_DF 0x400UL
#define X86_EFLAGS_NT 0x4000UL
#define X86_EFLAGS_RF 0x10000UL
#define X86_EFLAGS_VM 0x20000UL
#define X86_EFLAGS_AC 0x40000UL
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#ifdef CONFIG_X86_5LEVEL
#define __VIRTUAL_MASK_SHIFT (pgtable_l5_enabled() ? 56 : 47)
#else
#define __VIRTUAL_MASK_SHIFT 47
#endif
#define TASK_SIZE_MAX ((1UL << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE)
/* FreeBSD amd64 (4-level paging): the end of the user address space */
#define VM_MAXUSER_ADDRESS 0x0000800000000000UL
#define __predict_false(x) (x)
#define __predict_true(x) (x)
#define true 1
#define false 0
`;
