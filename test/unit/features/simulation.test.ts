// The simulation view's requests (features/simulation.ts): the entries of a file, every return of
// an entry with its verdict, exit condition and pins that reach it, and one concrete run step by
// step (registers, flags, the frame fields written) with its exit per vendor. Shapes as the
// client's webview reads them; lines 0-based.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, type Analysis } from '../../../server/src/analysis';
import { entryLenses, returnLenses } from '../../../server/src/features/returns';
import { entriesOf, parsePinText, pinList, SIMULATE_COMMAND, simulationView } from '../../../server/src/features/simulation';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const URI = 'file:///fixture.S';
let cached: Promise<Analysis> | undefined;
const bug = (): Promise<Analysis> => {
  const file = fixture('kernels', 'bugs', 'no-canonical-check.S');
  return (cached ??= analyze({ file, text: readFileSync(file, 'utf8') }, defaultOptions, diskReader));
};

describe('simulation requests', () => {
  test('entryReview/entries: the entries the analysis walked, with the verdicts of their returns', async () => {
    const r = entriesOf(await bug(), URI);
    assert.deepEqual(r, { uri: URI, entries: [{ name: 'entry_SYSCALL_64', line: 58, returns: { ok: 2, finding: 1, unknown: 0 } }] });
  });

  test('entryReview/simulate without pins: every return with verdict, exit condition and pins that reach it', async () => {
    const v = await simulationView(await bug(), defaultOptions, { uri: URI, entry: 'entry_SYSCALL_64' });
    assert.equal(v.mode, 'paths');
    assert.equal(v.error, undefined);
    assert.deepEqual(v.paths.map((p) => [p.line, p.returnKind, p.verdict, p.codes.join(','), p.pinsFrom]), [
      [143, 'sysret', 'ok', '', 'path'],
      [210, 'sysret', 'finding', 'sysret-noncanonical-rip', 'finding'],
      [260, 'iret', 'ok', '', 'path'],
    ]);
    assert.equal(v.paths[1].summary, 'SYSRET · finding [sysret-noncanonical-rip] · 3 paths');
    assert.match(v.paths[1].exitCondition ?? '', /ptregs\.cx == ptregs\.ip/);
    assert.equal(v.paths[1].pins?.['ptregs.ip'], '0x0000800000000000', 'the finding\'s witness');
    // the IRET path's pins prefer the user's selectors in the frame
    assert.equal(v.paths[2].pins?.['ptregs.cs'], '0x0000000000000033');
    for (const p of v.paths) assert.deepEqual(p.steps, []);
  });

  test('every path\'s pins replay to its own return', async () => {
    const a = await bug();
    const v = await simulationView(a, defaultOptions, { uri: URI, entry: 'entry_SYSCALL_64' });
    for (const p of v.paths) {
      const run = await simulationView(a, defaultOptions, { uri: URI, entry: 'entry_SYSCALL_64', pins: p.pins, vendor: 'intel' });
      assert.equal(run.paths.length, 1);
      assert.equal(run.paths[0].line, p.line, `pins of line ${p.line + 1} reach it: ${run.paths[0].summary}`);
    }
  });

  test('entryReview/simulate with the witness: the concrete run, step by step, ending in #GP in ring 0 on Intel', async () => {
    const a = await bug();
    const f = a.findings.find((x) => x.code === 'sysret-noncanonical-rip');
    const v = await simulationView(a, defaultOptions, { uri: URI, entry: 'entry_SYSCALL_64', pins: f?.witness });
    assert.equal(v.mode, 'run');
    assert.deepEqual(v.paths.map((p) => p.summary), [
      'intel: fault #GP (vector 13) in ring 0 — finding [sysret-noncanonical-rip]',
      'amd: fault #GP (vector 13) in ring 3 — ok',
    ]);
    const intel = v.paths[0];
    assert.deepEqual(intel.exit.fault, { vector: 13, name: '#GP', ring: 0 });
    assert.equal(intel.exit.kind, 'fault');
    assert.equal(intel.exit.vendor, 'intel');
    const last = intel.steps[intel.steps.length - 1];
    assert.deepEqual([last.line, last.text], [210, 'sysretq']);
    assert.equal(last.regs.rcx, '0x800000000000');
    assert.equal(last.gs, 'user');
    assert.deepEqual(Object.keys(last.regs).length, 16);
    assert.equal(last.flags.IF, '0');
    // the frame as the code builds it (pushq %rcx → pt_regs->cx) ...
    assert.ok(intel.steps.some((s) => s.text === 'pushq %r11' && s.frame.flags !== undefined), 'pushq %r11 writes pt_regs->flags');
    // ... and as the call into C rewrote it (the witness's ptregs.ip), shown on the call's own step
    const call = intel.steps.find((s) => /^call/.test(s.text) && s.frame.ip === '0x800000000000');
    assert.ok(call, `a call step rewrites pt_regs->ip: ${intel.steps.filter((s) => /^call/.test(s.text)).map((s) => JSON.stringify(s.frame)).join(' ')}`);
  });

  test('entryReview/simulate with the NMI rule note\'s witness: the run is ok, the exit work shown as held by the built-in rule', async () => {
    const file = fixture('kernels', 'linux-2014-nmi.S');
    const options = { ...defaultOptions, entries: ['nmi'] };
    const a = await analyze({ file, text: readFileSync(file, 'utf8') }, options, diskReader);
    const f = a.findings.find((x) => x.code === 'exit-work-unchecked');
    assert.equal(f?.severity, 'info');
    const v = await simulationView(a, options, { uri: URI, entry: 'nmi', pins: f?.witness });
    assert.equal(v.mode, 'run');
    assert.deepEqual(v.paths.map((p) => [p.verdict, p.codes.join(','), p.summary.replace(/rip=\S+/, 'rip=…')]), [
      ['ok', '', 'intel: IRET to user mode, rip=… — ok (by the built-in rule for the NMI: exit-work-unchecked)'],
      ['ok', '', 'amd: IRET to user mode, rip=… — ok (by the built-in rule for the NMI: exit-work-unchecked)'],
    ]);
  });

  test('pins that leave a branch open: the run stops there and names what to pin', async () => {
    const v = await simulationView(await bug(), defaultOptions, { uri: URI, entry: 'entry_SYSCALL_64', pins: ['ptregs.ip=0x0000800000000000'] });
    assert.equal(v.paths.length, 1);
    assert.equal(v.paths[0].exit.kind, 'unknown');
    assert.deepEqual(v.paths[0].exit.missing, ['ti_flags']);
    assert.match(v.paths[0].summary, /^stopped: the branch depends on values that are not pinned \(pin ti_flags\)$/);
  });

  test('a malformed pin or an unknown entry is an error the view shows', async () => {
    const a = await bug();
    assert.match((await simulationView(a, defaultOptions, { uri: URI, entry: 'entry_SYSCALL_64', pins: ['ip:1'] })).error ?? '', /--set expects NAME=VALUE/);
    assert.match((await simulationView(a, defaultOptions, { uri: URI, entry: 'nope' })).error ?? '', /no label 'nope'/);
  });

  test('pins as typed go to the server as typed', async () => {
    const v = await simulationView(await bug(), defaultOptions, { uri: URI, entry: 'entry_SYSCALL_64', pinText: 'ptregs.ip=0x0000800000000000, --set ti_flags=0' });
    assert.deepEqual(v.pins, ['ptregs.ip=0x0000800000000000', 'ti_flags=0']);
    assert.equal(v.mode, 'run');
  });

  test('pins as the input box takes them', () => {
    assert.deepEqual(parsePinText(' ptregs.ip=0x0000800000000000, rax=0  --set r11=0x202\n--set=ti_flags=0'), ['ptregs.ip=0x0000800000000000', 'rax=0', 'r11=0x202', 'ti_flags=0']);
    assert.deepEqual(pinList({ rcx: '0x1', 'cpu.amd': '0' }), ['rcx=0x1', 'cpu.amd=0']);
  });

  test('a CodeLens click opens the simulation view at its return, a finding\'s with its witness', async () => {
    const lenses = returnLenses(await bug(), URI);
    const cmd = lenses.map((l) => l.command);
    assert.ok(cmd.every((c) => c?.command === SIMULATE_COMMAND));
    const args = cmd.map((c) => c?.arguments?.[0] as { uri: string; entry: string; line: number; pins?: Record<string, string> });
    assert.deepEqual(args.map((x) => [x.uri, x.entry, x.line, x.pins?.['ptregs.ip']]), [
      [URI, 'entry_SYSCALL_64', 143, undefined],
      [URI, 'entry_SYSCALL_64', 210, '0x0000800000000000'],
      [URI, 'entry_SYSCALL_64', 260, undefined],
    ]);
  });

  test('a lens on the entry: the returns it reaches by verdict; a click opens the view on it', async () => {
    const [lens, ...more] = entryLenses(await bug(), URI);
    assert.deepEqual(more, []);
    assert.equal(lens.range.start.line, 58);
    assert.equal(lens.command?.title, 'entry_SYSCALL_64 · 3 returns to user mode · 2 ok, 1 finding · simulate');
    assert.deepEqual(lens.command?.arguments, [{ uri: URI, entry: 'entry_SYSCALL_64' }]);
  });
});
