// An edit that changes instructions only (an operand, a mnemonic) leaves the walk of every entry
// that does not reach them as it was: checkParsed({ walks }) takes those walks over from the
// previous version's analysis (analysis/walkreuse.ts) and decides the properties again. The
// result must be exactly what a fresh analysis of the new text gives.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, type Analysis } from '../../../server/src/analysis';
import { diskReader } from '../../support/files';
import { FUZZ_SEED } from '../../support/fuzz';
import { fixture, repoRoot } from '../../support/paths';

const SAMPLE = path.join(repoRoot, 'samples', 'entry_64.S');
// (an expression's `id` is its number in its algebra, which a walk taken over shares with the
// previous version's questions: not what a user sees, left out)
const json = (v: unknown): string => JSON.stringify(v, (k, x: unknown) => (k === 'id' ? undefined : typeof x === 'bigint' ? `${x}n` : x instanceof Map || x instanceof Set ? [...x] : x));
/** Equal, or the first difference shown short. */
function assertSeen(a: Analysis, b: Analysis, what: string): void {
  const x = seen(a);
  const y = seen(b);
  if (x === y) return;
  let i = 0;
  while (x[i] === y[i]) i++;
  assert.fail(`${what}: differs from a fresh analysis at ${i}: …${x.slice(Math.max(0, i - 150), i + 150)}…\n vs …${y.slice(Math.max(0, i - 150), i + 150)}…`);
}
/** What the user sees of an analysis: findings with their witnesses, returns and their conditions, entries, the machine state shown in hovers. */
const seen = (a: Analysis): string => json({ findings: a.findings, returns: a.returns, entries: a.entries, registers: a.registers, memory: a.memory });
const run = (file: string, text: string, version: number, previous?: Analysis, options = defaultOptions): Promise<Analysis> => analyze({ file, text, version }, options, diskReader, { previous });
const takenOver = (a: Analysis): string[] => a.log.filter((l) => l.endsWith('taken over (the edit changed no instruction on its paths)')).map((l) => l.slice(0, l.indexOf(':')));

describe('re-analysis after an instruction edit: the walks of the entries it does not touch are taken over', () => {
  test('the RCX == RIP test of the SYSRET path changed: every entry but entry_SYSCALL_64 keeps its walk; the finding appears as in a fresh analysis, and goes', async () => {
    const text = readFileSync(SAMPLE, 'utf8');
    const edited = text.replace(/cmpq(\s+)%rcx,(\s*)%r11/, 'cmpq$1%rcx,$2%r10');
    assert.notEqual(edited, text);
    const v1 = await run(SAMPLE, text, 1);
    assert.deepEqual(takenOver(v1), []);
    const v2 = await run(SAMPLE, edited, 2, v1);
    const fresh = await run(SAMPLE, edited, 2);
    assert.deepEqual(takenOver(v2).sort(), v1.entries.filter((e) => e !== 'entry_SYSCALL_64').sort());
    assert.ok(takenOver(v2).length >= 5);
    assertSeen(v2, fresh, 'the SYSRET-path edit');
    const line = edited.split('\n').findIndex((l) => /cmpq\s+%rcx,\s*%r10/.test(l));
    assert.ok(v2.findings.length > v1.findings.length, 'the edit is a bug the checks see');
    assert.ok(fresh.findings.some((f) => f.severity !== 'info' && f.path?.some((s) => s.loc.range.start.line === line)), 'a finding whose path runs through the edited test');
    // and back
    const v3 = await run(SAMPLE, text, 3, v2);
    assert.deepEqual(takenOver(v3).sort(), takenOver(v2).sort());
    assertSeen(v3, v1, 'the edit undone');
  });

  test('an instruction on the IRET return that several entries share: none of them keeps its walk', async () => {
    const text = readFileSync(SAMPLE, 'utf8');
    const edited = text.replace(/REMOVE_PT_GPREGS_FROM_STACK 8(\s+)\/\*/, 'REMOVE_PT_GPREGS_FROM_STACK 16$1/*');
    assert.notEqual(edited, text);
    const v1 = await run(SAMPLE, text, 1);
    const v2 = await run(SAMPLE, edited, 2, v1);
    assert.ok(!takenOver(v2).includes('common_interrupt'), takenOver(v2).join(', '));
    assert.ok(v2.entries.length - takenOver(v2).length >= 2, `${takenOver(v2).length} of ${v2.entries.length} taken over`);
    assertSeen(v2, await run(SAMPLE, edited, 2), 'the IRET-path edit');
  });

  test('a directive or a label changed, or the options: no walk is taken over', async () => {
    const text = readFileSync(SAMPLE, 'utf8');
    const v1 = await run(SAMPLE, text, 1);
    const labelled = text.replace('\nbad_iret:', '\nbad_iret:\nbad_iret_too:');
    const v2 = await run(SAMPLE, labelled, 2, v1);
    assert.deepEqual(takenOver(v2), []);
    assertSeen(v2, await run(SAMPLE, labelled, 2), 'a label added');
    // nor under other options (the walks model one vendor)
    const edited = text.replace(/cmpq(\s+)%rcx,(\s*)%r11/, 'cmpq$1%rcx,$2%r10');
    const amd = { ...defaultOptions, vendor: 'amd' as const };
    const v3 = await run(SAMPLE, edited, 3, v1, amd);
    assert.deepEqual(takenOver(v3), []);
    assertSeen(v3, await run(SAMPLE, edited, 3, undefined, amd), 'another vendor');
  });

  test(`random instruction edits of every kernel fixture: the result is a fresh analysis's (fast-check, seed 0x${FUZZ_SEED.toString(16)})`, async () => {
    const files = [SAMPLE, fixture('kernel-tree', 'arch', 'x86', 'entry', 'entry_64.S')];
    for (const dir of [fixture('kernels'), fixture('kernels', 'bugs')]) {
      for (const n of readdirSync(dir).sort()) if (n.endsWith('.S') && statSync(path.join(dir, n)).isFile()) files.push(path.join(dir, n));
    }
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    const REGS = ['%rax', '%rbx', '%rcx', '%rdx', '%rsi', '%rdi', '%r8', '%r10', '%r11', '%r12', '%rsp'];
    const MNEMONICS = ['movq', 'xorq', 'addq', 'cmpq', 'testq', 'andq', 'orq'];
    let reused = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(1000), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), fc.nat(100), async (pick, at, mnemonic, k) => {
        const fi = pick % files.length;
        const lines = texts[fi].split('\n');
        // an instruction line with a register operand, at or after the picked place
        const cands = lines.map((l, i) => (/^\s+[a-z]+q?\s+[^;#/]*%r[a-z0-9]+/.test(l) ? i : -1)).filter((i) => i >= 0);
        if (!cands.length) return;
        const li = cands[Math.floor(at * cands.length)];
        lines[li] = mnemonic
          ? lines[li].replace(/^(\s+)[a-z]+q\b/, (_m, ws: string) => ws + MNEMONICS[k % MNEMONICS.length])
          : lines[li].replace(/%r[a-z0-9]+/, REGS[k % REGS.length]);
        const edited = lines.join('\n');
        if (edited === texts[fi]) return;
        const v1 = await run(files[fi], texts[fi], 1);
        const v2 = await run(files[fi], edited, 2, v1);
        reused += takenOver(v2).length;
        const fresh = await run(files[fi], edited, 2);
        assertSeen(v2, fresh, `${path.relative(repoRoot, files[fi])}:${li + 1}: ${lines[li]}`);
      }),
      { seed: FUZZ_SEED, numRuns: 25, endOnFailure: true },
    );
    assert.ok(reused > 10, `${reused} walks taken over`);
  });
});
