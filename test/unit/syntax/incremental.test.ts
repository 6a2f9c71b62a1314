// The incremental parse (syntax/incremental.ts): a re-parse of an edited file starts from the
// checkpoint above the edit and takes the earlier parse's rest over where the state converged.
// What it gives must be what a parse from the top gives, byte for byte, over any chain of edits,
// and it must never change a program it shares statements with.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Assembler } from '../../../server/src/syntax/gas';
import { Preprocessor } from '../../../server/src/syntax/cpp';
import { plainLines } from '../../../server/src/syntax/lines';
import { ASM_FIELDS, changedLines, incrementalCounts, PP_FIELDS } from '../../../server/src/syntax/incremental';
import { clearPreambleCache, parseProgram } from '../../../server/src/syntax/parse';
import type { Program } from '../../../server/src/syntax';
import { diskReader, programJson, scratchKernelTree } from '../../support/files';
import { FUZZ_SEED, incrementalProperty, sameParse } from '../../support/fuzz';
import { repoRoot } from '../../support/paths';

const SAMPLE = path.join(repoRoot, 'samples', 'entry_64.S');
const inc = (file: string, text: string): Program => parseProgram(file, text, {}, diskReader);

describe('incremental parse', () => {
  test('every field of the preprocessor and the assembler has a checkpoint policy', () => {
    const pp = new Preprocessor('/x.S', { read: () => undefined, resolve: () => undefined } as never, () => {});
    assert.deepEqual(Object.keys(pp).sort(), Object.keys(PP_FIELDS).sort());
    const asm = new Assembler('/x.S');
    for (const line of plainLines('/x.S', readFileSync(SAMPLE, 'utf8'), 'source', undefined)) asm.feed(line);
    asm.finish();
    asm.resolveExtable();
    assert.deepEqual(Object.keys(asm).sort(), Object.keys(ASM_FIELDS).sort());
  });

  test('changedLines: the first changed line, the last old one, and the change in the line count', () => {
    assert.deepEqual(changedLines('a\nb\nc\nd', 'a\nB\nc\nd'), { first: 1, lastOld: 1, delta: 0 });
    assert.deepEqual(changedLines('a\nb\nc\nd', 'a\nb\nx\ny\nc\nd'), { first: 2, lastOld: 2, delta: 2 });
    assert.deepEqual(changedLines('a\nb\nc\nd', 'a\nd'), { first: 1, lastOld: 3, delta: -2 });
    assert.equal(changedLines('a\nb', 'a\nb'), undefined);
  });

  test('an operand edit on the SYSRET path: resumed above it, the rest taken over, the same program', () => {
    clearPreambleCache();
    const text = readFileSync(SAMPLE, 'utf8');
    const edited = text.replace(/cmpq(\s+)%rcx,(\s*)%r11/, 'cmpq$1%rcx,$2%r10');
    assert.notEqual(edited, text);
    inc(SAMPLE, text);
    const { resumed, converged } = incrementalCounts;
    const p = sameParse(SAMPLE, edited, 'cmpq %rcx,%r10');
    assert.equal(incrementalCounts.resumed, resumed + 1);
    assert.equal(incrementalCounts.converged, converged + 1);
    const line = edited.split('\n').findIndex((l) => /cmpq\s+%rcx,\s*%r10/.test(l));
    const st = p.statements.find((s) => s.loc.range.start.line === line && s.kind === 'instruction');
    assert.match(st?.text ?? '', /^cmpq\s+%rcx,\s*%r10$/);
    // and back to the text as it was
    sameParse(SAMPLE, text, 'the edit undone');
    assert.equal(incrementalCounts.converged, converged + 2);
  });

  test('typing in a comment, a character at a time: every parse takes the rest over', () => {
    clearPreambleCache();
    let text = readFileSync(SAMPLE, 'utf8');
    const at = text.indexOf('\n', Math.floor(text.length * 0.4));
    text = `${text.slice(0, at)}\n/* */${text.slice(at)}`;
    inc(SAMPLE, text);
    const { converged } = incrementalCounts;
    let typed = '';
    for (const ch of 'rcx is the user RIP') {
      typed += ch;
      sameParse(SAMPLE, `${text.slice(0, at)}\n/* ${typed} */${text.slice(at + 6)}`, `typed '${typed}'`);
    }
    assert.equal(incrementalCounts.converged, converged + 19);
  });

  test('checkpoints: one every 48 lines, at most about 40 in a long file (their copies stay linear in it)', () => {
    clearPreambleCache();
    const text = readFileSync(SAMPLE, 'utf8');
    inc(SAMPLE, text);
    const lines = text.split('\n').length;
    // (at lines where nothing is open: fewer than one per 48 lines)
    assert.ok(incrementalCounts.checkpoints >= 15 && incrementalCounts.checkpoints <= Math.ceil(lines / 48), `${incrementalCounts.checkpoints} checkpoints`);
    const body = Array.from({ length: 20000 }, (_, i) => (i % 10 === 0 ? `l${i}:` : `\tmovq $${i}, %rax`)).join('\n');
    const file = path.join(repoRoot, 'test', 'long.S');
    inc(file, `\t.text\n${body}\n`);
    assert.ok(incrementalCounts.checkpoints >= 38 && incrementalCounts.checkpoints <= 41, `${incrementalCounts.checkpoints} checkpoints`);
    // an edit near the end of it resumes from the last checkpoint
    const { resumed, converged } = incrementalCounts;
    sameParse(file, `\t.text\n${body.replace('movq $19990,', 'movq $19991,')}\n`, 'an operand near the end');
    assert.equal(incrementalCounts.resumed, resumed + 1);
    assert.equal(incrementalCounts.converged, converged);
  });

  test('a line inserted: resumed above it, run to the end (the lines below moved), the same program', () => {
    clearPreambleCache();
    const text = readFileSync(SAMPLE, 'utf8');
    const lines = text.split('\n');
    inc(SAMPLE, text);
    const { resumed, converged } = incrementalCounts;
    lines.splice(Math.floor(lines.length / 2), 0, '\tnop');
    sameParse(SAMPLE, lines.join('\n'), 'a nop inserted');
    assert.equal(incrementalCounts.resumed, resumed + 1);
    assert.equal(incrementalCounts.converged, converged);
  });

  test('a local label the edit removes: the later parse reports it, the earlier program is left as it was', () => {
    clearPreambleCache();
    const file = path.join(repoRoot, 'test', 'local-labels.S');
    const body = (withLabel: boolean): string => [
      '\t.text',
      'f0:',
      '\tjmp 1f',
      '\t_ASM_EXTABLE(2f, 1f)',
      ...Array.from({ length: 150 }, (_, i) => `\tmovq $${i}, %rax`),
      withLabel ? '1:\tnop' : '\tnop',
      '2:\tret',
      ...Array.from({ length: 150 }, (_, i) => `\tmovq $${i}, %rbx`),
      '',
    ].join('\n');
    const before = inc(file, body(true));
    const was = programJson(before);
    const jmp = (p: Program) => p.statements.find((s) => s.name === 'jmp')?.operands[0];
    assert.equal(JSON.stringify(jmp(before)).includes('"1#1"'), true);
    assert.equal(before.exceptionTable[0]?.to, '1#1');
    const after = sameParse(file, body(false), 'the label removed');
    assert.ok(after.diagnostics.some((d) => d.message.startsWith("undefined local label '1f'")));
    assert.equal(JSON.stringify(jmp(after)).includes('"1f"'), true);
    assert.equal(after.exceptionTable[0]?.to, '1f');
    assert.equal(programJson(before), was, 'the earlier program is unchanged');
    // and the label put back
    assert.equal(JSON.stringify(jmp(sameParse(file, body(true), 'the label put back'))).includes('"1#1"'), true);
  });

  describe('a header changed between two parses: no resuming from what it gave', () => {
    const { entry, header } = scratchKernelTree('er-incremental-');
    const text = readFileSync(entry, 'utf8');

    test('a selector redefined in segment.h: the new value', () => {
      clearPreambleCache();
      assert.equal(inc(entry, text).constants.get('__USER_CS'), 0x33n);
      const was = readFileSync(header, 'utf8');
      writeFileSync(header, was.replace(/#define GDT_ENTRY_DEFAULT_USER_CS\s+6/, '#define GDT_ENTRY_DEFAULT_USER_CS\t7'));
      try {
        const { resumed } = incrementalCounts;
        const p = inc(entry, text.replace(/\n\s*nop\b/, '\n\tpause'));
        assert.equal(incrementalCounts.resumed, resumed);
        assert.equal(p.constants.get('__USER_CS'), 7n * 8n + 3n);
      } finally {
        writeFileSync(header, was);
      }
    });
  });

  test(`random chains of edits of every fixture: each text's incremental parse is the parse from the top (fast-check, seed 0x${FUZZ_SEED.toString(16)})`, () => {
    clearPreambleCache();
    const before = { ...incrementalCounts };
    fc.assert(incrementalProperty, { seed: FUZZ_SEED, numRuns: 60, endOnFailure: true });
    // the property held over parses that did resume and did take the rest over (an edit that
    // adds or removes a statement or a diagnostic runs to the end: the state never meets again)
    assert.ok(incrementalCounts.resumed - before.resumed > 60, `${incrementalCounts.resumed - before.resumed} resumed`);
    assert.ok(incrementalCounts.converged - before.converged >= 10, `${incrementalCounts.converged - before.converged} converged`);
  });
});
