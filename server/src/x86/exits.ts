// SYSCALL, SYSRET and IRET as the Intel SDM and the AMD APM define them,
// parameterised by vendor and virtual-address width.

import { Algebra, isCanonical, ne } from './algebra';
import { Gpr, MachineState, RFLAGS, VaBits, Vendor } from './state';

export interface Fault<B> {
  /** Exception vector: 13 #GP, 6 #UD, 1 #DB, 3 #BP, 12 #SS, 11 #NP, 14 #PF. */
  vector: number;
  name: string;
  /** Ring the fault is taken in (the CPL when it is raised). */
  ring: 0 | 3;
  vendor: Vendor | 'both';
  /** The condition under which this fault happens (concrete: true/false). */
  when: B;
  reason: string;
  errorCode?: bigint;
  /**
   * Which state the fault is taken on: 'before' — the instruction has not
   * changed anything (Intel SYSRET: ring 0, the user's RSP, the GS base as the
   * exit left it); 'after' — the return completed and the first user
   * instruction faults (AMD SYSRET).
   */
  taken: 'before' | 'after';
}

/** The user-visible state after a return to user mode. */
export interface UserState<V> {
  rip: V;
  rsp: V;
  rflags: V;
  cs: V;
  ss: V;
  regs: Record<Gpr, V>;
  /** 1 when the kernel's GS base is still active. */
  gsKernel: V;
  cr3: V;
  cpl: V;
}

export interface ExitRecord<V, B> {
  kind: 'sysret' | 'iret' | 'sysexit';
  operandSize: 32 | 64;
  /** Faults of either vendor, each with its condition; the first that holds is the one taken. */
  faults: Fault<B>[];
  /** A #DB trap right after the return (TF set in the loaded RFLAGS): the user never runs an instruction. */
  debugTrap: B;
  /** State after a successful return. */
  user: UserState<V>;
  /** The whole machine state after a successful return. */
  after: MachineState<V, B>;
}

/** Selector values the IRET model accepts (Linux's by default). */
export interface Selectors {
  userCs64: bigint;
  userCs32: bigint;
  userSs: bigint;
  kernelCs: bigint;
  kernelSs: bigint;
}

export const LINUX_SELECTORS: Selectors = { userCs64: 0x33n, userCs32: 0x23n, userSs: 0x2bn, kernelCs: 0x10n, kernelSs: 0x18n };

/** SYSRET's RFLAGS mask. */
export const SYSRET_RFLAGS_MASK = 0x3c7fd7n;

function userState<V, B>(s: MachineState<V, B>): UserState<V> {
  return { rip: s.A.const(64, 0n), rsp: s.regs.rsp, rflags: s.rflags(), cs: s.seg.cs, ss: s.seg.ss, regs: { ...s.regs }, gsKernel: s.gsKernel, cr3: s.cr.cr3, cpl: s.cpl };
}

/**
 * SYSCALL: RCX ← next RIP, R11 ← RFLAGS (RF cleared), RFLAGS &= ~FMASK (and RF
 * cleared), CS ← STAR[47:32] & ~3, SS ← STAR[47:32] + 8, CPL 0. RSP and GS are untouched.
 */
export function applySyscall<V, B>(A: Algebra<V, B>, s: MachineState<V, B>, nextRip: V): void {
  const rf = s.rflags();
  const noRf = A.and(rf, A.const(64, ~RFLAGS.RF));
  s.regs.rcx = nextRip;
  s.regs.r11 = noRf;
  s.setRflags(A.and(noRf, A.not(s.msr('FMASK'))));
  s.undefinedFlags.clear();
  const star = A.extract(s.msr('STAR'), 47, 32);
  s.seg.cs = A.and(star, A.const(16, 0xfffcn));
  s.seg.ss = A.add(star, A.const(16, 8n));
  s.cpl = A.const(2, 0n);
}

/** SYSRET (64-bit `sysretq` or 32-bit `sysretl`), for both vendors. */
export function sysret<V, B>(A: Algebra<V, B>, s: MachineState<V, B>, size: 32 | 64, vaBits: VaBits): ExitRecord<V, B> {
  const faults: Fault<B>[] = [];
  const notRing0 = ne(A, s.cpl, A.const(2, 0n));
  faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'both', when: notRing0, reason: 'SYSRET outside ring 0', errorCode: 0n, taken: 'before' });
  const rcx = s.regs.rcx;
  const after = s.clone();
  if (size === 64) {
    const nonCanonical = A.andB(A.notB(notRing0), A.notB(isCanonical(A, rcx, vaBits)));
    faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'intel', when: nonCanonical, reason: `RCX not canonical (${vaBits}-bit): Intel faults in ring 0 on the user's RSP and GS`, errorCode: 0n, taken: 'before' });
    faults.push({ vector: 13, name: '#GP', ring: 3, vendor: 'amd', when: nonCanonical, reason: `RCX not canonical (${vaBits}-bit): AMD returns to ring 3 and faults fetching the first user instruction`, errorCode: 0n, taken: 'after' });
  }
  const rip = size === 64 ? rcx : A.zext(A.extract(rcx, 31, 0), 64);
  const star = A.extract(s.msr('STAR'), 63, 48);
  const three = A.const(16, 3n);
  const cs = size === 64 ? A.or(A.add(star, A.const(16, 16n)), three) : A.or(star, three);
  const ss = A.or(A.add(star, A.const(16, 8n)), three);
  after.setRflags(A.or(A.and(s.regs.r11, A.const(64, SYSRET_RFLAGS_MASK)), A.const(64, 2n)));
  after.undefinedFlags.clear();
  after.seg.cs = cs;
  after.seg.ss = ss;
  after.cpl = A.const(2, 3n);
  const user = userState(after);
  user.rip = rip;
  const debugTrap = A.eq(after.flags.TF, A.const(1, 1n));
  return { kind: 'sysret', operandSize: size, faults, debugTrap, user, after };
}

/**
 * SYSEXIT (`sysexitl`: to 32-bit user mode; `sysexitq`: to 64-bit): RIP ← RDX, RSP ← RCX
 * (zero-extended 32-bit values for sysexitl), CS ← SYSENTER_CS + 16 (+ 32 for 64-bit) | 3,
 * SS ← that + 8, CPL 3; RFLAGS is left as it is (Linux loads the user's with POPF and STI first).
 * #GP(0) in ring 0 outside ring 0 or with SYSENTER_CS 0, and for sysexitq with a non-canonical
 * RCX or RDX; both vendors agree (AMD has no SYSEXIT in long mode: the compat path is Intel's).
 */
export function sysexit<V, B>(A: Algebra<V, B>, s: MachineState<V, B>, size: 32 | 64, vaBits: VaBits): ExitRecord<V, B> {
  const faults: Fault<B>[] = [];
  const sel = A.extract(s.msr('SYSENTER_CS'), 15, 0);
  const notRing0 = ne(A, s.cpl, A.const(2, 0n));
  faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'both', when: A.orB(notRing0, A.eq(A.and(sel, A.const(16, 0xfffcn)), A.const(16, 0n))), reason: 'SYSEXIT outside ring 0 or with a null SYSENTER_CS', errorCode: 0n, taken: 'before' });
  const narrow = (v: V): V => A.zext(A.extract(v, 31, 0), 64);
  const rip = size === 64 ? s.regs.rdx : narrow(s.regs.rdx);
  const rsp = size === 64 ? s.regs.rcx : narrow(s.regs.rcx);
  if (size === 64) {
    const bad = A.orB(A.notB(isCanonical(A, s.regs.rcx, vaBits)), A.notB(isCanonical(A, s.regs.rdx, vaBits)));
    faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'both', when: bad, reason: `RCX or RDX not canonical (${vaBits}-bit)`, errorCode: 0n, taken: 'before' });
  }
  const after = s.clone();
  const three = A.const(16, 3n);
  const cs = A.or(A.add(sel, A.const(16, size === 64 ? 32n : 16n)), three);
  after.seg.cs = cs;
  after.seg.ss = A.or(A.add(sel, A.const(16, size === 64 ? 40n : 24n)), three);
  after.cpl = A.const(2, 3n);
  after.regs.rsp = rsp;
  const user = userState(after);
  user.rip = rip;
  const debugTrap = A.eq(after.flags.TF, A.const(1, 1n));
  return { kind: 'sysexit', operandSize: size, faults, debugTrap, user, after };
}

/**
 * IRET from ring 0 in 64-bit mode: pops RIP, CS, RFLAGS, RSP, SS (8 bytes each for
 * iretq, 4 for iretl). Faults raised by IRET itself are taken in ring 0 (Linux
 * recovers from them through an exception-table fixup); both vendors agree.
 */
export function iret<V, B>(
  A: Algebra<V, B>,
  s: MachineState<V, B>,
  size: 32 | 64,
  vaBits: VaBits,
  sel: Selectors = LINUX_SELECTORS,
  load: (addr: V, width: number) => V = (a, w) => s.load(a, w),
): ExitRecord<V, B> {
  const n = size / 8;
  const rsp = s.regs.rsp;
  const slot = (i: number): V => {
    const v = load(A.add(rsp, A.const(64, BigInt(i * n))), size);
    return A.zext(v, 64);
  };
  const newRip = slot(0);
  const newCs = A.extract(slot(1), 15, 0);
  const newFlags = slot(2);
  const newRsp = slot(3);
  const newSs = A.extract(slot(4), 15, 0);
  const c16 = (v: bigint): V => A.const(16, v);
  const isCs64 = A.eq(newCs, c16(sel.userCs64));
  const isCs32 = A.eq(newCs, c16(sel.userCs32));
  const isKernelCs = A.eq(newCs, c16(sel.kernelCs));
  const toUser = A.orB(isCs64, isCs32);
  const faults: Fault<B>[] = [];
  const ring0 = A.eq(s.cpl, A.const(2, 0n));
  faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'both', when: A.eq(s.flags.NT, A.const(1, 1n)), reason: 'IRET with RFLAGS.NT set in IA-32e mode', errorCode: 0n, taken: 'before' });
  const badCs = A.notB(A.orB(toUser, isKernelCs));
  faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'both', when: badCs, reason: 'IRET to a code selector that is not a valid 64-bit or compatibility-mode selector', taken: 'before' });
  const rpl = (v: V): V => A.extract(v, 1, 0);
  const ssBad = A.iteB(
    toUser,
    A.orB(A.notB(A.eq(newSs, c16(sel.userSs))), ne(A, rpl(newSs), rpl(newCs))),
    A.andB(isKernelCs, A.notB(A.orB(A.eq(newSs, c16(sel.kernelSs)), A.eq(A.and(newSs, c16(0xfffcn)), c16(0n))))),
  );
  faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'both', when: A.andB(A.notB(badCs), ssBad), reason: 'IRET with a stack selector that does not match the code selector', taken: 'before' });
  const ripBad = A.iteB(
    isCs32,
    A.notB(A.eq(A.extract(newRip, 63, 32), A.const(32, 0n))),
    A.notB(isCanonical(A, newRip, vaBits)),
  );
  faults.push({ vector: 13, name: '#GP', ring: 0, vendor: 'both', when: A.andB(A.notB(badCs), ripBad), reason: `IRET to a non-canonical (${vaBits}-bit) RIP`, errorCode: 0n, taken: 'before' });
  // RFLAGS: CF PF AF ZF SF TF DF OF NT RF AC ID VIF VIP from the frame; IF and IOPL
  // because the old CPL is 0; VM stays 0 in IA-32e mode; bit 1 set.
  const after = s.clone();
  const keep = RFLAGS.CF | RFLAGS.PF | RFLAGS.AF | RFLAGS.ZF | RFLAGS.SF | RFLAGS.TF | RFLAGS.DF | RFLAGS.OF | RFLAGS.NT | RFLAGS.RF | RFLAGS.AC | RFLAGS.ID | RFLAGS.VIF | RFLAGS.VIP;
  const priv = RFLAGS.IF | RFLAGS.IOPL;
  const loaded = A.or(A.and(newFlags, A.ite(ring0, A.const(64, keep | priv), A.const(64, keep | RFLAGS.IF))), A.const(64, 2n));
  const old = s.rflags();
  const kept = A.and(old, A.ite(ring0, A.const(64, 0n), A.const(64, RFLAGS.IOPL)));
  after.setRflags(A.or(loaded, kept));
  after.undefinedFlags.clear();
  after.seg.cs = newCs;
  after.seg.ss = newSs;
  after.cpl = A.zext(rpl(newCs), 2);
  after.regs.rsp = newRsp;
  const user = userState(after);
  user.rip = newRip;
  const debugTrap = A.eq(after.flags.TF, A.const(1, 1n));
  return { kind: 'iret', operandSize: size, faults, debugTrap, user, after };
}

/** The faults of one vendor, in the order the CPU checks them. */
export function faultsFor<B>(faults: Fault<B>[], vendor: Vendor): Fault<B>[] {
  return faults.filter((f) => f.vendor === 'both' || f.vendor === vendor);
}

/** The condition under which the return faults on `vendor` (optionally only faults in `ring`). */
export function faultCondition<V, B>(A: Algebra<V, B>, rec: ExitRecord<V, B>, vendor: Vendor, ring?: 0 | 3): B {
  let c = A.bool(false);
  for (const f of faultsFor(rec.faults, vendor)) if (ring === undefined || f.ring === ring) c = A.orB(c, f.when);
  return c;
}

/** Concrete outcome of a return on one vendor: the first fault that holds, or none. */
export function concreteOutcome<V, B>(A: Algebra<V, B>, rec: ExitRecord<V, B>, vendor: Vendor): { kind: 'sysret' | 'iret' | 'sysexit' | 'fault' | 'unknown'; fault?: Fault<B> } {
  let unknown = false;
  for (const f of faultsFor(rec.faults, vendor)) {
    const b = A.asBool(f.when);
    if (b === true) return unknown ? { kind: 'unknown' } : { kind: 'fault', fault: f };
    if (b === undefined) unknown = true;
  }
  return unknown ? { kind: 'unknown' } : { kind: rec.kind };
}

export interface ExitSummary {
  kind: 'sysret' | 'iret' | 'sysexit' | 'fault' | 'unknown';
  fault: { vector: number; ring: 0 | 3; vendor: Vendor } | null;
  /** rip, rsp, rflags, cs, ss, rax..r15 as text (hex when concrete), gsBase and cr3 as user|kernel. */
  user: Record<string, string>;
}

/**
 * The exit as the command line and the editor report it, for one vendor.
 * `cr3UserBit` is the page-table bit that marks the user CR3 (Linux PTI: 12).
 */
export function summarizeExit<V, B>(A: Algebra<V, B>, rec: ExitRecord<V, B>, vendor: Vendor, cr3UserBit = 12): ExitSummary {
  const o = concreteOutcome(A, rec, vendor);
  const u = rec.user;
  const user: Record<string, string> = { rip: A.show(u.rip), rsp: A.show(u.rsp), rflags: A.show(u.rflags), cs: A.show(u.cs), ss: A.show(u.ss) };
  for (const [k, v] of Object.entries(u.regs)) if (k !== 'rsp') user[k] = A.show(v);
  const kind = (bit: V, one: string, zero: string): string => {
    const c = A.asConst(bit);
    return c === undefined ? A.show(bit) : c === 1n ? one : zero;
  };
  user.gsBase = kind(u.gsKernel, 'kernel', 'user');
  user.cr3 = kind(A.extract(u.cr3, cr3UserBit, cr3UserBit), 'user', 'kernel');
  return { kind: o.kind, fault: o.fault ? { vector: o.fault.vector, ring: o.fault.ring, vendor } : null, user };
}
