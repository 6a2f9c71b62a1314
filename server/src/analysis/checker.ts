// The checker: every entry from user mode walked once (walk.ts), every property of every return
// decided (cheap procedure first, Z3 for the rest, answers cached across analyses), and every
// violation replayed on the concrete machine along its path before it is shown (witness.ts).
import type { Location, Program } from '../syntax';
import { type CheckResult, type Expr, SymbolicAlgebra, evaluate, faultCondition, show, variables } from '../x86';
import { cheapUnsat, decide, newSolverStats, type SolverStats } from './decide';
import type { Finding, PathStep } from './analyze';
import { Cfg } from './cfg';
import type { OperandState } from './memstate';
import type { AnalyzeOptions } from './options';
import { accessProperty, exitProperties, frameField, rebuild, type Property, type PropertyContext } from './properties';
import { type Entry, type ExitEvent, walk, type WalkOptions, type WalkResult } from './walk';
import { disabledFeatures } from './cpufeatures';
import { acceptFor, PROJECT_FILE, type Project } from './project';
import { envFromPins, pinsFromModel, replayCommandArgs } from './witness';
import { checkCContracts } from './contractcheck';
import { contractFor } from './contracts';
import { changedInstructions, entryKey, reusableWalk, walkKey, type WalkCache } from './walkreuse';

/** The codes of the fast return's own conditions (what a SYSRET promise covers). */
const SYSRET_CODES = new Set(['sysret-noncanonical-rip', 'sysret-rcx-not-rip', 'sysret-r11-not-rflags', 'sysret-rf-tf', 'sysret-selectors']);

export type ConditionStatus = 'proven' | 'broken' | 'unknown';

export interface ReturnResult {
  loc: Location;
  kind: 'sysret' | 'sysretl' | 'iret' | 'sysexit';
  entries: string[];
  verdict: 'ok' | 'finding' | 'unknown';
  paths: number;
  /** `why`: for an unknown condition, what kept it from being proven or shown broken. */
  conditions: { name: string; code: string; status: ConditionStatus; why?: string }[];
  exitCondition: string;
  /** The exit condition's conjuncts, each as text (for comparing two versions of a file). */
  conjuncts: string[];
  assumes: string[];
}

export interface CheckOutput {
  entries: Entry[];
  /** Registers before each instruction (statement index → register → value), from the first entry that reaches it. */
  registers: Map<number, { entry: string; regs: Record<string, Expr> }>;
  /** Memory operands at each instruction (statement index): cell, value before and after, from the first entry that reaches it. */
  memory: Map<number, { entry: string; operands: OperandState[] }>;
  findings: Finding[];
  returns: ReturnResult[];
  walks: WalkResult[];
  /** Every exit the walks reached, with the algebra its expressions live in (for `simulate`'s reach witnesses). */
  exits: { entry: Entry; S: SymbolicAlgebra; ev: ExitEvent }[];
  paths: number;
  instructions: number;
  notes: string[];
  /** What the checker dropped and why (a witness that did not replay, a walk cut short), for the log. */
  log: string[];
  /** How the properties' questions were answered. */
  solver: SolverStats;
  /** The walks, for the next version's (absent when a walk was cut short by a stop). */
  walkCache?: WalkCache;
}

/**
 * Well-known 64-bit SYSCALL entries of Linux, whose pt_regs layout, work flags and C functions are
 * built in. Other kernels' entries, frame layouts and contracts come from the project file.
 */
const SYSCALL_ENTRIES = ['entry_SYSCALL_64', 'system_call'];
/** 64-bit kernels' SYSCALL entries from 32-bit user mode (their fast return is SYSRETL). */
const COMPAT_ENTRIES = ['entry_SYSCALL_compat', 'ia32_cstar_target'];
/** SYSENTER from 32-bit user mode (Linux 4.x+, and 3.x's ia32entry.S). */
const SYSENTER_ENTRIES = ['entry_SYSENTER_compat', 'ia32_sysenter_target'];
/** The NMI entries: their return to user mode skips exit work on purpose (NMI_RULE). */
const NMI_ENTRIES = ['nmi', 'asm_exc_nmi'];
/**
 * Exception and interrupt entries of Linux by what the CPU leaves below the hardware frame:
 * `exception`, an error code (#PF, #GP, ...) or, for the common interrupt code, the vector its
 * stub pushed (both fill pt_regs->orig_ax); `interrupt`, nothing. 5.8+ names (asm_exc_*, from
 * the idtentry macros of asm/idtentry.h) and 3.x–5.7 names (errorentry/zeroentry stubs).
 */
const EXCEPTION_ENTRIES = [
  'asm_exc_page_fault', 'asm_exc_general_protection', 'asm_exc_invalid_tss', 'asm_exc_segment_not_present', 'asm_exc_stack_segment', 'asm_exc_alignment_check', 'asm_exc_control_protection', 'asm_common_interrupt', 'asm_spurious_interrupt',
  'page_fault', 'general_protection', 'invalid_TSS', 'segment_not_present', 'stack_segment', 'alignment_check', 'common_interrupt',
];
const PLAIN_INTERRUPT_ENTRIES = [
  ...NMI_ENTRIES,
  'asm_exc_divide_error', 'asm_exc_overflow', 'asm_exc_bounds', 'asm_exc_invalid_op', 'asm_exc_device_not_available', 'asm_exc_coproc_segment_overrun', 'asm_exc_spurious_interrupt_bug', 'asm_exc_coprocessor_error', 'asm_exc_simd_coprocessor_error',
  'divide_error', 'overflow', 'bounds', 'invalid_op', 'device_not_available', 'coprocessor_segment_overrun', 'spurious_interrupt_bug', 'coprocessor_error', 'simd_coprocessor_error',
];
/**
 * The vectors on their own IST stacks besides the NMI: #DB, #BP (on an IST stack until 4.15) and
 * #MC push no error code, #DF pushes 0. From user mode their entries move the frame to the task
 * stack (sync_regs) and leave through the ordinary return (from the kernel: the paranoid path).
 * The walk starts them with the frame where that copy puts it, at the top of the task stack, so
 * the task's thread_info (before 4.9) and the return read what they read after the move.
 */
const IST_PLAIN_ENTRIES = ['asm_exc_debug', 'asm_exc_int3', 'asm_exc_machine_check', 'debug', 'int3', 'machine_check'];
const IST_ERROR_ENTRIES = ['asm_exc_double_fault', 'double_fault'];
/**
 * Analysed by default besides the system call entries: the NMI and one entry of each shape the
 * exception and interrupt code has (page fault: error code and error_entry; the common interrupt
 * code: a vector stub's push and the IRQ return; invalid opcode: no error code; #DB: an IST
 * stack). The others expand from the same macros; name them with --entry (or `--entry LABEL:KIND`
 * for any label).
 */
const INTERRUPT_ENTRIES = ['asm_exc_nmi', 'asm_exc_page_fault', 'asm_common_interrupt', 'asm_exc_invalid_op', 'asm_exc_debug'];
/**
 * The 3.x–5.7 names of the same entries. Other kernels use them too (Xen's entry.S has its own
 * nmi, page_fault and common_interrupt, entered from guests), so they are taken only in a file
 * that is Linux's by its system call entries.
 */
const OLD_INTERRUPT_ENTRIES = ['nmi', 'page_fault', 'common_interrupt', 'invalid_op', 'debug'];
/**
 * `int $0x80` from 32-bit user mode: 6.7+'s idtentry (its C, int80_emulation in
 * entry_64_compat.S, ends in do_int80_emulation), 4.x–6.6's entry_INT80_compat and 3.x's
 * ia32_syscall (both return through entry_64.S: in their own file the walk ends at that jump).
 */
const INT80_ENTRIES = ['asm_int80_emulation', 'entry_INT80_compat', 'ia32_syscall'];
const KINDS = new Set(['syscall', 'compat', 'sysenter', 'interrupt', 'exception', 'int80', 'iret-fault']);

/** How a well-known entry is reached (a label that is none of them: a 64-bit SYSCALL entry). */
export function builtinKind(name: string): Entry['kind'] {
  if (EXCEPTION_ENTRIES.includes(name) || IST_ERROR_ENTRIES.includes(name)) return 'exception';
  if (INT80_ENTRIES.includes(name)) return 'int80';
  if (PLAIN_INTERRUPT_ENTRIES.includes(name) || IST_PLAIN_ENTRIES.includes(name)) return 'interrupt';
  if (COMPAT_ENTRIES.includes(name)) return 'compat';
  if (SYSENTER_ENTRIES.includes(name)) return 'sysenter';
  return 'syscall';
}

/**
 * Built-in rule: an NMI returns to user mode without running exit work, on purpose — it may have
 * interrupted code holding the locks that work needs; pending work is picked up at the next
 * ordinary return. Its exit-work result is a note, not a warning.
 */
const NMI_RULE = 'built-in rule: an NMI must not run exit work (it may have interrupted code holding the locks that work needs); pending work waits for the next ordinary return to user mode';

/** The built-in rule a broken condition holds by at this entry's returns, if any (the NMI's exit work). */
export function builtInRule(entry: Entry, code: string): string | undefined {
  return entry.kind === 'interrupt' && NMI_ENTRIES.includes(entry.name) && code === 'exit-work-unchecked' ? NMI_RULE : undefined;
}

export function findEntries(cfg: Cfg, wanted: string[], project?: Project): { entries: Entry[]; missing: string[] } {
  const described = new Map((project?.entries ?? []).map((e) => [e.label, e]));
  // the project file's entries, else the built-in names; --entry / the setting narrows to its labels
  const linux = [...SYSCALL_ENTRIES, ...COMPAT_ENTRIES, ...SYSENTER_ENTRIES].some((n) => cfg.label(n) !== undefined);
  const names = wanted.length ? wanted : described.size ? [...described.keys()] : [...SYSCALL_ENTRIES, ...COMPAT_ENTRIES, ...SYSENTER_ENTRIES, ...INT80_ENTRIES, ...INTERRUPT_ENTRIES, ...(linux ? OLD_INTERRUPT_ENTRIES : [])];
  const entries: Entry[] = [];
  const missing: string[] = [];
  const fixups = iretFixups(cfg);
  for (const spec of names) {
    // `LABEL:KIND` says how the entry is reached (--entry irq_entry:interrupt)
    const m = /^(.*):(syscall|compat|sysenter|interrupt|exception|int80|iret-fault)$/.exec(spec);
    const name = m && KINDS.has(m[2]) ? m[1] : spec;
    // a companion file's code is linked in for the jumps into it: its entries are its own
    const at = cfg.program.labels.get(name);
    const theirs = cfg.program.companion && at !== undefined && at >= cfg.program.companion.from;
    const pos = theirs ? undefined : cfg.label(name);
    if (pos === undefined) {
      if (wanted.length) missing.push(name);
      continue;
    }
    const d = described.get(name);
    // (an IRET's exception-table fixup is reached as one: bad_iret)
    const implied = d?.kind ?? (fixups.has(pos) ? 'iret-fault' : builtinKind(name));
    const kind = (m?.[2] as Entry['kind'] | undefined) ?? implied;
    // (a kind other than the label's own must be said again to replay a witness)
    entries.push({ name, pos, kind, layout: d?.layout, ...(kind !== implied ? { spec: `${name}:${kind}` } : {}), ...(NMI_ENTRIES.includes(name) ? { ist: true } : {}), ...(kind === 'iret-fault' ? { faultOf: fixups.get(pos)?.lines ?? [] } : {}) });
  }
  // An IRET with an exception-table entry (Linux 3.x `_ASM_EXTABLE(irq_return, bad_iret)`) may
  // fault in ring 0 on the frame it pops, and its fixup goes on from there (3.x: back into
  // general_protection as if user mode had faulted): the fixup is an entry of its own, walked
  // from every frame the C may leave, which covers every fault of that IRET, the second of a
  // path included. (With --entry only when named: `--entry bad_iret`.)
  if (!wanted.length && !described.size && entries.length) {
    for (const [pos, { name, lines }] of fixups) {
      if (entries.some((e) => e.pos === pos)) continue;
      // (a companion file's fixup is that file's entry, checked with it)
      const at = cfg.program.labels.get(name);
      if (cfg.program.companion && at !== undefined && at >= cfg.program.companion.from) continue;
      entries.push({ name, pos, kind: 'iret-fault', faultOf: lines });
    }
  }
  return { entries, missing };
}

/** The fixups of IRETs with an exception-table entry: by the fixup's position, its label and the IRETs' lines. */
function iretFixups(cfg: Cfg): Map<number, { name: string; lines: number[] }> {
  const out = new Map<number, { name: string; lines: number[] }>();
  for (let pos = 0; pos < cfg.insns.length; pos++) {
    if (!cfg.instruction[pos]?.mnemonic.startsWith('iret')) continue;
    const to = cfg.faultTarget(pos);
    const name = cfg.faultLabel(pos);
    if (to === undefined || name === undefined) continue;
    const f = out.get(to) ?? { name, lines: [] };
    f.lines.push(cfg.stmt(pos).loc.range.start.line + 1);
    out.set(to, f);
  }
  return out;
}

/**
 * A model of `q` made from `model` by giving the IRET's popped frame what a user frame has (the
 * search's first values, zeros, make a selector IRET refuses): 64- or 32-bit user CS, user SS, a
 * canonical RIP, in the variables each is made of. Undefined when no such change satisfies `q`.
 */
function userFrameModel(ev: ExitEvent, q: Expr, fault: Expr, model: Map<string, bigint>): CheckResult | undefined {
  const u = ev.rec.user;
  // (what the fault depends on gets a value, so that a replay decides it: a RIP the query did
  // not constrain a canonical one)
  const ripVars = new Set(variables(u.rip).keys());
  const base = new Map(model);
  for (const n of variables(fault).keys()) if (!base.has(n)) base.set(n, ripVars.has(n) ? 0x401000n : 0n);
  const choices: [Expr, bigint[]][] = [
    [u.cs, [0x33n, 0x30n, 0x23n, 0x20n]],
    [u.ss, [0x2bn, 0x28n]],
    [u.rip, [0x401000n]],
  ];
  let envs = [base];
  for (const [e, values] of choices) {
    const vs = [...variables(e).keys()];
    envs = envs.flatMap((env) => [env, ...values.map((v) => new Map([...env, ...vs.map((n): [string, bigint] => [n, v])]))]);
  }
  const hit = envs.find((env) => evaluate(q, env) === 1n);
  return hit ? { status: 'sat', model: hit, by: 'search' } : undefined;
}

/**
 * What every walk of this file takes from the project file and the configuration: contracts,
 * work-flag words, selectors, and the CPU features the configuration rules out.
 */
export function setting(cfg: Cfg, project?: Project): Pick<WalkOptions, 'contracts' | 'work' | 'selectors' | 'disabled' | 'userCr3'> {
  const disabled = new Set(disabledFeatures(cfg.program.configuration.defines).keys());
  return { contracts: project?.contracts, work: project?.work, selectors: project?.selectors, disabled, userCr3: project?.userCr3 };
}

/**
 * A witness replay's budget: counted in states, so whether a witness replays does not depend on
 * the machine's load (a concrete replay of an entry file takes a few thousand); the clock is a
 * backstop for a pathological file.
 */
const REPLAY_BUDGET = () => ({ maxStates: 200_000, deadline: performance.now() + 20_000 });

// --- the checker ------------------------------------------------------------------------------------------

/**
 * The merge walk's budget per entry, counted in states taken, so that a verdict does not depend on
 * the machine's load. Measured (2026-12-02): the real kernels' entry files take at most 485 states
 * (Xen 2012's NMI; Linux 6.13 entry_64.S 307, FreeBSD 12 194), samples/ and test/fixtures/kernels at
 * most 183, the scale series' generated files 4,238 at N = 640 and 16,718 at N = 2,560. Running out
 * of 20,000 takes ~2.5 s on a 150,000-line generated file. The clock (30 s) is only a backstop for
 * a state that is pathologically slow to compute: a walk it cuts short says `time budget exhausted`.
 */
export const WALK_STATE_BUDGET = 20_000;
const WALK_BACKSTOP_MS = 30_000;

/** runChecks' budget: states per entry's walk, the wall-clock backstop, and a cancellation check. */
export interface CheckBudget {
  maxStates?: number;
  millis?: number;
  /** True once the result is no longer wanted (a newer version of the document): the checks stop. */
  shouldStop?: () => boolean;
  /** The previous version's walks: the entries the edit did not touch take theirs over (walkreuse.ts). */
  reuse?: WalkCache;
}

export async function runChecks(program: Program, options: AnalyzeOptions, project?: Project, budget: CheckBudget = {}): Promise<CheckOutput> {
  const cfg = new Cfg(program);
  const { entries, missing } = findEntries(cfg, options.entries, project);
  const notes = missing.map((m) => `--entry ${m}: no such label in this file`);

  const out: CheckOutput = { entries: [...entries], registers: new Map(), memory: new Map(), findings: [], returns: [], walks: [], exits: [], paths: 0, instructions: 0, notes, log: [], solver: newSolverStats() };
  const vendors: ('intel' | 'amd')[] = options.vendor === 'both' ? ['intel', 'amd'] : [options.vendor];
  const vaBits: (48 | 57)[] = options.vaBits === 'both' ? [48, 57] : [options.vaBits];
  const started = performance.now();
  const byReturn = new Map<number, { events: { entry: Entry; ev: ExitEvent; walk: WalkResult }[] }>();
  const walks: { entry: Entry; S: SymbolicAlgebra; w: WalkResult }[] = [];
  const reportedLeaves = new Set<number>();
  // the previous version's walks of the entries the edit left alone
  const settings = setting(cfg, project);
  const reuseKey = walkKey([options.vendor, budget.maxStates ?? WALK_STATE_BUDGET, settings]);
  // (taken out of the budget: the rest of the previous version's walks, and its program, go now)
  let reuse = budget.reuse;
  budget.reuse = undefined;
  const changed = reuse && reuse.key === reuseKey ? changedInstructions(reuse.program, program) : undefined;
  const reusable = new Map<Entry, { S: SymbolicAlgebra; w: WalkResult }>();
  for (const entry of entries) {
    const hit = reusableWalk(reuse, reuseKey, changed, entry, cfg.insns);
    if (hit) reusable.set(entry, hit);
  }
  reuse = undefined;
  const cache: WalkCache = { key: reuseKey, program, walks: new Map() };
  let stopped = false;
  for (const entry of entries) {
    if (budget.shouldStop?.()) {
      stopped = true;
      break;
    }
    const prior = reusable.get(entry);
    reusable.delete(entry);
    const S = prior?.S ?? new SymbolicAlgebra();
    const w = prior?.w ?? walk(S, cfg, entry, { mode: 'merge', vendor: options.vendor, maxStates: budget.maxStates ?? WALK_STATE_BUDGET, deadline: started + (budget.millis ?? WALK_BACKSTOP_MS), shouldStop: budget.shouldStop, ...settings, keepStates: true });
    if (prior) out.log.push(`${entry.name}: the walk of the previous version taken over (the edit changed no instruction on its paths)`);
    if (w.incomplete && budget.shouldStop?.()) stopped = true;
    cache.walks.set(entryKey(entry), { S, w });
    // an IRET's fixup found on its own whose paths all leave the file (into a general_protection
    // defined elsewhere) has nothing to show but that: the note below, and no entry
    const dropped = entry.kind === 'iret-fault' && !options.entries.length && !w.exits.length && !w.incomplete;
    if (dropped) out.entries = out.entries.filter((e) => e !== entry);
    else {
      walks.push({ entry, S, w });
      out.walks.push(w);
    }
    if (w.incomplete) out.log.push(`${entry.name}: the walk was cut short (${w.incomplete}); what it did not reach has no verdict`);
    // a path that jumps to a label this file does not define ends there: what it returns through
    // is in another file (4.x-6.6's entry_INT80_compat into entry_64.S), unchecked here — said so
    for (const [pos, target] of w.leaves) {
      const stmt = cfg.stmt(pos);
      if (reportedLeaves.has(pos)) continue;
      reportedLeaves.add(pos);
      out.findings.push({ code: 'unmodeled', severity: 'info', message: `paths of ${entry.name} leave this file here for ${target}, which it does not define: the return they reach there is not checked (another file's code is not followed)`, loc: stmt.loc });
    }
    // for display: a value merged from several calls reads as the one it is (readable())
    const memo = new Map<number, Expr>();
    for (const [pos, regs] of w.before) {
      if (out.registers.has(cfg.insns[pos])) continue;
      const shown: Record<string, Expr> = {};
      for (const g in regs) {
        const v = regs[g as keyof typeof regs];
        shown[g] = memo.get(v.id) ?? readable(S, v, memo);
      }
      out.registers.set(cfg.insns[pos], { entry: entry.name, regs: shown });
    }
    for (const [pos, ops] of w.memory) {
      if (out.memory.has(cfg.insns[pos])) continue;
      out.memory.set(cfg.insns[pos], { entry: entry.name, operands: ops.map((o) => ({ ...o, before: readable(S, o.before, memo), after: readable(S, o.after, memo) })) });
    }
    out.instructions += w.reached.size;
    for (const ev of w.exits) {
      let r = byReturn.get(ev.pos);
      if (!r) byReturn.set(ev.pos, (r = { events: [] }));
      r.events.push({ entry, ev, walk: w });
      out.exits.push({ entry, S, ev });
      out.paths += ev.paths;
    }
  }
  // operands the walk met whose symbols have no value: say so where they are
  const unresolvedSeen = new Set<number>();
  for (const { w } of walks) {
    for (const [pos, text] of cfg.unresolved) {
      if (!w.reached.has(pos) || unresolvedSeen.has(pos)) continue;
      unresolvedSeen.add(pos);
      out.findings.push({
        code: 'unmodeled',
        severity: 'info',
        message: `'${text.length > 60 ? text.slice(0, 60) + '…' : text}' has a symbol with no value here: the memory it names is not tracked, and a return reached through it gets no verdict (give -I to the headers that define it)`,
        loc: cfg.stmt(pos).loc,
      });
    }
  }
  const reported = new Set<string>();
  for (const { entry, S, w } of walks) {
    const ctx: PropertyContext = { S, vendors, vaBits, walk: w };
    // %gs: accesses that may run on the user's GS base
    for (const a of w.accesses) {
      const prop = accessProperty(ctx, a);
      const key = `percpu-user-gs:${a.pos}`;
      if (reported.has(key)) continue;
      const q = conj(S, [...a.pc, prop.bad]);
      const r = await decide(S, q, 2000, out.solver);
      if (r.status !== 'sat') continue;
      const f = await confirm(S, cfg, entry, options, prop, a.pos, r.model, undefined, project);
      if (f) {
        reported.add(key);
        out.findings.push(f);
      }
    }
    for (const ev of w.exits) {
      if (budget.shouldStop?.()) break;
      const props = exitProperties(ctx, ev);
      const ret = returnFor(out, byReturn, cfg, ev, S);
      const statusOf = new Map<string, { status: ConditionStatus; finding?: Finding }>();
      for (const p of props) {
        const q = conj(S, [...ev.pc, p.bad, ...(p.extra ?? [])]);
        const cheap = !p.extra && cheapUnsat(S, ev.pc, p.bad);
        if (cheap) {
          out.solver.queries++;
          out.solver.cheap++;
        }
        let r: CheckResult = cheap ? { status: 'unsat', by: 'simplifier' } : await decide(S, q, 2000, out.solver);
        // an IRET that faults in ring 0 on what it pops does not return to user mode (its fixup
        // or an oops runs instead): a model of that kind is asked again without the fault
        if (r.status === 'sat' && ev.rec.kind === 'iret') {
          const fault = faultCondition(S, ev.rec, 'intel', 0);
          if (evaluate(fault, r.model) === 1n) {
            const q2 = conj(S, [...ev.pc, p.bad, ...(p.extra ?? []), S.notB(fault)]);
            r = userFrameModel(ev, q2, fault, r.model) ?? (await decide(S, q2, 2000, out.solver));
          }
        }
        let status: ConditionStatus = r.status === 'unsat' ? 'proven' : r.status === 'sat' ? 'broken' : 'unknown';
        let why: string | undefined = status === 'unknown' ? 'the solver did not decide it' : undefined;
        if (status === 'proven' && w.incomplete) {
          status = 'unknown';
          why = `the walk of ${entry.name} is incomplete (${w.incomplete})`;
        }
        // the NMI returns without exit work by design: a note, and the condition holds by that rule;
        // so does what the project file accepts of this kernel's design (its reason shown)
        const accepted = acceptFor(project, p.code, entry, ev);
        const rule = builtInRule(entry, p.code) ?? accepted?.describe;
        const byRule = rule !== undefined;
        // a violation on a path through memory the model could not name is not evidence
        if (r.status === 'sat' && ev.unresolved) {
          status = 'unknown';
          why = 'a violation was found on a path through memory the model cannot name (see the unmodeled notes)';
        } else if (r.status === 'sat') {
          const key = `${byRule ? 'rule:' : ''}${p.code}:${ev.pos}`;
          const f = reported.has(key) ? 'dup' : await confirm(S, cfg, entry, options, p, ev.pos, r.model, ev, project);
          if (rule !== undefined) {
            // the NMI's exit work is moot by the rule (an accepted condition by the project's
            // word), whether or not this witness replays
            status = 'proven';
            ret.assumes = [...new Set([...ret.assumes, rule])];
          } else if (f === undefined) {
            status = 'unknown';
            why = 'a violation was found, but its witness did not replay on the concrete machine';
            out.log.push(`${entry.name}: the witness for ${p.code} (${p.name}) at line ${cfg.stmt(ev.pos).loc.range.start.line + 1} did not replay on the concrete machine; not shown, the condition is unknown`);
          }
          if (f && f !== 'dup') {
            reported.add(key);
            f.assumes = [...ev.assumes];
            if (rule !== undefined) {
              f.severity = 'info';
              f.message = accepted ? `accepted by ${PROJECT_FILE} (${accepted.why}): ${f.message}` : `the NMI returns to user mode without running exit work, by design (${NMI_RULE})`;
              f.assumes = [...f.assumes, rule];
            }
            out.findings.push(f);
            statusOf.set(p.name, { status, finding: f });
          }
        }
        if (!statusOf.has(p.name)) statusOf.set(p.name, { status });
        const c = ret.conditions.find((x) => x.name === p.name);
        if (!c) ret.conditions.push({ name: p.name, code: p.code, status, ...(status === 'unknown' && why ? { why } : {}) });
        else {
          // the first reason that made it unknown stays; a broken one needs none
          c.status = worse(c.status, status);
          if (c.status !== 'unknown') delete c.why;
          else if (c.why === undefined && why) c.why = why;
        }
      }
      // a frame whose flags the kernel gives back changed: the SYSRET's R11 is compared with those
      const rf = entry.layout?.returnFlags;
      if (rf && ev.rec.kind === 'sysret') ret.assumes = [...new Set([...ret.assumes, `${entry.name} (${PROJECT_FILE}): the frame's flags are given back ${rf.text}`])];
      const cw = await canonicalWidth(S, cfg, w, ev, props, statusOf, out.solver);
      if (cw && !reported.has(`canonical-width:${cw.loc.range.start.line}`)) {
        reported.add(`canonical-width:${cw.loc.range.start.line}`);
        out.findings.push(cw);
      }
      if (w.incomplete) ret.assumes = [...new Set([...ret.assumes, `walk of ${entry.name} incomplete: ${w.incomplete}`])];
    }
  }
  // contract functions read from their C: the contract question, and what the returns assume
  const fromC = [...(project?.contracts.values() ?? [])].filter((c) => c.source || c.flagSource);
  if (fromC.length) {
    // a callee the C calls keeps the frame when its contract says so (the project's, or a built-in)
    const keepsFrame = (name: string): string | undefined => {
      const c = contractFor(name, project?.contracts);
      return c !== 'transparent' && c.frame === 'never' ? c.describe : undefined;
    };
    const verdicts = await checkCContracts(cfg, fromC, walks.map(({ entry, w }) => ({ entry, reached: w.reached })), vaBits, project?.cFields, keepsFrame);
    for (const v of verdicts) {
      const swap = (xs: string[]): string[] => xs.map((a) => (a === v.contract.describe ? v.assumes : a));
      // a SYSRET the weak C lets through is reported once, at the call, as the contract's failure
      if (v.status === 'unproven') out.findings = out.findings.filter((f) => !((SYSRET_CODES.has(f.code) || f.code === 'canonical-width' || v.covers?.includes(f.code)) && f.assumes?.includes(v.contract.describe)));
      for (const f of out.findings) if (f.assumes) f.assumes = swap(f.assumes);
      for (const r of out.returns) r.assumes = swap(r.assumes);
      for (const f of v.findings) {
        f.assumes = [v.assumes];
        completeWitness(cfg, entries, options, project, f);
      }
      out.findings.push(...v.findings);
      out.log.push(v.assumes);
    }
  }
  for (const r of out.returns) {
    r.verdict = r.conditions.some((c) => c.status === 'broken') ? 'finding' : r.conditions.some((c) => c.status === 'unknown') ? 'unknown' : 'ok';
  }
  out.returns.sort((a, b) => a.loc.range.start.line - b.loc.range.start.line);
  if (!stopped && !budget.shouldStop?.()) out.walkCache = cache;
  return out;
}

/**
 * A contract finding's pins are what the C's question decided; the entry's own way to the call may
 * read more (a user flag the assembly tests before it). When they do not decide the route to a fast
 * return alone (as `simulate` runs them), the run with every input they leave out 0 does, and its
 * pins become what that run read.
 */
function completeWitness(cfg: Cfg, entries: Entry[], options: AnalyzeOptions, project: Project | undefined, f: Finding): void {
  const entry = entries.find((e) => e.name === f.replay?.[1]);
  if (!entry || !f.witness) return;
  const env = envFromPins(Object.entries(f.witness).map(([k, v]) => `${k}=${v}`));
  const run = (complete: boolean) => walk(new SymbolicAlgebra(), cfg, entry, { mode: 'trace', env, complete, vendor: options.vendor, ...REPLAY_BUDGET(), contracts: project?.contracts, work: project?.work, selectors: project?.selectors });
  const fast = (tr: WalkResult): boolean => tr.exits.some((x) => x.rec.kind !== 'iret');
  if (fast(run(false))) return;
  const tr = run(true);
  if (!fast(tr)) return;
  f.witness = pinsFromModel(tr.used);
  f.replay = replayCommandArgs(entry.name, f.witness);
}

/**
 * `canonical-width`: RCX is proven canonical for 57-bit addresses but not for 48: the check on the
 * path assumes the wider address space. The check is the branch whose condition, dropped from the
 * path condition, leaves even the 57-bit property unproven; the finding points at the start of
 * that branch's block (where the test's computation begins), with the 48-bit witness.
 */
async function canonicalWidth(S: SymbolicAlgebra, cfg: Cfg, w: WalkResult, ev: ExitEvent, props: Property[], statusOf: Map<string, { status: ConditionStatus; finding?: Finding }>, solver: SolverStats): Promise<Finding | undefined> {
  const narrow = statusOf.get('rcx canonical (48-bit)');
  const wide = statusOf.get('rcx canonical (57-bit)');
  const p57 = props.find((p) => p.name === 'rcx canonical (57-bit)');
  if (!narrow?.finding || wide?.status !== 'proven' || !p57) return undefined;
  const f = narrow.finding;
  // the check is a branch whose condition the 57-bit proof needs ...
  let at: number | undefined;
  for (const c of ev.pc) {
    const pos = w.conjunctSite.get(c.id);
    if (pos === undefined) continue;
    const r = await decide(S, conj(S, [...ev.pc.filter((x) => x !== c), p57.bad]), 2000, solver);
    if (r.status === 'sat') {
      at = pos;
      break;
    }
  }
  // ... or, when RCX is canonical by construction (sign-extended in place), the instruction that
  // computed it: the last to change RCX on the witness's path
  if (at === undefined && f.replay) {
    const pins = f.replay.filter((_, i, xs) => xs[i - 1] === '--set');
    const T = new SymbolicAlgebra();
    const tr = walk(T, cfg, w.entry, { mode: 'trace', env: envFromPins(pins), complete: true, vendor: 'intel', ...REPLAY_BUDGET(), disabled: setting(cfg).disabled });
    for (const s of tr.steps) if (s.pos < ev.pos && 'rcx' in s.changed) at = s.pos;
  }
  if (at === undefined) return undefined;
  const start = blockStart(cfg, at);
  const shift = cfg.program.constants.get('__VIRTUAL_MASK_SHIFT');
  const config = shift === undefined ? '' : ` while the configuration has __VIRTUAL_MASK_SHIFT ${shift} (${Number(shift) + 1}-bit addresses)`;
  const line = cfg.stmt(start).loc.range.start.line;
  return {
    ...f,
    code: 'canonical-width',
    severity: 'warning',
    message: `the canonical check assumes wider addresses than 48 bits (it holds for 57-bit LA57 addresses)${config}: it lets through an RIP that is not canonical with 48-bit addresses`,
    loc: cfg.stmt(start).loc,
    path: f.path?.slice(0, f.path.findIndex((s) => s.loc.range.start.line === line) + 1 || undefined),
    vendor: undefined,
    vaBits: 48,
  };
}

/** The first instruction of the straight-line block that ends at `pos`. */
function blockStart(cfg: Cfg, pos: number): number {
  const st = cfg.program.statements;
  let p = pos;
  while (p > 0) {
    const prev = cfg.instruction[p - 1];
    if (!prev || /^(j|call|ret|sysret|iret)/.test(prev.mnemonic)) break;
    let label = false;
    for (let i = cfg.insns[p - 1] + 1; i < cfg.insns[p]; i++) if (st[i].kind === 'label') label = true;
    if (label) break;
    p--;
  }
  return p;
}

function worse(a: ConditionStatus, b: ConditionStatus): ConditionStatus {
  if (a === 'broken' || b === 'broken') return 'broken';
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  return 'proven';
}

function conj(S: SymbolicAlgebra, xs: Expr[]): Expr {
  return xs.reduce((a, b) => S.andB(a, b), S.T);
}

function returnFor(out: CheckOutput, byReturn: Map<number, { events: { entry: Entry; ev: ExitEvent; walk: WalkResult }[] }>, cfg: Cfg, ev: ExitEvent, S: SymbolicAlgebra): ReturnResult {
  const loc = cfg.stmt(ev.pos).loc;
  let r = out.returns.find((x) => x.loc === loc);
  if (r) return r;
  const events = byReturn.get(ev.pos)?.events ?? [];
  const kind = ev.rec.kind === 'sysret' ? (ev.rec.operandSize === 64 ? 'sysret' : 'sysretl') : ev.rec.kind;
  r = {
    loc,
    kind,
    entries: [...new Set(events.map((e) => e.entry.name))],
    verdict: 'ok',
    paths: events.reduce((n, e) => n + e.ev.paths, 0),
    conditions: [],
    exitCondition: exitConditionText(S, ev),
    conjuncts: ev.pc.map((c) => show(readable(S, c), 0, 2000)),
    assumes: [...new Set(events.flatMap((e) => e.ev.assumes))],
  };
  out.returns.push(r);
  return r;
}

/**
 * A condition as a reader wants it: where paths through different calls meet, a frame field is
 * `ite(path, ptregs.ip@L149, ptregs.ip@L156)`; either way it is "pt_regs->ip after the call", so
 * it reads as `ptregs.ip` (for display only: the checks use the exact values).
 */
function readable(S: SymbolicAlgebra, e: Expr, memo = new Map<number, Expr>()): Expr {
  const base = (x: Expr): string | undefined => (x.op === 'var' ? x.name.replace(/@L[\d.]+$/, '') : undefined);
  return rebuild(S, e, (x) => {
    if (x.op !== 'ite') return undefined;
    const a = base(x.args[1]);
    return a !== undefined && a === base(x.args[2]) ? S.fresh(a, x.width) : undefined;
  }, memo);
}

/** The path condition of a return, as readable text over the saved state. */
export function exitConditionText(S: SymbolicAlgebra, ev: ExitEvent): string {
  if (!ev.pc.length) return 'always';
  const text = ev.pc.map((c) => show(readable(S, c), 0, 400)).join(' ∧ ');
  return tidyNames(text.length > 600 ? text.slice(0, 600) + '…' : text);
}

/** `ptregs.ip@L156` → `ptregs.ip` when only one call site names that field. */
export function tidyNames(text: string): string {
  const sites = new Map<string, Set<string>>();
  for (const m of text.matchAll(/\b([\w.]+)@(L[\d.]+)/g)) {
    let s = sites.get(m[1]);
    if (!s) sites.set(m[1], (s = new Set()));
    s.add(m[2]);
  }
  return text.replace(/\b([\w.]+)@(L[\d.]+)/g, (all, base: string) => ((sites.get(base)?.size ?? 0) === 1 ? base : all));
}

/**
 * Replays a solver model on the concrete machine along its path. The finding is shown only when
 * the replay reaches the same instruction and the property is violated there with those values.
 */
async function confirm(S: SymbolicAlgebra, cfg: Cfg, entry: Entry, options: AnalyzeOptions, p: Property, pos: number, model: Map<string, bigint>, ev: ExitEvent | undefined, project?: Project): Promise<Finding | undefined> {
  let T = new SymbolicAlgebra();
  let env: ReadonlyMap<string, bigint> = model;
  const replay = (): WalkResult => walk(T, cfg, entry, { mode: 'trace', env, complete: true, vendor: options.vendor, ...REPLAY_BUDGET(), ...setting(cfg, project) });
  let tr = replay();
  // a branch on memory the model leaves out (kernel memory stays named in a replay: regions are
  // told apart by it) does not matter to the question — its two arms join before the return, as
  // Xen's test of the per-CPU pv_cr3 at its stack's end does: read it as 0, as a replay reads
  // every other input the model leaves out, and run again (the run that reproduces the violation
  // is the witness, with those values among its pins)
  const reached = (): boolean => (ev ? tr.exits.some((x) => x.pos === pos) : tr.accesses.some((a) => a.pos === pos));
  for (let round = 0; round < 8 && !reached() && tr.stop; round++) {
    const missing = tr.stop.missing.filter((n) => n.startsWith('mem[') && !env.has(n));
    if (!missing.length) break;
    env = new Map([...env, ...missing.map((n): [string, bigint] => [n, 0n])]);
    T = new SymbolicAlgebra();
    tr = replay();
  }
  let ok = false;
  if (ev) {
    const te = tr.exits.find((x) => x.pos === pos);
    if (te) {
      const props = exitProperties({ S: T, vendors: p.vendor === 'intel' ? ['intel'] : ['intel', 'amd'], vaBits: p.vaBits ? [p.vaBits] : [48, 57], walk: tr }, te);
      const tp = props.find((x) => x.name === p.name);
      if (p.code === 'kernel-value-leak') {
        const g = p.name.split(' ')[0] as keyof typeof te.rec.user.regs;
        ok = T.asConst(te.rec.user.regs[g]) === evaluate(ev.rec.user.regs[g], model);
      } else ok = !!tp && T.asBool(tp.bad) === true;
    }
  } else {
    ok = tr.accesses.some((a) => a.pos === pos && T.asConst(a.gsKernel) === 0n);
  }
  if (!ok) return undefined;
  const facts = ev ? witnessFacts(S, ev, model) : {};
  // only what the replay read: the rest of the model is about other paths
  const pins = pinsFromModel(tr.used);
  const stmt = cfg.stmt(pos);
  const path: PathStep[] = [];
  // an access finding's path ends at the access; a return's at the return
  const upTo = tr.steps.findIndex((s) => s.pos === pos);
  for (const s of upTo >= 0 ? tr.steps.slice(0, upTo + 1) : tr.steps) {
    const st = cfg.stmt(s.pos);
    const last = path[path.length - 1];
    const text = (st.text ?? st.name).trim();
    if (last && last.loc.range.start.line === st.loc.range.start.line) {
      if (!last.text.includes(text) && last.text.length < 200) last.text += '; ' + text;
      continue;
    }
    path.push({ loc: st.loc, text });
  }
  return {
    code: p.code,
    severity: p.severity,
    message: p.message(facts),
    loc: stmt.loc,
    witness: pins,
    path,
    vendor: p.vendor,
    vaBits: p.vaBits,
    replay: replayCommandArgs(entry.spec ?? entry.name, pins),
  };
}

function witnessFacts(S: SymbolicAlgebra, ev: ExitEvent, model: Map<string, bigint>): Record<string, string> {
  const h = (e: Expr | undefined): string | undefined => (e ? '0x' + evaluate(e, model).toString(16).padStart(16, '0') : undefined);
  const m = ev.state;
  // the frame as the properties read it (a never-written slot stands for the entry's value)
  const field = (name: string): Expr | undefined => frameField(ev, name, S);
  const out: Record<string, string | undefined> = {
    rcxAtSysret: h(m.regs.rcx),
    r11AtSysret: h(m.regs.r11),
    frameIp: h(field('ip')),
    frameCx: h(field('cx')),
    frameFlags: h(field('flags')),
    frameR11: h(field('r11')),
    frameCs: h(field('cs')),
    frameSs: h(field('ss')),
    frameSp: h(field('sp')),
    userRsp: h(ev.rec.user.rsp),
  };
  const res: Record<string, string> = {};
  for (const [k, v] of Object.entries(out)) if (v) res[k] = v;
  for (const [k, v] of model) if (k.startsWith('ti_flags')) res.tiFlags = '0x' + v.toString(16);
  return res;
}
