// The analysis in the editor: findings of the symbolic checks arrive as diagnostics with their
// SPEC codes, at the line the fixture's `expect:` header names, with the SPEC's message opening;
// correct code gets no warning. The fixtures are the analysis tests' own (test/fixtures/kernels).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activate, codeOf, expectationOf, formatDiagnostics, kernelFixtureUri, waitFor, waitForDiagnostics } from './helper';
import { test } from './harness';

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
