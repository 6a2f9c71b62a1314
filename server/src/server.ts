// LSP wiring only: requests in, analysis results out. All language knowledge lives in
// analysis/ and features/; this file keeps documents, settings and the per-version cache.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  TextEdit,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  analyze,
  defaultOptions,
  parseDefine,
  parseVaBits,
  parseVendor,
  PROJECT_FILE,
  type Analysis,
  type AnalyzeOptions,
} from './analysis';
import { COPY_REPLAY_COMMAND, diagnosticsFor, replayCommandLine, toDiagnostic } from './features/diagnostics';
import { hover } from './features/hover';
import { FIXABLE, quickFixes, type QuickFix } from './features/quickfix';
import { entryLenses, returnLenses, type SimulateArgs } from './features/returns';
import { ANALYSIS_STATE_NOTIFICATION, analysisState, type AnalysisState } from './features/status';
import { ENTRIES_REQUEST, entriesOf, SIMULATE_COMMAND, SIMULATE_REQUEST, simulationView, type EntriesParams, type SimulateParams, type SimulationView } from './features/simulation';
import { BUILTIN_TEXT_REQUEST, builtinFileOf, definition, documentSymbols } from './features/symbols';
import { confinedReader } from './files';
import { builtinText, findKernelTree, type FileReader } from './syntax';

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
  const cache = new Map<string, { version: number; analysis: Promise<Analysis> }>();
  const fileCache = new Map<string, { mtimeMs: number; text: string | undefined }>();
  let options: AnalyzeOptions = defaultOptions;
  let workspaceRoots: string[] = [];
  /** An untrusted workspace (the client says so at initialize): restricted mode. */
  let restricted = false;
  let hasConfiguration = false;

  const uriByPath = new Map<string, string>();
  documents.onDidOpen((e) => uriByPath.set(uriToPath(e.document.uri), e.document.uri));
  documents.onDidClose((e) => {
    uriByPath.delete(uriToPath(e.document.uri));
    cache.delete(e.document.uri);
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
  let confined: FileReader | undefined;
  let confinedKey = '';
  function disk(): FileReader {
    const roots = diskRoots();
    const key = roots.join('\0');
    if (!confined || key !== confinedKey) {
      confined = confinedReader({ roots }, cachedDisk);
      confinedKey = key;
    }
    return confined;
  }

  /** The disk, with an mtime-checked cache. */
  const cachedDisk: FileReader = {
    read(p: string): string | undefined {
      try {
        const st = statSync(p);
        if (!st.isFile()) return undefined;
        const hit = fileCache.get(p);
        if (hit && hit.mtimeMs === st.mtimeMs) return hit.text;
        const text = readFileSync(p, 'utf8');
        fileCache.set(p, { mtimeMs: st.mtimeMs, text });
        return text;
      } catch {
        return undefined;
      }
    },
    exists: (p: string) => existsSync(p),
  };

  /** Open editors first (unsaved text wins), then the disk under the roots. */
  const files: FileReader = {
    read(p: string): string | undefined {
      const uri = uriByPath.get(p);
      const open = uri === undefined ? undefined : documents.get(uri);
      if (open) return open.getText();
      return disk().read(p);
    },
    exists: (p: string) => uriByPath.has(p) || (disk().exists?.(p) ?? false),
  };

  /** One analysis per document version, shared by every request that asks for it. */
  function analysisOf(doc: TextDocument): Promise<Analysis> {
    const hit = cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit.analysis;
    const analysis = analyze({ file: uriToPath(doc.uri), text: doc.getText(), version: doc.version }, options, files);
    cache.set(doc.uri, { version: doc.version, analysis });
    return analysis;
  }

  /** Project files with published mistakes (cleared when a later analysis finds none). */
  const projectFilesShown = new Set<string>();

  /** Mistakes in `.entry-review.json` are shown on that file, where they can be fixed. */
  function publishProjectFile(a: Analysis): void {
    const byFile = new Map<string, Diagnostic[]>();
    for (const f of a.findings) {
      if (f.loc.file === a.file || !f.loc.file.endsWith('/' + PROJECT_FILE)) continue;
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
    let diagnostics: Diagnostic[];
    const state = (s: AnalysisState): void => void connection.sendNotification(ANALYSIS_STATE_NOTIFICATION, s);
    try {
      state({ uri: doc.uri, version: doc.version, state: 'analysing' });
      const a = await analysisOf(doc);
      // a newer version is on its way: its own publish will report it
      if (documents.get(doc.uri)?.version !== doc.version) return;
      diagnostics = diagnosticsFor(a);
      publishProjectFile(a);
      for (const line of a.log) connection.console.info(`entry-review: ${uriToPath(doc.uri)}: ${line}`);
      state(analysisState(a, doc.uri));
      const q = a.stats.solver;
      connection.console.info(`entry-review: ${uriToPath(doc.uri)}: analysed in ${a.stats.millis} ms (front end ${a.stats.parseMillis} ms): ${a.stats.paths} paths, ${q.queries} solver questions (${q.cheap} cheap, ${q.cached} cached, ${q.search} by search, ${q.z3} by Z3)`);
    } catch (err) {
      connection.console.error(`entry-review: analysis failed for ${doc.uri}: ${String(err)}`);
      diagnostics = [];
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
    cache.clear();
    for (const d of documents.all()) schedule(d.uri);
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    hasConfiguration = !!params.capabilities.workspace?.configuration;
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
    fileCache.clear();
    reanalyzeAll();
  });

  documents.onDidChangeContent((e) => schedule(e.document.uri));

  connection.onDocumentSymbol((p) => guard(async () => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? documentSymbols(await analysisOf(doc), doc.getText()) : null;
  }));
  // the text of a built-in file a definition led to (the prelude, a header stand-in), read-only
  connection.onRequest(BUILTIN_TEXT_REQUEST, (p: { uri?: unknown }) => {
    const file = typeof p?.uri === 'string' ? builtinFileOf(p.uri) : undefined;
    return (file && builtinText(file)) ?? null;
  });
  connection.onDefinition((p) => guard(async () => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? definition(await analysisOf(doc), doc.getText(), p.position) ?? null : null;
  }));
  // A finding's witness as the command that replays it: copied by the client's command.
  connection.onCodeAction((p) => guard(async () => {
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
      for (const d of p.context.diagnostics) {
        if (d.source !== 'entry-review' || !FIXABLE.has(String(d.code))) continue;
        for (const fix of await fixesFor(doc, String(d.code), d.range.start.line)) {
          const edit: TextEdit = fix.remove ? TextEdit.del({ start: { line: fix.line, character: 0 }, end: { line: fix.line + 1, character: 0 } }) : TextEdit.insert({ line: fix.line, character: 0 }, fix.text);
          out.push({ title: fix.title, kind: CodeActionKind.QuickFix, isPreferred: true, diagnostics: [d], edit: { changes: { [doc.uri]: [edit] } } });
        }
      }
    }
    return out;
  }));

  /** Quick fixes of one finding, checked by re-analysis; cached per document version. */
  const fixCache = new Map<string, Promise<QuickFix[]>>();
  function fixesFor(doc: TextDocument, code: string, line: number): Promise<QuickFix[]> {
    const key = `${doc.uri}@${doc.version}:${code}:${line}`;
    let hit = fixCache.get(key);
    if (!hit) {
      if (fixCache.size > 64) fixCache.clear();
      hit = (async () => {
        const a = await analysisOf(doc);
        const f = a.findings.find((x) => x.code === code && x.loc.file === a.file && x.loc.range.start.line === line);
        if (!f) return [];
        const file = uriToPath(doc.uri);
        return quickFixes(a, doc.getText(), f, (text) => analyze({ file, text }, options, files));
      })();
      fixCache.set(key, hit);
    }
    return hit;
  }
  connection.onCodeLens((p) => guard(async () => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return null;
    const a = await analysisOf(doc);
    return [...entryLenses(a, doc.uri), ...returnLenses(a, doc.uri)];
  }));
  connection.onHover((p) => guard(async () => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? hover(await analysisOf(doc), doc.getText(), p.position) ?? null : null;
  }));

  // The simulation view (client/src/simulation.ts) asks through these two; it has no walker of its own.
  connection.onRequest(ENTRIES_REQUEST, (p: EntriesParams) => guard(async () => {
    const doc = documents.get(p.uri);
    return doc ? entriesOf(await analysisOf(doc), doc.uri) : { uri: p.uri, entries: [] };
  }));
  connection.onRequest(SIMULATE_REQUEST, (p: SimulateParams) => guard(async (): Promise<SimulationView> => {
    const doc = documents.get(p.uri);
    if (!doc) return { uri: p.uri, entry: p.entry, mode: 'paths', pins: [], paths: [], error: 'the document is not open' };
    const started = performance.now();
    const view = await simulationView(await analysisOf(doc), options, p);
    connection.console.info(`entry-review: ${uriToPath(doc.uri)}: simulate ${p.entry}${view.pins.length ? ' --set ' + view.pins.join(' --set ') : ''}: ${view.error ?? `${view.paths.length} path(s)`} in ${Math.round(performance.now() - started)} ms`);
    return view;
  }));

  /** A request never takes the server down: a failure is logged and answered with null. */
  async function guard<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      connection.console.error(`entry-review: request failed: ${err instanceof Error ? err.stack : String(err)}`);
      return null;
    }
  }

  documents.listen(connection);
  connection.listen();
  return connection;
}
