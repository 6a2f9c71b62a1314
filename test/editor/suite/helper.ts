// Shared helpers for the extension tests: find the extension, activate it on a fixture, wait for
// what the language server publishes. The shape of VS Code's lsp-sample (client/src/test/helper.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EntryReviewApi } from '../../../client/src/extension';

/** `publisher.name` from the root package.json. */
export const EXTENSION_ID = 'entry-review.x86-entry-review';
export const LANGUAGE_ID = 'x86-entry-asm';

export interface Opened {
  doc: vscode.TextDocument;
  editor: vscode.TextEditor;
  extension: vscode.Extension<EntryReviewApi>;
  api: EntryReviewApi;
}

/** Where the fixtures are: the opened workspace folder (the runners open test/fixtures/editor or a copy). */
export function fixturesDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder && folder.uri.scheme === 'file' && fs.existsSync(path.join(folder.uri.fsPath, 'entry.S'))) {
    return folder.uri.fsPath;
  }
  // Compiled to out/test/editor/suite/: four levels up is the repository.
  return path.resolve(__dirname, '../../../../test/fixtures/editor');
}

export function fixtureUri(name: string): vscode.Uri {
  return vscode.Uri.file(path.join(fixturesDir(), name));
}

export function getExtension(): vscode.Extension<EntryReviewApi> {
  const ext = vscode.extensions.getExtension<EntryReviewApi>(EXTENSION_ID);
  if (!ext) {
    const ids = vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.'));
    throw new Error(`extension ${EXTENSION_ID} is not installed (non-builtin extensions: ${ids.join(', ') || 'none'})`);
  }
  return ext;
}

/** Opens a fixture in an editor and activates the extension (its language server is running after). */
export async function activate(uri: vscode.Uri): Promise<Opened> {
  const extension = getExtension();
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  const api = await extension.activate();
  return { doc, editor, extension, api };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something other than undefined. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Diagnostics from this extension (source `entry-review`) for a document. */
export function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'entry-review');
}

/** The code of a diagnostic as a plain string (`parse`, `sysret-rf-tf`, ...). */
export function codeOf(d: vscode.Diagnostic): string {
  const c = d.code;
  if (c === undefined) return '';
  return typeof c === 'object' ? String(c.value) : String(c);
}

/** Waits until this extension's diagnostics for `uri` satisfy `accept`; returns them. */
export async function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (ds: vscode.Diagnostic[]) => boolean,
  what: string,
  timeoutMs = 15000,
): Promise<vscode.Diagnostic[]> {
  const check = (): vscode.Diagnostic[] | undefined => {
    const ds = ourDiagnostics(uri);
    return accept(ds) ? ds : undefined;
  };
  const now = check();
  if (now) return now;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last diagnostics: ${formatDiagnostics(ourDiagnostics(uri))}`));
    }, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const ds = check();
      if (ds) {
        clearTimeout(timer);
        sub.dispose();
        resolve(ds);
      }
    });
  });
}

export function formatRange(r: vscode.Range): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

export function formatDiagnostics(ds: readonly vscode.Diagnostic[]): string {
  if (ds.length === 0) return '(none)';
  return ds.map((d) => `[${codeOf(d)} ${vscode.DiagnosticSeverity[d.severity]} ${formatRange(d.range)}] ${d.message.split('\n')[0]}`).join('; ');
}

/** The text of a hover's contents, markdown and plain strings alike. */
export function hoverText(hovers: readonly vscode.Hover[]): string {
  const parts: string[] = [];
  for (const h of hovers) {
    for (const c of h.contents) {
      if (typeof c === 'string') parts.push(c);
      else parts.push(c.value);
    }
  }
  return parts.join('\n');
}

/** The position of the `nth` (0-based) occurrence of `needle` on a line whose text contains it. */
export function positionOf(doc: vscode.TextDocument, needle: string, nth = 0, offsetInNeedle = 0): vscode.Position {
  let seen = 0;
  for (let line = 0; line < doc.lineCount; line++) {
    const text = doc.lineAt(line).text;
    let from = 0;
    for (;;) {
      const at = text.indexOf(needle, from);
      if (at < 0) break;
      if (seen === nth) return new vscode.Position(line, at + offsetInNeedle);
      seen++;
      from = at + 1;
    }
  }
  throw new Error(`"${needle}" (occurrence ${nth}) not found in ${doc.uri.fsPath}`);
}

/** A fixture of the analysis tests (test/fixtures/kernels/...), read where it is in the repository. */
export function kernelFixtureUri(...parts: string[]): vscode.Uri {
  return vscode.Uri.file(path.resolve(__dirname, '../../../../test/fixtures/kernels', ...parts));
}

export interface Expectation {
  code: string;
  /** 0-based line of the finding. */
  line: number;
  text: string;
}

/** The `/* expect: CODE at line N: ... *\/` header of a kernels/bugs fixture. */
export function expectationOf(uri: vscode.Uri): Expectation {
  const first = fs.readFileSync(uri.fsPath, 'utf8').split('\n', 1)[0];
  const m = /^\/\* expect: ([a-z0-9-]+) at line (\d+): (.*?)\s*(\*\/)?$/.exec(first);
  if (!m) throw new Error(`${uri.fsPath} has no "/* expect: CODE at line N: ..." first line`);
  return { code: m[1], line: Number(m[2]) - 1, text: m[3] };
}
