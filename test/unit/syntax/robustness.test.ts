// Any text produces a Program: random bytes, half-typed lines, truncated files, hostile macros.
// parseProgram never throws, every diagnostic is a `parse` diagnostic with a location, and the
// expansion limits stop runaway input quickly.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseProgram, MAX_REPT, type Program } from '../../../server/src/syntax';

const FILE = '/virtual/fuzz.S';
const none = { read: (): string | undefined => undefined };

function check(p: Program, text: string): void {
  assert.equal(p.file, FILE);
  assert.ok(Array.isArray(p.statements));
  assert.ok(p.labels instanceof Map && p.constants instanceof Map);
  const lines = text.split('\n').length;
  for (const d of p.diagnostics) {
    assert.equal(d.code, 'parse');
    assert.ok(['error', 'warning', 'info'].includes(d.severity));
    assert.ok(d.message.length > 0);
    if (d.loc.file === FILE) assert.ok(d.loc.range.start.line < lines, `diagnostic line ${d.loc.range.start.line} beyond ${lines}`);
    assert.ok(!/internal parser error/.test(d.message), d.message);
  }
  for (const s of p.statements) {
    assert.equal(s.loc.file, FILE);
    assert.ok(s.loc.range.start.line < lines);
  }
  for (const [name, idx] of p.labels) assert.equal(p.statements[idx].name, name);
}

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const PIECES = [
  'movq', '%rax', '%gs:', '$', '(', ')', ',', ';', ':', '1f', '1b', '2:', '.macro', '.endm', '.rept', '.endr', '.irp', '.if', '.else',
  '.endif', '#if', '#define', '#endif', '#include', '"', "'", '\\', '\\@', '\\()', '/*', '*/', '#', '\n', '\n', '\n', ' ', '\t', 'ENTRY(',
  'ALTERNATIVE', '"nop"', 'X86_FEATURE_PTI', 'PER_CPU_VAR(', 'RIP', '+', '-', '*', '<<', '~', '0x', '99999999999999999999999', '__VA_ARGS__',
  '##', '.set', '=', 'foo', '.L1', 'SAVE_EXTRA_REGS', 'PUSH_AND_CLEAR_REGS', '.error', '_ASM_EXTABLE(', '#undef', 'defined', '#elif',
];

describe('parseProgram never throws', () => {
  test('random bytes', () => {
    const r = rng(1);
    for (let n = 0; n < 150; n++) {
      const len = Math.floor(r() * 400);
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(r() * 256));
      const p = parseProgram(FILE, s, {}, none);
      check(p, s);
    }
  });

  test('random assembler-looking token soup', () => {
    const r = rng(7);
    for (let n = 0; n < 300; n++) {
      const len = Math.floor(r() * 60);
      let s = '';
      for (let i = 0; i < len; i++) s += PIECES[Math.floor(r() * PIECES.length)] + (r() < 0.3 ? ' ' : '');
      const p = parseProgram(FILE, s, {}, none);
      check(p, s);
    }
  });

  test('every prefix of a real file (half-typed text)', () => {
    const sample = path.resolve(__dirname, '../../../../test/fixtures/kernels/linux-2015-entry_64.S');
    const text = fs.readFileSync(sample, 'utf8');
    for (let cut = 0; cut <= text.length; cut += 97) {
      const t = text.slice(0, cut);
      check(parseProgram(FILE, t, {}, none), t);
    }
  });

  test('non-string text and odd options do not escape as exceptions', () => {
    const p = parseProgram(FILE, undefined as unknown as string, undefined as unknown as object, none);
    assert.equal(p.file, FILE);
    const q = parseProgram(FILE, 'nop\n', { defines: { 'BAD NAME': '1', GOOD: '' }, includePaths: [] }, { read: () => { throw new Error('disk on fire'); } });
    assert.deepEqual(q.statements.map((s) => s.name), ['nop']);
    assert.equal(q.diagnostics.length, 0);
  });
});

describe('limits', () => {
  test('an exponential #define blow-up stops with a diagnostic', () => {
    let text = '#define A0 x\n';
    for (let i = 1; i <= 30; i++) text += `#define A${i} A${i - 1} A${i - 1}\n`;
    text += '\t.long A30\n';
    const t0 = Date.now();
    const p = parseProgram(FILE, text, {}, none);
    assert.ok(Date.now() - t0 < 5000, 'stopped quickly');
    assert.ok(p.diagnostics.some((d) => /macro expansion stopped/.test(d.message) && d.loc.range.start.line === 31));
  });

  test('deeply nested or very long expressions and macro calls are refused, not a stack overflow', () => {
    const cases: [string, RegExp][] = [
      [`\tmovq $${'('.repeat(50000)}1${')'.repeat(50000)}, %rax\n\tnop\n`, /nested more than 500 deep/],
      [`\t.long ${Array(50000).fill('1').join('+')}\n\tnop\n`, /more than 500 operators/],
      [`#if ${'1?'.repeat(50000)}1${':0'.repeat(50000)}\n#endif\n\tnop\n`, /nested more than 500 deep/],
      [`#define F(x) x\n\t.long ${'F('.repeat(20000)}1${')'.repeat(20000)}\n\tnop\n`, /nested more than 200 deep/],
    ];
    for (const [text, message] of cases) {
      const p = parseProgram(FILE, text, {}, none);
      check(p, text);
      assert.ok(p.diagnostics.some((d) => message.test(d.message)), p.diagnostics.map((d) => d.message).join('; '));
      assert.equal(p.statements[p.statements.length - 1].name, 'nop');
    }
  });

  test('self-referential and mutually recursive #defines expand once (C rules)', () => {
    const p = parseProgram(FILE, '#define A B + 1\n#define B A * 2\n\t.long A\n', {}, none);
    assert.equal(p.diagnostics.length, 0);
    assert.equal(p.statements[0].text, '.long A * 2 + 1');
  });

  test('mutually recursive GNU as macros stop at the nesting limit', () => {
    const p = parseProgram(FILE, '.macro PING\n\tPONG\n.endm\n.macro PONG\n\tPING\n.endm\n\tPING\n\tnop\n', {}, none);
    assert.deepEqual(p.diagnostics.map((d) => [d.loc.range.start.line, d.severity]), [[6, 'error']]);
    assert.match(p.diagnostics[0].message, /nested more than 100 deep/);
    assert.equal(p.statements[p.statements.length - 1].name, 'nop');
  });

  test('.rept over the limit is refused; nested repeats are bounded by the statement budget', () => {
    const p = parseProgram(FILE, `\t.rept ${MAX_REPT + 1}\n\tnop\n\t.endr\n`, {}, none);
    assert.equal(p.statements.length, 0);
    assert.match(p.diagnostics[0].message, /exceeds the repeat limit/);
    const t0 = Date.now();
    const q = parseProgram(FILE, '\t.rept 100000\n\t.rept 100000\n\tnop\n\t.endr\n\t.endr\n\tret\n', {}, none);
    assert.ok(Date.now() - t0 < 20000, 'stopped');
    assert.ok(q.diagnostics.some((d) => /expansion stopped/.test(d.message)));
    assert.equal(q.statements[q.statements.length - 1].name, 'ret');
  });

  test('a .include cycle is reported, not a stack overflow', () => {
    const files: Record<string, string> = { '/virtual/self.s': '\t.include "self.s"\n' };
    const p = parseProgram(FILE, '\t.include "self.s"\n\tnop\n', {}, { read: (f) => files[f] });
    assert.deepEqual(p.diagnostics.map((d) => [d.loc.range.start.line, d.message]), [[0, "'.include' nested more than 100 deep (include cycle?)"]]);
    assert.deepEqual(p.statements.map((s) => s.name), ['nop']);
  });

  test('an #include cycle is reported once at the #include the user wrote', () => {
    const files: Record<string, string> = { '/virtual/a.h': '#include "b.h"\n', '/virtual/b.h': '#include "a.h"\n' };
    const p = parseProgram(FILE, '#include "a.h"\n\tnop\n', {}, { read: (f) => files[f] });
    assert.equal(p.diagnostics.length, 1);
    assert.equal(p.diagnostics[0].loc.file, FILE);
    assert.equal(p.diagnostics[0].loc.range.start.line, 0);
    assert.match(p.diagnostics[0].message, /include cycle/);
    assert.deepEqual(p.statements.map((s) => s.name), ['nop']);
  });

  // found by the fuzzer (test/support/fuzz.ts, seed 0x11f022): a header that includes itself
  // more than once, with no guard, doubled per level under the depth limit — 4^200 inclusions
  test('a header including itself several times (no guard) stops at the inclusion budget, not after 4^200 files', () => {
    const files: Record<string, string> = {
      '/virtual/h0.h': '.macro MAC0\n\tnop\n.endm\n\t.include "h0.h"\n#include "h0.h"\n#include "../virtual/h0.h"\n#include "h0.h"\n',
    };
    const t0 = Date.now();
    const p = parseProgram(FILE, '#include "h0.h"\n\t.include "h0.h"\n\tnop\n', {}, { read: (f) => files[f] });
    assert.ok(Date.now() - t0 < 10000, `stopped after ${Date.now() - t0} ms`);
    check(p, '#include "h0.h"\n\t.include "h0.h"\n\tnop\n');
    assert.ok(p.diagnostics.some((d) => /#include stopped: more than 5000 files included/.test(d.message) && d.loc.file === FILE && d.loc.range.start.line === 0), p.diagnostics.map((d) => d.message).join('; '));
    assert.equal(p.statements[p.statements.length - 1].name, 'nop');
  });

  test('a .include file including itself twice stops at the .include budget', () => {
    const files: Record<string, string> = { '/virtual/twice.s': '\t.include "twice.s"\n\t.include "twice.s"\n' };
    const t0 = Date.now();
    const p = parseProgram(FILE, '\t.include "twice.s"\n\tnop\n', {}, { read: (f) => files[f] });
    assert.ok(Date.now() - t0 < 10000, `stopped after ${Date.now() - t0} ms`);
    assert.ok(p.diagnostics.some((d) => /'.include' stopped: more than 2000 files/.test(d.message)), p.diagnostics.map((d) => d.message).join('; '));
    assert.deepEqual(p.statements.map((s) => s.name), ['nop']);
  });
});
