// The language server's analysis thread (server/src/analysis-thread.ts), driven directly: an
// analysis comes back as the server needs it (diagnostics, lenses, machine states whose expressions
// still read as expressions), a syntax question is answered from the thread's parse, a queued job
// that is cancelled never runs, and a running job that cannot notice its cancellation (a long
// parse) has its thread terminated and replaced within HARD_STOP_MS.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultOptions } from '../../../server/src/analysis';
import { serialize } from 'node:v8';
import { AnalysisThread, HARD_STOP_MS, machineFrom, type ThreadInput } from '../../../server/src/analysis-thread';
import { describeValue } from '../../../server/src/features/state';
import { fixture, repoRoot } from '../../support/paths';

const input = (file: string, text: string, version = 1): ThreadInput => ({ uri: `file://${file}`, version, file, text, options: defaultOptions, roots: [path.dirname(file)], open: [] });

describe('analysis thread', () => {
  const logs: string[] = [];
  const thread = new AnalysisThread((l) => logs.push(l));
  after(() => thread.dispose());

  test('an analysis: diagnostics, lenses, entries and machine states, the expressions revived', async () => {
    const file = fixture('kernels', 'bugs', 'no-rf-tf-test.S');
    const o = await thread.analyze(input(file, readFileSync(file, 'utf8'))).promise;
    assert.equal(o.status, 'done');
    if (o.status !== 'done') return;
    const v = o.value;
    assert.ok(v.diagnostics.some((d) => d.code === 'sysret-rf-tf'), JSON.stringify(v.diagnostics.map((d) => d.code)));
    assert.ok(v.lenses.some((l) => /^SYSRET · /.test(l.command?.title ?? '')));
    assert.deepEqual(v.entryList.entries.map((e) => e.name), ['entry_SYSCALL_64']);
    // the machine state comes serialized, moved with the message (the server only passes it on)
    assert.ok(v.machine instanceof ArrayBuffer && v.machine.byteLength > 0);
    const { registers, memory } = machineFrom(v.machine);
    assert.ok(registers.size > 0 && memory.size > 0 && v.statements > 0);
    const [, first] = [...registers][0];
    assert.equal(String(first.regs.rcx), 'user.rip', 'an Expr again (its toString)');
    assert.match(describeValue(first.regs.rcx), /the user's value at entry/);
    assert.ok(v.log.some((l) => /^analysed in \d+ ms/.test(l)));
  });

  test('a syntax question: the outline from the thread\'s parse', async () => {
    const file = path.join(repoRoot, 'samples', 'entry_64.S');
    const o = await thread.syntax(input(file, readFileSync(file, 'utf8')), { what: 'symbols' }).promise;
    assert.equal(o.status, 'done');
    assert.ok(o.status === 'done' && Array.isArray(o.value) && (o.value as { name: string }[]).some((s) => s.name === 'entry_SYSCALL_64'));
  });

  test('warm: the syntax thread parses a version and keeps its machine state ahead of the first hover, which reads what it kept', async () => {
    const file = fixture('kernels', 'bugs', 'no-rf-tf-test.S');
    const text = readFileSync(file, 'utf8');
    const o = await thread.analyze(input(file, text)).promise;
    assert.ok(o.status === 'done');
    if (o.status !== 'done') return;
    const v = o.value;
    const syntax = new AnalysisThread(() => undefined);
    try {
      const state = { returns: v.returns, findings: v.findings, entries: v.entries, machine: v.machine, statements: v.statements };
      const w = await syntax.syntax(input(file, text), { what: 'warm' }, state).promise;
      assert.deepEqual(w, { status: 'done', value: null });
      // the same version's state again, but with no registers: a thread that kept the warm's
      // copy is sent nothing and answers from it (%r11 at `pushq %r11`: the user's RFLAGS)
      const line = text.split('\n').findIndex((l) => l.startsWith('\tpushq\t%r11'));
      const h = await syntax.syntax(input(file, text), { what: 'hover', pos: { line, character: text.split('\n')[line].indexOf('%r11') + 1 } }, { ...state, machine: new Uint8Array(serialize({ registers: new Map(), memory: new Map() })).slice().buffer }).promise;
      assert.equal(h.status, 'done');
      const value = h.status === 'done' ? JSON.stringify(h.value) : '';
      assert.match(value, /user\.rflags/, value);
    } finally {
      syntax.dispose();
    }
  });

  test('the checks thread answers a hover about the version it analysed from that analysis: its machine state, with none sent', async () => {
    const file = fixture('kernels', 'bugs', 'no-rf-tf-test.S');
    const text = readFileSync(file, 'utf8');
    const checks = new AnalysisThread(() => undefined);
    try {
      const uri = `file://${file}`;
      assert.equal(checks.holds(uri, 3), false);
      assert.equal((await checks.analyze(input(file, text, 3)).promise).status, 'done');
      assert.equal(checks.holds(uri, 3), true);
      assert.equal(checks.holds(uri, 4), false, 'another version: not held');
      assert.equal(checks.idle(), true);
      const line = text.split('\n').findIndex((l) => l.startsWith('\tpushq\t%r11'));
      const h = await checks.syntax(input(file, text, 3), { what: 'hover', pos: { line, character: text.split('\n')[line].indexOf('%r11') + 1 } }).promise;
      const value = h.status === 'done' ? JSON.stringify(h.value) : '';
      assert.match(value, /user\.rflags/, value);
      // forgotten (closed): no longer held, and a hover is answered from a parse alone
      checks.forget(uri);
      assert.equal(checks.holds(uri, 3), false);
      const g = await checks.syntax(input(file, text, 3), { what: 'hover', pos: { line, character: text.split('\n')[line].indexOf('%r11') + 1 } }).promise;
      const parsedOnly = g.status === 'done' ? JSON.stringify(g.value) : '';
      assert.doesNotMatch(parsedOnly, /user\.rflags/, parsedOnly);
    } finally {
      checks.dispose();
    }
  });

  test('a job that cannot stop (a long parse) is cut off within HARD_STOP_MS; the next job gets a new thread', async () => {
    const base = readFileSync(path.join(repoRoot, 'samples', 'entry_64.S'), 'utf8');
    const huge = Array(250).fill(base).join('\n');
    const before = thread.started;
    const long = thread.analyze(input('/virtual/thread/huge.S', huge));
    // queued behind it, cancelled before it runs: never runs
    const queued = thread.analyze(input('/virtual/thread/queued.S', base));
    queued.cancel();
    assert.equal((await queued.promise).status, 'cancelled');
    await new Promise((r) => setTimeout(r, 300));
    const t = performance.now();
    long.cancel();
    assert.equal((await long.promise).status, 'cancelled');
    const ms = performance.now() - t;
    assert.ok(ms < HARD_STOP_MS + 1000, `answered ${Math.round(ms)} ms after the cancellation`);
    assert.ok(logs.some((l) => /did not stop a cancelled analyze .* terminated/.test(l)), logs.join('\n'));
    const next = await thread.analyze(input('/virtual/thread/after.S', base)).promise;
    assert.equal(next.status, 'done');
    assert.equal(thread.started, before + 1, 'one new thread');
  });
});
