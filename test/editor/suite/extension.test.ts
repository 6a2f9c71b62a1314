// The extension in a real VS Code: activation, diagnostics (codes and ranges), edits, outline,
// go-to-definition and hovers, all through VS Code's own APIs and commands, so every answer went
// client → language server → client exactly as it does for a user.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  activate,
  codeOf,
  fixtureUri,
  formatDiagnostics,
  formatRange,
  getExtension,
  hoverText,
  kernelFixtureUri,
  LANGUAGE_ID,
  waitFor,
  waitForDiagnostics,
} from './helper';
import { test } from './harness';

const entry = fixtureUri('entry.S');
const clean = fixtureUri('clean.S');

const hasParse = (ds: vscode.Diagnostic[]) => ds.some((d) => codeOf(d) === 'parse');

test('extension activates on a .S file and its language server answers', async () => {
  const ext = getExtension();
  const { doc, api } = await activate(entry);
  assert.equal(doc.languageId, LANGUAGE_ID, 'entry.S gets the x86-entry-asm language');
  assert.equal(ext.isActive, true, 'extension is active');
  assert.ok(api && api.client, 'activate() returns the API with the language client');
  assert.equal(api.client.isRunning(), true, 'language client is running');
  const expected = process.env.ENTRY_REVIEW_EXPECT_EXTENSION_DIR;
  if (expected) {
    assert.ok(ext.extensionPath.startsWith(expected), `extension loaded from ${ext.extensionPath}, expected under ${expected}`);
  }
});

test('a lower-case .s file gets the same language', async () => {
  const doc = await vscode.workspace.openTextDocument(fixtureUri('lower.s'));
  assert.equal(doc.languageId, LANGUAGE_ID);
});

test('parse error: code, severity, range and message at entry.S line 20', async () => {
  const ds = await waitForDiagnostics(entry, hasParse, 'a parse diagnostic in entry.S');
  const parse = ds.filter((d) => codeOf(d) === 'parse');
  assert.equal(parse.length, 1, `exactly one parse diagnostic: ${formatDiagnostics(ds)}`);
  const d = parse[0];
  assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
  assert.equal(d.source, 'entry-review');
  // Line 20 (0-based 19) is "\tmovq\t%rax,, %rbx": the diagnostic marks the second comma.
  assert.equal(formatRange(d.range), '19:10-19:11', `range of ${formatDiagnostics([d])}`);
  assert.match(d.message, /^expected an operand after ','/);
});

test('diagnostics follow edits: a bad line appears, is reported, is removed', async () => {
  const { doc } = await activate(clean);
  await waitForDiagnostics(clean, (ds) => !hasParse(ds), 'clean.S analysed without parse errors');
  try {
    const insert = new vscode.WorkspaceEdit();
    insert.insert(clean, new vscode.Position(5, 0), '\tfoo bar baz %%%\n');
    assert.equal(await vscode.workspace.applyEdit(insert), true);
    const after = await waitForDiagnostics(clean, hasParse, 'a parse diagnostic after inserting a bad line');
    const parse = after.filter((d) => codeOf(d) === 'parse');
    assert.equal(parse.length, 1, formatDiagnostics(after));
    assert.deepEqual(after.filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning).map((d) => codeOf(d)), ['parse'], formatDiagnostics(after));
    assert.equal(parse[0].range.start.line, 5, `parse diagnostic on the inserted line: ${formatDiagnostics(parse)}`);
    assert.equal(parse[0].severity, vscode.DiagnosticSeverity.Error);

    const remove = new vscode.WorkspaceEdit();
    remove.delete(clean, new vscode.Range(5, 0, 6, 0));
    assert.equal(await vscode.workspace.applyEdit(remove), true);
    const back = await waitForDiagnostics(clean, (ds) => !hasParse(ds), 'the parse diagnostic to go away');
    const problems = back.filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning);
    assert.deepEqual(problems.map((d) => codeOf(d)), [], `no errors or warnings left: ${formatDiagnostics(back)}`);
  } finally {
    if (doc.isDirty) {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  }
});

test('outline: labels, macros and constants as document symbols at exact ranges', async () => {
  await activate(entry);
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[] | vscode.SymbolInformation[]>(
    'vscode.executeDocumentSymbolProvider',
    entry,
  );
  assert.ok(symbols && symbols.length > 0, 'document symbols returned');
  const flat = symbols.map((s) => `${s.name} ${vscode.SymbolKind[s.kind]} ${formatRange('selectionRange' in s ? s.selectionRange : s.location.range)}`);
  // Every symbol selects its name alone: a label without its colon; the #define, the .set constant and the macro their names.
  assert.deepEqual(flat, [
    'DEMO_USER_CS Constant 4:8-4:20',
    'DEMO_RF_TF Constant 5:6-5:16',
    'DEMO_SWAPGS Method 7:7-7:18',
    'demo_entry Function 13:0-13:10',
    'demo_slow Function 23:0-23:9',
    'demo_exit Function 26:0-26:9',
  ]);
});

test('outline: inner labels nest under their ENTRY … END (kernels/linux-2015-entry_64.S)', async () => {
  const uri = kernelFixtureUri('linux-2015-entry_64.S');
  await activate(uri);
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
  const entrySym = symbols.find((s) => s.name === 'entry_SYSCALL_64');
  assert.ok(entrySym, symbols.map((s) => s.name).join(', '));
  assert.equal(formatRange(entrySym.selectionRange), '52:6-52:22', 'the name inside ENTRY(...)');
  assert.equal(entrySym.range.end.line, 227, 'to END(entry_SYSCALL_64)');
  assert.ok(entrySym.children.some((c) => c.name === 'syscall_return_via_sysret'), entrySym.children.map((c) => c.name).join(', '));
  assert.ok(!symbols.some((s) => s.name === 'syscall_return_via_sysret'), 'an inner label is not also at the top');
});

async function definitionAt(uri: vscode.Uri, line: number, character: number): Promise<string[]> {
  const result = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
    'vscode.executeDefinitionProvider',
    uri,
    new vscode.Position(line, character),
  );
  return (result ?? []).map((r) => {
    const target = 'targetUri' in r ? r.targetUri : r.uri;
    const range = 'targetUri' in r ? (r.targetSelectionRange ?? r.targetRange) : r.range;
    return `${vscode.workspace.asRelativePath(target)}@${formatRange(range)}`;
  });
}

test('go to definition: labels from jumps, a macro from its invocation, a #define from an immediate', async () => {
  await activate(entry);
  // Line 23 (0-based 22) is "\tjmp\tdemo_exit": the name starts at character 5.
  assert.deepEqual(await definitionAt(entry, 22, 7), ['entry.S@26:0-26:10']);
  // Line 18 (0-based 17) is "\tjne\tdemo_slow".
  assert.deepEqual(await definitionAt(entry, 17, 5), ['entry.S@23:0-23:10']);
  // Line 15 (0-based 14) invokes DEMO_SWAPGS, defined on line 8.
  assert.deepEqual(await definitionAt(entry, 14, 3), ['entry.S@7:7-7:18']);
  // Line 17 (0-based 16) uses $DEMO_USER_CS, the #define on line 5.
  assert.deepEqual(await definitionAt(entry, 16, 10), ['entry.S@4:8-4:20']);
  // A register is not a symbol: no definition.
  assert.deepEqual(await definitionAt(entry, 15, 7), []);
});

test('go to definition of a built-in macro opens the prelude, read-only, at its #define', async () => {
  const uri = kernelFixtureUri('linux-2015-entry_64.S');
  await activate(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  const line = doc.getText().split('\n').findIndex((l) => /^\tUSERGS_SYSRET64\b/.test(l));
  assert.ok(line > 0, 'the fixture invokes USERGS_SYSRET64');
  const result = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', uri, new vscode.Position(line, 3));
  assert.equal(result?.length, 1);
  const r = result[0];
  const target = 'targetUri' in r ? r.targetUri : r.uri;
  const range = 'targetUri' in r ? (r.targetSelectionRange ?? r.targetRange) : r.range;
  assert.equal(target.toString(), 'entry-review:/prelude.S');
  // the document is the server's built-in prelude, and the range is the macro's name in its #define
  const prelude = await vscode.workspace.openTextDocument(target);
  assert.equal(prelude.getText(range), 'USERGS_SYSRET64');
  assert.match(prelude.lineAt(range.start.line).text, /^#define USERGS_SYSRET64 /);
  await vscode.window.showTextDocument(prelude);
});

async function hoverAt(uri: vscode.Uri, line: number, character: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, character));
  return hoverText(hovers ?? []);
}

test('hover on an instruction shows its semantics from the x86 model', async () => {
  await activate(entry);
  // Line 29 (0-based 28): sysretq.
  const sysret = await hoverAt(entry, 28, 3);
  assert.match(sysret, /Return from fast system call/, `hover on sysretq: ${sysret}`);
  assert.match(sysret, /RIP from RCX/, `sysretq hover: the new RIP comes from RCX: ${sysret}`);
  assert.match(sysret, /RFLAGS from \(R11 & 0x3C7FD7\) \| 2/, `sysretq hover: the new RFLAGS from R11: ${sysret}`);
  assert.match(sysret, /Intel raises #GP\(0\) still in ring 0 when RCX is not canonical/, `sysretq hover: the Intel fault: ${sysret}`);
  // Line 21 (0-based 20): shlq.
  const shl = await hoverAt(entry, 20, 2);
  assert.match(shl, /Shift left/, `hover on shlq: ${shl}`);
  assert.match(shl, /CF receives the last bit shifted out/, `shlq hover: the carry: ${shl}`);
});

test('hover on constants where they are used ($DEMO_RF_TF, $DEMO_USER_CS) shows their values', async () => {
  await activate(entry);
  // Line 19 (0-based 18) is "\ttestq\t$DEMO_RF_TF, %r11": the cursor on the name after '$'.
  const set = await hoverAt(entry, 18, 10);
  assert.match(set, /DEMO_RF_TF[\s\S]*0x10100/, `hover at 18:10 on $DEMO_RF_TF: ${JSON.stringify(set)}`);
  // Line 17 (0-based 16) is "\tcmpq\t$DEMO_USER_CS, %rax" (a #define).
  const def = await hoverAt(entry, 16, 10);
  assert.match(def, /DEMO_USER_CS[\s\S]*0x33/, `hover at 16:10 on $DEMO_USER_CS: ${JSON.stringify(def)}`);
});

test('hover on a #define where it is defined shows its value', async () => {
  await activate(entry);
  const text = await hoverAt(entry, 4, 10);
  assert.match(text, /DEMO_USER_CS/, `hover: ${text}`);
  assert.match(text, /value: `0x33 \(51\)`/, `hover: ${text}`);
});

test('hover on a macro invocation shows the macro and its expansion', async () => {
  await activate(entry);
  // Line 15 (0-based 14) invokes DEMO_SWAPGS (defined on line 8 as one swapgs).
  const text = await hoverAt(entry, 14, 3);
  assert.match(text, /DEMO_SWAPGS/, `hover: ${text}`);
  assert.match(text, /defined at line 8/, `hover: ${text}`);
  assert.match(text, /```[^`]*\bswapgs\b[^`]*```/, `hover shows the expansion: ${text}`);
});

test('hover on a frame operand: its pt_regs field, the symbolic value before and after, the entry', async () => {
  const k = kernelFixtureUri('linux-2015-entry_64.S');
  const { doc } = await activate(k);
  // Line 172 (0-based 171) is "\tmovq\tRIP(%rsp), %r11" on the opportunistic SYSRET path: the cursor
  // on the operand's '%' (no word there: the operand alone). The server answers once it has analysed.
  const rip = doc.lineAt(171).text.indexOf('RIP(%rsp)');
  assert.equal(rip, 6, doc.lineAt(171).text);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', k, new vscode.Position(171, rip + 4));
  assert.equal(hoverText(hovers ?? []), [
    '**`RIP(%rsp)`** = `128(%rsp)` (from entry_SYSCALL_64)',
    '',
    'address: pt_regs->ip at `percpu.cpu_current_top_of_stack-0x28` — 8 bytes read',
    '',
    'before: `ptregs.ip` — pt_regs->ip after the calls into C',
    '',
    'unchanged by this instruction',
  ].join('\n'));
  assert.equal(hovers[0].range && formatRange(hovers[0].range), '171:6-171:15', 'the hover covers the operand as written');
  // a write, on the macro word of the operand: line 110 "\tmovq\t%rax, RAX(%rsp)" replaces -ENOSYS
  // (in hex) with the system call's return value, then says what RAX is
  const write = await hoverAt(k, 109, 13);
  assert.match(write, /^\*\*`RAX\(%rsp\)`\*\* = `80\(%rsp\)` \(from entry_SYSCALL_64\)\n\naddress: pt_regs->ax at `percpu\.cpu_current_top_of_stack-0x58` — 8 bytes written\n\nbefore: `0xffffffffffffffda`\n\nafter: `syscall\.ret@L108` — the system call's return value\n\n---\n\n\*\*RAX\*\* — built-in kernel macro/, write);
  // the register operand's hover is as before: %r11 on line 172
  const r11 = await hoverAt(k, 171, 18);
  assert.equal(r11, '**%r11** (from entry_SYSCALL_64)\n\nbefore: `kernel.r11` — a kernel value left by the calls into C\n\nafter: `ptregs.ip` — pt_regs->ip after the calls into C');
}, 30000);

test('status bar: the analysis state and time of the active file, a click opens the log', async () => {
  const bug = kernelFixtureUri('bugs', 'no-canonical-check.S');
  await activate(bug);
  type Shown = { visible: boolean; text: string; tooltip: string; command?: string };
  const shown = await waitFor('the status bar item after the analysis', async () => {
    const s = await vscode.commands.executeCommand<Shown>('entryReview._statusBar');
    return s && /finding.*\d+ ms/.test(s.text) ? s : undefined;
  }, 20000);
  assert.equal(shown.visible, true);
  assert.match(shown.text, /^\$\(warning\) Entry Review: 1 finding · \d+ ms$/);
  assert.match(shown.tooltip, /1 entry, 3 returns to user mode \(2 ok, 1 finding, 0 unknown\)/);
  assert.equal(shown.command, 'entryReview.showLog');
  await activate(clean);
  const other = await waitFor('the status bar item on clean.S', async () => {
    const s = await vscode.commands.executeCommand<Shown>('entryReview._statusBar');
    return s && /^\$\(check\) Entry Review: \d+ ms$/.test(s.text) ? s : undefined;
  }, 20000);
  assert.equal(other.visible, true);
}, 45000);

test('a project file gets the extension\'s schema: a misspelt key is flagged by VS Code\'s JSON support, as the reader reports it', async () => {
  // VS Code's own JSON support does the validating, from the schema the extension contributes
  const jsonSupport = vscode.extensions.getExtension('vscode.json-language-features');
  assert.ok(jsonSupport, 'VS Code has its JSON language features');
  await jsonSupport.activate();
  const fixtureText = readFileSync(kernelFixtureUri('xen-pv', '.entry-review.json').fsPath, 'utf8');
  // copies, each .entry-review.json in a directory of its own: the fixture's, and one with a key misspelt
  const copy = (text: string): vscode.Uri => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'er-schema-')), '.entry-review.json');
    writeFileSync(file, text);
    return vscode.Uri.file(file);
  };
  const schemaDiagnostics = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'json' || /not allowed|Incorrect type|Missing property|Value is not accepted/i.test(d.message));
  const misspelt = fixtureText.replace('"returnFlags"', '"returnflags"');
  assert.notEqual(misspelt, fixtureText);
  const bad = copy(misspelt);
  const badDoc = await vscode.workspace.openTextDocument(bad);
  assert.equal(badDoc.languageId, 'json');
  await vscode.window.showTextDocument(badDoc);
  const ds = await waitForDiagnostics(bad, () => schemaDiagnostics(bad).length > 0, 'a schema diagnostic on the misspelt key', 30000);
  const d = schemaDiagnostics(bad)[0];
  assert.match(d.message, /returnflags/, formatDiagnostics(ds));
  assert.equal(d.range.start.line, badDoc.positionAt(misspelt.indexOf('"returnflags"')).line, formatDiagnostics(ds));
  // the fixture as written validates: opened after the bad copy was judged, it gets nothing
  const good = copy(fixtureText);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(good));
  await new Promise((r) => setTimeout(r, 3000));
  assert.deepEqual(schemaDiagnostics(good).map((x) => x.message), [], 'the fixture validates');
}, 60000);
