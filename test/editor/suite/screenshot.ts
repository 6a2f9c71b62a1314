// Leaves the workbench showing a diagnostic (squiggle, hover with the message, Problems panel), then
// the simulation view stepping through a finding's witness, and hands over to the runner for a
// screenshot of each. Only when the runner asks for it: the code-server runner sets
// ENTRY_REVIEW_SCREENSHOT_DIR, waits for `ready-NAME` there, takes test-results/editor-NAME.png and
// writes `done-NAME`. Under @vscode/test-electron nothing is set and this returns at once.
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
import type { ViewState } from '../../../client/src/webview/protocol';
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
    await shoot(dir, 'diagnostic');
  }
}

/** Asks the runner for a picture of the workbench as it is and waits until it is taken. */
async function shoot(dir: string, name: string): Promise<void> {
  writeFileSync(path.join(dir, `ready-${name}`), 'ready\n');
  const deadline = Date.now() + 30000;
  while (!existsSync(path.join(dir, `done-${name}`)) && Date.now() < deadline) await sleep(100);
}

/** The simulation view beside the bug fixture, opened from the finding's CodeLens, a few steps into the witness's run. */
export async function showSimulationForScreenshot(): Promise<void> {
  const dir = process.env.ENTRY_REVIEW_SCREENSHOT_DIR;
  if (!dir) return;
  try {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    const uri = kernelFixtureUri('bugs', 'no-canonical-check.S');
    await activate(uri);
    await waitForDiagnostics(uri, (l) => l.some((d) => codeOf(d) === 'sysret-noncanonical-rip'), 'the finding', 20000);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const lens = lenses.find((l) => l.command?.command === 'entryReview.simulateReturnPath' && /missing canonical check/.test(l.command.title));
    if (lens?.command) await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    // to the step where the call into C rewrote pt_regs->ip with the witness's value
    const s = await vscode.commands.executeCommand<ViewState | undefined>('entryReview._simulationState');
    const steps = s?.run?.paths[0]?.steps ?? [];
    const at = steps.findIndex((x) => /^call/.test(x.text) && x.frame.ip !== undefined);
    for (let i = 0; i < (at > 0 ? at : 12); i++) await vscode.commands.executeCommand('entryReview.simulationNextStep');
    await vscode.commands.executeCommand('vscode.setEditorLayout', { orientation: 0, groups: [{ size: 0.42 }, { size: 0.58 }] });
    await vscode.commands.executeCommand('notifications.clearAll');
    await sleep(800);
  } finally {
    await shoot(dir, 'simulation');
  }
}
