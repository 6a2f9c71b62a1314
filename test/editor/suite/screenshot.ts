// Leaves the workbench showing a diagnostic (squiggle, hover with the message, Problems panel) and
// hands over to the runner for a screenshot. Only when the runner asks for it: the code-server
// runner sets ENTRY_REVIEW_SCREENSHOT_DIR, waits for `ready` there, takes the picture and writes
// `done`. Under @vscode/test-electron nothing is set and this returns at once.
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activate, codeOf, fixtureUri, sleep, waitForDiagnostics } from './helper';

export async function showDiagnosticForScreenshot(): Promise<void> {
  const dir = process.env.ENTRY_REVIEW_SCREENSHOT_DIR;
  if (!dir) return;
  const uri = fixtureUri('entry.S');
  try {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const { editor } = await activate(uri);
    const ds = await waitForDiagnostics(uri, (list) => list.some((d) => codeOf(d) === 'parse'), 'the parse diagnostic');
    const parse = ds.find((d) => codeOf(d) === 'parse');
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await sleep(300);
    await vscode.window.showTextDocument(editor.document, { preview: false, preserveFocus: false });
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    if (parse) {
      const at = parse.range.start.translate(0, Math.min(4, parse.range.end.character - parse.range.start.character));
      editor.selection = new vscode.Selection(at, at);
      editor.revealRange(parse.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    await sleep(300);
    await vscode.commands.executeCommand('editor.action.showHover');
    await sleep(800);
  } finally {
    writeFileSync(path.join(dir, 'ready'), 'ready\n');
  }
  const deadline = Date.now() + 30000;
  while (!existsSync(path.join(dir, 'done')) && Date.now() < deadline) await sleep(100);
}
