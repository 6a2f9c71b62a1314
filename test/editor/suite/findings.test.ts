// The analysis in the editor: findings of the symbolic checks arrive as diagnostics with their
// SPEC codes, at the line the fixture's `expect:` header names, with the SPEC's message opening;
// correct code gets no warning. The fixtures are the analysis tests' own (test/fixtures/kernels).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activate, codeOf, expectationOf, fixtureUri, formatDiagnostics, getExtension, kernelFixtureUri, ourDiagnostics, sleep, waitFor, waitForDiagnostics } from './helper';
import { test } from './harness';

interface CliDiagnostic {
  code: string;
  severity: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

/** `entry-review check --format json FILE` with the CLI the loaded extension ships (dist/cli.js). */
function cliDiagnostics(file: string): CliDiagnostic[] {
  const cli = path.join(getExtension().extensionPath, 'dist', 'cli.js');
  let out: string;
  try {
    // The extension host's own executable runs as plain Node (Electron needs the variable; Node ignores it).
    out = execFileSync(process.execPath, [cli, 'check', '--format', 'json', file], {
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    // Exit code 1 means findings: the JSON is still on stdout.
    const e = err as { status?: number; stdout?: string; stderr?: string };
    if (e.status !== 1 || !e.stdout) throw new Error(`entry-review check failed (exit ${e.status}): ${e.stderr ?? ''}`);
    out = e.stdout;
  }
  const report = JSON.parse(out) as { files: { diagnostics: CliDiagnostic[] }[] };
  return report.files.flatMap((f) => f.diagnostics);
}

const severityName: Record<number, string> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
  [vscode.DiagnosticSeverity.Information]: 'info',
  [vscode.DiagnosticSeverity.Hint]: 'hint',
};

/** One comparable line per diagnostic: code, severity, 1-based range, the message's first line. */
function keyOfCli(d: CliDiagnostic): string {
  return `${d.code} ${d.severity} ${d.line}:${d.column}-${d.endLine}:${d.endColumn} ${d.message.split('\n')[0]}`;
}
function keyOfEditor(d: vscode.Diagnostic): string {
  const r = d.range;
  return `${codeOf(d)} ${severityName[d.severity]} ${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1} ${d.message.split('\n')[0]}`;
}

// The editor shows exactly what the command line reports for the same file (hints for inactive
// regions are the editor's own and are left out).
const agreeOn: [string, () => vscode.Uri][] = [
  ['editor/entry.S', () => fixtureUri('entry.S')],
  ['kernels/bugs/no-canonical-check.S', () => kernelFixtureUri('bugs', 'no-canonical-check.S')],
  ['kernels/bugs/no-rf-tf-test.S', () => kernelFixtureUri('bugs', 'no-rf-tf-test.S')],
  ['kernels/linux-2015-entry_64.S', () => kernelFixtureUri('linux-2015-entry_64.S')],
];
for (const [name, uriOf] of agreeOn) {
  test(`editor and command line agree on ${name}`, async () => {
    const uri = uriOf();
    const want = cliDiagnostics(uri.fsPath).map(keyOfCli).sort();
    await activate(uri);
    // The outline comes from the same analysis the diagnostics do: once it answers, they are on their way.
    await vscode.commands.executeCommand('vscode.executeDocumentSymbolProvider', uri);
    const current = () => ourDiagnostics(uri).filter((d) => d.severity !== vscode.DiagnosticSeverity.Hint).map(keyOfEditor).sort();
    const deadline = Date.now() + 15000;
    while (JSON.stringify(current()) !== JSON.stringify(want) && Date.now() < deadline) await sleep(100);
    assert.deepEqual(current(), want);
  }, 30000);
}

const isProblem = (d: vscode.Diagnostic) =>
  d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning;

const cases: { file: string; opening: RegExp }[] = [
  { file: 'no-canonical-check.S', opening: /^missing canonical check/ },
  { file: 'no-rf-tf-test.S', opening: /^RF\/TF not tested before SYSRET/ },
];

for (const c of cases) {
  test(`finding: bugs/${c.file} reports its expected code at its line`, async () => {
    const uri = kernelFixtureUri('bugs', c.file);
    const want = expectationOf(uri);
    await activate(uri);
    const ds = await waitForDiagnostics(uri, (list) => list.some((d) => codeOf(d) === want.code), `a ${want.code} diagnostic in ${c.file}`, 20000);
    const hits = ds.filter((d) => codeOf(d) === want.code);
    assert.ok(hits.some((d) => d.range.start.line === want.line), `${want.code} at line ${want.line + 1}: ${formatDiagnostics(hits)}`);
    const hit = hits.find((d) => d.range.start.line === want.line)!;
    assert.ok(isProblem(hit), `${want.code} is a warning or an error: ${formatDiagnostics([hit])}`);
    assert.match(hit.message, c.opening, `message: ${hit.message}`);
    assert.match(hit.message, /witness|0x[0-9a-f]+/i, `the message carries the witness: ${hit.message}`);
  }, 30000);
}

test('no finding on correct code: kernels/linux-2015-entry_64.S', async () => {
  const uri = kernelFixtureUri('linux-2015-entry_64.S');
  await activate(uri);
  // The outline answers from the same analysis the diagnostics come from: once it is there, the
  // diagnostics are published (or follow within moments: inactive regions, notes).
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
  assert.ok(symbols && symbols.some((s) => s.name === 'entry_SYSCALL_64'), 'the file was analysed (ENTRY(entry_SYSCALL_64) in the outline)');
  await waitFor('the first diagnostics of linux-2015-entry_64.S', () => (vscode.languages.getDiagnostics(uri).length > 0 ? true : undefined), 3000).catch(() => true);
  const problems = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'entry-review' && isProblem(d));
  assert.deepEqual(problems.map((d) => codeOf(d)), [], `warnings/errors on correct code: ${formatDiagnostics(problems)}`);
}, 30000);

test('a CodeLens above every return to user mode: kernels/linux-2015-entry_64.S', async () => {
  const uri = kernelFixtureUri('linux-2015-entry_64.S');
  await activate(uri);
  const lenses = await waitFor(
    'CodeLenses on the returns of linux-2015-entry_64.S',
    async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return l && l.length >= 3 ? l : undefined;
    },
    20000,
  );
  const titles = lenses.map((l) => `${l.range.start.line + 1}: ${l.command?.title ?? ''}`).sort();
  assert.match(titles[0], /^138: SYSRET · 9\/9 conditions proven · 2 paths · taken when /, titles.join('\n'));
  assert.match(titles[1], /^223: SYSRET · 9\/9 conditions proven · 3 paths · taken when /, titles.join('\n'));
  assert.match(titles[2], /^273: IRET · 3\/3 conditions proven · \d+ paths · taken when /, titles.join('\n'));
}, 30000);

test('a finding offers its replay command as a code action; Show Analysis Log is a palette command', async () => {
  const uri = kernelFixtureUri('bugs', 'no-canonical-check.S');
  await activate(uri);
  const want = expectationOf(uri);
  const ds = await waitForDiagnostics(uri, (list) => list.some((d) => codeOf(d) === want.code), `a ${want.code} diagnostic`, 20000);
  const hit = ds.find((d) => codeOf(d) === want.code)!;
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, hit.range);
  const copy = actions.find((a) => a.title === `Copy replay command for ${want.code}`) as vscode.CodeAction | undefined;
  assert.ok(copy?.command, `actions: ${actions.map((a) => a.title).join(', ')}`);
  const line = await vscode.commands.executeCommand<string>(copy.command.command, ...(copy.command.arguments ?? []));
  assert.match(line, /^npx entry-review simulate \S+no-canonical-check\.S --entry entry_SYSCALL_64 (--set \S+=0x[0-9a-f]+ )*--set ptregs\.ip=0x0000800000000000/);
  const commands = await vscode.commands.getCommands(true);
  assert.ok(commands.includes('entryReview.showLog'));
}, 30000);
