// The language server's analysis threads (node:worker_threads). The server runs two: the checks
// thread (every symbolic analysis, every `simulate` of the simulation view, every quick fix's
// re-analysis) and the syntax thread (the parse behind the outline, definitions and hovers), each
// one job at a time, so the thread that answers LSP requests never parses or walks: an
// instruction's hover or a `$/cancelRequest` is handled at once while a 100,000-line file is parsed
// and analysed, and the outline does not wait for the analysis.
//
// A job is stopped by a flag in shared memory the walk reads (AnalyzeControl.shouldStop, asked
// every 64 states): a newer version of the document cancels the analysis of the old one. A job that
// does not stop within HARD_STOP_MS of being told (a long solver call) has its thread terminated
// and a new one started: nothing stale runs on, and the memory it held goes with it.
//
// The server sends the document's text, the open editors' texts (unsaved text wins, as in the
// server's own reader) and the directories it may read; the thread answers with plain data
// (CheckedView: the diagnostics, lenses and entries ready to send, the returns and machine states
// the hovers read). Like jobs.ts, this module is also the thread's program: a thread is started on
// this very file (the bundle, or the compiled module under test), and the guard at the bottom
// serves jobs when it runs in a thread that was started for them.
import { statSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { deserialize, serialize } from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { CodeLens, Diagnostic } from 'vscode-languageserver';
import { analyze, checkParsed, parseDocument, reuseChecks, syntaxOnly, type Analysis, type AnalyzeOptions, type Finding, type Parsed, type ReturnResult } from './analysis';
import { diagnosticsFor } from './features/diagnostics';
import { hover } from './features/hover';
import { definition, documentSymbols } from './features/symbols';
import { quickFixes, type QuickFix } from './features/quickfix';
import { entryLenses, returnLenses } from './features/returns';
import { entriesOf, simulationView, type EntriesResult, type SimulateParams, type SimulationView } from './features/simulation';
import { analysisState, type AnalysisState } from './features/status';
import { confinedReader, type RealPathMemo } from './files';
import type { FileReader, Pos } from './syntax';
import { Expr } from './x86';

const THREAD_TAG = 'entry-review-analysis-thread';
/** How long a job told to stop may take to notice before its thread is terminated. */
export const HARD_STOP_MS = 1500;
/**
 * Each thread's young generation (V8's default grows to 48 MB): three isolates at the default
 * took the server's peak RSS on the sample from 165 to 210 MB; at 8 MB it is ~180 MB, and neither
 * the 100,000-line parse nor a re-analysis got measurably slower.
 */
const YOUNG_GENERATION_MB = 8;
/**
 * Each thread's old generation limit. V8 lets an old generation grow by up to 4x its live size
 * between full collections when its limit is the machine's default (GBs here); with a limit of
 * 1 GB the factor is under 2. Both threads keep ~11 MB live between analyses of the sample but
 * grew to ~54 MB each in garbage before a full GC; with this limit the server's peak RSS over 30
 * edits fell from ~210 to ~150 MB. 1 GB is far above what the 100,000-line file needs.
 */
const OLD_GENERATION_MB = 1024;

/** One document version and everything its analysis may read. */
export interface ThreadInput {
  uri: string;
  version: number;
  /** The path the analysis uses for the document (includes resolve against it). */
  file: string;
  text: string;
  options: AnalyzeOptions;
  /** Directories (or files) on disk the analysis may read: the server's confinement. */
  roots: string[];
  /** The other open editors' texts by path: read before the disk (as `text` is for `file`). */
  open: [string, string][];
}

/** A finished analysis, as the server needs it: what to publish, and what hovers and lenses read. */
export interface CheckedView {
  uri: string;
  version: number;
  diagnostics: Diagnostic[];
  findings: Finding[];
  returns: ReturnResult[];
  entries: string[];
  /**
   * The analysis's `registers` (statement index → the symbolic registers before it) and `memory`
   * (its memory operands' cells and values), serialized (machineOf): the server passes them on
   * to the syntax thread for hovers without reading them, so its own heap never holds the
   * thousands of expressions (peak RSS 190-207 -> 175-182 MB on the sample).
   */
  machine: ArrayBuffer;
  /** How many statements the thread's program has: the server's own parse must agree to use `registers`. */
  statements: number;
  lenses: CodeLens[];
  entryList: EntriesResult;
  state: AnalysisState;
  /** Lines for the server's log (what was dropped, cut short, and the summary). */
  log: string[];
}

/** A syntax-level question, answered from the thread's parse of that version. */
export type SyntaxAsk = { what: 'symbols' } | { what: 'definition'; pos: Pos } | { what: 'hover'; pos: Pos } | { what: 'warm' };

/** What a hover needs of a finished analysis beside the program (the thread merges it into its own parse). */
export type CheckedState = Pick<CheckedView, 'returns' | 'findings' | 'entries' | 'machine' | 'statements'>;

/** A CheckedState with its machine state read back (the syntax thread's). */
type RevivedState = CheckedState & Pick<Analysis, 'registers' | 'memory'>;

/** An analysis's registers and memory as the syntax thread gets them (CheckedView.machine). */
function machineOf(a: Analysis): ArrayBuffer {
  const b = serialize({ registers: a.registers, memory: a.memory });
  // (a Buffer may be a view of a larger one: the transferred buffer holds exactly this)
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

/** The registers and memory of a CheckedView.machine, their expressions given back their class. */
export function machineFrom(machine: ArrayBuffer): Pick<Analysis, 'registers' | 'memory'> {
  const { registers, memory } = deserialize(new Uint8Array(machine)) as Pick<Analysis, 'registers' | 'memory'>;
  return { registers: reviveRegisters(registers), memory: reviveMemory(memory) };
}

type Job =
  | { kind: 'analyze'; input: ThreadInput }
  | { kind: 'simulate'; input: ThreadInput; params: SimulateParams }
  | { kind: 'fixes'; input: ThreadInput; code: string; line: number }
  | { kind: 'syntax'; input: ThreadInput; ask: SyntaxAsk; state?: CheckedState | 'kept' };

type ToThread = { id: number; job: Job; stop: SharedArrayBuffer } | { forget: string } | { flush: true };
type FromThread = { id: number; value: unknown } | { id: number; cancelled: true } | { id: number; error: string };

export type Outcome<T> = { status: 'done'; value: T } | { status: 'cancelled' } | { status: 'failed'; error: string };

export interface JobHandle<T> {
  readonly promise: Promise<Outcome<T>>;
  /** Stops the job (queued: dropped; running: told to stop, terminated if it does not). */
  cancel(): void;
}

interface Pending {
  id: number;
  job: Job;
  stop: Int32Array;
  resolve: (o: Outcome<unknown>) => void;
  done: boolean;
  hard?: NodeJS.Timeout;
}

/** The server's side: a queue of jobs for one analysis thread, started on first use and restarted when it fails. */
export class AnalysisThread {
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private running: Pending | undefined;
  private nextId = 1;
  private disposed = false;
  /** How many threads were started (tests: a cancelled job that does not stop gets a new one). */
  started = 0;
  /** Which version's machine state the (current) thread keeps, by document. */
  private readonly stateSent = new Map<string, { version: number; returns: CheckedState['returns']; thread: number }>();
  /** Which version each document's last finished analysis was, on which thread (the thread keeps it). */
  private readonly analysed = new Map<string, { version: number; thread: number }>();

  /**
   * `nice`: the thread's scheduling priority (Linux keeps one per thread): the checks thread runs
   * below the threads that answer requests, so on a busy machine an outline is not slowed by the
   * analysis running beside it.
   */
  constructor(
    private readonly log: (line: string) => void,
    private readonly opts: { nice?: number; file?: string } = {},
  ) {}

  analyze(input: ThreadInput): JobHandle<CheckedView> {
    const job = this.submit<CheckedView>({ kind: 'analyze', input });
    const thread = this.started;
    void job.promise.then((o) => {
      if (o.status === 'done' && this.started === thread) this.analysed.set(input.uri, { version: input.version, thread });
    });
    return job;
  }

  /**
   * Whether the thread holds its analysis of this version (it answers a syntax question about it
   * from that analysis: its parse and machine states, nothing parsed or sent again).
   */
  holds(uri: string, version: number): boolean {
    const a = this.analysed.get(uri);
    return !!a && a.version === version && a.thread === this.started;
  }

  simulate(input: ThreadInput, params: SimulateParams): JobHandle<{ view: SimulationView; millis: number }> {
    return this.submit({ kind: 'simulate', input, params });
  }

  fixes(input: ThreadInput, code: string, line: number): JobHandle<QuickFix[]> {
    return this.submit({ kind: 'fixes', input, code, line });
  }

  /** Outline, definition or hover from the thread's parse of this version (made on first ask, then kept). */
  syntax(input: ThreadInput, ask: SyntaxAsk, state?: CheckedState): JobHandle<unknown> {
    // the machine state of a version crosses to the thread once (it keeps it): a hover that sent
    // it again each time would copy every register and memory value per request
    const sent = this.stateSent.get(input.uri);
    const kept = !!state && sent?.version === input.version && sent.returns === state.returns && sent.thread === this.started;
    const job = this.submit<unknown>({ kind: 'syntax', input, ask, state: kept ? 'kept' : state });
    if (state && !kept) {
      const thread = this.started;
      void job.promise.then((o) => {
        if (o.status === 'done' && this.started === thread) this.stateSent.set(input.uri, { version: input.version, returns: state.returns, thread });
      });
    }
    return job;
  }

  /** The thread may drop what it keeps of this document (closed, or its settings changed). */
  forget(uri: string): void {
    this.stateSent.delete(uri);
    this.analysed.delete(uri);
    this.worker?.postMessage({ forget: uri } satisfies ToThread);
  }

  /** Files on disk changed: the thread's file cache goes. */
  flush(): void {
    this.analysed.clear();
    this.worker?.postMessage({ flush: true } satisfies ToThread);
  }

  /** No job runs or waits: a question asked now is answered at once. */
  idle(): boolean {
    return !this.running && this.queue.length === 0 && !this.disposed;
  }

  /** Starts the thread ahead of the first job (it loads the analysis once). */
  warm(): void {
    this.ensure();
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.queue.splice(0)) this.finish(p, { status: 'cancelled' });
    if (this.running) this.finish(this.running, { status: 'cancelled' });
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private submit<T>(job: Job): JobHandle<T> {
    let resolve!: (o: Outcome<unknown>) => void;
    const promise = new Promise<Outcome<unknown>>((r) => (resolve = r));
    const p: Pending = { id: this.nextId++, job, stop: new Int32Array(new SharedArrayBuffer(4)), resolve, done: false };
    if (this.disposed) resolve({ status: 'cancelled' });
    else {
      this.queue.push(p);
      this.pump();
    }
    return { promise: promise as Promise<Outcome<T>>, cancel: () => this.cancel(p) };
  }

  private cancel(p: Pending): void {
    if (p.done) return;
    const i = this.queue.indexOf(p);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.finish(p, { status: 'cancelled' });
      return;
    }
    if (this.running !== p) return;
    Atomics.store(p.stop, 0, 1);
    // a parse cannot be stopped, but it is kept for the next ask: let it finish
    if (p.job.kind === 'syntax') return;
    p.hard ??= setTimeout(() => {
      if (this.running !== p || p.done) return;
      this.log(`the analysis thread did not stop a cancelled ${p.job.kind} of ${p.job.input.uri} within ${HARD_STOP_MS} ms: terminated, a new one is started`);
      const w = this.worker;
      this.worker = undefined;
      this.running = undefined;
      void w?.terminate();
      this.finish(p, { status: 'cancelled' });
      this.pump();
    }, HARD_STOP_MS);
  }

  private finish(p: Pending, o: Outcome<unknown>): void {
    if (p.done) return;
    p.done = true;
    if (p.hard) clearTimeout(p.hard);
    p.resolve(o);
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.opts.file ?? __filename, { workerData: { tag: THREAD_TAG, nice: this.opts.nice ?? 0 }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: OLD_GENERATION_MB } });
    this.started++;
    w.unref();
    w.on('message', (m: FromThread) => {
      const p = this.running;
      if (w !== this.worker || !p || p.id !== m.id) return;
      this.running = undefined;
      this.finish(p, 'cancelled' in m ? { status: 'cancelled' } : 'error' in m ? { status: 'failed', error: m.error } : { status: 'done', value: m.value });
      this.pump();
    });
    const lost = (why: string): void => {
      if (w !== this.worker) return;
      this.worker = undefined;
      const p = this.running;
      this.running = undefined;
      if (p) this.finish(p, { status: 'failed', error: why });
      this.log(`the analysis thread stopped (${why}); a new one is started for the next job`);
      this.pump();
    };
    w.on('error', (err) => lost(err instanceof Error ? (err.stack ?? err.message) : String(err)));
    w.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  private pump(): void {
    if (this.disposed || this.running) return;
    const p = this.queue.shift();
    if (!p) return;
    this.running = p;
    this.ensure().postMessage({ id: p.id, job: p.job, stop: p.stop.buffer as SharedArrayBuffer } satisfies ToThread);
  }
}

/**
 * Expression nodes come through postMessage as plain objects: give them back their class (its
 * `isBool`, `toString`), sharing kept (a node seen twice is the same object on both sides).
 */
export function reviveRegisters(registers: Analysis['registers']): Analysis['registers'] {
  reviveExprs([...registers.values()].flatMap(({ regs }) => Object.values(regs)));
  return registers;
}

/** The same for the memory operands' values. */
export function reviveMemory(memory: Analysis['memory']): Analysis['memory'] {
  reviveExprs([...memory.values()].flatMap(({ operands }) => operands.flatMap((o) => [o.before, o.after])));
  return memory;
}

function reviveExprs(roots: object[]): void {
  const seen = new Set<object>();
  const stack: object[] = [...roots];
  while (stack.length) {
    const e = stack.pop() as Expr;
    if (seen.has(e)) continue;
    seen.add(e);
    if (Object.getPrototypeOf(e) !== Expr.prototype) Object.setPrototypeOf(e, Expr.prototype);
    for (const a of e.args) stack.push(a);
  }
}

// --- the thread's side ------------------------------------------------------------------------------------


export function isAnalysisThread(): boolean {
  return !isMainThread && (workerData as { tag?: string } | null)?.tag === THREAD_TAG;
}

/** The disk, with an mtime-checked cache (as the server's own reader). */
function cachedDisk(cache: Map<string, { mtimeMs: number; text: string }>): FileReader {
  return {
    read(p: string): string | undefined {
      try {
        const st = statSync(p);
        if (!st.isFile()) return undefined;
        const hit = cache.get(p);
        if (hit && hit.mtimeMs === st.mtimeMs) return hit.text;
        const text = readFileSync(p, 'utf8');
        cache.set(p, { mtimeMs: st.mtimeMs, text });
        return text;
      } catch {
        return undefined;
      }
    },
    exists: (p: string) => {
      try {
        statSync(p);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function serve(): void {
  const port = parentPort;
  if (!port) return;
  const nice = (workerData as { nice?: number }).nice ?? 0;
  try {
    if (nice) setPriority(nice);
  } catch {
    /* not allowed here: run at the process's priority */
  }
  const fileCache = new Map<string, { mtimeMs: number; text: string }>();
  /** Each read path's real path, kept while the path names the same unchanged file (confinedReader). */
  const realPaths: RealPathMemo = new Map();
  /** The last analysis of each document (simulate and quick fixes of that version reuse it). */
  const last = new Map<string, Analysis>();
  /** The last parse of each document (the syntax-level requests of that version reuse it). */
  const parses = new Map<string, Parsed>();
  /** The machine state of each document's last checked version, as the server sent it (revived). */
  const states = new Map<string, { version: number; state: RevivedState }>();
  const queue: Extract<ToThread, { job: Job }>[] = [];
  let busy = false;

  const reader = (input: ThreadInput): FileReader => {
    const open = new Map(input.open);
    open.set(input.file, input.text);
    const disk = confinedReader({ roots: input.roots }, cachedDisk(fileCache), realPaths);
    return {
      read: (p) => open.get(p) ?? disk.read(p),
      exists: (p) => open.has(p) || (disk.exists?.(p) ?? false),
    };
  };

  async function analysisFor(input: ThreadInput, files: FileReader, shouldStop: () => boolean): Promise<Analysis | undefined> {
    const hit = last.get(input.uri);
    if (hit && hit.version === input.version) return hit;
    const parsed = parseDocument({ file: input.file, text: input.text, version: input.version }, input.options, files);
    // an edit that moved text within its lines only (a comment, spaces): the checks still hold
    const reuseKey = JSON.stringify(input.open);
    const reused = hit && reuseChecks(hit, parsed, input.options, reuseKey);
    if (reused) {
      last.set(input.uri, reused);
      return reused;
    }
    // (an older version's analysis goes first: two programs and their states at once set the
    // peak; its walks go to the checks, which keep those of the entries the edit did not touch)
    last.delete(input.uri);
    const a = await checkParsed(parsed, input.options, files, { shouldStop, reuseKey, walks: hit?.walks });
    if (a.cancelled) return undefined;
    last.set(input.uri, a);
    return a;
  }

  async function run(m: Extract<ToThread, { job: Job }>): Promise<FromThread> {
    const flag = new Int32Array(m.stop);
    const shouldStop = (): boolean => Atomics.load(flag, 0) !== 0;
    const { job } = m;
    const files = reader(job.input);
    if (job.kind === 'syntax') {
      if (shouldStop()) return { id: m.id, cancelled: true };
      return { id: m.id, value: answerSyntax(job, files) };
    }
    const a = await analysisFor(job.input, files, shouldStop);
    if (!a || shouldStop()) return { id: m.id, cancelled: true };
    if (job.kind === 'analyze') return { id: m.id, value: viewOf(a, job.input.uri) };
    if (job.kind === 'simulate') {
      const started = performance.now();
      const view = await simulationView(a, job.input.options, job.params);
      return { id: m.id, value: { view, millis: Math.round(performance.now() - started) } };
    }
    const f = a.findings.find((x) => x.code === job.code && x.loc.file === a.file && x.loc.range.start.line === job.line);
    if (!f) return { id: m.id, value: [] };
    const fixes = await quickFixes(a, job.input.text, f, async (text) => {
      const b = await analyze({ file: job.input.file, text }, job.input.options, files, { shouldStop });
      if (b.cancelled) throw new Error('cancelled');
      return b;
    });
    return shouldStop() ? { id: m.id, cancelled: true } : { id: m.id, value: fixes };
  }

  function answerSyntax(job: Extract<Job, { kind: 'syntax' }>, files: FileReader): unknown {
    const { input, ask } = job;
    // the checks thread, asked about the version it analysed: its analysis answers (its parse, its
    // machine states; nothing parsed again, nothing sent)
    const done = last.get(input.uri);
    if (done && done.version === input.version) return answer(done, ask, input.text);
    let state: RevivedState | undefined;
    if (job.state === 'kept') {
      const k = states.get(input.uri);
      state = k?.version === input.version ? k.state : undefined;
    } else if (job.state) {
      state = { ...job.state, ...machineFrom(job.state.machine) };
      states.set(input.uri, { version: input.version, state });
    }
    let p = parses.get(input.uri);
    if (!p || p.doc.version !== input.version || p.doc.text !== input.text) {
      p = parseDocument({ file: input.file, text: input.text, version: input.version }, input.options, files);
      parses.set(input.uri, p);
    }
    const base = syntaxOnly(p);
    // the machine states are keyed by statement: used only when both parses agree
    const a: Analysis = !state
      ? base
      : { ...base, pending: false, findings: state.findings, returns: state.returns, entries: state.entries, registers: state.statements === p.program.statements.length ? state.registers : new Map(), memory: state.statements === p.program.statements.length ? state.memory : new Map() };
    return answer(a, ask, input.text);
  }

  function answer(a: Analysis, ask: SyntaxAsk, text: string): unknown {
    if (ask.what === 'warm') return null; // the parse and the state are kept for the asks to come
    if (ask.what === 'symbols') return documentSymbols(a, text);
    if (ask.what === 'definition') return definition(a, text, ask.pos) ?? null;
    return hover(a, text, ask.pos) ?? null;
  }

  async function drain(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      for (let m = queue.shift(); m; m = queue.shift()) {
        let reply: FromThread;
        try {
          reply = await run(m);
        } catch (err) {
          const stopped = Atomics.load(new Int32Array(m.stop), 0) !== 0;
          reply = stopped ? { id: m.id, cancelled: true } : { id: m.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        }
        // (a view's machine state moves, it is not copied)
        const machine = 'value' in reply && reply.value && typeof reply.value === 'object' && (reply.value as Partial<CheckedView>).machine;
        port!.postMessage(reply, machine instanceof ArrayBuffer ? [machine] : []);
      }
    } finally {
      busy = false;
    }
  }

  port.on('message', (m: ToThread) => {
    if ('forget' in m) {
      last.delete(m.forget);
      parses.delete(m.forget);
      states.delete(m.forget);
    } else if ('flush' in m) {
      fileCache.clear();
      last.clear();
      parses.clear();
    } else {
      queue.push(m);
      void drain();
    }
  });
}

/** What the server needs of a finished analysis (features computed here, off its thread). */
function viewOf(a: Analysis, uri: string): CheckedView {
  const q = a.stats.solver;
  return {
    uri,
    version: a.version ?? 0,
    diagnostics: diagnosticsFor(a),
    findings: a.findings,
    returns: a.returns,
    entries: a.entries,
    machine: machineOf(a),
    statements: a.program.statements.length,
    lenses: [...entryLenses(a, uri), ...returnLenses(a, uri)],
    entryList: entriesOf(a, uri),
    state: analysisState(a, uri),
    log: [...a.log, `analysed in ${a.stats.millis} ms (front end ${a.stats.parseMillis} ms): ${a.stats.paths} paths, ${q.queries} solver questions (${q.cheap} cheap, ${q.cached} cached, ${q.search} by search, ${q.z3} by Z3)`],
  };
}

if (isAnalysisThread()) serve();
