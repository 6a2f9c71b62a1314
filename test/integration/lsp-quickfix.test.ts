// The quick fix over stdio: the bundled server offers, on a finding of a missing SYSRET test, a
// code action whose edit puts the test back; applied, the re-published diagnostics lose the finding.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { fixture } from '../support/paths';
import { StdioLspClient } from '../support/lsp-client';

describe('language server: quick fix for a missing RF/TF test', () => {
  const file = fixture('kernels', 'bugs', 'no-rf-tf-test.S');
  const uri = pathToFileURL(file).href;
  const text = readFileSync(file, 'utf8');
  let client: StdioLspClient;

  before(async () => {
    client = new StdioLspClient();
    await client.conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(fixture('kernels')).href, capabilities: {}, workspaceFolders: null });
    await client.conn.sendNotification('initialized', {});
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'x86-entry-asm', version: 1, text } });
  });
  after(async () => {
    assert.equal(await client.close(), 0);
  });

  test('the code action inserts the test, and the finding is gone after the edit', async () => {
    const p = await client.waitForDiagnostics(uri, (d) => d.version === 1);
    const d = p.diagnostics.find((x: Diagnostic) => x.code === 'sysret-rf-tf');
    assert.ok(d, JSON.stringify(p.diagnostics.map((x: Diagnostic) => x.code)));
    // the fix is checked by re-analysis in the server's analysis thread; a code action waits for
    // that at most 3 s (on a loaded machine it may take longer), and the next ask offers it
    let actions: CodeAction[] = [];
    for (let ask = 0; ask < 10 && !actions.some((a) => a.kind === 'quickfix'); ask++) {
      actions = (await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
    }
    const fix = actions.find((a) => a.kind === 'quickfix');
    assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
    assert.equal(fix.title, 'Insert the RF/TF test (to opportunistic_sysret_failed, the IRET path)');
    const edits = fix.edit?.changes?.[uri] ?? [];
    assert.equal(edits.length, 1);
    assert.equal(edits[0].newText, '\ttestq\t$(X86_EFLAGS_RF | X86_EFLAGS_TF), EFLAGS(%rsp)\n\tjnz\topportunistic_sysret_failed\n');
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: edits[0].range, text: edits[0].newText }] });
    const p2 = await client.waitForDiagnostics(uri, (x) => x.version === 2);
    assert.deepEqual(p2.diagnostics.filter((x: Diagnostic) => x.severity !== 3 && x.severity !== 4).map((x: Diagnostic) => x.code), []);
  });
});
