// Built-in knowledge of Linux's saved frame (pt_regs) and the machine state a
// SYSCALL from user mode leaves, for the analysis to start from.

import { Algebra, mask } from './algebra';
import { applySyscall } from './exits';
import { GPRS, Gpr, MachineState, MemoryInit, RFLAGS } from './state';

/**
 * Linux x86-64 pt_regs, from offset 0 upwards (R15 = 0, ..., RIP = 16*8,
 * CS = 17*8, EFLAGS = 18*8, RSP = 19*8, SS = 20*8). The frame is 21 slots.
 */
export const LINUX_PT_REGS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'] as const;
export type PtRegsField = (typeof LINUX_PT_REGS)[number];
export const PT_REGS_SIZE = LINUX_PT_REGS.length * 8;

/** The header offset of a pt_regs field (`ip` → 128). */
export function ptregsOffset(field: PtRegsField): number {
  return LINUX_PT_REGS.indexOf(field) * 8;
}

/** The field at a byte offset into pt_regs, when it is the start of a slot. */
export function ptregsFieldAt(offset: bigint | number): PtRegsField | undefined {
  const o = Number(offset);
  return o % 8 === 0 && o >= 0 && o < PT_REGS_SIZE ? LINUX_PT_REGS[o / 8] : undefined;
}

/** The pt_regs field that saves a general register (`rcx` → `cx`). */
export function ptregsFieldOf(reg: Gpr): PtRegsField | undefined {
  const f = reg.startsWith('r') && /^r\d+$/.test(reg) ? reg : reg.slice(1);
  return (LINUX_PT_REGS as readonly string[]).includes(f) ? (f as PtRegsField) : undefined;
}

/**
 * A memory initialiser that names the slots of a frame: 8-byte reads at
 * `frameOffset + 8*i` in region `base` are `<prefix>.<field>`; anything else
 * falls through to `other`.
 */
export function frameMemInit<V, B>(A: Algebra<V, B>, base: string, frameOffset: bigint, other: MemoryInit<V>, prefix = 'ptregs', layout: readonly string[] = LINUX_PT_REGS): MemoryInit<V> {
  return (b, off, size) => {
    const rel = off - frameOffset;
    if (b === base && size === 8 && rel >= 0n && rel % 8n === 0n && rel < BigInt(layout.length * 8)) return A.fresh(`${prefix}.${layout[Number(rel / 8n)]}`, 64);
    return other(b, off, size);
  };
}

/** RFLAGS bits user mode can hold (IF is always 1 there, IOPL 0, VM 0). */
export const USER_RFLAGS_MASK = RFLAGS.CF | RFLAGS.PF | RFLAGS.AF | RFLAGS.ZF | RFLAGS.SF | RFLAGS.TF | RFLAGS.DF | RFLAGS.OF | RFLAGS.NT | RFLAGS.RF | RFLAGS.AC | RFLAGS.ID;

export interface SyscallEntryOptions<V> {
  /** Address of the instruction after the user's SYSCALL (default: the value `user.rip`). */
  userRip?: V;
  /** User RFLAGS before SYSCALL (default: `(user.rflags & USER_RFLAGS_MASK) | 0x202`). */
  userRflags?: V;
  /** User CR3 (default: `user.cr3` with the PTI user bit 12 set). */
  userCr3?: V;
  /** MSR values (default: Linux's STAR and FMASK). */
  msrs?: Record<string, V>;
  memInit?: MemoryInit<V>;
}

/**
 * The state SYSCALL leaves: RCX = user RIP, R11 = user RFLAGS, RFLAGS masked by
 * FMASK, kernel CS/SS, CPL 0, every other register `user.<reg>`, the user's GS
 * base and CR3, RSP still the user's. `user(name, width)` supplies user values
 * (fresh variables for symbolic runs, pinned numbers for concrete ones).
 */
export function syscallEntryState<V, B>(A: Algebra<V, B>, user: (name: string, width: number) => V, opts: SyscallEntryOptions<V> = {}): MachineState<V, B> {
  const regs: Partial<Record<Gpr, V>> = {};
  for (const g of GPRS) regs[g] = user(g, 64);
  const rflags = opts.userRflags ?? A.or(A.and(user('rflags', 64), A.const(64, USER_RFLAGS_MASK)), A.const(64, 0x202n));
  const cr3 = opts.userCr3 ?? A.or(user('cr3', 64), A.const(64, 0x1000n));
  const s = new MachineState(A, {
    regs,
    rflags,
    cs: A.const(16, 0x33n),
    ss: A.const(16, 0x2bn),
    cpl: A.const(2, 3n),
    gsKernel: A.const(1, 0n),
    cr3,
    msrs: opts.msrs,
    memInit: opts.memInit,
  });
  applySyscall(A, s, opts.userRip ?? user('rip', 64));
  return s;
}

/** Symbolic user values named `user.<name>`. */
export function freshUser<V, B>(A: Algebra<V, B>): (name: string, width: number) => V {
  return (name, width) => A.fresh('user.' + name, width);
}

/** Concrete user values from a table (missing ones are 0), for `simulate --set`. */
export function pinnedUser<V, B>(A: Algebra<V, B>, values: Record<string, bigint>): (name: string, width: number) => V {
  return (name, width) => A.const(width, (values[name] ?? 0n) & mask(width));
}
