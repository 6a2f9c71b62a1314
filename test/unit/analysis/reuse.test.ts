// An edit that moves text within its lines only (a comment typed, spaces) leaves the program the
// checks read as it was: analyze({ previous }) takes the previous version's checks over with their
// locations moved, and the result is exactly what a fresh analysis of the new text gives. Any
// other edit runs the checks again.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, type Analysis } from '../../../server/src/analysis';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const file = fixture('kernels', 'bugs', 'no-canonical-check.S');
const text = readFileSync(file, 'utf8');
const run = (t: string, version: number, previous?: Analysis, options = defaultOptions) => analyze({ file, text: t, version }, options, diskReader, { previous });
/** What the user sees of an analysis (the log and timings aside). */
const seen = (a: Analysis) => ({ findings: a.findings, returns: a.returns, entries: a.entries, statements: a.program.statements.length, registers: [...a.registers.keys()] });
const canonical = (a: Analysis) => a.findings.find((f) => f.code === 'sysret-noncanonical-rip');

describe('re-analysis after an edit that moved text within its lines', () => {
  test('a comment typed before the SYSRET: the checks are taken over, the finding moved to its new column, as a fresh analysis places it', async () => {
    const v1 = await run(text, 1);
    const at = canonical(v1)!.loc.range.start.line;
    const edited = text.split('\n').map((l, i) => (i === at ? '/* here */' + l : l)).join('\n');
    assert.match(edited.split('\n')[at], /^\/\* here \*\/\tUSERGS_SYSRET64$/);
    const v2 = await run(edited, 2, v1);
    const fresh = await run(edited, 2);
    assert.equal(v2.reusedFrom, 1);
    assert.equal(fresh.reusedFrom, undefined);
    assert.deepEqual(seen(v2), seen(fresh));
    const before = canonical(v1)!;
    const after = canonical(v2)!;
    assert.equal(after.loc.range.start.line, before.loc.range.start.line);
    assert.equal(after.loc.range.start.character, before.loc.range.start.character + '/* here */'.length);
    // the path's steps on that line moved too
    const step = after.path?.find((s) => s.loc.range.start.line === after.loc.range.start.line);
    assert.ok(step && step.loc.range.start.character === after.loc.range.start.character, JSON.stringify(after.path?.slice(-2)));
    assert.ok(v2.log.includes('the checks of version 1 still hold (the edit moved text within its lines): not run again'), v2.log.join('\n'));
    // and again: the version the checks ran on is named
    const v3 = await run(edited.replace('/* here */', '/* there */'), 3, v2);
    assert.equal(v3.reusedFrom, 1);
    assert.deepEqual(seen(v3), seen(await run(edited.replace('/* here */', '/* there */'), 3)));
  });

  test('two instructions on one line, a comment typed between them: the first stays, the second moves, as fresh', async () => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l === '\tmovq\tRCX(%rsp), %rcx');
    assert.equal(lines[at + 1], '\tmovq\tRIP(%rsp), %r11');
    lines[at] = '\tmovq\tRCX(%rsp), %rcx; movq RIP(%rsp), %r11';
    lines[at + 1] = '';
    const joined = lines.join('\n');
    const v1 = await run(joined, 1);
    const edited = joined.replace('%rcx; movq RIP', '%rcx; /* rip */ movq RIP');
    const v2 = await run(edited, 2, v1);
    assert.equal(v2.reusedFrom, 1);
    assert.deepEqual(seen(v2), seen(await run(edited, 2)));
    // the witness path's step on that line is the first instruction's, where it was (placing it
    // is what lets the checks be taken over: its line moved)
    const steps = canonical(v2)!.path!.filter((s) => s.loc.range.start.line === at);
    assert.deepEqual(steps.map((s) => s.loc.range.start.character), [1]);
  });

  test('a comment turned into text the parser rejects: the statements are the same, the checks are taken over, the parse error is shown', async () => {
    const v1 = await run(text, 1);
    const broken = text.replace('\tUSERGS_SYSRET64\n', '\tUSERGS_SYSRET64\n\t/* the label only */ @@@\n');
    assert.notEqual(broken, text);
    // (that adds a line: the reuse is from a version with the same lines)
    const v2 = await run(broken, 2);
    const v3 = await run(broken.replace('@@@', '@@ @'), 3, v2);
    assert.equal(v3.reusedFrom, 2);
    assert.deepEqual(seen(v3), seen(await run(broken.replace('@@@', '@@ @'), 3)));
    assert.ok(v3.findings.some((f) => f.code === 'parse'));
    assert.ok(canonical(v3));
    assert.equal(v1.findings.some((f) => f.code === 'parse'), false);
  });
});

describe('re-analysis after any other edit runs the checks again', () => {
  test('a line added above: every line below moved (the names of unknowns carry lines): checked again, as fresh', async () => {
    const v1 = await run(text, 1);
    const edited = text.replace('\n', '\n\n');
    const v2 = await run(edited, 2, v1);
    assert.equal(v2.reusedFrom, undefined);
    assert.deepEqual(seen(v2), seen(await run(edited, 2)));
    assert.equal(canonical(v2)!.loc.range.start.line, canonical(v1)!.loc.range.start.line + 1);
  });

  test('an instruction changed on the SYSRET path: checked again, and the new finding is there', async () => {
    const v1 = await run(text, 1);
    const edited = text.replace('cmpq\t$__USER_DS, SS(%rsp)', 'cmpq\t$__USER_CS, SS(%rsp)');
    assert.notEqual(edited, text);
    const v2 = await run(edited, 2, v1);
    assert.equal(v2.reusedFrom, undefined);
    assert.ok(v2.findings.some((f) => f.code === 'sysret-selectors'), v2.findings.map((f) => f.code).join(' '));
    assert.equal(v1.findings.some((f) => f.code === 'sysret-selectors'), false);
  });

  test('other options: checked again', async () => {
    const v1 = await run(text, 1);
    const v2 = await run(text, 2, v1, { ...defaultOptions, vaBits: 48 });
    assert.equal(v2.reusedFrom, undefined);
  });
});
