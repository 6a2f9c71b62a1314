// The status-bar item: the analysis state and time of the active entry file, from the server's
// `entryReview/analysisState` notifications; a click opens the analysis log.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

export const ANALYSIS_STATE_NOTIFICATION = 'entryReview/analysisState';

interface AnalysisState {
  uri: string;
  version?: number;
  state: 'analysing' | 'done' | 'failed';
  millis?: number;
  entries?: number;
  returns?: { ok: number; finding: number; unknown: number };
  findings?: number;
}

export class AnalysisStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('entryReview.status', vscode.StatusBarAlignment.Left, 50);
  private readonly states = new Map<string, AnalysisState>();
  private readonly subs: vscode.Disposable[] = [];

  constructor() {
    this.item.name = 'Entry Review';
    this.item.command = 'entryReview.showLog';
    this.subs.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.workspace.onDidCloseTextDocument((d) => this.states.delete(d.uri.toString())),
    );
    this.update();
  }

  /** Listens to a (new) language client's notifications. */
  attach(client: LanguageClient): void {
    this.subs.push(
      client.onNotification(ANALYSIS_STATE_NOTIFICATION, (s: AnalysisState) => {
        const key = vscode.Uri.parse(s.uri).toString();
        this.states.set(key, s);
        this.update();
      }),
    );
  }

  /** What the item shows now (the test-only command returns it). */
  shown(): { visible: boolean; text: string; tooltip: string; command: string | undefined } {
    const tip = this.item.tooltip;
    return { visible: this.visible, text: this.item.text, tooltip: typeof tip === 'string' ? tip : tip?.value ?? '', command: typeof this.item.command === 'string' ? this.item.command : this.item.command?.command };
  }

  private visible = false;

  private update(): void {
    const ed = vscode.window.activeTextEditor;
    if (!ed || ed.document.languageId !== 'x86-entry-asm') {
      this.visible = false;
      this.item.hide();
      return;
    }
    const s = this.states.get(ed.document.uri.toString());
    const log = 'Click to open the analysis log.';
    if (!s) {
      this.item.text = '$(circle-outline) Entry Review';
      this.item.tooltip = `Entry Review: not analysed yet. ${log}`;
    } else if (s.state === 'analysing') {
      this.item.text = '$(sync~spin) Entry Review: analysing';
      this.item.tooltip = `Entry Review: analysing version ${s.version ?? '?'} of this file. ${log}`;
    } else if (s.state === 'failed') {
      this.item.text = '$(error) Entry Review: analysis failed';
      this.item.tooltip = `Entry Review: the analysis failed; the log says why. ${log}`;
    } else {
      const r = s.returns ?? { ok: 0, finding: 0, unknown: 0 };
      const n = s.findings ?? 0;
      const time = `${s.millis ?? 0} ms`;
      this.item.text = n ? `$(warning) Entry Review: ${n} finding${n === 1 ? '' : 's'} · ${time}` : `$(check) Entry Review: ${time}`;
      const returns = r.ok + r.finding + r.unknown;
      this.item.tooltip = `Entry Review: analysed in ${time} — ${s.entries ?? 0} entr${s.entries === 1 ? 'y' : 'ies'}, ${returns} return${returns === 1 ? '' : 's'} to user mode (${r.ok} ok, ${r.finding} finding, ${r.unknown} unknown), ${n} finding${n === 1 ? '' : 's'}. ${log}`;
    }
    this.visible = true;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subs) d.dispose();
  }
}
