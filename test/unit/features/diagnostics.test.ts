// Findings become LSP diagnostics; inactive #if regions become faded hints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { diagnosticsFor } from '../../../server/src/features/diagnostics';

test('parse errors keep code and range; an #if 0 block is one Unnecessary hint', async () => {
  const text = 'e:\n#if 0\n\tmovq %rax, %rbx\n#endif\n\tmovq %rax,, %rbx\n';
  const a = await analyze({ file: '/d.S', text }, defaultOptions, { read: () => undefined });
  const ds = diagnosticsFor(a);
  const errors = ds.filter((d) => d.severity === DiagnosticSeverity.Error);
  assert.deepEqual(errors.map((d) => [d.code, d.source, d.range.start.line]), [['parse', 'entry-review', 4]]);
  const hints = ds.filter((d) => d.severity === DiagnosticSeverity.Hint);
  assert.equal(hints.length, 1);
  assert.deepEqual(hints[0].tags, [DiagnosticTag.Unnecessary]);
  assert.equal(hints[0].range.start.line, 2);
  assert.equal(hints[0].range.end.line, 2);
});
