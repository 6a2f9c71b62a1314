// The outline: inner labels nest under the label an END / SYM_CODE_END closes, and a symbol's
// selection range is its name alone (no colon; the name inside ENTRY(...)).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { DocumentSymbol } from 'vscode-languageserver';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { builtinFileOf, definition, documentSymbols } from '../../../server/src/features/symbols';
import { builtinText } from '../../../server/src/syntax';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const r = (x: { start: { line: number; character: number }; end: { line: number; character: number } }) => `${x.start.line}:${x.start.character}-${x.end.line}:${x.end.character}`;
const load = async (...parts: string[]) => {
  const file = fixture(...parts);
  const text = readFileSync(file, 'utf8');
  return { text, a: await analyze({ file, text }, defaultOptions, diskReader) };
};

describe('document symbols', () => {
  test('inner labels under their ENTRY … END, the entry spanning to its END', async () => {
    const { a, text } = await load('kernels', 'linux-2015-entry_64.S');
    const syms = documentSymbols(a, text).filter((s) => s.kind === 12);
    const entry = syms.find((s) => s.name === 'entry_SYSCALL_64') as DocumentSymbol;
    assert.equal(r(entry.range), '52:0-227:21', 'ENTRY(entry_SYSCALL_64) to END(entry_SYSCALL_64)');
    assert.equal(r(entry.selectionRange), '52:6-52:22', 'the name inside ENTRY(...)');
    assert.deepEqual(entry.children?.map((c) => c.name), [
      'entry_SYSCALL_64_after_swapgs',
      'entry_SYSCALL_64_fastpath',
      '.Lentry_SYSCALL_64_after_fastpath_call',
      'entry_SYSCALL64_slow_path',
      'return_from_SYSCALL_64',
      'syscall_return_via_sysret',
      'opportunistic_sysret_failed',
    ]);
    const fast = entry.children?.find((c) => c.name === 'entry_SYSCALL_64_fastpath') as DocumentSymbol;
    assert.equal(r(fast.selectionRange), '95:0-95:25', 'a label without its colon');
    // what no END closes stays at the top
    assert.ok(syms.some((s) => s.name === 'restore_c_regs_and_iret' && !s.children));
    assert.ok(!syms.some((s) => s.name === 'syscall_return_via_sysret'), 'inner labels only once');
  });

  test('labels select the name alone, without the colon', async () => {
    const { a, text } = await load('editor', 'entry.S');
    assert.deepEqual(documentSymbols(a, text).map((s) => `${s.name} ${r(s.selectionRange)}`), [
      'DEMO_USER_CS 4:8-4:20',
      'DEMO_RF_TF 5:6-5:16',
      'DEMO_SWAPGS 7:7-7:18',
      'demo_entry 13:0-13:10',
      'demo_slow 23:0-23:9',
      'demo_exit 26:0-26:9',
    ]);
  });
});

test('a built-in macro’s definition is in the prelude, addressed as entry-review:/prelude.S, whose text the server gives', async () => {
  const file = fixture('kernels', 'linux-2015-entry_64.S');
  const text = readFileSync(file, 'utf8');
  const a = await analyze({ file, text }, defaultOptions, diskReader);
  const line = text.split('\n').findIndex((l) => /^\tUSERGS_SYSRET64\b/.test(l));
  const loc = definition(a, text, { line, character: 3 });
  assert.equal(loc?.uri, 'entry-review:/prelude.S');
  const body = builtinText(builtinFileOf(loc!.uri)!);
  assert.match(body?.split('\n')[loc!.range.start.line] ?? '', /^#define USERGS_SYSRET64 swapgs; sysretq/);
  assert.equal(builtinFileOf('file:///etc/passwd'), undefined);
});
