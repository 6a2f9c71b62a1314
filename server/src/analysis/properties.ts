// The checks, each a predicate over one return to user mode (or one %gs: access): the
// condition under which that property is violated, in the machine's own terms. The principle:
// SYSRET must not fault in ring 0 and must leave the user exactly the state that IRET from the
// saved frame would; every return must leave the user GS base, the user CR3, no kernel value in
// a register and no exit work pending.
import { type Expr, GPRS, type Gpr, RFLAGS, SYSRET_RFLAGS_MASK, type SymbolicAlgebra, cellName, isCanonical } from '../x86';
import type { Severity } from './analyze';
import type { AccessEvent, ExitEvent, WalkResult } from './walk';
import { dataVars, frameCell, isKernelVar } from './walk';
import { rebuild } from './rebuild';

export { rebuild };

export interface Property {
  code: string;
  /** Short name shown in the return's condition list ("rcx canonical (48-bit)"). */
  name: string;
  severity: Severity;
  /** Violated when this holds (together with the path condition). */
  bad: Expr;
  vendor?: 'intel' | 'amd' | 'both';
  vaBits?: 48 | 57;
  /** The message, given the witness's concrete values. */
  message: (w: Record<string, string>) => string;
  /** Extra constraints that only serve the query (e.g. the copy of the path condition of a leak check). */
  extra?: Expr[];
}

export interface PropertyContext {
  S: SymbolicAlgebra;
  vendors: ('intel' | 'amd')[];
  vaBits: (48 | 57)[];
  walk: WalkResult;
}

const hex = (v: string | undefined): string => v ?? '?';

/**
 * The saved frame's field at a return (undefined when the entry has no frame). A slot this path
 * never wrote (3.x's fast path saves only part of pt_regs) stands for what the entry had: the
 * kernel fills those slots from it (FIXUP_TOP_OF_STACK) before anything may read them.
 */
export function frameField(ev: ExitEvent, name: string, S?: SymbolicAlgebra): Expr | undefined {
  const f = ev.frame;
  if (!f) return undefined;
  const off = frameCell(f, name);
  if (off === undefined) return undefined;
  const v = ev.state.mem.read(f.base, off, 8);
  const atEntry: Record<string, Expr | undefined> = { ip: ev.userRip, cx: ev.userRip, flags: ev.entryR11, r11: ev.entryR11, sp: ev.userRsp, cs: ev.userCs, ss: ev.userSs };
  const entryValue = atEntry[name];
  if (!entryValue || !S) return v;
  // the slot's never-written content, wherever it still shows (also under a contract's ite)
  const unwritten = `mem[${cellName(f.base, off)}]:64`;
  return rebuild(S, v, (x) => (x.op === 'var' && x.name === unwritten ? entryValue : undefined));
}

export function exitProperties(ctx: PropertyContext, ev: ExitEvent): Property[] {
  const out = exitProperties0(ctx, ev);
  if (ev.rec.kind !== 'iret') return out;
  // An IRET returns to user mode only when the CS it pops has RPL 3; to the kernel, none of this applies.
  const { S } = ctx;
  const toUser = S.eq(S.extract(ev.rec.user.cs, 1, 0), S.const(2, 3n));
  if (S.asBool(toUser) === true) return out;
  return out.map((p) => ({ ...p, bad: S.andB(toUser, p.bad) }));
}

function exitProperties0(ctx: PropertyContext, ev: ExitEvent): Property[] {
  const { S } = ctx;
  const out: Property[] = [];
  const m = ev.state;
  const rec = ev.rec;
  const ne = (a: Expr, b: Expr): Expr => S.notB(S.eq(a, b));
  const ip = frameField(ev, 'ip', S);
  const cx = frameField(ev, 'cx', S);
  const r11f = frameField(ev, 'r11', S);
  const flags = frameField(ev, 'flags', S);
  const cs = frameField(ev, 'cs', S);
  const ss = frameField(ev, 'ss', S);
  const sp = frameField(ev, 'sp', S);

  if (rec.kind === 'sysret') {
    const wide = rec.operandSize === 64;
    const insn = wide ? 'SYSRET' : 'SYSRETL';
    const rcx = m.regs.rcx;
    const r11 = m.regs.r11;
    // SYSRET: RIP and RCX from RCX, RFLAGS and R11 from R11. SYSRETL: EIP from ECX; the compat ABI
    // gives up ECX, and R11 is not visible in 32-bit mode, so only what IRET would restore visibly
    // is compared there. A frame without a cx slot (FreeBSD's: the ABI gives RCX up) compares RIP alone.
    const rip = wide ? rcx : S.zext(S.extract(rcx, 31, 0), 64);
    const cxSlot = wide ? cx : undefined;
    const r11Slot = wide ? r11f : undefined;
    if (wide && ctx.vendors.includes('intel')) {
      for (const w of ctx.vaBits) {
        out.push({
          code: 'sysret-noncanonical-rip',
          name: `rcx canonical (${w}-bit)`,
          severity: 'error',
          // the user RIP a SYSCALL saves is below TASK_SIZE_MAX: the kernel never maps the last user page
          // (a C contract function that read the paging mode ties it to the width: LA57 on for 57)
          bad: S.andB(
            S.andB(S.notB(isCanonical(S, rcx, w)), S.ult(ev.userRip, S.const(64, (1n << BigInt(w - 1)) - 0x1000n))),
            ctx.walk.la57 ? (w === 57 ? ctx.walk.la57 : S.notB(ctx.walk.la57)) : S.T,
          ),
          vendor: 'intel',
          vaBits: w,
          message: (x) => `missing canonical check: SYSRET can run with RCX = ${hex(x.rcxAtSysret)}, not canonical for ${w}-bit addresses; Intel raises #GP in ring 0 on the user's RSP and GS`,
        });
      }
    }
    if (ip) {
      out.push({
        code: 'sysret-rcx-not-rip',
        name: wide ? (cxSlot ? 'rcx == ptregs.ip == ptregs.cx' : 'rcx == ptregs.ip') : 'ecx == ptregs.ip',
        severity: 'warning',
        bad: cxSlot ? S.orB(ne(rip, ip), ne(rcx, cxSlot)) : ne(rip, ip),
        message: (x) => `after ${insn} the user's ${wide ? 'RIP (and RCX)' : 'EIP'} is ${wide ? 'RCX' : 'ECX'} = ${hex(x.rcxAtSysret)}, but IRET from pt_regs would give RIP ${hex(x.frameIp)}${cxSlot ? ` and RCX ${hex(x.frameCx)}` : ''}`,
      });
    }
    if (flags) {
      const M = S.const(64, SYSRET_RFLAGS_MASK & ~(RFLAGS.TF | RFLAGS.RF));
      // what IRET from the frame gives: the saved flags, or as the kernel gives them back (returnFlags)
      const rf = ctx.walk.entry.layout?.returnFlags;
      const given = rf ? S.or(S.and(flags, S.const(64, ~rf.clear & ((1n << 64n) - 1n))), S.const(64, rf.set)) : flags;
      const differ = ne(S.and(r11, M), S.and(given, M));
      const flagsName = rf ? `RFLAGS == ptregs.flags ${rf.text}` : 'RFLAGS == ptregs.flags';
      out.push({
        code: 'sysret-r11-not-rflags',
        name: r11Slot ? `r11 == ptregs.r11 and ${flagsName}` : flagsName,
        severity: 'warning',
        bad: r11Slot ? S.orB(ne(r11, r11Slot), differ) : differ,
        message: (x) => `after ${insn} the user's RFLAGS come from R11 = ${hex(x.r11AtSysret)}, but pt_regs->flags is ${hex(x.frameFlags)}${rf ? ` (given back ${rf.text})` : ''}${r11Slot ? ` and pt_regs->r11 is ${hex(x.frameR11)}` : ''}`,
      });
    }
    // RF/TF in R11 matter when R11 is not simply the RFLAGS the user's own SYSCALL saved
    // (a TF the user set should trap right after SYSRET: that is the single-step of the SYSCALL).
    out.push({
      code: 'sysret-rf-tf',
      name: 'RF and TF clear in r11',
      severity: 'warning',
      bad: S.andB(ne(S.and(r11, S.const(64, RFLAGS.RF | RFLAGS.TF)), S.const(64, 0n)), ne(r11, ev.entryR11)),
      message: (x) => `RF/TF not tested before ${insn}: R11 = ${hex(x.r11AtSysret)} has ${flagNames(x.r11AtSysret)} set; ${insn} cannot restore RF and a TF traps right after it, forever under a single-step`,
    });
    if (cs && ss) {
      const low = (v: Expr): Expr => S.extract(v, 15, 0);
      out.push({
        code: 'sysret-selectors',
        name: `ptregs.cs == ${rec.operandSize === 64 ? '__USER_CS' : '__USER32_CS'} and ptregs.ss == __USER_DS`,
        severity: 'warning',
        bad: S.orB(ne(low(cs), rec.user.cs), ne(low(ss), rec.user.ss)),
        message: (x) => `${insn} loads CS ${S.show(rec.user.cs)} and SS ${S.show(rec.user.ss)}, but the saved frame holds CS ${hex(x.frameCs)} and SS ${hex(x.frameSs)}`,
      });
    }
  }
  if (sp) {
    out.push({
      code: 'return-rsp-not-user',
      name: 'rsp == ptregs.sp',
      severity: 'warning',
      bad: ne(rec.user.rsp, sp),
      message: (x) => `the user's RSP after ${rec.kind.toUpperCase()} is ${hex(x.userRsp)}, not the saved pt_regs->sp ${hex(x.frameSp)}`,
    });
  }
  out.push({
    code: 'gs-not-user',
    name: 'user GS base',
    severity: 'error',
    bad: S.eq(m.gsKernel, S.const(1, 1n)),
    message: () => `returns to user mode with the kernel GS base active (SWAPGS missing or run twice on this path)`,
  });
  if (ctx.walk.writesCr3) {
    // Linux: the user page tables are the kernel's plus 4 KiB (bit 12); a project's userCr3: the
    // per-CPU word's value, or %cr3 as at entry when the word says there is none
    const u = ctx.walk.userCr3;
    const word = u && m.mem.read(u.base, u.offset, 8);
    const none = u && word && S.eq(word, S.const(64, u.none));
    const isUser = u && word && none ? S.orB(S.andB(none, S.eq(m.cr.cr3, u.entry)), S.andB(S.notB(none), S.eq(m.cr.cr3, word))) : m.cr3IsUser();
    out.push({
      code: 'cr3-not-user',
      name: 'user CR3',
      severity: 'error',
      bad: S.notB(isUser),
      message: () => `returns to user mode on the kernel CR3: page-table isolation is in this file, but this path does not switch back to the user page tables`,
    });
  }
  const work = ctx.walk.work;
  if (work) {
    const c = work.cells[0];
    const w = m.mem.read(c.base, c.offset, 8);
    out.push({
      code: 'exit-work-unchecked',
      name: 'no exit work pending',
      severity: 'warning',
      bad: ne(S.and(w, S.const(64, work.mask)), S.const(64, 0n)),
      message: (x) => `returns to user mode with exit work pending (thread-info flags ${hex(x.tiFlags)}): the work flags were not tested with interrupts off, or interrupts were enabled after the test`,
    });
  }
  // Kernel values: a register whose value could change with kernel state alone.
  // (SYSRET takes RIP/RFLAGS from RCX/R11, SYSEXIT RIP/RSP from RDX/RCX: they hold the user's values)
  const skip = new Set<Gpr>(rec.kind === 'sysret' ? ['rsp', 'rcx', 'r11'] : rec.kind === 'sysexit' ? ['rsp', 'rcx', 'rdx'] : ['rsp']);
  const pc = ev.pc.reduce((a, b) => S.andB(a, b), S.T);
  for (const g of GPRS) {
    if (skip.has(g)) continue;
    const v = rec.user.regs[g];
    // Only values the register can take count, not the conditions that choose between them
    // (which path was taken is no secret of the kernel's).
    const kernelVars = [...dataVars(v)].filter(isKernelVar);
    if (!kernelVars.length) continue;
    const ren = new Map(kernelVars.map((n) => [n, n + "'"]));
    const memo = new Map<number, Expr>();
    const v2 = renameVars(S, v, ren, memo);
    const pc2 = renameVars(S, pc, ren, memo);
    out.push({
      code: 'kernel-value-leak',
      name: `${g} holds no kernel value`,
      severity: 'warning',
      bad: ne(v, v2),
      extra: [pc2],
      message: () => `%${g} holds a kernel value at the return to user mode (${S.show(v).slice(0, 80)})`,
    });
  }
  return out;
}

function flagNames(v: string | undefined): string {
  if (!v) return 'RF or TF';
  const n = BigInt(v);
  const names = [(n & RFLAGS.RF) !== 0n ? 'RF' : '', (n & RFLAGS.TF) !== 0n ? 'TF' : ''].filter(Boolean);
  return names.join(' and ') || 'RF or TF';
}

export function accessProperty(ctx: PropertyContext, a: AccessEvent): Property {
  const { S } = ctx;
  return {
    code: 'percpu-user-gs',
    name: 'kernel GS base at %gs: access',
    severity: 'error',
    bad: S.eq(a.gsKernel, S.const(1, 0n)),
    message: () => `per-CPU access to ${a.cell} through %gs while the GS base may still be the user's: the kernel would read or write memory the user controls`,
  };
}

/** `e` with variables renamed (`map`: old name → new name), rebuilt through the algebra. */
export function renameVars(S: SymbolicAlgebra, e: Expr, map: ReadonlyMap<string, string>, memo = new Map<number, Expr>()): Expr {
  return rebuild(S, e, (v) => {
    const n = v.op === 'var' ? map.get(v.name) : undefined;
    return n ? S.fresh(n, v.width) : undefined;
  }, memo);
}

