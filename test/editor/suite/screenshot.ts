// Leaves the workbench showing a diagnostic (squiggle, hover with the message, Problems panel) and
// hands over to the runner for a screenshot. Only when the runner asks for it: the code-server
// runner sets ENTRY_REVIEW_SCREENSHOT_DIR, waits for `ready` there, takes the picture and writes
// `done`. Under @vscode/test-electron nothing is set and this returns at once.
// The picture shows the analysis' finding on bugs/no-canonical-check.S (a SYSRET without the
// canonical test) when the analysis reports it, else the parse error in entry.S.

async function pick(): Promise<{ uri: vscode.Uri; diagnostic: vscode.Diagnostic | undefined }> {
  const bug = kernelFixtureUri('bugs', 'no-canonical-check.S');
  await activate(bug);
  try {
    const ds = await waitForDiagnostics(bug, (l) => l.some((d) => codeOf(d) === 'sysret-noncanonical-rip'), 'the finding', 5000);
    return { uri: bug, diagnostic: ds.find((d) => codeOf(d) === 'sysret-noncanonical-rip') };
  } catch {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
  const uri = fixtureUri('entry.S');
  await activate(uri);
  const ds = await waitForDiagnostics(uri, (l) => l.some((d) => codeOf(d) === 'parse'), 'the parse diagnostic');
  return { uri, diagnostic: ds.find((d) => codeOf(d) === 'parse') };
}
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activate, codeOf, fixtureUri, kernelFixtureUri, sleep, waitForDiagnostics } from './helper';

export async function showDiagnosticForScreenshot(): Promise<void> {
  const dir = process.env.ENTRY_REVIEW_SCREENSHOT_DIR;
  if (!dir) return;
  try {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const { uri, diagnostic: parse } = await pick();
    const editor = await vscode.window.showTextDocument(uri, { preview: false });
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await sleep(300);
    await vscode.window.showTextDocument(editor.document, { preview: false, preserveFocus: false });
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    if (parse) {
      const at = parse.range.start.translate(0, Math.min(4, parse.range.end.character - parse.range.start.character));
      editor.selection = new vscode.Selection(at, at);
      editor.revealRange(parse.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    await vscode.commands.executeCommand('notifications.clearAll');
    await sleep(300);
    await vscode.commands.executeCommand('editor.action.showHover');
    await sleep(800);
  } finally {
    writeFileSync(path.join(dir, 'ready'), 'ready\n');
  }
  const deadline = Date.now() + 30000;
  while (!existsSync(path.join(dir, 'done')) && Date.now() < deadline) await sleep(100);
}
