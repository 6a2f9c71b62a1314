// The one symbolic walk. From an entry's hardware state it runs the machine over the CFG,
// merging states where paths meet (so the cost grows with the code, not with 2^branches), and
// records every return to user mode and every %gs: access with the path condition that reaches
// it. The checks (properties.ts), `simulate` and the witness replay all use this walk: in
// 'merge' mode every path is explored; in 'trace' mode the walk follows the one path that the
// pinned values (a solver model or `--set`) decide, step by step.
import {
  type AddressKey,
  type ExitRecord,
  type Expr,
  type Gpr,
  GPRS,
  LINUX_PT_REGS,
  LINUX_SELECTORS,
  LINUX_STAR,
  MachineState,
  RFLAGS,
  STATUS_FLAGS,
  SymbolicAlgebra,
  USER_RFLAGS_MASK,
  cellName,
  mergeStates,
  show,
  step,
  syscallEntryState,
  evaluate,
  kernelGsBase,
  variables,
} from '../x86';
import type { Cfg } from './cfg';
import { contractFor, type Contract } from './contracts';
import { cUnknownName, runCFunction, PT_REGS_FIELDS, type CPath } from './cverify';
import type { CFunction } from '../csrc/reader';
import { noteOperand, type OperandState } from './memstate';
import { rebuild } from './rebuild';

/**
 * `syscall`: the state a 64-bit SYSCALL leaves; `compat`: a SYSCALL from 32-bit user mode (RCX =
 * the 32-bit EIP, user CS __USER32_CS); `interrupt`: an interrupt or NMI taken in user mode.
 */
/**
 * syscall: 64-bit SYSCALL; compat: SYSCALL from 32-bit mode; sysenter: SYSENTER from 32-bit mode;
 * interrupt: a hardware frame on RSP0; exception: the same with an error code (or a vector stub's
 * push) below it; int80: `int $0x80` from 32-bit user mode (an interrupt frame with the 32-bit CS
 * and EIP); frame: kernel code that returns to user mode from a saved
 * frame RSP points at, every field of it user-controlled (Xen's restore_all_guest); iret-fault:
 * the exception-table fixup of an IRET that faulted in ring 0 on the frame it popped (Linux 3.x's
 * bad_iret), that frame still at RSP.
 */
export type EntryKind = 'syscall' | 'compat' | 'sysenter' | 'interrupt' | 'exception' | 'int80' | 'frame' | 'iret-fault';

export interface Entry {
  name: string;
  pos: number;
  kind: EntryKind;
  /** The saved frame's layout (default: Linux pt_regs at the top of the stack the entry switches to). */
  layout?: FrameLayout;
  /** `LABEL:KIND` when the kind was given and is not the label's own (what `simulate --entry` needs to replay it). */
  spec?: string;
  /** An interrupt entry on an IST stack (the NMI): its hardware frame is not on the task's stack. */
  ist?: boolean;
  /** An `iret-fault` entry: the lines of the IRETs whose exception-table entry names it. */
  faultOf?: number[];
}

/** A word of memory named the way the walk names it: a region (e.g. `percpu.current_task`) and an offset. */
export interface CellRef {
  base: string;
  offset: bigint;
}

/** Where the saved frame (pt_regs, a trapframe) lives: field F is the 8 bytes at (base, offset + fields[F]). */
export interface FrameRef {
  base: string;
  offset: bigint;
  fields: Readonly<Record<string, bigint>>;
}

/** A frame's layout: its size and each field's offset from its base (Linux: pt_regs). */
export interface FrameLayout {
  /** How far below the top of the stack the frame sits (a frame entry: its offset from RSP). */
  size: bigint;
  fields: Readonly<Record<string, bigint>>;
  /** A frame entry's frame length: the slots it has besides the named fields are user data too. */
  length?: bigint;
  /**
   * The flags the kernel gives back on return from this frame, when not the saved ones as they
   * are: those with `clear` cleared and `set` set (Xen: IOPL and VM cleared, IF set, on every way
   * out). What IRET from the frame would give, and so what SYSRET must give in R11.
   */
  returnFlags?: { clear: bigint; set: bigint; text: string };
}

export const LINUX_FRAME: FrameLayout = {
  size: BigInt(LINUX_PT_REGS.length * 8),
  fields: Object.fromEntries(LINUX_PT_REGS.map((f, i) => [f, BigInt(8 * i)])),
};

/** The 8-byte cell of a frame field, when the layout has it. */
export function frameCell(f: FrameRef, name: string): bigint | undefined {
  const o = f.fields[name];
  return o === undefined ? undefined : f.offset + o;
}

export interface ExitEvent {
  pos: number;
  rec: ExitRecord<Expr, Expr>;
  /** Machine state at the returning instruction (before it runs). */
  state: MachineState<Expr, Expr>;
  pc: Expr[];
  frame?: FrameRef;
  /** R11 as SYSCALL left it (the user's RFLAGS). */
  entryR11: Expr;
  /** The user RIP SYSCALL saved in RCX, and the user's RSP, CS and SS at entry (64-bit selectors). */
  userRip: Expr;
  userRsp: Expr;
  userCs: Expr;
  userSs: Expr;
  assumes: string[];
  /** Number of paths merged into this exit. */
  paths: number;
  /** Some instruction on a path here used an address whose symbols have no value. */
  unresolved: boolean;
}

export interface AccessEvent {
  pos: number;
  pc: Expr[];
  gsKernel: Expr;
  cell: string;
}

export interface TraceStep {
  pos: number;
  changed: Record<string, string>;
  /** detail: every general register after the step. */
  regs?: Record<string, string>;
  /** detail: the flags after the step (CF … OF, TF, IF, DF, RF). */
  flags?: Record<string, string>;
  /** detail: the saved frame's fields this step wrote (a call: what its contract rewrote), by field name. */
  frame?: Record<string, string>;
  /** detail: whose GS base is active after the step. */
  gs?: string;
}

/** The flags a step-by-step view shows. */
export const SHOWN_FLAGS = ['CF', 'PF', 'AF', 'ZF', 'SF', 'OF', 'TF', 'IF', 'DF', 'RF'] as const;

export interface WalkOptions {
  mode: 'merge' | 'trace';
  /** trace: values of named unknowns (a solver model, or pins). */
  env?: ReadonlyMap<string, bigint>;
  /**
   * trace: the environment is a solver model, so every unknown it does not name is irrelevant to
   * the question asked and reads as 0 (a witness replay is fully concrete). Without it, unpinned
   * values stay symbolic (`simulate`) and contracts leave unpinned frame cells as they were.
   */
  complete?: boolean;
  vendor: 'intel' | 'amd' | 'both';
  /** Wall-clock budget for this entry. */
  deadline: number;
  /**
   * A budget in states taken, which does not depend on how loaded the machine is (a witness
   * replay: the same model replays the same way on every run); the deadline stays a backstop.
   */
  maxStates?: number;
  /**
   * Asked every STOP_CHECK_EVERY states: true stops the walk at once (`incomplete: 'cancelled'`),
   * e.g. when the language server's document changed and this analysis is stale.
   */
  shouldStop?: () => boolean;
  contracts?: ReadonlyMap<string, Contract>;
  /** Keep the merged state before every instruction (for hovers). */
  keepStates?: boolean;
  /** The work-flags words and mask (a project file's); default: Linux's thread_info flags. */
  work?: { cells: CellRef[]; mask: bigint };
  /** trace: record every register, the flags and the frame cells written at each step (the editor's step view). */
  detail?: boolean;
  /** User selectors SYSRET loads and IRET accepts (a project file's); default: Linux's. */
  selectors?: { userCs: bigint; userSs: bigint };
  /** CPU features the configuration rules out (cpufeatures.ts): their ALTERNATIVE arms are never taken. */
  disabled?: ReadonlySet<string>;
  /**
   * The per-CPU word holding the user %cr3 (a project file's `userCr3`; default: Linux's bit 12).
   * With `stackEnd` (the stack's size) the word is at `offset` from the last byte of the stack RSP
   * is on at a frame entry (Xen's cpu_info), and `base` is not used.
   */
  userCr3?: CellRef & { none: bigint; stackEnd?: bigint };
}

export interface WalkResult {
  entry: Entry;
  /** Set when a C contract function read the paging mode: the condition that LA57 is on. */
  la57?: Expr;
  exits: ExitEvent[];
  accesses: AccessEvent[];
  /** Set when the walk could not finish: a loop that did not settle, the time budget, a deep call chain. */
  incomplete?: string;
  /** States taken from the work list (what `maxStates` counts). */
  states: number;
  /** Instructions reached. */
  reached: Set<number>;
  /** Some path wrote CR3 (page-table isolation is in the file). */
  writesCr3: boolean;
  /** Instructions the model could not run (treated as no-ops). */
  unmodeled: Map<number, string>;
  /** Jumps out of the file: to a label it does not define (instruction → the label), where the path ends unchecked. */
  leaves: Map<number, string>;
  /** The general registers before each instruction, as the walk first saw them there (keepStates). */
  before: Map<number, Record<Gpr, Expr>>;
  /** Each memory operand's cell and value before and after each instruction, as the walk first saw them there (keepStates). */
  memory: Map<number, OperandState[]>;
  /** trace mode: the steps taken, and why the trace stopped when it did not reach a return. */
  steps: TraceStep[];
  stop?: { pos: number; reason: string; missing: string[] };
  /** Where each branch condition first entered a path condition (expression id → position). */
  conjunctSite: Map<number, number>;
  /** trace: the environment's values the run read, defaults included (the pins that replay it). */
  used: Map<string, bigint>;
  /** The work-flags words (thread_info flags) and their pending-work mask, when the file has them. */
  work?: { cells: { base: string; offset: bigint }[]; mask: bigint; sticky: bigint };
  /** With a project's `userCr3`: where the user %cr3 lives, and %cr3 at entry (the user's). */
  userCr3?: CellRef & { none: bigint; entry: Expr };
}

interface PathState {
  m: MachineState<Expr, Expr>;
  pc: Expr[];
  stack: number[];
  frame?: FrameRef;
  assumes: string[];
  paths: number;
  /** Per-CPU cells this path wrote (C code may change them: they are the entry's scratch space). */
  percpuWritten: { name: string; key: AddressKey }[];
  /** The path has switched stacks once (the frame then lives at the top of the new stack). */
  switched: boolean;
  /** The path used an address whose symbols have no value (what it read or wrote is not tracked). */
  unresolved: boolean;
  /**
   * When the sticky work flags (work.sticky) are known set: after a callee that rewrote the frame
   * set them (a `setsWork` contract), until exit work runs. Others may set work flags at any
   * instruction, but these only the task itself clears.
   */
  sticky: Expr;
  /**
   * Set right after an STI: IF as it was before it. The instruction after an STI that turned
   * interrupts on runs before any interrupt is taken (the STI shadow: `sti; sysexit`).
   */
  stiFrom?: Expr;
}

/** Return addresses pushed by local calls: a recognisable kernel-text address plus the position. */
const RET_BASE = 0xffffffff81f00000n;
const MAX_VISITS = 8;
const WIDEN_AT = 3;
/**
 * How many times the walk may reach one instruction of a loop in all (every stack, every frame
 * place, every call stack): far above what real entry code needs (MAX_VISITS per state key).
 */
const MAX_POS_VISITS = 64;
/** How many constants a widened register may stand for before it is any value (widen). */
const MAX_VALUE_SET = 4;
const MAX_CALL_DEPTH = 8;
/** How often (in states) the walk asks `shouldStop`. */
const STOP_CHECK_EVERY = 64;
/** Per-CPU cells the context switch saves and restores with the task (3.x: `old_rsp`, the user RSP). */
const PER_TASK_PERCPU = new Set(['old_rsp']);

/** Variables in value positions of `e`: everything but the conditions of `ite`. */
export function dataVars(e: Expr): Set<string> {
  return new Set(variables(e, true).keys());
}

/** Values whose names start like this come from user mode or the saved frame; all others are the kernel's. */
export function isKernelVar(name: string): boolean {
  // (`c.`: what a contract function's C computes; it lands in the frame, which is the user's,
  // or in its return value, a truth value)
  if (/^(user\.|ptregs\.|syscall\.|saved\.|feature\.|cpu\.|c\.)/.test(name)) return false;
  // memory at an address made of user values alone is user memory (`movl (%rbp), %ebp` on the
  // SYSENTER path reads the user's stack)
  const mem = /^mem\[(.*)\]:\d+'?$/.exec(name);
  if (mem) {
    const names = (mem[1].match(/(?<![\w.])[A-Za-z_][\w.]*/g) ?? []).filter((n) => !/^(zext|sext)\d*$|^concat$/.test(n));
    if (names.length && names.every((n) => n.startsWith('user.'))) return false;
  }
  return true;
}

export function walk(S: SymbolicAlgebra, cfg: Cfg, entry: Entry, opts: WalkOptions): WalkResult {
  const env = opts.env;
  const trace = opts.mode === 'trace';
  const prog = cfg.program;
  const result: WalkResult = { entry, exits: [], accesses: [], states: 0, reached: new Set(), writesCr3: false, unmodeled: new Map(), leaves: new Map(), before: new Map(), memory: new Map(), steps: [], used: new Map(), conjunctSite: new Map() };

  /** A named unknown: its pinned value in a trace, a fresh variable otherwise. */
  const complete = trace && !!opts.complete;
  const detail = trace && !!opts.detail;
  /** detail: the frame fields' values as the step view last showed them (a trace is one path). */
  const frameSeen = new Map<string, number>();
  // In a replay every input the model leaves out reads as 0 (user registers, features, the vendor,
  // the work flags at entry); what a contract or an interrupt may change stays as it was, as in
  // `simulate` (a value the model leaves out does not matter, so "unchanged" is as good a value as
  // any); kernel pointers (per-CPU values, stack contents) keep their names: memory regions are
  // told apart by them.
  const zero = (name: string): bigint | undefined => {
    if (!complete || !/^(user\.|feature\.|cpu\.|ti_flags$)/.test(name)) return undefined;
    result.used.set(name, 0n);
    return 0n;
  };
  const lookup = (name: string): bigint | undefined => {
    const short = name.replace(/@L[\d.]+$/, '');
    const v = env?.get(name) ?? env?.get(short);
    if (v !== undefined) result.used.set(env?.has(name) ? name : short, v);
    return v;
  };
  const val = (name: string, width: number): Expr => {
    const v = lookup(name) ?? zero(name);
    return v !== undefined ? S.const(width, v) : S.fresh(name, width);
  };
  /** What a contract havocs: fresh when merging; in a trace the pinned value, else what was there. */
  const havoc = (name: string, width: number, current: Expr): Expr => {
    if (!trace) return S.fresh(name, width);
    const v = lookup(name);
    return v !== undefined ? S.const(width, v) : current;
  };
  const bit = (name: string): Expr => S.eq(val(name, 1), S.const(1, 1n));

  // --- the entry state --------------------------------------------------------------------
  const memInit = (base: string, off: bigint, size: number): Expr => {
    if (base.startsWith('gs:')) return val(`percpu.${cellName(base.slice(3), off)}`, size * 8);
    // the per-CPU offsets table, at the index the code computes from its CPU number (5.9+
    // GET_PERCPU_BASE: RDPID or LSL, then __per_cpu_offset(, %reg, 8)): this CPU's GS base
    if (size === 8 && (base.split(' + ').includes('__per_cpu_offset') || base === 'pcpu_unit_offsets')) return kernelGsBase(S);
    return val(`mem[${cellName(base, off)}]:${size * 8}`, size * 8);
  };
  /** RFLAGS as user mode may hold them (what SYSCALL saved, what ptrace may write): the user-changeable bits, IF and bit 1 set. */
  const userFlags = (v: Expr): Expr => S.or(S.and(v, S.const(64, USER_RFLAGS_MASK)), S.const(64, 0x202n));
  /** A selector as the C that rewrites a frame leaves it (ptrace, sigreturn): RPL 3. */
  const rpl3 = (v: Expr): Expr => S.or(v, S.const(64, 3n));
  const userRflags = userFlags(val('user.rflags', 64));
  /** The CPU left a hardware frame on RSP0 (an interrupt or exception from user mode). */
  const hardwareFrame = entry.kind === 'interrupt' || entry.kind === 'exception' || entry.kind === 'int80' || entry.kind === 'iret-fault';
  /** The user task is a 32-bit one (CS __USER32_CS, a 32-bit EIP). */
  const user32 = entry.kind === 'compat' || entry.kind === 'sysenter' || entry.kind === 'int80';
  /** The user RIP at entry, as the returns compare it (a frame entry has none of its own). */
  const userRip = user32 ? S.zext(S.extract(val('user.rip', 64), 31, 0), 64) : entry.kind === 'frame' ? S.const(64, 0n) : val('user.rip', 64);
  const layout = entry.layout ?? LINUX_FRAME;
  const selectors = opts.selectors ? { ...LINUX_SELECTORS, userCs64: opts.selectors.userCs, userSs: opts.selectors.userSs } : undefined;
  let m0: MachineState<Expr, Expr>;
  let frame0: FrameRef | undefined;
  /**
   * Without page-table isolation TSS.sp0 is the top of the task's stack: 3.x's per-CPU
   * kernel_stack plus KERNEL_STACK_OFFSET, 4.1+'s cpu_current_top_of_stack; before 4.9 the task's
   * thread_info (TI_flags) sits at its bottom.
   */
  function taskStackTop(): Expr | undefined {
    if (prog.constants.get('TI_flags') === undefined || prog.constants.get('THREAD_SIZE') === undefined) return undefined;
    // with page-table isolation (4.15+, when cpu_tss became cpu_tss_rw) TSS.sp0 is the entry
    // trampoline's stack, which error_entry leaves through sync_regs
    if (cfg.instruction.some((i) => i?.operands.some((o) => o.kind === 'mem' && o.seg === 'gs' && o.dispSymbol === 'cpu_tss_rw'))) return undefined;
    // which of the two the file's own stack switch (`movq PER_CPU_VAR(…), %rsp`) reads
    for (const insn of cfg.instruction) {
      const [src, dst] = insn?.operands ?? [];
      if (!insn?.mnemonic.startsWith('mov') || dst?.kind !== 'reg' || dst.name !== 'rsp' || src?.kind !== 'mem' || src.seg !== 'gs') continue;
      if (src.dispSymbol === 'kernel_stack') return S.add(val('percpu.kernel_stack', 64), S.const(64, prog.constants.get('KERNEL_STACK_OFFSET') ?? 0n));
      // (inside a 4.x tree cpu_current_top_of_stack is `cpu_tss + TSS_sp0`)
      if (src.dispSymbol === 'cpu_current_top_of_stack' || src.dispSymbol === 'cpu_tss') return val(`percpu.${cellName(src.dispSymbol, src.disp)}`, 64);
    }
    return undefined;
  }
  /** An interrupt's RSP0 when it is the task stack's top (the scan above, once per walk). */
  const onTaskStack = hardwareFrame && !entry.ist ? taskStackTop() : undefined;

  if (entry.kind === 'frame') {
    // Kernel code about to return to user mode: the registers hold kernel values, RSP points at
    // the saved frame (layout.size is its offset from RSP), and every field of the frame is the
    // user's to choose (a guest's registers, a signal frame). Interrupts are off; GS base and CR3
    // as the code leaves them are what the checks look at.
    const regs: Partial<Record<Gpr, Expr>> = {};
    for (const g of GPRS) regs[g] = val('kernel.' + g, 64);
    const msrs = opts.selectors ? { STAR: S.const(64, (((opts.selectors.userCs & ~3n) - 16n) << 48n) | (LINUX_STAR & 0xffffffffffffn)) } : undefined;
    m0 = new MachineState(S, { regs, rflags: S.const(64, 0x2n), cs: S.const(16, 0x10n), ss: S.const(16, 0x18n), cpl: S.const(2, 0n), gsKernel: S.const(1, 0n), cr3: S.or(val('user.cr3', 64), S.const(64, 0x1000n)), memInit, msrs });
    const k = S.addressKey(regs.rsp!);
    frame0 = { base: k.base, offset: k.offset + layout.size, fields: layout.fields };
    const len = layout.length ?? Object.values(layout.fields).reduce((a, b) => (b + 8n > a ? b + 8n : a), 0n);
    for (let o = 0n; o < len; o += 8n) m0.mem.write(k.base, k.offset + layout.size + o, val(`user.frame_0x${o.toString(16)}`, 64));
    for (const [f, o] of Object.entries(layout.fields)) m0.mem.write(k.base, k.offset + layout.size + o, val('ptregs.' + f, 64));
  } else if (hardwareFrame) {
    // The CPU switched to RSP0 from the TSS and pushed SS, RSP, RFLAGS, CS, RIP of user mode, and
    // for an exception that has one its error code (a vector stub's push of the vector looks the
    // same: it fills pt_regs->orig_ax); IF is clear (interrupt gate), CPL 0, and the GS base and
    // CR3 are still the user's. RSP0 is the top of the task's kernel stack (3.x: the per-CPU
    // kernel_stack, KERNEL_STACK_OFFSET below it), or with page-table isolation the entry
    // trampoline's, which the entry code leaves for the task's stack (4.15+).
    const regs: Partial<Record<Gpr, Expr>> = {};
    for (const g of GPRS) regs[g] = val('user.' + g, 64);
    const rsp0 = onTaskStack ?? val('kernel.tss_rsp0', 64);
    const hw: [number, Expr][] = [[-8, S.const(64, 0x2bn)], [-16, val('user.rsp', 64)], [-24, userRflags], [-32, S.const(64, user32 ? 0x23n : 0x33n)], [-40, userRip]];
    if (entry.kind === 'exception') hw.push([-48, val('cpu.error_code', 64)]);
    // The fixup of an IRET that faulted: the frame it could not return through is still at RSP,
    // as the C (ptrace, sigreturn) left it: any selectors with RPL 3 (a bad one is why it
    // faulted), any RIP; the registers are the user's (restored from the frame), and the GS
    // base is the kernel's (the #GP entry swapped it back for a fault at this IRET)
    if (entry.kind === 'iret-fault') {
      // (the selectors as the contracts' frame rewrite leaves them: `x | 3`; a pinned ptregs.cs
      // of 0x33 is 0x33)
      const f = (name: string): Expr => val('ptregs.' + name, 64);
      hw.splice(0, hw.length, [-8, rpl3(f('ss'))], [-16, f('sp')], [-24, userFlags(f('flags'))], [-32, rpl3(f('cs'))], [-40, f('ip')]);
    }
    regs.rsp = S.sub(rsp0, S.const(64, BigInt(8 * hw.length)));
    m0 = new MachineState(S, { regs, rflags: S.const(64, 0x2n), cs: S.const(16, 0x10n), ss: S.const(16, 0x0n), cpl: S.const(2, 0n), gsKernel: S.const(1, entry.kind === 'iret-fault' ? 1n : 0n), cr3: S.or(val('user.cr3', 64), S.const(64, 0x1000n)), memInit });
    const k = S.addressKey(rsp0);
    for (const [off, v] of hw) m0.mem.write(k.base, k.offset + BigInt(off), v);
    frame0 = { base: k.base, offset: k.offset - layout.size, fields: layout.fields };
  } else {
    // STAR[63:48] + 16 | 3 is the 64-bit user CS SYSRET loads, + 8 | 3 the user SS
    const msrs = opts.selectors ? { STAR: S.const(64, (((opts.selectors.userCs & ~3n) - 16n) << 48n) | (LINUX_STAR & 0xffffffffffffn)) } : undefined;
    m0 = syscallEntryState(S, (name, width) => val('user.' + name, width), { memInit, msrs, userRip: user32 ? userRip : undefined });
    // SYSCALL's saved RFLAGS per vendor: Intel copies RFLAGS into R11, AMD clears RF in the copy.
    const amdR11 = S.and(userRflags, S.const(64, ~RFLAGS.RF & ((1n << 64n) - 1n)));
    m0.regs.r11 = opts.vendor === 'intel' ? userRflags : opts.vendor === 'amd' ? amdR11 : S.ite(bit('cpu.amd'), amdR11, userRflags);
    if (entry.kind === 'sysenter') {
      // SYSENTER saves nothing: RCX and R11 keep the user's values, RSP is MSR_IA32_SYSENTER_ESP,
      // and RFLAGS keeps the user's bits except IF, VM and RF; a TF it keeps traps at once and the
      // debug handler clears it (see the work flags below)
      m0.regs.rcx = val('user.rcx', 64);
      m0.regs.r11 = val('user.r11', 64);
      m0.regs.rsp = val('kernel.sysenter_esp', 64);
      m0.setRflags(S.and(userRflags, S.const(64, ~(RFLAGS.IF | RFLAGS.VM | RFLAGS.RF | RFLAGS.TF) & ((1n << 64n) - 1n))));
    }
  }
  const entryR11 = m0.regs.r11;
  // A kernel that keeps its user page tables apart (FreeBSD's PCPU(UCR3)): the user %cr3 at entry
  // is that word, unless it says there is none (one %cr3 for user and kernel)
  if (opts.userCr3 && entry.kind !== 'frame' && opts.userCr3.stackEnd === undefined) {
    const u = opts.userCr3;
    const word = m0.mem.read(u.base, u.offset, 8);
    m0.cr.cr3 = S.ite(S.eq(word, S.const(64, u.none)), val('user.cr3', 64), word);
    result.userCr3 = { ...u, entry: m0.cr.cr3 };
  }
  // A frame entry leaves from a kernel that may run on the user's page tables already (Xen with
  // XPTI off keeps one %cr3) or switch to the per-CPU word's (XPTI on): the user %cr3 is that word,
  // or %cr3 as at entry when the word says there is none. The word at the stack's end (Xen's
  // cpu_info: RSP with the low bits set) is named as the walk names that address.
  if (opts.userCr3 && entry.kind === 'frame' && opts.userCr3.stackEnd !== undefined) {
    const u = opts.userCr3;
    const k = S.addressKey(S.add(S.or(m0.regs.rsp, S.const(64, opts.userCr3.stackEnd - 1n)), S.const(64, u.offset)));
    result.userCr3 = { base: k.base, offset: k.offset, none: u.none, entry: m0.cr.cr3 };
  }

  // Work flags: thread_info flags of `current` (TASK_TI_flags off current_task, or TI_flags off the
  // thread_info at the bottom of the 3.x/4.x kernel stack). Pending at the return means a one-shot
  // work flag (_TIF_WORK_MASK: signals, rescheduling, notify-resume, ...); the tracing flags that
  // ask for work at every system call exit (SYSCALL_TRACE, AUDIT, ...) stay set by design.
  // _TIF_WORK_MASK is "the low 16 bits but the tracing flags": of those, only the flags some exit
  // work handles are ever pending (do_notify_resume's _TIF_DO_NOTIFY_MASK and rescheduling; the
  // later additions are handled in C, behind a contract); the others are unassigned bits, and
  // the 3.x/4.x interrupt return rightly goes to user mode with them "set" (retint_signal's
  // `jz retint_swapgs`)
  const wide = prog.constants.get('_TIF_WORK_MASK') ?? prog.constants.get('_TIF_ALLWORK_MASK');
  const handled = ['_TIF_DO_NOTIFY_MASK', '_TIF_NEED_RESCHED', '_TIF_MCE_NOTIFY'].map((n) => prog.constants.get(n));
  const mask = wide !== undefined && handled[0] !== undefined && handled[1] !== undefined ? wide & handled.reduce<bigint>((a, b) => a | (b ?? 0n), 0n) : wide;
  if (opts.work) result.work = { cells: [...opts.work.cells], mask: opts.work.mask, sticky: 0n };
  // (a frame entry is code after the kernel's own exit-work loop: only a project's work words apply)
  else if (mask !== undefined && entry.kind !== 'frame') {
    const cells: { base: string; offset: bigint }[] = [];
    const tti = prog.constants.get('TASK_TI_flags');
    if (tti !== undefined) cells.push({ base: 'percpu.current_task', offset: tti });
    // (thread_info at the bottom of the 3.x/4.x kernel stack is added at the stack switch)
    // TIF_NOTIFY_RESUME: set by others (task_work, ptrace stops), cleared only by the task's own exit work
    result.work = { cells, mask, sticky: (prog.constants.get('_TIF_NOTIFY_RESUME') ?? 0n) & mask };
  }
  let tiFlags0 = val('ti_flags', 64);
  // SYSENTER keeps the user's TF: the #DB on the entry's first instruction clears it in the
  // kernel's flags and sets TIF_SINGLESTEP instead, which sends the return down the slow path
  const singlestep = prog.constants.get('_TIF_SINGLESTEP');
  if (entry.kind === 'sysenter' && singlestep !== undefined) {
    const tf = S.notB(S.eq(S.and(val('user.rflags', 64), S.const(64, RFLAGS.TF)), S.const(64, 0n)));
    tiFlags0 = S.or(tiFlags0, S.ite(tf, S.const(64, singlestep), S.const(64, 0n)));
  }
  for (const c of result.work?.cells ?? []) m0.mem.write(c.base, c.offset, tiFlags0);

  /** thread_info (and its flags word) sits at the bottom of the task's stack in 3.x/4.x kernels. */
  function threadInfo(m: MachineState<Expr, Expr>, base: string, top: bigint): void {
    const ti = prog.constants.get('TI_flags');
    const size = prog.constants.get('THREAD_SIZE');
    const work = result.work;
    if (!work || opts.work || ti === undefined || size === undefined) return;
    const cell = { base, offset: top - size + ti };
    if (work.cells.some((c) => c.base === cell.base && c.offset === cell.offset)) return;
    const first = work.cells[0];
    work.cells.push(cell);
    m.mem.write(cell.base, cell.offset, first ? m.mem.read(first.base, first.offset, 8) : tiFlags0);
  }
  // an interrupt taken on the task's stack (before 4.9) has the task's thread_info at its bottom
  if (onTaskStack && frame0) {
    threadInfo(m0, frame0.base, frame0.offset + layout.size);
  }
  const sticky = result.work?.sticky ?? 0n;
  const writeWork = (m: MachineState<Expr, Expr>, v: (old: Expr) => Expr): void => {
    for (const c of result.work?.cells ?? []) m.mem.write(c.base, c.offset, v(m.mem.read(c.base, c.offset, 8)));
  };

  // --- the worklist -----------------------------------------------------------------------------
  const pending = new Map<string, { pos: number; st: PathState }>();
  const visits = new Map<string, number>();
  const posVisits = new Map<number, number>();
  const seen = new Map<string, Set<string>>();
  const last = new Map<string, PathState>();
  /** Loop heads: keys reached by a jump backwards (only these are widened). */
  const heads = new Set<string>();
  let current = -1;
  const keyOf = (pos: number, stack: number[]): string => pos + '|' + stack.join(',');
  const { rank, cyclic } = cfg.order();

  const addPc = (pc: Expr[], c: Expr): Expr[] | undefined => {
    const b = S.asBool(c);
    if (b === true) return pc;
    if (b === false) return undefined;
    if (pc.includes(c)) return pc;
    if (pc.includes(S.notB(c))) return undefined;
    return [...pc, c];
  };

  const push = (pos: number, st: PathState): void => {
    // Paths on different stacks are not merged: a merged RSP would address memory through an
    // `ite`, which the memory model cannot name (the stacks an entry uses are few); nor are paths
    // whose saved frame is in different places (the checks read one frame per state).
    const k = keyOf(pos, st.stack) + '|' + S.addressKey(st.m.regs.rsp).base + (st.frame ? `|${st.frame.base}@${st.frame.offset}` : '');
    // a loop head: the target of a jump back (in the order a cycle is run) within its own cycle
    if (cyclic[pos] && current >= 0 && rank[pos] === rank[current] && pos <= current) heads.add(k);
    const old = pending.get(k);
    if (!old) {
      pending.set(k, { pos, st });
      return;
    }
    if (trace) return; // a trace follows one path
    pending.set(k, { pos, st: merge(old.st, st) });
  };

  const merge = (a: PathState, b: PathState): PathState => {
    const common = a.pc.filter((c) => b.pc.includes(c));
    const ra = a.pc.filter((c) => !common.includes(c));
    const rb = b.pc.filter((c) => !common.includes(c));
    const ca = ra.reduce((x, y) => S.andB(x, y), S.T);
    const cb = rb.reduce((x, y) => S.andB(x, y), S.T);
    const either = ra.length === 1 && rb.length === 1 && S.notB(ra[0]) === rb[0] ? S.T : S.orB(ca, cb);
    const pc = S.asBool(either) === true ? common : [...common, either];
    const m = mergeStates(S, ca, a.m, b.m);
    return {
      m,
      pc,
      stack: a.stack,
      frame: a.frame ?? b.frame,
      switched: a.switched || b.switched,
      unresolved: a.unresolved || b.unresolved,
      sticky: a.sticky === b.sticky ? a.sticky : S.iteB(ca, a.sticky, b.sticky),
      stiFrom: a.stiFrom && b.stiFrom ? (a.stiFrom === b.stiFrom ? a.stiFrom : S.ite(ca, a.stiFrom, b.stiFrom)) : undefined,
      assumes: [...new Set([...a.assumes, ...b.assumes])],
      paths: a.paths + b.paths,
      percpuWritten: [...a.percpuWritten, ...b.percpuWritten.filter((c) => !a.percpuWritten.some((x) => x.name === c.name))],
    };
  };


  for (const e of cfg.enter(entry.pos)) {
    let pc: Expr[] | undefined = [];
    for (const f of e.features) pc = pc && addPc(pc, featureCond(f));
    const assumes =
      entry.kind === 'iret-fault'
        ? [`${entry.name}: the exception-table fixup of the IRET at line ${(entry.faultOf ?? []).join(', ')}, run when it faults in ring 0 on the frame it pops (a bad CS or SS selector, a non-canonical RIP): entered with the kernel GS base (the #GP entry restores it for a fault at that IRET) and that frame at RSP, any selectors with RPL 3 and any RIP in it`]
        : [];
    if (pc) push(e.to, { m: m0.clone(), pc, stack: [], frame: frame0, switched: entry.kind === 'frame', unresolved: false, sticky: S.F, assumes, paths: 1, percpuWritten: [] });
  }

  /** The constants a widened register stands for (its loop variable's name → the values). */
  const valueSets = new Map<string, bigint[]>();
  /**
   * The constants `e` can be, at most MAX_VALUE_SET: a constant, an ite of such values, or any
   * expression of widened registers with a value set alone (`v[31:0] & ~mask` for each of v's
   * values: a narrowed 32-bit mask is zero-extended, not a constant).
   */
  const constantsOf = (e: Expr, out: Set<bigint>): boolean => {
    const vs = [...variables(e).keys()];
    if (vs.length <= 2 && vs.every((n) => valueSets.has(n))) {
      // every combination of the variables' values (at most MAX_VALUE_SET² of them)
      let envs: Map<string, bigint>[] = [new Map()];
      for (const n of vs) envs = envs.flatMap((env) => valueSets.get(n)!.map((x) => new Map([...env, [n, x]])));
      for (const env of envs) out.add(evaluate(e, env));
    } else if (e.op === 'ite') {
      // either arm's values, whatever the condition
      return constantsOf(e.args[1], out) && constantsOf(e.args[2], out);
    } else if (e.args.length && e.args.filter((a) => a.op !== 'const').length === 1) {
      // an operation on one such value and constants (a 32-bit `andl $~…, %edi` of either arm:
      // zext64(ite(c, a, b)[31:0] & mask)): the operation on each of its values
      const child = e.args.find((a) => a.op !== 'const')!;
      const values = new Set<bigint>();
      if (!constantsOf(child, values)) return false;
      for (const v of values) {
        const r = S.asConst(rebuild(S, e, (x) => (x === child ? S.const(child.width, v) : undefined)));
        if (r === undefined) return false;
        out.add(r);
      }
    } else return false;
    return out.size <= MAX_VALUE_SET;
  };

  function widen(prev: PathState, cur: PathState, site: string): PathState {
    const m = cur.m.clone();
    const p = prev.m;
    // a widened value keeps the class of what it stands for: saved user state, or the kernel's
    const fresh = (what: string, a: Expr, b: Expr): Expr => {
      const user = ![...dataVars(a), ...dataVars(b)].some(isKernelVar);
      return S.fresh(`${user ? 'saved.' : ''}loop@${site}.${what}`, a.width);
    };
    const pc = cur.pc.filter((c) => prev.pc.includes(c));
    for (const g of GPRS) {
      if (m.regs[g] === p.regs[g]) continue;
      // a register that takes one of a few constants round after round (a work mask narrowed as
      // the work is done: 4.x's %edi in int_with_check) stays one of them: a variable named by
      // its values, with that as a fact of the path; the same values give the same variable, so
      // the loop settles, and a value not seen before gives a new one
      const values = new Set<bigint>();
      if (constantsOf(p.regs[g], values) && constantsOf(m.regs[g], values)) {
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const v = S.fresh(`loop@${site}.${g}{${sorted.map((x) => x.toString(16)).join(',')}}`, 64);
        valueSets.set(v.name, sorted);
        m.regs[g] = v;
        const fact = sorted.map((x) => S.eq(v, S.const(64, x))).reduce((a, b) => S.orB(a, b));
        if (!pc.includes(fact)) pc.push(fact);
        continue;
      }
      m.regs[g] = fresh(g, p.regs[g], m.regs[g]);
    }
    for (const f of Object.keys(m.flags) as (keyof typeof m.flags)[]) if (m.flags[f] !== p.flags[f]) m.flags[f] = fresh(f, p.flags[f], m.flags[f]);
    if (m.gsKernel !== p.gsKernel) m.gsKernel = fresh('gsKernel', p.gsKernel, m.gsKernel);
    if (m.cr.cr3 !== p.cr.cr3) m.cr.cr3 = fresh('cr3', p.cr.cr3, m.cr.cr3);
    for (const { base, offset, cell } of [...m.mem.cells()]) {
      const old = p.mem.read(base, offset, cell.size);
      if (old !== cell.value) m.mem.write(base, offset, fresh(`mem[${cellName(base, offset)}]:${cell.size * 8}`, old, cell.value));
    }
    // the work-flags words are one word seen at two addresses (3.x/4.x: thread_info on the stack,
    // and current's): widened apart they would tell two stories
    const wc = result.work?.cells ?? [];
    if (wc.length > 1) {
      const w0 = m.mem.read(wc[0].base, wc[0].offset, 8);
      for (const c of wc.slice(1)) m.mem.write(c.base, c.offset, w0);
    }
    const sticky = cur.sticky === prev.sticky ? cur.sticky : S.eq(S.fresh(`loop@${site}.sticky`, 1), S.const(1, 1n));
    return { ...cur, m, sticky, pc, assumes: [...new Set([...prev.assumes, ...cur.assumes])] };
  }

  function featureCond(f: string): Expr {
    const v = opts.disabled?.has(f.slice(1)) ? S.F : bit('feature.' + f.slice(1));
    return f[0] === '+' ? v : S.notB(v);
  }

  const signature = (st: PathState): string => {
    const m = st.m;
    const parts: (number | string)[] = [];
    for (const g of GPRS) parts.push(m.regs[g].id);
    for (const f of Object.keys(m.flags) as (keyof typeof m.flags)[]) parts.push(m.flags[f].id);
    parts.push(m.gsKernel.id, m.cr.cr3.id, m.cpl.id, m.seg.cs.id);
    for (const { base, offset, cell } of m.mem.cells()) parts.push(`${base}@${offset}=${cell.value.id}`);
    return parts.join(',');
  };

  let taken = 0;
  while (pending.size) {
    if (opts.maxStates !== undefined && taken >= opts.maxStates) {
      result.incomplete = `state budget (${opts.maxStates}) exhausted`;
      break;
    }
    taken++;
    if (opts.shouldStop && taken % STOP_CHECK_EVERY === 0 && opts.shouldStop()) {
      result.incomplete = 'cancelled';
      break;
    }
    if (performance.now() > opts.deadline) {
      result.incomplete = 'time budget exhausted';
      break;
    }
    // the earliest in the flow's topological order first (then by position): every path into a
    // join arrives before the join goes on, wherever the code sits in the file
    let bestKey = '';
    let best: { pos: number; st: PathState } | undefined;
    // (forEach: a for-of over the map made an entry array per state at every step)
    pending.forEach((v, k) => {
      if (!best || rank[v.pos] < rank[best.pos] || (rank[v.pos] === rank[best.pos] && v.pos < best.pos)) {
        bestKey = k;
        best = v;
      }
    });
    if (!best) break;
    pending.delete(bestKey);
    const { pos } = best;
    const st = best.st;
    const n = (visits.get(bestKey) ?? 0) + 1;
    visits.set(bestKey, n);
    // a loop whose every round runs on another stack (`movq (%rsp), %rsp` in it) is a new key each
    // round, never widened: bounded by its visits to the instruction, whatever the key
    const atPos = (posVisits.get(pos) ?? 0) + 1;
    posVisits.set(pos, atPos);
    if (atPos > MAX_POS_VISITS && cyclic[pos]) {
      result.incomplete = `the loop through line ${cfg.stmt(pos).loc.range.start.line + 1} did not settle in ${MAX_POS_VISITS} rounds (its stack is another at every round)`;
      continue;
    }
    let st2 = st;
    // (a position on no cycle is left once, in the flow's order: nothing comes back to it, so its
    // state needs no signature)
    if (!trace && cyclic[pos]) {
      // From the third visit of a loop head on, what still changes becomes a named unknown of the
      // loop (a sound widening): the next round then finds exactly these values and stops.
      const prev = last.get(bestKey);
      if (prev && n >= WIDEN_AT && heads.has(bestKey)) st2 = widen(prev, st, cfg.site[pos]);
      const sig = signature(st2);
      let set = seen.get(bestKey);
      if (!set) seen.set(bestKey, (set = new Set()));
      if (set.has(sig)) continue; // this loop head has been here with exactly these values
      set.add(sig);
      // (not a copy: the walk goes on from st2 and changes its machine in place, so the next
      // widening compares with what this round's state became further on, and widens more than
      // it must — soundly; a copy here made the real kernels' walks 10-15 % slower)
      last.set(bestKey, st2);
      if (n > MAX_VISITS && cyclic[pos]) {
        result.incomplete = `the loop through line ${cfg.stmt(pos).loc.range.start.line + 1} did not settle in ${MAX_VISITS} iterations`;
        continue;
      }
    } else if (trace && cyclic[pos] && heads.has(bestKey)) {
      // a concrete run that comes back to a loop head in a state it was in before loops forever
      // (registers and memory: a flag left undefined is a fresh unknown at every round)
      const m = st.m;
      const sig = [...GPRS.map((g) => m.regs[g].id), ...[...m.mem.cells()].map(({ base, offset, cell }) => `${base}@${offset}=${cell.value.id}`)].join(',');
      let set = seen.get(bestKey);
      if (!set) seen.set(bestKey, (set = new Set()));
      if (set.has(sig)) {
        result.stop = { pos, reason: `the run comes back to line ${cfg.stmt(pos).loc.range.start.line + 1} in the same state: it loops forever`, missing: [] };
        break;
      }
      set.add(sig);
    }
    result.reached.add(pos);
    current = pos;
    runOne(pos, st2);
  }
  result.states = taken;

  function runOne(pos: number, st: PathState): void {
    const m = st.m;
    const stmt = cfg.stmt(pos);
    const insn = cfg.instruction[pos];
    const site = cfg.site[pos];
    const first = opts.keepStates && !result.before.has(pos);
    if (first) result.before.set(pos, { ...m.regs });
    // With interrupts possibly on, an interrupt may queue exit work at any instruction.
    const shadow = st.stiFrom;
    st.stiFrom = undefined;
    if (result.work && S.asConst(m.flags.IF) !== 0n && !(shadow && S.asConst(shadow) === 0n)) {
      const on = shadow ? S.andB(S.eq(m.flags.IF, S.const(1, 1n)), S.eq(shadow, S.const(1, 1n))) : S.eq(m.flags.IF, S.const(1, 1n));
      // (it may set any flag; the sticky ones, once known set, only the task itself clears)
      const keep = (v: Expr): Expr => (S.asBool(st.sticky) === false ? v : S.or(v, S.ite(st.sticky, S.const(64, sticky), S.const(64, 0n))));
      writeWork(m, (old) => (trace ? (S.asBool(on) ? keep(havoc(`ti_flags@${site}`, 64, old)) : old) : S.ite(on, keep(S.fresh(`ti_flags@${site}`, 64)), old)));
    }
    // An instruction with an exception-table entry may fault (a user access): the fixup runs
    // with the registers as they were. Which way a run goes is the unknown `fault@<site>`.
    const fixup = cfg.faultTarget(pos);
    if (fixup !== undefined && insn && !/^(iret|sysret|sysexit)/.test(insn.mnemonic)) {
      const faulted = bit(`fault@${site}`);
      if (trace) {
        if (S.asBool(faulted) === true) return goTo(cfg.enter(fixup), st);
      } else {
        const pcF = addPc(st.pc, faulted);
        if (pcF) goTo(cfg.enter(fixup), { ...st, m: m.clone(), pc: pcF });
        const pcN = addPc(st.pc, S.notB(faulted));
        if (!pcN) return;
        st.pc = pcN;
      }
    }
    if (!insn) {
      result.unmodeled.set(pos, cfg.convertError[pos] ?? 'unreadable operands');
      return next(pos, st);
    }
    const unknownSym = cfg.unresolved.get(pos);
    if (unknownSym !== undefined && !st.unresolved) {
      st.unresolved = true;
      st.assumes = [...st.assumes, `line ${stmt.loc.range.start.line + 1}: '${unknownSym}' has a symbol with no value; the memory it names is not tracked`];
    }
    const beforeRegs = trace ? { ...m.regs } : undefined;
    const oldRsp = m.regs.rsp;
    const oldCr3 = m.cr.cr3;
    const accesses: { cell: string; key: AddressKey; gsKernel: Expr; write: boolean }[] = [];
    const ifBefore = m.flags.IF;
    if (insn.mnemonic === 'sti') st.stiFrom = ifBefore;
    const operands: OperandState[] | undefined = first ? [] : undefined;
    const out = step(m, insn, S, {
      vaBits: 48,
      // a symbol with no value is an unknown of its own name; a replay reads it from the model
      resolveSymbol: (name) => prog.constants.get(name) ?? (trace ? lookup(name) : undefined),
      nextRip: S.const(64, RET_BASE + BigInt(pos + 1)),
      selectors,
      onAccess: (a) => {
        if (a.seg === 'gs') accesses.push({ cell: cellName(a.key.base.slice(3), a.key.offset), key: a.key, gsKernel: a.gsKernel ?? m.gsKernel, write: a.kind === 'write' });
        if (operands && a.operand) noteOperand(operands, insn.operands.indexOf(a.operand), a, m, st.frame, result.work?.cells);
      },
    });
    if (operands?.length && out.kind !== 'unknown') result.memory.set(pos, operands);
    for (const a of accesses) {
      result.accesses.push({ pos, pc: st.pc, gsKernel: a.gsKernel, cell: a.cell });
      if (a.write && !st.percpuWritten.some((c) => c.name === a.cell)) st.percpuWritten = [...st.percpuWritten, { name: a.cell, key: a.key }];
    }
    if (m.cr.cr3 !== oldCr3) result.writesCr3 = true;
    // The first load of RSP from memory switches to the kernel stack: pt_regs sits at its top
    // (3.x: `kernel_stack` is KERNEL_STACK_OFFSET below the top, where the hardware frame goes).
    if (!st.switched && m.regs.rsp !== oldRsp && /^(percpu\.|mem\[)/.test(m.regs.rsp.op === 'var' ? m.regs.rsp.name : '')) {
      st.switched = true;
      const k = S.addressKey(m.regs.rsp);
      const kso = m.regs.rsp.name === 'percpu.kernel_stack' ? prog.constants.get('KERNEL_STACK_OFFSET') ?? 0n : 0n;
      const top = k.offset + kso;
      st.frame = { base: k.base, offset: top - layout.size, fields: layout.fields };
      threadInfo(m, k.base, top);
    }
    // espfix64 (Linux 3.16+; not a stack switch): the page written through the per-CPU espfix_waddr
    // is mapped again at espfix_stack | (user RSP bits 31:16), the read-only stack the IRET to a
    // 16-bit stack segment runs on; the two name the same memory
    if (m.regs.rsp !== oldRsp && variables(m.regs.rsp).has('percpu.espfix_stack')) m.regs.rsp = val('percpu.espfix_waddr', 64);
    if (trace && beforeRegs) {
      const changed: Record<string, string> = {};
      for (const g of GPRS) if (m.regs[g] !== beforeRegs[g]) changed[g] = show(m.regs[g]);
      const s: TraceStep = { pos, changed };
      result.steps.push(s);
      if (detail) recordDetail(st, s);
    }
    switch (out.kind) {
      case 'next':
      case 'syscall':
        return next(pos, st);
      case 'unknown':
        result.unmodeled.set(pos, out.reason);
        st.assumes = [...new Set([...st.assumes, `line ${stmt.loc.range.start.line + 1}: '${stmt.name}' is not modelled; taken as changing nothing`])];
        return next(pos, st);
      case 'branch': {
        const target = cfg.label(out.target);
        if (trace) {
          const b = S.asBool(out.cond);
          if (b === undefined) return stop(pos, 'the branch depends on values that are not pinned', out.cond);
          if (b) return target === undefined ? undefined : goTo(cfg.enter(target), st);
          return next(pos, st);
        }
        for (const c of [out.cond, S.notB(out.cond)]) if (!result.conjunctSite.has(c.id)) result.conjunctSite.set(c.id, pos);
        if (target !== undefined) {
          const pcT = addPc(st.pc, out.cond);
          if (pcT) goTo(cfg.enter(target), { ...st, m: m.clone(), pc: pcT });
        } else if (S.asBool(out.cond) !== false) result.leaves.set(pos, out.target);
        const pcF = addPc(st.pc, S.notB(out.cond));
        if (pcF) next(pos, { ...st, pc: pcF });
        return;
      }
      case 'jump': {
        if (out.target.kind === 'label') {
          const t = cfg.label(out.target.name);
          if (t !== undefined) return goTo(cfg.enter(t), st);
          // a tail call from a local function into C (6.x error_entry's `jmp sync_regs`): the
          // callee returns to our caller, with its contract
          if (st.stack.length && !/^__x86_indirect_thunk_/.test(out.target.name)) {
            const c = contractFor(out.target.name, opts.contracts);
            if (c !== 'transparent') applyContract(c, st, site);
            m.regs.rsp = S.add(m.regs.rsp, S.const(64, 8n));
            const back = st.stack[st.stack.length - 1];
            return goTo(cfg.enter(back), { ...st, stack: st.stack.slice(0, -1) });
          }
        }
        // to code outside the file (or an indirect jump, a retpoline thunk): the path ends
        if (out.target.kind === 'label' && !/^__x86_indirect_thunk_/.test(out.target.name)) result.leaves.set(pos, out.target.name);
        return;
      }
      case 'call': {
        let name: string | undefined;
        if (out.target.kind === 'label') {
          const t = cfg.label(out.target.name);
          if (t !== undefined) {
            if (st.stack.length >= MAX_CALL_DEPTH) {
              result.incomplete = `calls nested deeper than ${MAX_CALL_DEPTH} at line ${stmt.loc.range.start.line + 1}`;
              return;
            }
            return goTo(cfg.enter(t), { ...st, stack: [...st.stack, pos + 1] });
          }
          name = out.target.name;
          const thunk = /^__x86_indirect_thunk_(\w+)$/.exec(name);
          if (thunk) name = callName(m.read(thunk[1]));
        } else name = callName(out.target.value);
        // back from the callee: its `ret` has popped the return address
        m.regs.rsp = S.add(m.regs.rsp, S.const(64, 8n));
        const c = contractFor(name, opts.contracts);
        if (c !== 'transparent') applyContract(c, st, site);
        // the step view shows what the call's contract did on the call's own step
        const s = result.steps[result.steps.length - 1];
        if (trace && s?.pos === pos && beforeRegs) {
          for (const g of GPRS) {
            if (m.regs[g] !== beforeRegs[g]) s.changed[g] = show(m.regs[g]);
            else delete s.changed[g];
          }
          if (detail) recordDetail(st, s);
        }
        return next(pos, st);
      }
      case 'ret': {
        if (!st.stack.length) return; // returns to a caller outside the walk
        const back = st.stack[st.stack.length - 1];
        return goTo(cfg.enter(back), { ...st, stack: st.stack.slice(0, -1) });
      }
      case 'exit': {
        result.exits.push({ pos, rec: out.exit, state: m, pc: st.pc, frame: st.frame, unresolved: st.unresolved, entryR11, userRip, userRsp: val('user.rsp', 64), userCs: S.const(64, user32 ? 0x23n : 0x33n), userSs: S.const(64, 0x2bn), assumes: st.assumes, paths: st.paths });
        return;
      }
      case 'fault':
        return;
    }
  }

  /** The step view's state after a step: registers, flags, GS base, and the frame fields written since the last step. */
  function recordDetail(st: PathState, s: TraceStep): void {
    const m = st.m;
    const clip = (t: string): string => (t.length > 160 ? t.slice(0, 160) + '…' : t);
    s.regs = {};
    for (const g of GPRS) s.regs[g] = clip(show(m.regs[g]));
    s.flags = {};
    for (const f of SHOWN_FLAGS) s.flags[f] = clip(show(m.flags[f]));
    const gs = S.asConst(m.gsKernel);
    s.gs = gs === 1n ? 'kernel' : gs === 0n ? 'user' : clip(show(m.gsKernel));
    s.frame ??= {};
    const f = st.frame;
    const r = f && m.mem.regions.get(f.base);
    if (!f || !r) return;
    for (const [field, o] of Object.entries(f.fields)) {
      const cell = r.get(f.offset + o);
      if (!cell || frameSeen.get(field) === cell.value.id) continue;
      frameSeen.set(field, cell.value.id);
      s.frame[field] = clip(show(cell.value));
    }
  }

  function callName(v: Expr): string {
    const text = show(v);
    if (/sys_call_table/.test(text)) return 'sys_call_table[]';
    const c = S.asConst(v);
    if (c !== undefined && c >= RET_BASE) return `code at ${text}`;
    return v.op === 'var' ? v.name : `(indirect call through ${text.length > 40 ? text.slice(0, 40) + '…' : text})`;
  }

  function applyContract(c: Contract, st: PathState, site: string): void {
    const m = st.m;
    let frameChangeSets: { changed: Expr } | undefined;
    const arg = c.returnsArg ? m.regs[c.returnsArg] : undefined;
    for (const r of c.clobbers) m.regs[r as Gpr] = havoc(`${r === 'rax' && c.returnsToUser ? 'syscall.ret' : 'kernel.' + r}@${site}`, 64, m.regs[r as Gpr]);
    for (const f of STATUS_FLAGS) m.setUndefined(f, havoc(`kernel.${f}@${site}`, 1, m.flags[f]));
    m.setFlag('DF', S.const(1, 0n));
    if (c.interrupts === 'off') m.setFlag('IF', S.const(1, 0n));
    else if (c.interrupts === 'on') m.setFlag('IF', S.const(1, 1n));
    else if (c.interrupts === 'unknown') m.setFlag('IF', havoc(`kernel.IF@${site}`, 1, m.flags.IF));
    let fromC = false;
    if (c.source && c.returnsSysretSafe && st.frame) fromC = runSource(c.source, st, site);
    if (!fromC && c.frame !== 'never' && st.frame) {
      const f = st.frame;
      let changed: Expr | undefined; // when the frame may have changed (undefined: always)
      if (typeof c.frame === 'object' && 'setsWork' in c.frame) {
        changed = S.eq(havoc(`ptregs.changed@${site}`, 1, S.const(1, 0n)), S.const(1, 1n));
        frameChangeSets = { changed };
      } else if (c.frame !== 'always') {
        const w = c.frame.onlyWith;
        const flag = havoc(`${w.name}@${site}`, 64, m.mem.read(w.base, w.offset, 8));
        m.mem.write(w.base, w.offset, flag);
        changed = S.notB(S.eq(S.and(flag, S.const(64, w.mask)), S.const(64, 0n)));
      }
      for (const [field, o] of Object.entries(f.fields)) {
        const off = f.offset + o;
        const old = m.mem.read(f.base, off, 8);
        let fresh = havoc(`ptregs.${field}@${site}`, 64, old);
        // what rewrites a Linux frame (ptrace's putreg, sigreturn) keeps it a user frame: CS and
        // SS with RPL 3
        if (!entry.layout && (field === 'cs' || field === 'ss')) fresh = rpl3(fresh);
        m.mem.write(f.base, off, changed === undefined ? fresh : S.ite(changed, fresh, old));
      }
    }
    for (const { name, key } of st.percpuWritten.filter((c) => !PER_TASK_PERCPU.has(c.name))) {
      m.mem.write(key.base, key.offset, havoc(`percpu.${name}@${site}`, 64, m.mem.read(key.base, key.offset, 8)));
    }
    const work = result.work;
    if (work && work.cells.length && c.setsWork !== false) {
      const first = work.cells[0];
      let w = havoc(`ti_flags@${site}`, 64, m.mem.read(first.base, first.offset, 8));
      // done exit work leaves none of the one-shot flags set
      if (c.exitWorkDone) w = S.and(w, S.const(64, ~work.mask & ((1n << 64n) - 1n)));
      // a callee that rewrites the frame only with a sticky work flag set sets them when it does;
      // they stay set through the known callees that run no exit work, while exit work or a
      // function with no known contract may have cleared them
      if (c.exitWorkDone || !c.builtin || !work.sticky) st.sticky = S.F;
      else if (frameChangeSets) st.sticky = S.orB(st.sticky, frameChangeSets.changed);
      const keep = S.asBool(st.sticky) === false ? w : S.or(w, S.ite(st.sticky, S.const(64, work.sticky), S.const(64, 0n)));
      writeWork(m, () => keep);
    }
    if (arg) m.regs.rax = arg;
    if (c.returnsSysretSafe && st.frame && !fromC) {
      // Non-zero means safe: %rax is 0 whenever the conditions fail (bool or long return value).
      // In a trace an unpinned return value is what the C computes: 1 exactly when it is safe.
      const rax = trace && !complete && lookup(`kernel.rax@${site}`) === undefined ? S.const(64, 1n) : m.regs.rax;
      m.regs.rax = S.ite(sysretSafe(S, m, st.frame, c.returnsSysretSafe), rax, S.const(64, 0n));
    }
    st.assumes = [...new Set([...st.assumes, c.describe])];
  }

  /**
   * A contract function read from its C source: its paths decide the frame after the call and
   * %rax (1 when it returns true). Unknowns the C makes are named after the call site and the C
   * line (`ptregs.ip@L104:common.c:89`), so a witness pins them like any other. False when the C
   * cannot be run (the contract's own promise is used then).
   */
  function runSource(src: { fn: CFunction; file: string }, st: PathState, site: string): boolean {
    const m = st.m;
    const f = st.frame!;
    const base = src.file.replace(/^.*\//, '');
    const read = (name: string): Expr => {
      const off = frameCell(f, name);
      const v = off === undefined ? val(`frame.${name}`, 64) : m.mem.read(f.base, off, 8);
      // a replay may pin the frame as the call found it (a contract witness: c.in.F@<site>:<file>:<line>)
      return trace ? havoc(cUnknownName(`in.${name}`, `${site}:${base}`, src.fn.line), 64, v) : v;
    };
    const res = runCFunction(src.fn, {
      S,
      field: read,
      unknown: (what, width, line, current) => {
        const name = cUnknownName(what, `${site}:${base}`, line);
        return current ? havoc(name, width, current) : val(name, width);
      },
      feature: (name) => {
        if (name === 'la57') {
          result.la57 ??= bit('cpu.la57');
          return result.la57;
        }
        return bit('feature.' + name);
      },
    });
    if ('error' in res) {
      st.assumes = [...new Set([...st.assumes, `${src.fn.name} (${base}): ${res.error}; its contract is assumed`])];
      return false;
    }
    // the paths are disjoint; the last one is what remains when no other is taken
    const pick = (get: (p: CPath) => Expr): Expr => res.paths.slice(0, -1).reduceRight((acc, p) => S.ite(p.cond, get(p), acc), get(res.paths[res.paths.length - 1]));
    for (const [field, o] of Object.entries(f.fields)) {
      if (!PT_REGS_FIELDS.includes(field)) continue;
      m.mem.write(f.base, f.offset + o, pick((p) => p.frame.get(field)!));
    }
    m.regs.rax = pick((p) => p.ret);
    return true;
  }

  function next(pos: number, st: PathState): void {
    goTo(cfg.fallThrough(pos), st);
  }

  function goTo(edges: { to: number; features: string[] }[], st: PathState): void {
    if (trace) {
      for (const e of edges) {
        const on = (name: string): bigint => (opts.disabled?.has(name) ? 0n : env?.get('feature.' + name) ?? 0n);
        if (e.features.every((f) => on(f.slice(1)) === (f[0] === '+' ? 1n : 0n))) return push(e.to, st);
      }
      return;
    }
    edges.forEach((e, i) => {
      let pc: Expr[] | undefined = st.pc;
      for (const f of e.features) pc = pc && addPc(pc, featureCond(f));
      if (pc) push(e.to, { ...st, m: i === edges.length - 1 ? st.m : st.m.clone(), pc });
    });
  }

  function stop(pos: number, reason: string, cond: Expr): void {
    result.stop = { pos, reason, missing: [...variables(cond).keys()].sort() };
  }

  return result;
}

/** One of the 64-bit fast return's conditions on a Linux pt_regs frame, over a field reader. */
export interface SysretCondition {
  /** As the C spells it (`regs->cx == regs->ip`). */
  name: string;
  /** The frame fields it relates. */
  fields: string[];
  holds: (f: (n: string) => Expr) => Expr;
}

/**
 * The 64-bit fast return's conditions, as do_syscall_64 tests them in C: RCX == RIP, RIP below
 * TASK_SIZE_MAX for the address width, the SYSRET selectors, R11 == RFLAGS, no RF or TF.
 */
export function sysretConditions(S: SymbolicAlgebra, width: 48 | 57): SysretCondition[] {
  const K = (v: bigint): Expr => S.const(64, v);
  const max = (1n << BigInt(width - 1)) - 0x1000n;
  return [
    { name: 'regs->cx == regs->ip', fields: ['cx', 'ip'], holds: (f) => S.eq(f('cx'), f('ip')) },
    { name: `regs->ip < TASK_SIZE_MAX (${width}-bit: 0x${max.toString(16)})`, fields: ['ip'], holds: (f) => S.ult(f('ip'), K(max)) },
    { name: 'regs->cs == __USER_CS', fields: ['cs'], holds: (f) => S.eq(f('cs'), K(0x33n)) },
    { name: 'regs->ss == __USER_DS', fields: ['ss'], holds: (f) => S.eq(f('ss'), K(0x2bn)) },
    { name: 'regs->r11 == regs->flags', fields: ['r11', 'flags'], holds: (f) => S.eq(f('r11'), f('flags')) },
    { name: 'RF and TF clear in regs->flags', fields: ['flags'], holds: (f) => S.eq(S.and(f('flags'), K(RFLAGS.RF | RFLAGS.TF)), K(0n)) },
  ];
}

/** The fast return's conditions on a Linux pt_regs frame, as do_syscall_64 / do_fast_syscall_32 test them in C. */
export function sysretSafe(S: SymbolicAlgebra, m: MachineState<Expr, Expr>, f: FrameRef, kind: 'sysret' | 'sysretl'): Expr {
  const field = (name: string): Expr => {
    const off = frameCell(f, name);
    return off === undefined ? S.fresh(`frame.${name}`, 64) : m.mem.read(f.base, off, 8);
  };
  if (kind === 'sysretl') {
    const noRfTfVm = S.eq(S.and(field('flags'), S.const(64, RFLAGS.RF | RFLAGS.TF | RFLAGS.VM)), S.const(64, 0n));
    return [S.eq(field('cs'), S.const(64, 0x23n)), S.eq(field('ss'), S.const(64, 0x2bn)), S.ult(field('ip'), S.const(64, 1n << 32n)), noRfTfVm].reduce((a, b) => S.andB(a, b));
  }
  return sysretConditions(S, 48)
    .map((c) => c.holds(field))
    .reduce((a, b) => S.andB(a, b));
}
