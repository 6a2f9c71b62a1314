// `simulate`: the checker's walk, for one entry. With pins that decide the route, the one path
// taken, step by step, and the exit it takes (SYSRET, IRET, or a fault with vector and ring) on
// each vendor; without, every return with its verdict and the condition under which it is taken.
import type { Program } from '../syntax';
import { SymbolicAlgebra, summarizeExit, type ExitSummary } from '../x86';
import { Cfg } from './cfg';
import { findEntries, runChecks } from './checker';
import type { Project } from './project';
import type { AnalyzeOptions } from './options';
import { exitProperties } from './properties';
import { walk } from './walk';

export interface SimStep {
  line: number;
  text: string;
  changed: Record<string, string>;
}

export interface SimPath {
  exit: (ExitSummary & { line: number; vendor: 'intel' | 'amd' }) | { kind: 'unknown'; line: number; reason: string; missing: string[] };
  verdict: 'ok' | 'finding' | 'unknown';
  codes: string[];
  steps: SimStep[];
  exitCondition?: string;
  paths?: number;
}

export interface Simulation {
  entry: string;
  paths: SimPath[];
}

/** Pin names for the walk's unknowns, for "missing value" messages. */
function pinName(v: string): string {
  if (v === 'user.rip') return 'rcx';
  if (v === 'user.rflags') return 'r11';
  return v.startsWith('user.') ? v.slice(5) : v;
}

export async function simulate(program: Program, options: AnalyzeOptions, entryName: string, env: Map<string, bigint> | undefined, project?: Project): Promise<Simulation> {
  const cfg = new Cfg(program);
  const entry = findEntries(cfg, [entryName], project).entries[0];
  if (!entry) throw new Error(`no label '${entryName}' in this file`);
  if (!env || env.size === 0) {
    const c = await runChecks(program, { ...options, entries: [entryName] }, project);
    return {
      entry: entryName,
      paths: c.returns.map((r) => ({
        exit: { kind: 'unknown' as const, line: r.loc.range.start.line + 1, reason: `${r.kind} reached symbolically`, missing: [] },
        verdict: r.verdict,
        codes: [...new Set(r.conditions.filter((x) => x.status === 'broken').map((x) => x.code))],
        steps: [],
        exitCondition: r.exitCondition,
        paths: r.paths,
      })),
    };
  }
  const vendors: ('intel' | 'amd')[] = options.vendor === 'both' ? ['intel', 'amd'] : [options.vendor];
  const vaBits: (48 | 57)[] = options.vaBits === 'both' ? [48, 57] : [options.vaBits];
  const paths: SimPath[] = [];
  // one concrete run per vendor: SYSCALL's saved RFLAGS and SYSRET's faults differ between them
  for (const vendor of vendors) {
    const T = new SymbolicAlgebra();
    const tr = walk(T, cfg, entry, { mode: 'trace', env, vendor, deadline: performance.now() + 5000, contracts: project?.contracts, work: project?.work, selectors: project?.selectors });
    const steps: SimStep[] = tr.steps.map((s) => {
      const st = cfg.stmt(s.pos);
      return { line: st.loc.range.start.line + 1, text: (st.text ?? st.name).trim(), changed: s.changed };
    });
    const ev = tr.exits[0];
    if (!ev) {
      const stop = tr.stop;
      paths.push({
        exit: {
          kind: 'unknown',
          line: stop ? cfg.stmt(stop.pos).loc.range.start.line + 1 : steps[steps.length - 1]?.line ?? 0,
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
    const broken = props.filter((p) => T.asBool(p.bad) === true && p.code !== 'kernel-value-leak');
    const open = props.filter((p) => T.asBool(p.bad) === undefined && p.code !== 'kernel-value-leak');
    const line = cfg.stmt(ev.pos).loc.range.start.line + 1;
    paths.push({
      exit: { ...summarizeExit(T, ev.rec, vendor), line, vendor },
      verdict: broken.length ? 'finding' : open.length ? 'unknown' : 'ok',
      codes: [...new Set(broken.map((p) => p.code))],
      steps,
    });
  }
  return { entry: entryName, paths };
}
