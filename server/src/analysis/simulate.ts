// `simulate`: the checker's walk, for one entry. With pins that decide the route, the one path
// taken, step by step, and the exit it takes (SYSRET, IRET, or a fault with vector and ring) on
// each vendor; without, every return with its verdict and the condition under which it is taken.
import type { Program } from '../syntax';
import { type Expr, SymbolicAlgebra, summarizeExit, variables, type ExitSummary } from '../x86';
import { Cfg } from './cfg';
import { builtInRule, findEntries, runChecks, setting } from './checker';
import { acceptFor, type Project } from './project';
import type { AnalyzeOptions } from './options';
import { exitProperties } from './properties';
import { decide } from './decide';
import { pinsFromModel } from './witness';
import { walk } from './walk';

/** What holds on a path by a stated word rather than by the code, as the run's verdict line says it. */
export function heldBy(x: Pick<SimPath, 'accepted' | 'byRule'>): string {
  return (x.accepted?.length ? ` (accepted by the project file: ${x.accepted.join(', ')})` : '') + (x.byRule?.length ? ` (by the built-in rule for the NMI: ${x.byRule.join(', ')})` : '');
}

export interface SimStep {
  line: number;
  /** The file of the line when it is not the simulated one (a companion file linked in: entry_64.S). */
  file?: string;
  text: string;
  changed: Record<string, string>;
  /** With `detail`: every register, the flags, the GS base after the step and the frame fields it wrote. */
  regs?: Record<string, string>;
  flags?: Record<string, string>;
  frame?: Record<string, string>;
  gs?: string;
}

export interface SimulateOptions {
  /** Steps carry every register, the flags and the frame cells written (the editor's step view). */
  detail?: boolean;
  /**
   * Without pins: give every return pins that reach it (the checker's witness when the return has a
   * finding, else a model of the path condition, replayed on the concrete machine before it is given).
   */
  witnesses?: boolean;
}

export interface SimPath {
  exit: ((ExitSummary & { line: number; vendor: 'intel' | 'amd' }) | { kind: 'unknown'; line: number; reason: string; missing: string[] }) & { file?: string };
  verdict: 'ok' | 'finding' | 'unknown';
  codes: string[];
  /** Violations on this path the project file accepts of the kernel's design (`accept`): not in codes, not a finding. */
  accepted?: string[];
  /** Violations on this path that hold by a built-in rule (the NMI runs no exit work): not in codes, not a finding. */
  byRule?: string[];
  steps: SimStep[];
  exitCondition?: string;
  paths?: number;
  /** witnesses: `--set` pins (NAME → value) whose concrete run reaches this return; a finding's witness first. */
  pins?: Record<string, string>;
  /** witnesses: where the pins come from. */
  pinsFrom?: 'finding' | 'path';
}

export interface Simulation {
  entry: string;
  paths: SimPath[];
}

/**
 * A concrete run's budget, as the checker's witness replays: counted in states (a run of an entry
 * file takes a few thousand), so what `simulate` prints does not depend on the machine's load; the
 * clock is a far backstop.
 */
const TRACE_BUDGET = () => ({ maxStates: 200_000, deadline: performance.now() + 20_000 });

/** Pin names for the walk's unknowns, for "missing value" messages. */
function pinName(v: string): string {
  if (v === 'user.rip') return 'rcx';
  if (v === 'user.rflags') return 'r11';
  return v.startsWith('user.') ? v.slice(5) : v;
}

export async function simulate(program: Program, options: AnalyzeOptions, entryName: string, env: Map<string, bigint> | undefined, project?: Project, sim: SimulateOptions = {}): Promise<Simulation> {
  const cfg = new Cfg(program);
  const entry = findEntries(cfg, [entryName], project).entries[0];
  if (!entry) throw new Error(`no label '${entryName}' in this file`);
  if (!env || env.size === 0) {
    const c = await runChecks(program, { ...options, entries: [entryName] }, project);
    const paths: SimPath[] = c.returns.map((r) => ({
      exit: { kind: 'unknown' as const, line: r.loc.range.start.line + 1, reason: `${r.kind} reached symbolically`, missing: [] },
      verdict: r.verdict,
      codes: [...new Set(r.conditions.filter((x) => x.status === 'broken').map((x) => x.code))],
      steps: [],
      exitCondition: r.exitCondition,
      paths: r.paths,
    }));
    if (sim.witnesses) {
      for (const [i, r] of c.returns.entries()) {
        const line = r.loc.range.start.line;
        // a finding's witness (the one its code action replays), else pins that reach the return
        const f = c.findings.find((x) => x.loc.range.start.line === line && x.loc.file === r.loc.file && x.witness && x.severity !== 'info');
        if (f?.witness) {
          paths[i].pins = f.witness;
          paths[i].pinsFrom = 'finding';
          continue;
        }
        const x = c.exits.find((e) => cfg.stmt(e.ev.pos).loc === r.loc || (cfg.stmt(e.ev.pos).loc.range.start.line === line && cfg.stmt(e.ev.pos).loc.file === r.loc.file));
        if (!x) continue;
        const S = x.S;
        const q = x.ev.pc.reduce((a, b) => S.andB(a, b), S.T);
        // a run a reviewer recognises: the user's selectors in the frame when the path allows them
        const liked: Expr[] = [];
        for (const [name, width] of variables(q)) {
          const want = /^ptregs\.cs(@|$)/.test(name) ? 0x33n : /^ptregs\.ss(@|$)/.test(name) ? 0x2bn : undefined;
          if (want !== undefined && width === 64) liked.push(S.eq(S.fresh(name, 64), S.const(64, want)));
        }
        let res = liked.length ? await decide(S, liked.reduce((a, b) => S.andB(a, b), q), 2000) : undefined;
        if (res?.status !== 'sat') res = await decide(S, q, 2000);
        if (res.status !== 'sat') continue;
        const T = new SymbolicAlgebra();
        const tr = walk(T, cfg, entry, { mode: 'trace', env: res.model, complete: true, vendor: options.vendor === 'amd' ? 'amd' : 'intel', ...TRACE_BUDGET(), ...setting(cfg, project) });
        if (tr.exits[0]?.pos !== x.ev.pos) continue; // the model does not replay to this return: no pins rather than wrong ones
        paths[i].pins = pinsFromModel(tr.used);
        paths[i].pinsFrom = 'path';
      }
    }
    return { entry: entryName, paths };
  }
  // a line in another file (a companion linked in for its jumps) says which
  const home = cfg.stmt(entry.pos).loc.file;
  const fileOf = (pos: number): { file?: string } => {
    const f = cfg.stmt(pos).loc.file;
    return f === home ? {} : { file: f };
  };
  const vendors: ('intel' | 'amd')[] = options.vendor === 'both' ? ['intel', 'amd'] : [options.vendor];
  const vaBits: (48 | 57)[] = options.vaBits === 'both' ? [48, 57] : [options.vaBits];
  const paths: SimPath[] = [];
  // one concrete run per vendor: SYSCALL's saved RFLAGS and SYSRET's faults differ between them
  for (const vendor of vendors) {
    const T = new SymbolicAlgebra();
    const tr = walk(T, cfg, entry, { mode: 'trace', env, vendor, ...TRACE_BUDGET(), ...setting(cfg, project), detail: sim.detail });
    const steps: SimStep[] = tr.steps.map((s) => {
      const st = cfg.stmt(s.pos);
      const step: SimStep = { line: st.loc.range.start.line + 1, ...fileOf(s.pos), text: (st.text ?? st.name).trim(), changed: s.changed };
      if (sim.detail) Object.assign(step, { regs: s.regs, flags: s.flags, frame: s.frame, gs: s.gs });
      return step;
    });
    const ev = tr.exits[0];
    if (!ev) {
      const stop = tr.stop;
      paths.push({
        exit: {
          kind: 'unknown',
          line: stop ? cfg.stmt(stop.pos).loc.range.start.line + 1 : steps[steps.length - 1]?.line ?? 0,
          ...(stop ? fileOf(stop.pos) : steps[steps.length - 1]?.file ? { file: steps[steps.length - 1].file } : {}),
          reason: stop ? stop.reason : tr.incomplete ?? 'the path left the file without returning to user mode',
          missing: (stop?.missing ?? []).map(pinName),
        },
        verdict: 'unknown',
        codes: [],
        steps,
      });
      break; // the route does not depend on the vendor before it is decided
    }
    const props = exitProperties({ S: T, vendors: [vendor], vaBits, walk: tr }, ev);
    // (what the project file accepts of the kernel's design holds by its word, as in `check`)
    const violated = props.filter((p) => T.asBool(p.bad) === true && p.code !== 'kernel-value-leak');
    // (and what a built-in rule says holds by design: the NMI's return skips exit work on purpose)
    const byRule = violated.filter((p) => builtInRule(entry, p.code) !== undefined);
    const accepted = violated.filter((p) => !byRule.includes(p) && acceptFor(project, p.code, entry, ev));
    const broken = violated.filter((p) => !accepted.includes(p) && !byRule.includes(p));
    const open = props.filter((p) => T.asBool(p.bad) === undefined && p.code !== 'kernel-value-leak');
    const line = cfg.stmt(ev.pos).loc.range.start.line + 1;
    paths.push({
      exit: { ...summarizeExit(T, ev.rec, vendor), line, ...fileOf(ev.pos), vendor },
      verdict: broken.length ? 'finding' : open.length ? 'unknown' : 'ok',
      codes: [...new Set(broken.map((p) => p.code))],
      ...(accepted.length ? { accepted: [...new Set(accepted.map((p) => p.code))] } : {}),
      ...(byRule.length ? { byRule: [...new Set(byRule.map((p) => p.code))] } : {}),
      steps,
    });
  }
  return { entry: entryName, paths };
}
