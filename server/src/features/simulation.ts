// The simulation view's requests: `entryReview/entries` (the entries of a document, from its
// analysis) and `entryReview/simulate` (analysis/simulate.ts for one entry: without pins every return
// with its verdict, exit condition and pins that reach it; with pins the one concrete run, step by
// step, and its exit per vendor). Lines are 0-based here, as everywhere in LSP.
import type { Analysis, AnalyzeOptions, SimPath, Simulation } from '../analysis';
import { envFromPins, heldBy, simulate } from '../analysis';

export const ENTRIES_REQUEST = 'entryReview/entries';
export const SIMULATE_REQUEST = 'entryReview/simulate';
/** The client's command a CodeLens or a finding's code action opens the simulation view with. */
export const SIMULATE_COMMAND = 'entryReview.simulateReturnPath';

export interface EntriesParams {
  uri: string;
}

export interface EntryView {
  name: string;
  /** 0-based line of the entry's label in the document (-1 when it sits in another file). */
  line: number;
  /** Returns to user mode this entry reaches, by verdict. */
  returns: { ok: number; finding: number; unknown: number };
}

export interface EntriesResult {
  uri: string;
  entries: EntryView[];
}

export interface SimulateParams {
  uri: string;
  entry: string;
  /** `NAME=VALUE` pins as `simulate --set` takes them, or a witness (NAME → value). */
  pins?: string[] | Record<string, string>;
  /** Pins as typed (the input box): separated by spaces, commas or semicolons, `--set` allowed. */
  pinText?: string;
  vendor?: 'intel' | 'amd' | 'both';
}

export interface StepView {
  /** 0-based line in the document. */
  line: number;
  text: string;
  /** Registers this step changed. */
  changed: Record<string, string>;
  regs: Record<string, string>;
  flags: Record<string, string>;
  /** Saved-frame (pt_regs) fields this step wrote, by field name. */
  frame: Record<string, string>;
  gs: string;
}

export interface ExitView {
  kind: 'sysret' | 'iret' | 'sysexit' | 'fault' | 'unknown';
  vendor?: 'intel' | 'amd';
  fault?: { vector: number; name: string; ring: number } | null;
  /** The user state after the return (concrete runs). */
  user?: Record<string, string>;
  /** Why a run has no exit (a branch the pins do not decide), and what to pin. */
  reason?: string;
  missing?: string[];
}

export interface PathView {
  /** 0-based line of the return (or where the run stopped). */
  line: number;
  /** The returning instruction's kind (sysret, sysretl, iret, sysexit) when known. */
  returnKind?: string;
  verdict: 'ok' | 'finding' | 'unknown';
  codes: string[];
  /** One line: `SYSRET · ok · 2 paths` or `intel: fault #GP (vector 13) in ring 0`. */
  summary: string;
  exit: ExitView;
  exitCondition?: string;
  paths?: number;
  /** Pins whose concrete run reaches this return (a finding's witness first). */
  pins?: Record<string, string>;
  pinsFrom?: 'finding' | 'path';
  steps: StepView[];
}

export interface SimulationView {
  uri: string;
  entry: string;
  /** paths: every return, reached symbolically; run: the concrete run the pins decide. */
  mode: 'paths' | 'run';
  pins: string[];
  paths: PathView[];
  /** A malformed pin or an unknown entry: the view shows it instead of paths. */
  error?: string;
}

const VECTORS: Record<number, string> = { 0: '#DE', 1: '#DB', 3: '#BP', 6: '#UD', 8: '#DF', 10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 17: '#AC', 21: '#CP' };

/** The entries the analysis walked, each with the verdicts of the returns it reaches. */
export function entriesOf(a: Analysis, uri: string): EntriesResult {
  return {
    uri,
    entries: a.entries.map((name) => {
      const index = a.program.labels.get(name);
      const st = index === undefined ? undefined : a.program.statements[index];
      const returns = { ok: 0, finding: 0, unknown: 0 };
      for (const r of a.returns) if (r.entries.includes(name)) returns[r.verdict]++;
      return { name, line: st && st.loc.file === a.file ? st.loc.range.start.line : -1, returns };
    }),
  };
}

/** Pins from either shape, as `NAME=VALUE` strings. */
export function pinList(pins: SimulateParams['pins']): string[] {
  if (!pins) return [];
  if (Array.isArray(pins)) return pins.map((p) => String(p).trim()).filter((p) => p.length > 0);
  return Object.entries(pins).map(([k, v]) => `${k}=${v}`);
}

/** `  ptregs.ip=0x800…, rax=0 ` or one pin per line: the input box's text as pins. */
export function parsePinText(text: string): string[] {
  return text.split(/[\s,;]+/).map((p) => p.replace(/^--set=?/, '')).filter((p) => p.length > 0 && p !== '--set');
}

export async function simulationView(a: Analysis, options: AnalyzeOptions, p: SimulateParams): Promise<SimulationView> {
  const pins = [...pinList(p.pins), ...(typeof p.pinText === 'string' ? parsePinText(p.pinText) : [])];
  const base: SimulationView = { uri: p.uri, entry: p.entry, mode: pins.length ? 'run' : 'paths', pins, paths: [] };
  let env: Map<string, bigint>;
  try {
    env = envFromPins(pins);
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  }
  const o: AnalyzeOptions = p.vendor ? { ...options, vendor: p.vendor } : options;
  let sim: Simulation;
  try {
    sim = await simulate(a.program, o, p.entry, env, a.project, { detail: true, witnesses: true });
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  }
  return { ...base, paths: sim.paths.map((x) => pathView(a, x)) };
}

function pathView(a: Analysis, x: SimPath): PathView {
  const line = x.exit.line - 1;
  const ret = a.returns.find((r) => r.loc.file === a.file && r.loc.range.start.line === line);
  const steps: StepView[] = x.steps.map((s) => ({ line: s.line - 1, text: s.text, changed: s.changed, regs: s.regs ?? {}, flags: s.flags ?? {}, frame: s.frame ?? {}, gs: s.gs ?? '' }));
  const e = x.exit;
  let exit: ExitView;
  let summary: string;
  if ('reason' in e) {
    exit = { kind: 'unknown', reason: e.reason, missing: e.missing };
    summary = steps.length || !ret
      ? `stopped: ${e.reason}${e.missing.length ? ` (pin ${e.missing.join(', ')})` : ''}`
      : `${ret.kind.toUpperCase()} · ${x.verdict}${x.codes.length ? ` [${x.codes.join(', ')}]` : ''} · ${x.paths ?? ret.paths} path${(x.paths ?? ret.paths) === 1 ? '' : 's'}`;
  } else {
    const fault = e.fault ? { vector: e.fault.vector, name: VECTORS[e.fault.vector] ?? `vector ${e.fault.vector}`, ring: e.fault.ring } : null;
    exit = { kind: e.kind, vendor: e.vendor, fault, user: e.user };
    summary = fault
      ? `${e.vendor}: fault ${fault.name} (vector ${fault.vector}) in ring ${fault.ring}`
      : `${e.vendor}: ${e.kind.toUpperCase()} to user mode, rip=${e.user.rip}`;
    summary += ` — ${x.verdict}${x.codes.length ? ` [${x.codes.join(', ')}]` : ''}${heldBy(x)}`;
  }
  const out: PathView = { line, verdict: x.verdict, codes: x.codes, summary, exit, steps };
  if (ret) out.returnKind = ret.kind;
  if (x.exitCondition !== undefined) out.exitCondition = x.exitCondition;
  if (x.paths !== undefined) out.paths = x.paths;
  if (x.pins) out.pins = x.pins;
  if (x.pinsFrom) out.pinsFrom = x.pinsFrom;
  return out;
}
