// Speaks real JSON-RPC over stdio to the bundled server (`entry-review lsp --stdio`) and checks
// diagnostics, documentSymbol, definition, hover and re-analysis after an incremental edit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  DiagnosticSeverity,
  type DocumentSymbol,
  type Hover,
  type InitializeResult,
  type Location,
  type MarkupContent,
} from 'vscode-languageserver-protocol';
import { fixture } from '../support/paths';
import { StdioLspClient } from '../support/lsp-client';

describe('language server over stdio', () => {
  const file = fixture('lsp', 'basic.S');
  const uri = pathToFileURL(file).href;
  const text = readFileSync(file, 'utf8');
  let client: StdioLspClient;
  let init: InitializeResult;

  before(async () => {
    client = new StdioLspClient();
    init = await client.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(fixture('lsp')).href,
      capabilities: {},
      workspaceFolders: null,
    });
    await client.conn.sendNotification('initialized', {});
    await client.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'x86-entry-asm', version: 1, text },
    });
  });

  after(async () => {
    assert.equal(await client.close(), 0, 'server exits 0 after shutdown + exit');
  });

  test('advertises incremental sync, symbols, definition and hover', () => {
    assert.equal(init.serverInfo?.name, 'entry-review');
    const caps = init.capabilities;
    const sync = caps.textDocumentSync;
    assert.equal(typeof sync === 'object' ? sync.change : sync, 2, 'TextDocumentSyncKind.Incremental');
    assert.equal(caps.documentSymbolProvider, true);
    assert.equal(caps.definitionProvider, true);
    assert.equal(caps.hoverProvider, true);
  });

  test('publishes the parse error on line 14 for version 1', async () => {
    const p = await client.waitForDiagnostics(uri, (d) => d.version === 1);
    const errors = p.diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    assert.equal(errors.length, 1, JSON.stringify(p.diagnostics));
    assert.equal(errors[0].code, 'parse');
    assert.equal(errors[0].source, 'entry-review');
    assert.equal(errors[0].range.start.line, 13);
    assert.equal(errors[0].range.end.line, 13);
  });

  test('document symbols list labels, macros and #defines with their lines', async () => {
    const symbols = (await client.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
    const byName = new Map(symbols.map((s) => [s.name, s]));
    assert.equal(byName.get('SCRATCH_CS')?.range.start.line, 1);
    assert.equal(byName.get('CLEAR_REG')?.range.start.line, 3);
    assert.equal(byName.get('fixture_entry')?.range.start.line, 9);
    assert.equal(byName.get('fixture_exit')?.range.start.line, 15);
  });

  test('definition of a label, of a numeric label (1f) and of a macro', async () => {
    const def = async (line: number, character: number) =>
      (await client.conn.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line, character } })) as Location | null;
    const exit = await def(14, 8); // `1:	jmp	fixture_exit` → fixture_exit:
    assert.equal(exit?.uri, uri);
    assert.equal(exit?.range.start.line, 15);
    const one = await def(12, 5); // `jne	1f` → `1:` on line 15 (1-based)
    assert.equal(one?.range.start.line, 14);
    const mac = await def(16, 3); // CLEAR_REG invocation → .macro line
    assert.equal(mac?.range.start.line, 3);
    assert.equal(await def(0, 0), null, 'no definition inside a comment');
  });

  test('hover on a #define shows its value', async () => {
    const h = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 11, character: 11 } })) as Hover;
    assert.match((h.contents as MarkupContent).value, /SCRATCH_CS/);
    assert.match((h.contents as MarkupContent).value, /0x33/);
  });

  test('hover on a mnemonic explains the instruction from the x86 model, with its flags', async () => {
    const h = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 11, character: 2 } })) as Hover;
    const text = (h.contents as MarkupContent).value;
    assert.match(text, /^\*\*cmp\*\* — Compare\n/);
    assert.match(text, /Flags: writes CF PF AF ZF SF OF\./);
    assert.deepEqual(h.range, { start: { line: 11, character: 1 }, end: { line: 11, character: 5 } });
  });

  test('hover on a macro invocation shows its expansion', async () => {
    const h = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 16, character: 3 } })) as Hover;
    const text = (h.contents as MarkupContent).value;
    assert.match(text, /^\*\*CLEAR_REG\*\* — defined at line 4\n/);
    assert.match(text, /```x86-entry-asm\n\s*xorl\s+%eax, ?%eax\n```/);
  });

  test('hover on a memory operand: its pt_regs field or per-CPU name, the value before and after, the entry', async () => {
    const kfile = fixture('kernels', 'linux-2015-entry_64.S');
    const kuri = pathToFileURL(kfile).href;
    await client.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: kuri, languageId: 'x86-entry-asm', version: 1, text: readFileSync(kfile, 'utf8') },
    });
    const at = async (line: number, character: number) =>
      (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: kuri }, position: { line, character } })) as Hover;
    // line 172 `movq RIP(%rsp), %r11` on the opportunistic SYSRET path, the cursor on the operand's '%'
    const rip = await at(171, 10);
    assert.equal((rip.contents as MarkupContent).value, [
      '**`RIP(%rsp)`** = `128(%rsp)` (from entry_SYSCALL_64)',
      '',
      'address: pt_regs->ip at `percpu.cpu_current_top_of_stack-0x28` — 8 bytes read',
      '',
      'before: `ptregs.ip` — pt_regs->ip after the calls into C',
      '',
      'unchanged by this instruction',
    ].join('\n'));
    assert.deepEqual(rip.range, { start: { line: 171, character: 6 }, end: { line: 171, character: 15 } });
    // line 58 `movq %rsp, PER_CPU_VAR(rsp_scratch)`: a write, on the variable's name
    const scratch = await at(57, 26);
    assert.equal((scratch.contents as MarkupContent).value, [
      '**`PER_CPU_VAR(rsp_scratch)`** = `%gs:rsp_scratch` (from entry_SYSCALL_64)',
      '',
      'address: per-CPU rsp_scratch — 8 bytes written',
      '',
      'before: `percpu.rsp_scratch` — per-CPU rsp_scratch as the entry found it',
      '',
      'after: `user.rsp` — the user\'s value at entry',
    ].join('\n'));
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: kuri } });
  });

  test('an incremental edit that fixes the error clears it in version 2', async () => {
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 13, character: 10 }, end: { line: 13, character: 11 } }, text: '' }],
    });
    const p = await client.waitForDiagnostics(uri, (d) => d.version === 2);
    assert.deepEqual(p.diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error), []);
  });

  test('survives garbage text and requests past the end of the document', async () => {
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ text: '\u0000\u0001 ))((%% $$$ .macro\n#if (\n.endm .endm\n\tmovq (%rax,%rbx,3), %%r\n' }],
    });
    const p = await client.waitForDiagnostics(uri, (d) => d.version === 3);
    assert.ok(p.diagnostics.some((d) => d.code === 'parse'));
    const h = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 999, character: 999 } });
    assert.equal(h, null);
    const s = await client.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
    assert.ok(Array.isArray(s));
  });
});
