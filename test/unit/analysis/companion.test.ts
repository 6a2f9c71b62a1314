// A compat entry file whose paths jump into entry_64.S's exit (4.x–6.6 entry_64_compat.S) gets
// that file's code linked in (syntax/companion.ts): the return it reaches there is checked, with
// its findings located in entry_64.S and shown in the editor at the jump; the companion's own
// entries are not analysed, and its local labels stay its own.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, envFromPins, simulate } from '../../../server/src/analysis';
import { runChecks } from '../../../server/src/analysis/checker';
import { diagnosticsFor } from '../../../server/src/features/diagnostics';
import { parseProgram, type FileReader } from '../../../server/src/syntax';
import { diskReader } from '../../support/files';
import { main } from '../../../server/src/cli';
import { fixture, repoRoot } from '../../support/paths';

const compat = fixture('companion', 'entry_64_compat.S');
const entry64 = fixture('companion', 'entry_64.S');
const compatText = readFileSync(compat, 'utf8');
const entry64Text = readFileSync(entry64, 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
/** The disk, with entry_64.S's text replaced. */
const withEntry64 = (text: string): FileReader => ({ read: (p) => (p === entry64 ? text : diskReader.read(p)), exists: (p) => diskReader.exists?.(p) ?? false });

describe('a companion file linked for the jumps out of a compat entry file', () => {
  test('the program: entry_64.S appended, the jump target resolved into it, the labels both files have kept apart', () => {
    const p = parseProgram(compat, compatText, {}, diskReader);
    assert.equal(p.companion?.file, entry64);
    assert.deepEqual(p.companion?.targets, ['swapgs_restore_regs_and_return_to_usermode']);
    const from = p.companion!.from;
    assert.ok(p.labels.get('swapgs_restore_regs_and_return_to_usermode')! >= from);
    // `.Lshared` is each file's own: the compat file's jump goes to the compat file's
    assert.ok(p.labels.get('.Lshared')! < from);
    assert.ok(p.labels.get('.Lshared@entry_64.S')! >= from);
    // and go-to-definition finds the target in entry_64.S
    assert.ok(p.symbols.some((s) => s.name === 'swapgs_restore_regs_and_return_to_usermode' && s.loc.file === entry64));
    assert.equal(parseProgram(compat, compatText, { companion: false }, diskReader).companion, undefined);
    // a file whose jumps all land in itself links nothing
    assert.equal(parseProgram(entry64, entry64Text, {}, diskReader).companion, undefined);
  });

  test('int $0x80 reaches entry_64.S\'s IRET, which is checked and proven; entry_64.S\'s own (wrong) SYSCALL entry is not analysed', async () => {
    const a = await analyze({ file: compat, text: compatText }, defaultOptions, diskReader);
    assert.deepEqual(a.entries, ['entry_INT80_compat']);
    assert.deepEqual(a.findings.filter((f) => f.severity !== 'info').map((f) => f.code), []);
    assert.deepEqual(a.returns.map((r) => [r.loc.file, r.loc.range.start.line + 1, r.kind, r.verdict, r.entries]), [[entry64, lineOf(entry64Text, 'iretq'), 'iret', 'ok', ['entry_INT80_compat']]]);
    // no "leave this file" note: the jump is followed
    assert.ok(!a.findings.some((f) => /leave this file/.test(f.message)));
    // entry_64.S alone has its own entry, and its deliberate mistake
    const own = await analyze({ file: entry64, text: entry64Text }, defaultOptions, diskReader);
    assert.deepEqual(own.entries, ['entry_SYSCALL_64']);
    assert.ok(own.findings.some((f) => f.severity !== 'info'));
  });

  test('a mistake in the companion\'s exit (no SWAPGS) is found from the compat entry: located in entry_64.S, shown at the jump in the editor, and its witness replays', async () => {
    const broken = entry64Text.replace('\tswapgs\n\tiretq', '\tiretq');
    assert.notEqual(broken, entry64Text);
    const a = await analyze({ file: compat, text: compatText }, defaultOptions, withEntry64(broken));
    const f = a.findings.find((x) => x.code === 'gs-not-user');
    assert.ok(f, a.findings.map((x) => x.code).join(' '));
    assert.equal(f.loc.file, entry64);
    assert.equal(f.loc.range.start.line + 1, lineOf(broken, 'iretq'));
    const jump = lineOf(compatText, 'jmp\tswapgs_restore_regs_and_return_to_usermode');
    const shown = diagnosticsFor(a).filter((d) => d.code === 'gs-not-user');
    assert.deepEqual(shown.map((d) => d.range.start.line + 1), [jump]);
    assert.match(shown[0].message, new RegExp(`^returns to user mode with the kernel GS base active .*\\(in entry_64\\.S:${lineOf(broken, 'iretq')}, reached through this jump\\)`));
    // the replay: simulate on the compat file, its witness pinned, ends in IRET on the kernel GS base
    const sim = await simulate(parseProgram(compat, compatText, {}, withEntry64(broken)), { ...defaultOptions, vendor: 'intel' }, 'entry_INT80_compat', envFromPins(Object.entries(f.witness ?? {}).map(([k, v]) => `${k}=${v}`)));
    assert.equal(sim.paths[0].exit.kind, 'iret');
    assert.deepEqual(sim.paths[0].codes, ['gs-not-user']);
    assert.equal(path.basename(f.loc.file), 'entry_64.S');
    // the trace says which file each step is in: the compat file's steps no file, entry_64.S's its own
    const steps = sim.paths[0].steps;
    assert.equal(steps[0].file, undefined);
    assert.ok(steps.some((s) => s.file === entry64));
    assert.equal(sim.paths[0].exit.file, entry64);
  });
  test('an IRET fixup in the companion is its file\'s entry, not walked from the compat file', async () => {
    const withFixup = entry64Text
      .replace('#include "calling.h"', '#include "calling.h"\n#include <asm/asm.h>')
      .replace('\tiretq\n', '.Liret:\n\tiretq\n\t_ASM_EXTABLE(.Liret, bad_iret)\nbad_iret:\n\tpushq\t$0\n\tswapgs\n\tjmp\tgeneral_protection\n');
    assert.notEqual(withFixup, entry64Text);
    // (in its own file the fixup is an entry)
    const own = parseProgram(entry64, withFixup, {}, diskReader);
    assert.deepEqual(own.exceptionTable.map((e) => `${e.from}->${e.to}`), ['.Liret->bad_iret']);
    // (its paths leave that file for general_protection: a note there)
    const alone = await runChecks(own, defaultOptions);
    assert.ok(alone.findings.some((f) => f.message.startsWith('paths of bad_iret leave this file here for general_protection')));
    const c = await runChecks(parseProgram(compat, compatText, {}, withEntry64(withFixup)), defaultOptions);
    assert.ok(c.entries.length > 0);
    assert.ok(!c.entries.some((e) => e.name === 'bad_iret'), c.entries.map((e) => e.name).join(' '));
    assert.ok(!c.findings.some((f) => f.message.includes('bad_iret')), c.findings.map((f) => f.message).join(' | '));
  });
  test('simulate\'s text trace names the linked file on its steps and at the exit', async () => {
    const a = await analyze({ file: compat, text: compatText }, defaultOptions, diskReader);
    const ret = a.returns.find((r) => r.loc.file === entry64);
    assert.ok(ret);
    const sim = await simulate(parseProgram(compat, compatText, {}, diskReader), defaultOptions, 'entry_INT80_compat', undefined, undefined, { witnesses: true });
    const pins = Object.entries(sim.paths.find((p) => p.pins)?.pins ?? {}).map(([k, v]) => `${k}=${v}`);
    assert.ok(pins.length, 'pins that reach the return');
    const out: string[] = [];
    const shown = path.relative(repoRoot, compat);
    const code = await main(['simulate', shown, '--entry', 'entry_INT80_compat', '--vendor', 'intel', ...pins.flatMap((p) => ['--set', p])], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), cwd: repoRoot });
    const text = out.join('');
    assert.equal(code, 0, text);
    const other = path.join(path.dirname(shown), 'entry_64.S');
    assert.ok(text.split('\n').some((l) => l.startsWith(`  ${other}:`)), text);
    assert.match(text, new RegExp(`^${other.replace(/[.]/g, '\\.')}:${ret.loc.range.start.line + 1}: intel: IRET to user mode — ok$`, 'm'));
  });
});
