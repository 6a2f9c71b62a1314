// LSP wiring only: requests in, analysis results out. All language knowledge lives in
// analysis/ and features/; this file keeps documents, settings and, per document version, what
// the analysis threads (analysis-thread.ts) answered. It parses and walks nothing itself: the
// analysis of each version runs in the checks thread (a newer version cancels it), the outline,
// definitions and hovers come from the syntax thread's parse, so no request waits for a walk.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CancellationToken,
  CodeActionKind,
  CodeLensRefreshRequest,
  createConnection,
  DidChangeConfigurationNotification,
  LSPErrorCodes,
  ResponseError,
  TextEdit,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeLens,
  type Connection,
  type DocumentSymbol,
  type Hover,
  type Location as LspLocation,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  defaultOptions,
  parseDefine,
  parseVaBits,
  parseVendor,
  PROJECT_FILE,
  type AnalyzeOptions,
  type Finding,
} from './analysis';
import { AnalysisThread, type CheckedState, type CheckedView, type JobHandle, type Outcome, type SyntaxAsk, type ThreadInput } from './analysis-thread';
import { COPY_REPLAY_COMMAND, replayCommandLine, toDiagnostic } from './features/diagnostics';
import { hoverNeeds, instructionHover } from './features/hover';
import { FIXABLE, type QuickFix } from './features/quickfix';
import { type SimulateArgs } from './features/returns';
import { ANALYSIS_STATE_NOTIFICATION, type AnalysisState } from './features/status';
import { ENTRIES_REQUEST, SIMULATE_COMMAND, SIMULATE_REQUEST, type EntriesParams, type EntriesResult, type SimulateParams, type SimulationView } from './features/simulation';
import { BUILTIN_TEXT_REQUEST, builtinFileOf } from './features/symbols';
import { builtinText, findKernelTree } from './syntax';

/**
 * How long a request that needs the machine state (a register's value, the CodeLens verdicts)
 * waits for the analysis of its version before it answers with what is known.
 */
export const STATE_WAIT_MS = 500;
/** How long a code action waits for its quick fix to be checked (it is offered on the next ask when later). */
const FIX_WAIT_MS = 3000;
/** How long the simulation view's requests may wait for the analysis. */
const VIEW_WAIT_MS = 30_000;
/**
 * The checks thread's nice value (Linux schedules threads one by one): on a busy machine the
 * parse behind an outline or a hover gets the CPU before the analysis running beside it (on this
 * project's 2-core machine under load, the 100,000-line document's outline came ~30% sooner).
 */
const CHECKS_NICE = 5;
/** How long the edits must pause before the syntax thread takes a finished analysis's state. */
const WARM_AFTER_MS = 250;
/** The lens shown while the analysis of this version runs. */
const RUNNING_LENS_TITLE = 'Entry Review: analysis still running';

/** The document changed while the request waited: answered with ContentModified. */
class Stale extends Error {}

/** Everything the server holds of one version of an open document. */
interface DocState {
  uri: string;
  version: number;
  /** What both threads read for this version (its text, the open editors then, the roots, the options). */
  input: ThreadInput;
  /** The analysis in the checks thread. */
  job: JobHandle<CheckedView>;
  /** Resolves when the thread is done: the view, or undefined when cancelled or failed. */
  done: Promise<CheckedView | undefined>;
  checked?: CheckedView;
  failed?: string;
  /** A CodeLens request was answered before the analysis was done: ask the client to refresh. */
  lensAnswered?: boolean;
  /** The syntax thread's parse of this version and its copy of the machine state, made ahead of the first hover. */
  warm?: JobHandle<unknown>;
}

/** Settings as the client sends them (`entryReview.*`), all optional. */
interface Settings {
  vendor?: string;
  vaBits?: string | number;
  defines?: string[];
  undefines?: string[];
  includePaths?: string[];
  entries?: string[];
}

/**
 * Settings → analysis options. `restricted` (an untrusted workspace, as the client says at
 * initialize): no project file, no include paths outside the workspace.
 */
export function settingsToOptions(s: Settings | undefined, workspaceRoots: string[], restricted = false): AnalyzeOptions {
  const defines: Record<string, string> = {};
  for (const d of s?.defines ?? []) {
    const kv = typeof d === 'string' ? parseDefine(d.trim()) : undefined;
    if (kv) defines[kv[0]] = kv[1];
  }
  const inside = (p: string): boolean => workspaceRoots.some((r) => p === r || p.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  const includePaths = (s?.includePaths ?? [])
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .flatMap((p) => (path.isAbsolute(p) ? [p] : workspaceRoots.map((r) => path.resolve(r, p))))
    .filter((p) => !restricted || inside(path.resolve(p)));
  return {
    ...defaultOptions,
    vendor: (typeof s?.vendor === 'string' && parseVendor(s.vendor)) || defaultOptions.vendor,
    vaBits: parseVaBits(String(s?.vaBits ?? 'both')) ?? defaultOptions.vaBits,
    defines,
    undefines: (s?.undefines ?? []).filter((u): u is string => typeof u === 'string' && /^[A-Za-z_]\w*$/.test(u.trim())).map((u) => u.trim()),
    includePaths,
    ...(restricted ? { projectFile: '' } : {}),
    entries: (s?.entries ?? []).filter((e): e is string => typeof e === 'string' && e.trim().length > 0).map((e) => e.trim()),
  };
}

/** Maps a document URI to the file-system path the analysis uses. */
export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      /* fall through */
    }
  }
  // untitled:, vscode-remote: and others: a stable pseudo path (no includes relative to it).
  return '/' + uri.replace(/^[a-z-]+:\/*/i, '').replace(/[?#].*$/, '');
}

export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  // two threads: the checks (every walk, solver call, simulate and quick-fix check), and the front
  // end for the syntax-level requests (outline, definitions, hovers), so neither waits for the other;
  // this thread parses nothing and answers an instruction's hover or a cancellation at once
  const thread = new AnalysisThread((line) => connection.console.warn(`entry-review: checks: ${line}`), { nice: CHECKS_NICE });
  const syntaxThread = new AnalysisThread((line) => connection.console.warn(`entry-review: syntax: ${line}`));
  let options: AnalyzeOptions = defaultOptions;
  let workspaceRoots: string[] = [];
  /** An untrusted workspace (the client says so at initialize): restricted mode. */
  let restricted = false;
  let hasConfiguration = false;
  let lensRefresh = false;

  documents.onDidClose((e) => {
    drop(e.document.uri);
    pending.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  /**
   * Where the analysis may read from disk: the workspace folders and the configured include
   * paths (in restricted mode only those inside the workspace: settingsToOptions drops the rest);
   * with no folder open, the directory of each open document, or the kernel tree it is in.
   * Nothing else — not through `#include "../../.."`, an absolute path or a symbolic link.
   */
  function diskRoots(): string[] {
    const roots = [...workspaceRoots, ...options.includePaths];
    if (workspaceRoots.length === 0) {
      for (const d of documents.all()) {
        const p = uriToPath(d.uri);
        if (!d.uri.startsWith('file:')) continue;
        roots.push(findKernelTree(p, { read: () => undefined, exists: (x) => existsSync(x) }) ?? path.dirname(p));
      }
    }
    return roots;
  }
  /** The other open editors' texts by path, as the analysis reads them (unsaved text wins over the disk). */
  function openTexts(except: string): [string, string][] {
    return documents.all().filter((d) => d.uri !== except).map((d) => [uriToPath(d.uri), d.getText()]);
  }

  /**
   * The state of the document's current version: made (and its analysis started in the thread) on
   * first use. A newer version supersedes the old one: its analysis is cancelled.
   */
  function stateOf(doc: TextDocument): DocState {
    const old = states.get(doc.uri);
    if (old && old.version === doc.version) return old;
    old?.job.cancel();
    old?.warm?.cancel();
    const input: ThreadInput = { uri: doc.uri, version: doc.version, file: uriToPath(doc.uri), text: doc.getText(), options, roots: diskRoots(), open: openTexts(doc.uri) };
    const job = thread.analyze(input);
    const st: DocState = {
      uri: doc.uri,
      version: doc.version,
      input,
      job,
      done: job.promise.then((o: Outcome<CheckedView>) => {
        if (o.status === 'done') {
          st.checked = o.value;
          // once the edits pause, the syntax thread parses this version and takes its machine
          // state ahead of the first hover, which would otherwise pay for both (while typing, a
          // parse per version would compete for the CPU with the next analysis)
          warmSoon(st);
          if (st.lensAnswered && lensRefresh && states.get(st.uri) === st) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
          return st.checked;
        }
        if (o.status === 'failed') st.failed = o.error;
        return undefined;
      }),
    };
    states.set(doc.uri, st);
    return st;
  }

  /** The document is gone (closed) or its analyses are invalid (settings): stop what runs for it. */
  function drop(uri: string): void {
    states.get(uri)?.job.cancel();
    states.delete(uri);
    thread.forget(uri);
    syntaxThread.forget(uri);
  }

  /** A syntax-level answer from the syntax thread's parse of this version (with the machine state, when known). */
  function warmSoon(st: DocState): void {
    setTimeout(() => {
      if (states.get(st.uri) === st && st.checked && !st.warm) st.warm = syntaxThread.syntax(st.input, { what: 'warm' }, stateFor(st.checked));
    }, WARM_AFTER_MS).unref();
  }

  /** What the syntax thread keeps of a finished analysis (for hovers). */
  function stateFor(c: CheckedView): CheckedState {
    return { returns: c.returns, findings: c.findings, entries: c.entries, machine: c.machine, statements: c.statements };
  }

  async function askSyntax<T>(st: DocState, ask: SyntaxAsk, token: CancellationToken): Promise<T> {
    const c = st.checked;
    // the checks thread, idle, holding this version's analysis: it answers from that (hot, parsed,
    // with every machine state); otherwise the syntax thread, from its own parse of the version
    const job = c && thread.idle() && thread.holds(st.uri, st.version) ? thread.syntax(st.input, ask) : syntaxThread.syntax(st.input, ask, c && stateFor(c));
    const sub = token.onCancellationRequested(() => job.cancel());
    try {
      const o = await job.promise;
      still(st.uri, st.version);
      if (o.status === 'failed') throw new Error(o.error);
      if (o.status === 'cancelled') throw new Stale();
      return o.value as T;
    } finally {
      sub.dispose();
    }
  }

  /** The finished analysis of this version, waiting for it at most `ms`; undefined when it is not done by then. */
  async function checkedWithin(st: DocState, ms: number): Promise<CheckedView | undefined> {
    if (st.checked) return st.checked;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([st.done, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Throws Stale when the document is no longer at `version` (closed, or edited while the request waited). */
  function still(uri: string, version: number): TextDocument {
    const doc = documents.get(uri);
    if (!doc || doc.version !== version) throw new Stale();
    return doc;
  }

  /** Project files with published mistakes (cleared when a later analysis finds none). */
  const projectFilesShown = new Set<string>();

  /** Mistakes in `.entry-review.json` are shown on that file, where they can be fixed. */
  function publishProjectFile(findings: Finding[], file: string): void {
    const byFile = new Map<string, Diagnostic[]>();
    for (const f of findings) {
      if (f.loc.file === file || !f.loc.file.endsWith('/' + PROJECT_FILE)) continue;
      const list = byFile.get(f.loc.file) ?? [];
      list.push(toDiagnostic(f));
      byFile.set(f.loc.file, list);
    }
    for (const old of projectFilesShown) if (!byFile.has(old)) byFile.set(old, []);
    for (const [file, diagnostics] of byFile) {
      const uri = pathToFileURL(file).href;
      void connection.sendDiagnostics({ uri, diagnostics });
      if (diagnostics.length) projectFilesShown.add(file);
      else projectFilesShown.delete(file);
    }
  }

  async function publish(doc: TextDocument): Promise<void> {
    const state = (s: AnalysisState): void => void connection.sendNotification(ANALYSIS_STATE_NOTIFICATION, s);
    const st = stateOf(doc);
    if (!st.checked) state({ uri: doc.uri, version: doc.version, state: 'analysing' });
    const c = await st.done;
    // a newer version is on its way (its own publish will report it), or the document was closed
    if (states.get(doc.uri) !== st || documents.get(doc.uri)?.version !== st.version) return;
    let diagnostics: Diagnostic[] = [];
    if (c) {
      diagnostics = c.diagnostics;
      publishProjectFile(c.findings, uriToPath(doc.uri));
      for (const line of c.log) connection.console.info(`entry-review: ${uriToPath(doc.uri)}: ${line}`);
      state(c.state);
    } else {
      connection.console.error(`entry-review: analysis failed for ${doc.uri}: ${st.failed ?? 'cancelled'}`);
      state({ uri: doc.uri, version: doc.version, state: 'failed' });
    }
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  }

  // Edits arrive faster than analysis on a big file: coalesce them, analyse only the newest version.
  const pending = new Set<string>();
  let scheduled = false;
  function schedule(uri: string): void {
    pending.add(uri);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const uris = [...pending];
      pending.clear();
      for (const u of uris) {
        const doc = documents.get(u);
        if (doc) void publish(doc);
      }
    });
  }

  function reanalyzeAll(): void {
    for (const uri of [...states.keys()]) drop(uri);
    fixCache.clear();
    for (const d of documents.all()) schedule(d.uri);
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    hasConfiguration = !!params.capabilities.workspace?.configuration;
    lensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    thread.warm();
    syntaxThread.warm();
    workspaceRoots = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri));
    if (workspaceRoots.length === 0 && params.rootUri) workspaceRoots = [uriToPath(params.rootUri)];
    const init = params.initializationOptions as (Settings & { trusted?: boolean }) | undefined;
    restricted = !!init && typeof init === 'object' && init.trusted === false;
    options = settingsToOptions(init && typeof init === 'object' ? init : undefined, workspaceRoots, restricted);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        documentSymbolProvider: true,
        definitionProvider: true,
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: true,
      },
      serverInfo: { name: 'entry-review', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (hasConfiguration) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: 'entryReview' });
      void refreshSettings();
    }
  });

  async function refreshSettings(): Promise<void> {
    try {
      const s = (await connection.workspace.getConfiguration('entryReview')) as Settings | null;
      options = settingsToOptions(s ?? undefined, workspaceRoots, restricted);
    } catch {
      /* the client may not answer: keep what we have */
    }
    reanalyzeAll();
  }

  connection.onDidChangeConfiguration((change) => {
    if (hasConfiguration) {
      void refreshSettings();
    } else {
      const s = (change.settings as { entryReview?: Settings } | undefined)?.entryReview;
      options = settingsToOptions(s, workspaceRoots, restricted);
      reanalyzeAll();
    }
  });

  connection.onDidChangeWatchedFiles(() => {
    thread.flush();
    syntaxThread.flush();
    reanalyzeAll();
  });
  connection.onShutdown(() => {
    thread.dispose();
    syntaxThread.dispose();
  });

  documents.onDidChangeContent((e) => schedule(e.document.uri));

  // --- requests: each under its cancellation token; syntax from the server's own parse, the machine
  // state from the thread's analysis of the same version (waited for at most STATE_WAIT_MS)

  connection.onDocumentSymbol(request(async (p, token) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? askSyntax<DocumentSymbol[]>(stateOf(doc), { what: 'symbols' }, token) : null;
  }));
  // the text of a built-in file a definition led to (the prelude, a header stand-in), read-only
  connection.onRequest(BUILTIN_TEXT_REQUEST, request(async (p: { uri?: unknown }) => {
    const file = typeof p?.uri === 'string' ? builtinFileOf(p.uri) : undefined;
    return (file && builtinText(file)) ?? null;
  }));
  connection.onDefinition(request(async (p, token) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? askSyntax<LspLocation | null>(stateOf(doc), { what: 'definition', pos: p.position }, token) : null;
  }));
  connection.onHover(request(async (p, token) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return null;
    const text = doc.getText();
    const st = stateOf(doc);
    const need = hoverNeeds(text, p.position);
    if (!need) return null;
    // an instruction: from the text alone, at once (a return's verdict with it once the analysis is done)
    if (need === 'instruction') return instructionHover(text, p.position, st.checked && { file: st.input.file, returns: st.checked.returns }) ?? null;
    // a register's value: the analysis of this version, waited for a while (then: "still running")
    if (need === 'register' && !st.checked) {
      await checkedWithin(st, STATE_WAIT_MS);
      still(doc.uri, st.version);
    }
    // macros, constants, labels, registers: from the parse, with the machine state when known
    return askSyntax<Hover | null>(st, { what: 'hover', pos: p.position }, token);
  }));
  connection.onCodeLens(request(async (p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return null;
    const st = stateOf(doc);
    const c = await checkedWithin(st, STATE_WAIT_MS);
    still(doc.uri, st.version);
    if (c) return c.lenses;
    // still running: say so, and ask the client to ask again when it is done
    st.lensAnswered = true;
    const lens: CodeLens = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, command: { title: RUNNING_LENS_TITLE, command: '' } };
    return [lens];
  }));
  // A finding's witness as the command that replays it: copied by the client's command.
  connection.onCodeAction(request(async (p) => {
    const out = [];
    for (const d of p.context.diagnostics) {
      const replay = (d.data as { replay?: string[] } | undefined)?.replay;
      if (d.source !== 'entry-review' || !Array.isArray(replay)) continue;
      const line = replayCommandLine(uriToPath(p.textDocument.uri), replay);
      out.push({ title: `Copy replay command for ${String(d.code)}`, command: { title: 'Copy Replay Command', command: COPY_REPLAY_COMMAND, arguments: [line] }, diagnostics: [d] });
      // the same witness, run in the simulation view
      const entry = replay[replay.indexOf('--entry') + 1];
      const pins = replay.filter((_, i) => replay[i - 1] === '--set');
      if (replay.includes('--entry') && entry) {
        const args: SimulateArgs & { pins: Record<string, string> } = { uri: p.textDocument.uri, entry, line: d.range.start.line, pins: Object.fromEntries(pins.map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)])) };
        out.push({ title: `Simulate the witness of ${String(d.code)}`, command: { title: 'Simulate Return Path', command: SIMULATE_COMMAND, arguments: [args] }, diagnostics: [d] });
      }
    }
    // a missing SYSRET test (or SWAPGS) put back, offered only when the re-analysis is clean of it
    const doc = documents.get(p.textDocument.uri);
    if (doc) {
      const st = stateOf(doc);
      for (const d of p.context.diagnostics) {
        if (d.source !== 'entry-review' || !FIXABLE.has(String(d.code))) continue;
        const fixes = await fixesFor(st, String(d.code), d.range.start.line);
        still(doc.uri, st.version);
        for (const fix of fixes) {
          const edit: TextEdit = fix.remove ? TextEdit.del({ start: { line: fix.line, character: 0 }, end: { line: fix.line + 1, character: 0 } }) : TextEdit.insert({ line: fix.line, character: 0 }, fix.text);
          out.push({ title: fix.title, kind: CodeActionKind.QuickFix, isPreferred: true, diagnostics: [d], edit: { changes: { [doc.uri]: [edit] } } });
        }
      }
    }
    return out;
  }));

  /**
   * Quick fixes of one finding, each checked by re-analysis in the thread; kept per document
   * version. Waited for at most FIX_WAIT_MS: a fix checked later is offered on the next ask.
   */
  const fixCache = new Map<string, { job: JobHandle<QuickFix[]>; value?: QuickFix[] }>();
  async function fixesFor(st: DocState, code: string, line: number): Promise<QuickFix[]> {
    const key = `${st.uri}@${st.version}:${code}:${line}`;
    let hit = fixCache.get(key);
    if (!hit) {
      if (fixCache.size > 64) {
        for (const h of fixCache.values()) h.job.cancel();
        fixCache.clear();
      }
      const job = thread.fixes(st.input, code, line);
      const entry: { job: JobHandle<QuickFix[]>; value?: QuickFix[] } = { job };
      void job.promise.then((o) => {
        if (o.status === 'done') entry.value = o.value;
        else if (fixCache.get(key) === entry) fixCache.delete(key); // cancelled or failed: asked again next time
      });
      fixCache.set(key, (hit = entry));
    }
    if (hit.value) return hit.value;
    // (a cancelled request does not cancel the check: its answer is kept for the next ask)
    const h = hit;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const o = await Promise.race([h.job.promise, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), FIX_WAIT_MS)))]);
      return o?.status === 'done' ? o.value : [];
    } finally {
      clearTimeout(timer);
    }
  }

  // The simulation view (client/src/simulation.ts) asks through these two; it has no walker of its own.
  // Both answer for the document as it is when the answer is ready (an edit while they wait: asked again).
  connection.onRequest(ENTRIES_REQUEST, request(async (p: EntriesParams, token): Promise<EntriesResult> => {
    for (let tries = 0; tries < 5 && !token.isCancellationRequested; tries++) {
      const doc = documents.get(p.uri);
      if (!doc) return { uri: p.uri, entries: [] };
      const st = stateOf(doc);
      const c = await checkedWithin(st, VIEW_WAIT_MS);
      if (documents.get(p.uri)?.version !== st.version) continue;
      return c ? c.entryList : { uri: p.uri, entries: [] };
    }
    throw new Stale();
  }));
  connection.onRequest(SIMULATE_REQUEST, request(async (p: SimulateParams, token): Promise<SimulationView> => {
    for (let tries = 0; tries < 5 && !token.isCancellationRequested; tries++) {
      const doc = documents.get(p.uri);
      if (!doc) return { uri: p.uri, entry: p.entry, mode: 'paths', pins: [], paths: [], error: 'the document is not open' };
      const st = stateOf(doc);
      const job = thread.simulate(st.input, p);
      const sub = token.onCancellationRequested(() => job.cancel());
      let o: Outcome<{ view: SimulationView; millis: number }>;
      try {
        o = await job.promise;
      } finally {
        sub.dispose();
      }
      if (documents.get(p.uri)?.version !== st.version) continue;
      if (o.status === 'failed') throw new Error(o.error);
      if (o.status === 'cancelled') throw new Stale();
      const view = o.value.view;
      connection.console.info(`entry-review: ${uriToPath(doc.uri)}: simulate ${p.entry}${view.pins.length ? ' --set ' + view.pins.join(' --set ') : ''}: ${view.error ?? `${view.paths.length} path(s)`} in ${o.value.millis} ms`);
      return view;
    }
    throw new Stale();
  }));

  /**
   * A request handler under its cancellation token: a cancelled request is answered at once with
   * RequestCancelled (whatever it was waiting for), one whose document changed while it waited with
   * ContentModified, and a failure is logged and answered with null: a request never takes the
   * server down.
   */
  function request<P, R>(fn: (p: P, token: CancellationToken) => Promise<R>): (p: P, token: CancellationToken) => Promise<R | null | ResponseError<void>> {
    return async (p, token) => {
      const cancelled = (): ResponseError<void> => new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
      if (token.isCancellationRequested) return cancelled();
      const CANCEL = Symbol('cancel');
      let sub: { dispose(): void } | undefined;
      const onCancel = new Promise<typeof CANCEL>((resolve) => (sub = token.onCancellationRequested(() => resolve(CANCEL))));
      try {
        const r = await Promise.race([fn(p, token), onCancel]);
        return r === CANCEL || token.isCancellationRequested ? cancelled() : (r as R);
      } catch (err) {
        if (token.isCancellationRequested) return cancelled();
        if (err instanceof Stale) return new ResponseError(LSPErrorCodes.ContentModified, 'the document changed while the request waited');
        connection.console.error(`entry-review: request failed: ${err instanceof Error ? err.stack : String(err)}`);
        return null;
      } finally {
        sub?.dispose();
      }
    };
  }

  documents.listen(connection);
  connection.listen();
  return connection;
}
