// The one entry point of the analysis: text in, Analysis out. No I/O of its own: every file it
// needs beyond the document comes through the `files` reader, so every layer is testable with
// plain strings, and the language server and the command line share exactly this code.
import { parseProgram, type FileReader, type Location, type Origin, type Program, type Statement } from '../syntax';
import { isModelled, type Expr } from '../x86';
import { runChecks, type ReturnResult } from './checker';
import { withCSources } from './csource';
import type { OperandState } from './memstate';
import { findProjectFile, projectCompanions, projectPreprocess, readProject, type Project } from './project';
import type { AnalyzeOptions } from './options';
import { newSolverStats, type SolverStats } from './decide';
import { sameContent, sameLines, sameLoc, samePlace, sameProgramFacts } from './compare';
import type { WalkCache } from './walkreuse';

export type Severity = 'error' | 'warning' | 'info';

export interface SourceDocument {
  /** Absolute file-system path of the document (for includes and messages). */
  file: string;
  text: string;
  /** Editor version; the language server caches one Analysis per version. */
  version?: number;
}

/** One step of the path from an entry to a finding, as the user sees it. */
export interface PathStep {
  loc: Location;
  text: string;
}

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  /** Where the finding lands in the analysed file (a macro invocation when it came from one). */
  loc: Location;
  /** Concrete register values that reach the finding, as hex strings. */
  witness?: Record<string, string>;
  path?: PathStep[];
  vendor?: 'intel' | 'amd' | 'both';
  vaBits?: 48 | 57;
  /** What the verdict depends on beyond the file itself (contracts, built-ins). */
  assumes?: string[];
  /** `entry-review simulate FILE` arguments that replay the witness. */
  replay?: string[];
}

export interface AnalysisStats {
  paths: number;
  instructions: number;
  millis: number;
  /** Milliseconds of the front end alone (preprocessor, macros, parser). */
  parseMillis: number;
  /** How the checker's questions were answered: how many, and by the cheap proof, the cache, the search, Z3. */
  solver: SolverStats;
}

export interface Analysis {
  file: string;
  version: number | undefined;
  program: Program;
  findings: Finding[];
  /** Every return to user mode reached from an entry, with its verdict. */
  returns: ReturnResult[];
  /** Entries analysed (labels). */
  entries: string[];
  /** What the checker dropped and why, for a log (the server's output channel). */
  log: string[];
  /** The symbolic general registers before each instruction the walk reached (statement index). */
  registers: Map<number, { entry: string; regs: Record<string, Expr> }>;
  /** Each memory operand's cell and value before and after each instruction the walk reached (statement index). */
  memory: Map<number, { entry: string; operands: OperandState[] }>;
  /** The project file the analysis read (entries, frames, contracts), for `simulate` on the same terms. */
  project?: Project;
  stats: AnalysisStats;
  /**
   * The front end's view only (syntaxOnly): the checks of this version have not finished, so
   * `returns` and `registers` are empty, and a feature that needs them says the analysis still runs.
   */
  pending?: boolean;
  /** The checks were stopped (AnalyzeControl.shouldStop) before they finished: not a result to show. */
  cancelled?: boolean;
  /**
   * What a later version may take over when its edit moved text within lines only (analyze's
   * `previous`): the key of what the checks read beside the program (checksKey), and the
   * checks' own findings.
   */
  reusable?: { key: string; checkFindings: Finding[] };
  /** The checks were not run again: they are those of this earlier version (only columns moved). */
  reusedFrom?: number;
  /** The walks, kept for the next version's analysis (AnalyzeControl.walks); not part of the result. */
  walks?: WalkCache;
}

/**
 * The front end's result, before any symbolic check: the program, its findings and the project
 * file. Enough for every syntax-level feature (outline, definitions, instruction, macro and
 * constant hovers); `checkParsed` runs the checks on it.
 */
export interface Parsed {
  doc: SourceDocument;
  program: Program;
  /** The front end's findings (`parse`, `unmodeled` instructions) and the project file's mistakes. */
  findings: Finding[];
  project?: Project;
  instructions: number;
  parseMillis: number;
  /** performance.now() when the analysis began (the stats' millis count from here). */
  started: number;
}

/** What may stop or bound an analysis (the language server's: a newer version of the document). */
export interface AnalyzeControl {
  /** Asked during the checks: true stops them (the result is then marked `cancelled`). */
  shouldStop?: () => boolean;
  /** The merge walk's budget in states per entry (default: the checker's WALK_STATE_BUDGET). */
  maxStates?: number;
  /**
   * The previous version's analysis: when the new text reads as the same program with every
   * statement on the same line (an edit in a comment, or spaces), its checks are taken over with
   * the columns moved instead of being run again.
   */
  previous?: Analysis;
  /** What else the checks read that the caller knows of and the program does not show (the other open editors' texts). */
  reuseKey?: string;
  /**
   * The previous version's walks (its analysis's `walks`): an entry none of whose instructions
   * the edit changed takes its walk over (walkreuse.ts); the properties are decided again.
   * Consumed: checkParsed clears it, and the checks let go of the walks they do not take over
   * before they walk (the previous version's states and the new ones at once set the peak).
   */
  walks?: WalkCache;
}

/**
 * Analyses one document: reads it (syntax), then walks every entry from user mode and decides
 * every property of every return (checker). Never throws: a failure of the checker becomes an
 * `unmodeled` note at the top of the file, and the front end's findings stay.
 */
export async function analyze(doc: SourceDocument, options: AnalyzeOptions, files: FileReader, control: AnalyzeControl = {}): Promise<Analysis> {
  const parsed = parseDocument(doc, options, files);
  const reused = control.previous && reuseChecks(control.previous, parsed, options, control.reuseKey);
  return reused || checkParsed(parsed, options, files, { ...control, walks: control.walks ?? control.previous?.walks });
}

/** JSON of what the checks read beside the statements, positions cut to their lines. */
function linesJson(v: unknown): string {
  return JSON.stringify(v, (_k: string, x: unknown): unknown => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Map || x instanceof Set) return [...x];
    if (x && typeof x === 'object' && 'start' in x && 'end' in x) {
      const r = x as { start: { line: number }; end: { line: number } };
      return `${r.start.line}-${r.end.line}`;
    }
    return x;
  });
}

/** The key of what the checks read beside the program: the options, the project, what the caller adds. */
export function checksKey(parsed: Parsed, options: AnalyzeOptions, extra = ''): string {
  return linesJson([options, parsed.project, extra]);
}

/**
 * True when the checks read the same from both programs: the same statements (kind, name,
 * operands as written and their values, section, ALTERNATIVE arm, text, origin chain), each on the
 * same line of the same file, and the same labels, constants, ALTERNATIVE sites, exception table,
 * headers and configuration — columns aside. (`symbols` and the macro expansions serve the
 * editor's features, not the checks; an operand's value is its text after expansion read with
 * `constants`, so its text and values stand for its expression.)
 */
export function sameForChecks(a: Program, b: Program): boolean {
  if (a.statements.length !== b.statements.length || a.file !== b.file) return false;
  const pairs = new Map<Origin, Origin>();
  for (let i = 0; i < a.statements.length; i++) {
    if (!samePlace(a.statements[i], b.statements[i], sameLines, pairs) || !sameContent(a.statements[i], b.statements[i])) return false;
  }
  return sameProgramFacts(a, b, linesJson);
}


/**
 * The previous analysis's checks for the new parse, when nothing they read changed but columns
 * (checksKey): its findings and returns with every location moved to the new statement's. Every
 * location they hold is a statement's (or a macro invocation's above it); one that is not, on a
 * line whose columns moved, means the old answer cannot be placed: undefined, the checks run.
 */
export function reuseChecks(prev: Analysis, parsed: Parsed, options: AnalyzeOptions, extra?: string): Analysis | undefined {
  if (!prev.reusable || prev.cancelled || prev.pending) return undefined;
  const key = checksKey(parsed, options, extra);
  if (key !== prev.reusable.key || !sameForChecks(prev.program, parsed.program)) return undefined;
  const oldS = prev.program.statements;
  const newS = parsed.program.statements;
  const locKey = (l: Location): string => `${l.file}:${l.range.start.line}:${l.range.start.character}:${l.range.end.line}:${l.range.end.character}`;
  // only what moved is mapped: a location found nowhere in it stands where it stood, unless its
  // line is one that moved (then it cannot be placed)
  const moved = new Map<string, Location>();
  const movedLines = new Set<string>();
  // every statement's location (and its origin chain's) in the old program and in the new
  const eachPair = (f: (a: Location, b: Location) => void): void => {
    for (let i = 0; i < oldS.length; i++) {
      for (let a: Origin | undefined = oldS[i].origin, b: Origin | undefined = newS[i].origin; a && b; a = a.parent, b = b.parent) f(a.loc, b.loc);
      f(oldS[i].loc, newS[i].loc);
    }
  };
  eachPair((a, b) => {
    if (sameLoc(a, b)) return;
    movedLines.add(`${a.file}:${a.range.start.line}`);
    moved.set(locKey(a), b);
  });
  // on a line that moved, what stayed is placed where it stands
  if (movedLines.size) {
    eachPair((a, b) => {
      if (sameLoc(a, b) && movedLines.has(`${a.file}:${a.range.start.line}`) && !moved.has(locKey(a))) moved.set(locKey(a), a);
    });
  }
  let placed = true;
  const relocate = <T>(v: T): T => {
    if (Array.isArray(v)) return v.map(relocate) as T;
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.file === 'string' && o.range && typeof o.range === 'object' && Object.keys(o).length === 2) {
      const l = o as unknown as Location;
      const to = moved.get(locKey(l));
      if (to) return to as T;
      if (movedLines.has(`${l.file}:${l.range.start.line}`)) placed = false;
      return v;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = relocate(x);
    return out as T;
  };
  const checkFindings = relocate(prev.reusable.checkFindings);
  const returns = relocate(prev.returns);
  if (!placed) return undefined;
  const findings = [...parsed.findings, ...checkFindings].sort(compareFindings);
  const out: Analysis = {
    ...prev,
    file: parsed.doc.file,
    version: parsed.doc.version,
    program: parsed.program,
    findings,
    returns,
    project: parsed.project,
    log: [...prev.log.filter((l) => !l.startsWith('the checks of version ')), `the checks of version ${prev.reusedFrom ?? prev.version} still hold (the edit moved text within its lines): not run again`],
    stats: { ...prev.stats, instructions: parsed.instructions, millis: Math.round(performance.now() - parsed.started), parseMillis: Math.round(parsed.parseMillis * 10) / 10 },
    reusable: { key, checkFindings },
    reusedFrom: prev.reusedFrom ?? prev.version,
  };
  // (the walks stand for this version too: what they read is where it was)
  if (prev.walks) Object.defineProperty(out, 'walks', { value: prev.walks, enumerable: false });
  return out;
}

/** The first phase of analyze(): the project file and the front end (preprocessor, macros, parser). */
export function parseDocument(doc: SourceDocument, options: AnalyzeOptions, files: FileReader): Parsed {
  const started = performance.now();
  const findings: Finding[] = [];
  // the project file: the nearest .entry-review.json above the document (or the one named); read
  // before the file, since it may say how the file is read (`preprocess`)
  const pf = options.projectFile !== undefined ? (options.projectFile ? { path: options.projectFile, text: files.read(options.projectFile) } : undefined) : findProjectFile(doc.file, files);
  const program = parseProgram(doc.file, doc.text, { defines: options.defines, undefines: options.undefines, includePaths: options.includePaths, preprocess: options.preprocess ?? projectPreprocess(pf?.text), companions: projectCompanions(pf?.path, pf?.text) }, files);
  const parseMillis = performance.now() - started;
  for (const d of program.diagnostics) {
    findings.push({ code: d.code, severity: d.severity, message: d.message, loc: d.loc });
  }
  let instructions = 0;
  const unmodeled = new Set<string>();
  for (const s of program.statements) {
    if (s.kind !== 'instruction') continue;
    instructions++;
    if (isModelled(s.name)) continue;
    const key = `${s.loc.file}:${s.loc.range.start.line}:${s.loc.range.start.character}:${s.name}`;
    if (unmodeled.has(key)) continue;
    unmodeled.add(key);
    findings.push({
      code: 'unmodeled',
      severity: 'info',
      message: `'${writtenMnemonic(s)}' is neither an instruction the x86 model knows nor a macro defined here; the analysis goes on with its outputs unknown`,
      loc: s.loc,
    });
  }
  let project: Project | undefined;
  if (pf && pf.text === undefined) findings.push({ code: 'parse', severity: 'error', message: `cannot read the project file ${pf.path}`, loc: topOfFile(pf.path) });
  else if (pf && pf.text !== undefined) {
    project = readProject(pf.path, pf.text, program);
    for (const e of project.errors) findings.push({ code: 'parse', severity: 'error', message: `${pf.path} ${e.path}: ${e.message}`, loc: topOfFile(pf.path) });
  }
  return { doc, program, findings, project, instructions, parseMillis, started };
}

/**
 * The front end's view alone, shaped as an Analysis (no returns, no machine state, `pending`): what
 * the syntax-level features answer from while the checks of this version still run.
 */
export function syntaxOnly(parsed: Parsed): Analysis {
  return {
    file: parsed.doc.file,
    version: parsed.doc.version,
    program: parsed.program,
    findings: [...parsed.findings].sort(compareFindings),
    returns: [],
    entries: [],
    log: [],
    registers: new Map(),
    memory: new Map(),
    project: parsed.project,
    pending: true,
    stats: { paths: 0, instructions: parsed.instructions, millis: 0, parseMillis: Math.round(parsed.parseMillis * 10) / 10, solver: newSolverStats() },
  };
}

/** The second phase of analyze(): the C sources of contracts, then the checks. */
export async function checkParsed(parsed: Parsed, options: AnalyzeOptions, files: FileReader, control: AnalyzeControl = {}): Promise<Analysis> {
  const { doc, program, project, started } = parsed;
  const findings = [...parsed.findings];
  let returns: ReturnResult[] = [];
  let entries: string[] = [];
  let registers: Analysis['registers'] = new Map();
  let memory: Analysis['memory'] = new Map();
  let log: string[] = [];
  let paths = 0;
  let solver = newSolverStats();
  let checkFindings: Finding[] | undefined;
  let walks: WalkCache | undefined;
  const key = checksKey(parsed, options, control.reuseKey);
  try {
    // contract functions whose C source is in the tree (or named): run, not trusted
    const cs = await withCSources(program, options, files, project);
    // (walks made with other options, another project or other open editors are not taken over)
    const reuse = control.walks?.checks === key ? control.walks : undefined;
    control.walks = undefined;
    const c = await runChecks(program, options, cs.project, { shouldStop: control.shouldStop, maxStates: control.maxStates, reuse });
    c.log.unshift(...cs.log);
    returns = c.returns;
    entries = c.entries.map((e) => e.name);
    registers = c.registers;
    memory = c.memory;
    log = c.log;
    paths = c.paths;
    solver = c.solver;
    walks = c.walkCache;
    checkFindings = [...c.findings, ...c.notes.map((n): Finding => ({ code: 'unmodeled', severity: 'info', message: n, loc: topOfFile(doc.file) }))];
    findings.push(...checkFindings);
  } catch (e) {
    findings.push({ code: 'unmodeled', severity: 'info', message: `the checker stopped on an internal error (${e instanceof Error ? e.message : String(e)}); only the front end's findings are shown`, loc: topOfFile(doc.file) });
  }
  findings.sort(compareFindings);
  const out: Analysis = {
    file: doc.file,
    version: doc.version,
    program,
    findings,
    returns,
    entries,
    log,
    registers,
    memory,
    project,
    stats: { paths, instructions: parsed.instructions, millis: Math.round(performance.now() - started), parseMillis: Math.round(parsed.parseMillis * 10) / 10, solver },
  };
  if (control.shouldStop?.()) out.cancelled = true;
  // (an internal error is not kept: the next version runs the checks again)
  else if (checkFindings) {
    out.reusable = { key, checkFindings };
    // (not enumerable: what prints or sends an analysis leaves the walks' algebras out)
    if (walks) Object.defineProperty(out, 'walks', { value: { ...walks, checks: key }, enumerable: false });
  }
  return out;
}

function topOfFile(file: string): Location {
  return { file, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
}

/** The mnemonic as the user wrote it (the parser lower-cases `name`). */
function writtenMnemonic(s: Statement): string {
  const words = (s.text ?? '').trim().split(/[\s(]+/);
  const w = words.find((x) => x.toLowerCase() === s.name);
  return w ?? s.name;
}

export function compareFindings(a: Finding, b: Finding): number {
  const ra = a.loc.range.start;
  const rb = b.loc.range.start;
  return ra.line - rb.line || ra.character - rb.character || a.code.localeCompare(b.code);
}
