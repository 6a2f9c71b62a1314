// The simulation view: a webview panel beside the editor. The page (webview/main.ts) shows what the
// language server answers to `entryReview/simulate`; this side relays requests, moves the editor's
// cursor to the step shown and highlights its line. No path is computed here.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { FromPage, SimulationData, ToPage, ViewState } from './webview/protocol';

export const ENTRIES_REQUEST = 'entryReview/entries';
export const SIMULATE_REQUEST = 'entryReview/simulate';

interface EntryView {
  name: string;
  line: number;
  returns: { ok: number; finding: number; unknown: number };
}

/** What the commands take (a CodeLens or a finding's code action passes them). */
export interface SimulateArgs {
  uri?: string;
  entry?: string;
  line?: number;
  pins?: Record<string, string> | string[];
}

export class SimulationView {
  private panel: vscode.WebviewPanel | undefined;
  private state: ViewState | undefined;
  private uri: vscode.Uri | undefined;
  private ready = false;
  private queue: ToPage[] = [];
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    borderWidth: '1px 0',
    borderStyle: 'solid',
    borderColor: new vscode.ThemeColor('focusBorder'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.findMatchForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  private readonly changed = new vscode.EventEmitter<ViewState>();
  /** Fires whenever the page reports a new state. */
  readonly onDidChangeState = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
  ) {
    context.subscriptions.push(
      this.highlight,
      this.changed,
      // an edit of the simulated file: the view follows it (the server re-analyses the new text)
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.panel && this.state && e.document.uri.toString() === vscode.Uri.parse(this.state.uri).toString() && e.contentChanges.length) this.scheduleRefresh();
      }),
      { dispose: () => clearTimeout(this.refreshTimer) },
    );
  }

  private refreshTimer: NodeJS.Timeout | undefined;

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 700);
  }

  /** The same entry's returns, and the same pins' run, on the file as it is now. */
  private async refresh(): Promise<void> {
    const s = this.state;
    if (!this.panel || !s) return;
    const uri = vscode.Uri.parse(s.uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    if (s.paths.length) {
      const data = await this.request(uri, s.entry);
      if (data) this.post({ type: 'paths', file: this.fileName(doc), data, refresh: true });
    }
    if (s.run) {
      const data = await this.request(uri, s.entry, s.run.pins);
      if (data) this.post({ type: 'run', file: this.fileName(doc), data, from: s.run.from, refresh: true });
    }
  }

  /** Waits until the page has handled everything posted so far (tests: after an edit's refresh). */
  async settled(): Promise<ViewState | undefined> {
    return this.settle();
  }

  /** The page's state as it last reported it (the test-only command returns it). */
  current(): ViewState | undefined {
    return this.state;
  }

  /** Simulate Return Path: pick an entry, list its returns; with pins (a finding's witness) also load that run. */
  async simulateReturnPath(args?: SimulateArgs): Promise<ViewState | undefined> {
    const uri = this.documentUri(args);
    if (!uri) return undefined;
    const entry = args?.entry ?? (await this.pickEntry(uri));
    if (!entry) return undefined;
    const doc = await vscode.workspace.openTextDocument(uri);
    this.show(uri);
    this.post({ type: 'busy', what: `simulating ${entry}…` });
    const data = await this.request(uri, entry);
    if (!data) return this.state;
    this.post({ type: 'paths', file: this.fileName(doc), data, select: args?.line });
    const pins = args?.pins;
    const count = pins ? (Array.isArray(pins) ? pins.length : Object.keys(pins).length) : 0;
    if (count) await this.run(uri, entry, pins as SimulateArgs['pins'], args?.line !== undefined ? `the witness at line ${args.line + 1}` : 'the given pins');
    return this.settle();
  }

  /** Simulate With Registers: pins from an input box, the concrete run they decide. */
  async simulateWithRegisters(args?: SimulateArgs & { text?: string }): Promise<ViewState | undefined> {
    const uri = this.documentUri(args);
    if (!uri) return undefined;
    const entry = args?.entry ?? (await this.pickEntry(uri));
    if (!entry) return undefined;
    const pins = args?.pins;
    if (!pins) {
      const last = this.context.workspaceState.get<string>('entryReview.lastPins') ?? 'ptregs.ip=0x0000800000000000';
      const text = args?.text ?? (await vscode.window.showInputBox({
        title: `Simulate ${entry} with registers`,
        prompt: 'Pins, separated by spaces or commas: rcx (user RIP), r11 (user RFLAGS), any register, ptregs.FIELD, ti_flags, feature.X86_FEATURE_*, cpu.amd',
        value: last,
        placeHolder: 'ptregs.ip=0x0000800000000000 ti_flags=0 rax=0',
        validateInput: (v) => (v.split(/[\s,;]+/).filter(Boolean).every((p) => /^(--set=?)?$|^[A-Za-z_][\w.@]*=-?(0x[0-9a-fA-F_]+|\d+)$/.test(p)) ? undefined : 'each pin is NAME=VALUE, e.g. ptregs.ip=0x0000800000000000'),
      }));
      if (text === undefined) return undefined;
      await this.context.workspaceState.update('entryReview.lastPins', text);
      this.show(uri);
      await this.run(uri, entry, { text }, 'the pins entered');
      return this.settle();
    }
    this.show(uri);
    await this.run(uri, entry, pins, 'the pins given');
    return this.settle();
  }

  /** Moves the shown step (the page does the same on ↑/↓ and j/k). */
  async step(delta: number): Promise<ViewState | undefined> {
    if (!this.panel) return undefined;
    // a hidden page comes back from its saved state first (its `ready` flushes the step)
    if (!this.panel.visible) this.panel.reveal(undefined, true);
    this.post({ type: 'step', delta });
    return this.settle();
  }

  /** A key as the page handles it (the tests drive the page's keyboard navigation with it). */
  async key(key: string): Promise<ViewState | undefined> {
    if (!this.panel) return undefined;
    if (!this.panel.visible) this.panel.reveal(undefined, true);
    this.post({ type: 'key', key });
    return this.settle();
  }

  private async run(uri: vscode.Uri, entry: string, pins: SimulateArgs['pins'] | { text: string }, from: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    this.post({ type: 'busy', what: `running ${entry} on ${from}…` });
    const data = await this.request(uri, entry, pins);
    if (data) this.post({ type: 'run', file: this.fileName(doc), data, from });
  }

  private async request(uri: vscode.Uri, entry: string, pins?: SimulateArgs['pins'] | { text: string }): Promise<SimulationData | undefined> {
    const c = this.client();
    if (!c) return undefined;
    // typed pins go to the server as typed: it reads them the way `simulate --set` does
    const given = pins && !Array.isArray(pins) && typeof pins.text === 'string' ? { pinText: pins.text } : pins ? { pins } : {};
    try {
      const data = await c.sendRequest<SimulationData | null>(SIMULATE_REQUEST, { uri: uri.toString(), entry, ...given });
      return data ?? { uri: uri.toString(), entry, mode: 'paths', pins: [], paths: [], error: 'the server could not simulate this entry (see Entry Review: Show Analysis Log)' };
    } catch (e) {
      return { uri: uri.toString(), entry, mode: 'paths', pins: [], paths: [], error: e instanceof Error ? e.message : String(e) };
    }
  }

  private documentUri(args?: SimulateArgs): vscode.Uri | undefined {
    if (args?.uri) return vscode.Uri.parse(args.uri);
    const ed = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => e.document.languageId === 'x86-entry-asm');
    if (!ed || ed.document.languageId !== 'x86-entry-asm') {
      void vscode.window.showInformationMessage('Entry Review: open an entry assembly file (.S) to simulate.');
      return undefined;
    }
    return ed.document.uri;
  }

  private async pickEntry(uri: vscode.Uri): Promise<string | undefined> {
    const c = this.client();
    if (!c) return undefined;
    const r = await c.sendRequest<{ entries: EntryView[] } | null>(ENTRIES_REQUEST, { uri: uri.toString() });
    const entries = r?.entries ?? [];
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('Entry Review: the analysis found no entry from user mode in this file (set entryReview.entries, or name one in .entry-review.json).');
      return undefined;
    }
    if (entries.length === 1) return entries[0].name;
    const pick = await vscode.window.showQuickPick(
      entries.map((e) => ({
        label: e.name,
        description: e.line >= 0 ? `line ${e.line + 1}` : '',
        detail: `${e.returns.ok + e.returns.finding + e.returns.unknown} returns: ${e.returns.ok} ok, ${e.returns.finding} finding, ${e.returns.unknown} unknown`,
      })),
      { title: 'Entry Review: simulate which entry?', placeHolder: 'an entry from user mode' },
    );
    return pick?.label;
  }

  private fileName(doc: vscode.TextDocument): string {
    const rel = vscode.workspace.asRelativePath(doc.uri, false);
    return rel && !path.isAbsolute(rel) ? rel : path.basename(doc.uri.fsPath);
  }

  private show(uri: vscode.Uri): void {
    this.uri = uri;
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel('entryReview.simulation', 'Entry Review: Simulation', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist')],
    });
    this.panel = panel;
    this.ready = false;
    void vscode.commands.executeCommand('setContext', 'entryReview.simulationOpen', true);
    panel.webview.html = this.html(panel.webview);
    panel.webview.onDidReceiveMessage((m: FromPage) => this.receive(m), undefined, this.context.subscriptions);
    panel.onDidChangeViewState(() => {
      // a hidden page is torn down and rebuilt from its saved state: wait for its `ready`
      if (!panel.visible) this.ready = false;
    });
    panel.onDidDispose(() => {
      void vscode.commands.executeCommand('setContext', 'entryReview.simulationOpen', false);
      this.panel = undefined;
      this.state = undefined;
      this.ready = false;
      this.queue = [];
      for (const ed of vscode.window.visibleTextEditors) ed.setDecorations(this.highlight, []);
    });
  }

  /** The number of the last message posted to the page. */
  private seq = 0;

  private post(m: ToPage): void {
    if (!this.panel) return;
    m.seq = ++this.seq;
    // a hidden page is gone (it comes back from its saved state and says `ready`)
    if (!this.ready || !this.panel.visible) {
      this.ready = false;
      this.queue.push(m);
      return;
    }
    void this.panel.webview.postMessage(m);
  }

  private pendingSettle: { seq: number; done: () => void }[] = [];

  /** Resolves with the page's state once it has handled every message posted so far and is not busy. */
  private settle(timeoutMs = 10000): Promise<ViewState | undefined> {
    const seq = this.seq;
    if ((this.state?.seq ?? -1) >= seq && !this.state?.busy) return Promise.resolve(this.state);
    return new Promise((resolve) => {
      const entry = {
        seq,
        done: () => {
          clearTimeout(timer);
          resolve(this.state);
        },
      };
      const timer = setTimeout(() => {
        this.pendingSettle = this.pendingSettle.filter((f) => f !== entry);
        resolve(this.state);
      }, timeoutMs);
      this.pendingSettle.push(entry);
    });
  }

  private async receive(m: FromPage): Promise<void> {
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        const q = this.queue;
        this.queue = [];
        for (const x of q) void this.panel?.webview.postMessage(x);
        return;
      }
      case 'state': {
        this.state = m.state;
        this.changed.fire(m.state);
        // (a page still busy has asked for a run: its answer is what the caller waits for)
        const done = m.state.busy ? [] : this.pendingSettle.filter((f) => m.state.seq >= f.seq);
        this.pendingSettle = this.pendingSettle.filter((f) => !done.includes(f));
        for (const f of done) f.done();
        return;
      }
      case 'reveal':
        return this.reveal(m.line);
      case 'run': {
        const uri = this.state?.uri ? vscode.Uri.parse(this.state.uri) : this.uri;
        if (uri && this.state) await this.run(uri, this.state.entry, m.pins, m.from);
        return;
      }
    }
  }

  /** Moves the editor's cursor to `line` of the simulated document and highlights that line. */
  private async reveal(line: number): Promise<void> {
    const uri = this.state?.uri ? vscode.Uri.parse(this.state.uri) : this.uri;
    if (!uri) return;
    let editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    if (!editor) editor = await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: true, preview: false });
    const at = new vscode.Position(Math.min(line, editor.document.lineCount - 1), 0);
    const text = editor.document.lineAt(at.line);
    const start = at.with(undefined, text.firstNonWhitespaceCharacterIndex);
    editor.selection = new vscode.Selection(start, start);
    editor.revealRange(text.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    editor.setDecorations(this.highlight, [text.range]);
  }

  private html(webview: vscode.Webview): string {
    const nonce = makeNonce();
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'simulation-view.js'));
    const csp = [`default-src 'none'`, `img-src ${webview.cspSource}`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`, `font-src ${webview.cspSource}`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Entry Review: Simulation</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main id="root" tabindex="0" aria-live="polite"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}

function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

/** Theme colours only (--vscode-*): the page follows light, dark and high-contrast themes. */
const STYLE = `
body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 12px 12px; }
main:focus { outline: none; }
header { display: flex; align-items: baseline; gap: 12px; border-bottom: 1px solid var(--vscode-panel-border); margin-bottom: 8px; }
h1 { font-size: 1.3em; margin: 10px 0 6px; }
h2 { font-size: 1.05em; margin: 14px 0 6px; color: var(--vscode-descriptionForeground); text-transform: uppercase; letter-spacing: .04em; }
h3 { font-size: .95em; margin: 10px 0 4px; color: var(--vscode-descriptionForeground); }
.muted { color: var(--vscode-descriptionForeground); }
.busy { color: var(--vscode-progressBar-background); }
.error { color: var(--vscode-errorForeground); }
.list { list-style: none; margin: 0; padding: 0; border: 1px solid var(--vscode-panel-border); }
.list li { padding: 4px 8px; cursor: pointer; border-left: 3px solid transparent; }
.list li:hover { background: var(--vscode-list-hoverBackground); }
.list li.selected { background: var(--vscode-list-inactiveSelectionBackground); color: var(--vscode-list-inactiveSelectionForeground); border-left-color: var(--vscode-focusBorder); }
.list.focused li.selected { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
.row { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.line { font-family: var(--vscode-editor-font-family); color: var(--vscode-editorLineNumber-foreground); min-width: 4em; }
.kind { font-weight: 600; }
.hint { margin-left: auto; color: var(--vscode-descriptionForeground); font-size: .9em; }
.cond, .pins, .user { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); color: var(--vscode-descriptionForeground); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.pins, .user { white-space: normal; word-break: break-word; margin: 4px 0; }
.badge { border-radius: 3px; padding: 0 6px; font-size: .85em; }
.badge.ok { background: var(--vscode-testing-iconPassed); color: var(--vscode-editor-background); }
.badge.finding { background: var(--vscode-errorForeground); color: var(--vscode-editor-background); }
.badge.unknown { background: var(--vscode-editorWarning-foreground); color: var(--vscode-editor-background); }
.tabs { display: flex; gap: 4px; margin: 6px 0; }
.tab { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); border: none; padding: 3px 10px; cursor: pointer; }
.tab.active { background: var(--vscode-button-background); color: var(--vscode-button-foreground); }
.exit { margin: 6px 0; font-weight: 600; }
.exit.fault { color: var(--vscode-errorForeground); }
.cols { display: flex; gap: 12px; align-items: flex-start; }
.steps { position: relative; flex: 1 1 50%; min-width: 0; max-height: 52vh; overflow-y: auto; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
.steps li { display: flex; gap: 8px; padding: 1px 8px; white-space: nowrap; overflow: hidden; }
.steps .line { min-width: 2.5em; text-align: right; }
.insn { color: var(--vscode-editor-foreground); background: none; padding: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; flex: 0 0 auto; max-width: 65%; }
.changed { color: var(--vscode-gitDecoration-modifiedResourceForeground); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; flex: 1 1 auto; min-width: 0; }
.detail { flex: 1 1 50%; min-width: 0; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
.detail h3 { font-family: var(--vscode-font-family); }
table { border-collapse: collapse; table-layout: fixed; width: 100%; }
th { width: 3.2em; text-align: left; padding-right: 10px; color: var(--vscode-symbolIcon-variableForeground, var(--vscode-foreground)); font-weight: normal; }
td { word-break: break-all; }
tr.changed td, tr.changed th { color: var(--vscode-gitDecoration-modifiedResourceForeground); font-weight: 600; }
.flags { display: flex; flex-wrap: wrap; gap: 6px; }
.flag { color: var(--vscode-descriptionForeground); }
.flag.set { color: var(--vscode-foreground); font-weight: 600; }
.flag.sym { font-style: italic; }
footer { margin-top: 12px; font-size: .9em; }
`;
