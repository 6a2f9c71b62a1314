// The catalogue of diagnostic codes (SPEC.md "Diagnostic codes"): one sentence each, and the
// historic bug each check would have caught. SARIF's rules and the README's catalogue read it.

export interface CodeInfo {
  code: string;
  summary: string;
  history?: string;
}

export const CODES: CodeInfo[] = [
  { code: 'sysret-noncanonical-rip', summary: 'SYSRET reachable with a non-canonical RCX: on Intel it raises #GP in ring 0 with the user\'s RSP and GS (privilege escalation).', history: 'CVE-2012-0217 (FreeBSD, Xen XSA-7, NetBSD, Windows; Linux had the check)' },
  { code: 'sysret-rcx-not-rip', summary: 'After SYSRET the user\'s RIP or RCX may differ from the saved pt_regs ip / cx (SYSRET sets both from RCX).', history: 'the RCX == RIP test of Linux\'s opportunistic SYSRET (2014)' },
  { code: 'sysret-r11-not-rflags', summary: 'After SYSRET the user\'s RFLAGS or R11 may differ from the saved pt_regs flags / r11 (SYSRET loads RFLAGS from R11).', history: 'the R11 == RFLAGS test of Linux\'s opportunistic SYSRET (2014)' },
  { code: 'sysret-rf-tf', summary: 'RF or TF may be set in R11 at SYSRET: SYSRET cannot restore RF, and TF traps right after it (an endless single-step loop).', history: 'the RF/TF test added to Linux\'s opportunistic SYSRET (2015)' },
  { code: 'sysret-selectors', summary: 'The saved CS/SS may differ from the selectors SYSRET loads (__USER_CS, __USER_DS).', history: 'a compat task returned to 64-bit mode; AMD SYSRET SS attributes (X86_BUG_SYSRET_SS_ATTRS)' },
  { code: 'return-rsp-not-user', summary: 'RSP at the return to user mode is not the saved user RSP.' },
  { code: 'exit-work-unchecked', summary: 'A path returns to user mode with exit work pending: the work flags were not tested with interrupts off, or interrupts were enabled after the test.', history: 'lost signals and reschedules on the fast path (the seed\'s "one-shot work flags")' },
  { code: 'gs-not-user', summary: 'A path returns to user mode with the kernel GS base active (SWAPGS missing or doubled).' },
  { code: 'percpu-user-gs', summary: 'A %gs: (per-CPU) access runs while the GS base may still be the user\'s: the kernel would read or write memory the user controls.', history: 'CVE-2019-1125 (speculative SWAPGS) is its speculative cousin' },
  { code: 'cr3-not-user', summary: 'With page-table isolation in the file, a path returns to user mode on the kernel CR3.', history: 'Meltdown mitigation (KPTI, 2018)' },
  { code: 'kernel-value-leak', summary: 'A general register holds a kernel value at the return to user mode.', history: 'FreeBSD\'s fast_syscall leaking %r8-%r10; Linux zeroing r8-r10 on compat SYSRETL' },
  { code: 'canonical-width', summary: 'The canonical check assumes one virtual-address width, the configuration or an ALTERNATIVE another (47 vs 56 bits, LA57).', history: 'the .error "virtual address width changed -- SYSRET checks need update" guard (Linux 4.2)' },
  { code: 'contract-unproven', summary: 'The C function a return relies on does not establish its contract: a saved frame passes the C test and still makes SYSRET unsafe.' },
  { code: 'unmodeled', summary: 'An instruction, macro or address the model does not know; the analysis goes on with its outputs unknown.' },
  { code: 'parse', summary: 'Text the parser cannot read; the rest of the file is still analysed.' },
];

/** README's catalogue: one heading per code, so `#<code>` links to it. */
export const HELP_BASE = 'https://example.invalid/entry-review/README.md#';

export function codeInfo(code: string): CodeInfo | undefined {
  return CODES.find((c) => c.code === code);
}
