// analyze(): pure (no I/O but the reader), never throws, every finding lands inside the file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, type Analysis } from '../../../server/src/analysis';
import type { FileReader } from '../../../server/src/syntax';

const memory = (files: Record<string, string>): FileReader & { reads: string[] } => {
  const reads: string[] = [];
  return { reads, read: (p) => (reads.push(p), files[p]) };
};

function assertWellFormed(a: Analysis, text: string): void {
  const lines = text.split('\n');
  for (const f of a.findings) {
    assert.ok(['error', 'warning', 'info'].includes(f.severity), f.severity);
    assert.equal(typeof f.message, 'string');
    if (f.loc.file !== a.file) continue;
    const { start, end } = f.loc.range;
    assert.ok(start.line >= 0 && start.line < Math.max(lines.length, 1), `start line ${start.line} of ${lines.length}`);
    assert.ok(end.line > start.line || (end.line === start.line && end.character >= start.character), JSON.stringify(f.loc.range));
    assert.ok(start.character <= (lines[start.line] ?? '').length, `column ${start.character} past the end of line ${start.line}`);
  }
}

describe('analyze', () => {
  test('reads only through the reader, only in a kernel tree above the file, and counts instructions', async () => {
    const files = memory({});
    const a = await analyze({ file: '/k/entry.S', text: 'e:\n\tswapgs\n\tsysretq\n', version: 3 }, defaultOptions, files);
    // Looking for a kernel tree (whose headers win over built-in knowledge: Linux's arch/x86/include,
    // a FreeBSD sys/ by its amd64/include/asmacros.h) and for the project file (.entry-review.json
    // in the file's directory or above) is the only I/O.
    for (const p of files.reads) assert.match(p, /^((\/k)?\/(arch|include)\/|(\/k)?\/\.entry-review\.json$|(\/k)?\/amd64\/include\/asmacros\.h$)/, p);
    assert.equal(a.version, 3);
    assert.equal(a.stats.instructions, 2);
    assert.deepEqual(a.findings, []);
  });

  test('an instruction the model does not know is an unmodeled note at its text', async () => {
    const a = await analyze({ file: '/k/e.S', text: 'e:\n\tvzeroupper\n\tFROB_MACHINE %rax\n' }, defaultOptions, memory({}));
    assert.deepEqual(
      a.findings.map((f) => [f.code, f.severity, f.loc.range.start.line, f.loc.range.start.character, f.message.split(' ')[0]]),
      [
        ['unmodeled', 'info', 1, 1, "'vzeroupper'"],
        ['unmodeled', 'info', 2, 1, "'FROB_MACHINE'"],
      ],
    );
  });

  test('a RIP-relative numeric label (leaq 1f(%rip)) is a named address, not one with no value', async () => {
    const text = 'entry_SYSCALL_64:\n\tswapgs\n\tleaq\t1f(%rip), %rax\n1:\tswapgs\n\tsysretq\n';
    const a = await analyze({ file: '/k/e.S', text }, defaultOptions, memory({}));
    assert.deepEqual(a.findings.filter((f) => f.code === 'unmodeled').map((f) => f.message), []);
  });

  test('never throws on arbitrary text; every finding is inside the document', async () => {
    let seed = 0x2015;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ['movq', '%rax', ',', '(', ')', '$', '#if', '#define X(a) a##', '.macro m', '.endm', '.rept 3', '.endr', '1:', '1f',
      '/*', '*/', '\\', '"', ';', '\n', ' ', '\t', 'ALTERNATIVE "', '.if', '.endif', '%gs:', '*', '0x', '-', '~', '\u0000', 'é', '.irp r,a,b'];
    for (let i = 0; i < 300; i++) {
      let text = '';
      const n = rand(80);
      for (let j = 0; j < n; j++) text += pieces[rand(pieces.length)];
      const a = await analyze({ file: '/fuzz.S', text }, defaultOptions, memory({}));
      assertWellFormed(a, text);
    }
  });
});
