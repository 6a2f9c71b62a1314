// The simulation view in a real VS Code: both commands on a bug fixture, the page's state read back
// through the test-only command entryReview._simulationState (what the page last reported), its
// keyboard navigation (entryReview._simulationKey hands a key to the page's own handler), the
// editor's cursor after each step, a CodeLens click and a finding's code action opening the view,
// the page's state surviving being hidden, and the view following an edit of its file.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ViewState } from '../../../client/src/webview/protocol';
import { activate, codeOf, kernelFixtureUri, waitFor, waitForDiagnostics } from './helper';
import { test } from './harness';

const bug = kernelFixtureUri('bugs', 'no-canonical-check.S');

const state = async (): Promise<ViewState> => {
  const s = await vscode.commands.executeCommand<ViewState | undefined>('entryReview._simulationState');
  assert.ok(s, 'the simulation view reported its state');
  return s;
};
const key = (k: string) => vscode.commands.executeCommand<ViewState | undefined>('entryReview._simulationKey', k);

/** Waits until the editor showing `uri` has its cursor on `line` (0-based). */
async function cursorOn(uri: vscode.Uri, line: number, what: string): Promise<void> {
  const at = () => vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())?.selection.active.line;
  await waitFor(`${what}: the cursor on line ${line + 1} (it is on ${(at() ?? -2) + 1})`, () => (at() === line ? true : undefined), 5000);
}

async function fresh(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await activate(bug);
  await waitForDiagnostics(bug, (l) => l.some((d) => codeOf(d) === 'sysret-noncanonical-rip'), 'the finding', 20000);
}

test('Simulate Return Path: the entry of the active file, each return with its verdict and exit condition', async () => {
  await fresh();
  const s = await vscode.commands.executeCommand<ViewState>('entryReview.simulateReturnPath');
  assert.ok(s, 'the command returns the view\'s state');
  assert.equal(s.entry, 'entry_SYSCALL_64');
  assert.deepEqual(s.paths.map((p) => `${p.line + 1} ${p.returnKind} ${p.verdict} ${p.codes.join(',')}`), [
    '144 sysret ok ',
    '211 sysret finding sysret-noncanonical-rip',
    '261 iret ok ',
  ]);
  assert.equal(s.paths[1].summary, 'SYSRET · finding [sysret-noncanonical-rip] · 3 paths');
  assert.match(s.paths[1].exitCondition ?? '', /ptregs\.cx == ptregs\.ip/);
  assert.equal(s.paths[1].pinsFrom, 'finding');
  assert.deepEqual(await state(), s, 'the test-only command returns what the page reported');
  await cursorOn(bug, 143, 'the first return selected');
}, 40000);

test('the simulation view: j/k select a return, Enter loads its witness, stepping moves the cursor', async () => {
  let s = await key('j');
  assert.equal(s?.selected, 1);
  await cursorOn(bug, 210, 'the second return selected');
  s = await key('Enter');
  assert.ok(s?.run, 'Enter ran the finding\'s witness');
  assert.equal(s.run.from, 'the witness of line 211');
  assert.deepEqual(s.run.paths.map((p) => p.summary), [
    'intel: fault #GP (vector 13) in ring 0 — finding [sysret-noncanonical-rip]',
    'amd: fault #GP (vector 13) in ring 3 — ok',
  ]);
  assert.deepEqual(s.run.paths[0].exit.fault, { vector: 13, name: '#GP', ring: 0 });
  assert.ok(s.run.pins.includes('ptregs.ip=0x0000800000000000'), s.run.pins.join(' '));
  const steps = s.run.paths[0].steps;
  assert.equal(s.focus, 'steps');
  assert.equal(s.step, 0);
  await cursorOn(bug, steps[0].line, 'the first step');
  // the palette command and the page's keys step alike
  s = await vscode.commands.executeCommand<ViewState>('entryReview.simulationNextStep');
  s = await key('ArrowDown');
  s = await key('j');
  assert.equal(s?.step, 3);
  await cursorOn(bug, steps[3].line, 'three steps on');
  assert.equal(Object.keys(steps[3].regs).length, 16, 'every register at the step');
  assert.ok('IF' in steps[3].flags, 'the flags at the step');
  s = await key('k');
  assert.equal(s?.step, 2);
  s = await key('End');
  const last = steps[steps.length - 1];
  assert.equal(s?.step, steps.length - 1);
  assert.deepEqual([last.line, last.text, last.regs.rcx], [210, 'sysretq', '0x800000000000']);
  await cursorOn(bug, 210, 'the last step: sysretq');
  assert.ok(steps.some((x) => /^call/.test(x.text) && x.frame.ip === '0x800000000000'), 'the call\'s step shows the pt_regs->ip its contract wrote');
  s = await key('ArrowRight');
  assert.equal(s?.vendor, 1, '→ shows the AMD run');
}, 40000);

test('the simulation view keeps its state while hidden', async () => {
  const before = await state();
  // another editor in the view's group hides the page
  await vscode.window.showTextDocument(kernelFixtureUri('linux-2015-entry_64.S'), { viewColumn: vscode.ViewColumn.Two, preview: false });
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  const s = await vscode.commands.executeCommand<ViewState>('entryReview.simulationPreviousStep');
  assert.equal(s?.vendor, before.vendor);
  assert.equal(s?.step, before.step - 1, 'the step counter went on from where it was');
  assert.deepEqual(s?.run?.pins, before.run?.pins);
}, 30000);

test('Simulate With Registers: the concrete run the pins decide, to a fault with vector and ring, or SYSRET', async () => {
  const pins = 'rax=0 ptregs.ip=0x0000800000000000 ptregs.cx=0x0000800000000000 ptregs.cs=0x33 ptregs.ss=0x2b ptregs.r11=0 ptregs.flags=0 ti_flags=0 ti_flags@L124=0x80000';
  let s = await vscode.commands.executeCommand<ViewState>('entryReview.simulateWithRegisters', { uri: bug.toString(), entry: 'entry_SYSCALL_64', text: pins });
  assert.ok(s?.run);
  assert.deepEqual(s.run.paths.map((p) => [p.exit.kind, p.exit.vendor, p.exit.fault?.vector, p.exit.fault?.ring]), [
    ['fault', 'intel', 13, 0],
    ['fault', 'amd', 13, 3],
  ]);
  assert.equal(s.run.paths[0].steps[s.run.paths[0].steps.length - 1].line, 210);
  // a canonical RIP: SYSRET to user mode
  s = await vscode.commands.executeCommand<ViewState>('entryReview.simulateWithRegisters', { uri: bug.toString(), entry: 'entry_SYSCALL_64', text: pins.replace(/0x0000800000000000/g, '0x00007fffdead0000') });
  assert.deepEqual(s?.run?.paths.map((p) => `${p.exit.vendor}: ${p.exit.kind} ${p.exit.user?.rip}`), ['intel: sysret 0x7fffdead0000', 'amd: sysret 0x7fffdead0000']);
  // the saved RCX is not the saved RIP: IRET
  s = await vscode.commands.executeCommand<ViewState>('entryReview.simulateWithRegisters', { uri: bug.toString(), entry: 'entry_SYSCALL_64', text: pins.replace(/0x0000800000000000/g, '0x00007fffdead0000').replace('ptregs.cx=0x00007fffdead0000', 'ptregs.cx=0x1') });
  assert.deepEqual(s?.run?.paths.map((p) => `${p.exit.vendor}: ${p.exit.kind} ${p.exit.user?.rip} line ${p.line + 1}`), ['intel: iret 0x7fffdead0000 line 261', 'amd: iret 0x7fffdead0000 line 261']);
  // pins that leave a branch open: the run stops and names what to pin
  s = await vscode.commands.executeCommand<ViewState>('entryReview.simulateWithRegisters', { uri: bug.toString(), entry: 'entry_SYSCALL_64', text: 'ptregs.ip=0x0000800000000000' });
  assert.deepEqual(s?.run?.paths[0].exit.missing, ['ti_flags']);
}, 40000);

test('the simulation view follows an edit of its file', async () => {
  const before = await state();
  assert.equal(before.paths[0]?.line, 143);
  const doc = await vscode.workspace.openTextDocument(bug);
  const original = doc.getText();
  const edit = new vscode.WorkspaceEdit();
  edit.insert(bug, new vscode.Position(1, 0), '/* a line added above everything */\n');
  assert.equal(await vscode.workspace.applyEdit(edit), true);
  try {
    const after = await waitFor('the view brought up to date after the edit', async () => {
      const s = await vscode.commands.executeCommand<ViewState | undefined>('entryReview._simulationState');
      return s && (s.refreshed ?? 0) > (before.refreshed ?? 0) && s.paths[0]?.line === 144 && s.run?.paths[0]?.line === (before.run?.paths[0]?.line ?? -9) + 1 ? s : undefined;
    }, 15000);
    assert.deepEqual(after.paths.map((p) => p.line), before.paths.map((p) => p.line + 1));
    assert.deepEqual(after.run?.pins, before.run?.pins, 'the same pins, run again');
  } finally {
    // the text as it was, saved: the fixture is unchanged on disk and not dirty
    const undo = new vscode.WorkspaceEdit();
    undo.replace(bug, new vscode.Range(0, 0, doc.lineCount, 0), original);
    await vscode.workspace.applyEdit(undo);
    assert.equal(doc.getText(), original);
    await doc.save();
  }
}, 30000);

test('a CodeLens click and a finding\'s code action open the simulation view with the witness loaded', async () => {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await fresh();
  const lenses = await waitFor('the CodeLenses of the fixture as it is on disk', async () => {
    const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', bug);
    return l?.some((x) => x.range.start.line === 210 && x.command?.command) ? l : undefined;
  }, 15000);
  const lens = lenses.find((l) => l.range.start.line === 210);
  assert.equal(lens?.command?.command, 'entryReview.simulateReturnPath', lens?.command?.title);
  let s = await vscode.commands.executeCommand<ViewState>(lens.command.command, ...(lens.command.arguments ?? []));
  assert.equal(s?.selected, 1);
  assert.equal(s?.run?.paths[0].exit.fault?.name, '#GP');
  const d = vscode.languages.getDiagnostics(bug).find((x) => codeOf(x) === 'sysret-noncanonical-rip');
  assert.ok(d);
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', bug, d.range);
  const sim = actions.find((a) => a.title === 'Simulate the witness of sysret-noncanonical-rip');
  assert.ok(sim?.command, actions.map((a) => a.title).join(', '));
  s = await vscode.commands.executeCommand<ViewState>(sim.command.command, ...(sim.command.arguments ?? []));
  assert.equal(s?.run?.paths[0].exit.fault?.ring, 0);
  // the entry's own lens: its returns by verdict; a click lists them
  const entryLens = lenses.find((l) => l.range.start.line === 58);
  assert.equal(entryLens?.command?.title, 'entry_SYSCALL_64 · 3 returns to user mode · 2 ok, 1 finding · simulate');
  s = await vscode.commands.executeCommand<ViewState>(entryLens.command.command, ...(entryLens.command.arguments ?? []));
  assert.deepEqual(s?.paths.map((p) => p.verdict), ['ok', 'finding', 'ok']);
  assert.equal(s?.run, undefined);
}, 40000);
