// The merge walk's budget is a count of states (checker.ts WALK_STATE_BUDGET), not the clock: a
// file that needs more states than the budget gets `unknown` with the budget named, and exactly
// the same result on every run, however loaded the machine is. The budget keeps a wide margin over
// what the team's kernel files take, and a cancelled analysis (the server's: a newer version of
// the document) stops within a few states of being told.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { defaultOptions } from '../../../server/src/analysis';
import { runChecks, WALK_STATE_BUDGET, type CheckBudget } from '../../../server/src/analysis/checker';
import { parseProgram, type Program } from '../../../server/src/syntax';
import { diskReader } from '../../support/files';
import { fixture, repoRoot } from '../../support/paths';
import { returnMarkdown } from '../../../server/src/features/returns';

// an ES module from CommonJS (tsc would turn import() into require())
const importEsm = new Function('p', 'return import(p)') as (p: string) => Promise<{ generateEntry(n: number): string }>;

async function generated(n: number): Promise<Program> {
  const { generateEntry } = await importEsm(path.join(repoRoot, 'scripts', 'gen-entry.mjs'));
  return parseProgram(`/virtual/budget-${n}.S`, generateEntry(n), {}, { read: () => undefined });
}

/** What a run decided, as data that two runs can be compared by. */
async function outcome(p: Program, budget: CheckBudget): Promise<string> {
  const c = await runChecks(p, defaultOptions, undefined, budget);
  return JSON.stringify({
    log: c.log,
    states: c.walks.map((w) => [w.entry.name, w.states, w.incomplete]),
    returns: c.returns.map((r) => [r.loc.range.start.line, r.kind, r.verdict, r.conditions.map((x) => x.status), r.assumes]),
    findings: c.findings.map((f) => [f.code, f.loc.range.start.line]),
  });
}

/** Keeps both cores busy while `fn` runs (two threads spinning). */
async function underLoad<T>(fn: () => Promise<T>): Promise<T> {
  const spin = 'const { workerData } = require("node:worker_threads"); const end = Date.now() + workerData; while (Date.now() < end) {}';
  const hogs = [0, 1].map(() => new Worker(spin, { eval: true, workerData: 60_000 }));
  try {
    return await fn();
  } finally {
    await Promise.all(hogs.map((w) => w.terminate()));
  }
}

describe('walk budget: counted in states', () => {
  test('a file that needs more states than the budget: unknown, the budget named, the same on every run and under load', async () => {
    const p = await generated(160);
    const full = await runChecks(p, defaultOptions);
    assert.deepEqual(full.log, [], 'the default budget finishes it');
    const needed = Math.max(...full.walks.map((w) => w.states));
    assert.ok(needed > 500, `${needed} states`);
    // a budget a few states short of what the walk needs: the SYSRET is reached, the rest is not
    const budget = { maxStates: needed - 8 };
    const first = await outcome(p, budget);
    const o = JSON.parse(first) as { log: string[]; states: [string, number, string][]; returns: [number, string, string, string[], string[]][] };
    assert.deepEqual(o.log, [`entry_SYSCALL_64: the walk was cut short (state budget (${needed - 8}) exhausted); what it did not reach has no verdict`]);
    assert.deepEqual(o.states, [['entry_SYSCALL_64', needed - 8, `state budget (${needed - 8}) exhausted`]]);
    assert.ok(o.returns.length >= 1, 'a return was reached before the budget ran out');
    for (const r of o.returns) {
      assert.equal(r[2], 'unknown', 'nothing is claimed proven after a cut-short walk');
      assert.ok(r[4].includes(`walk of entry_SYSCALL_64 incomplete: state budget (${needed - 8}) exhausted`), r[4].join('; '));
    }
    // each condition says why it is unknown, in the hover as well
    const cut = await runChecks(p, defaultOptions, undefined, budget);
    const why = `the walk of entry_SYSCALL_64 is incomplete (state budget (${needed - 8}) exhausted)`;
    for (const r of cut.returns) {
      for (const c of r.conditions) if (c.status === 'unknown') assert.equal(c.why, why, c.name);
      assert.ok(r.conditions.some((c) => c.status === 'unknown'));
      assert.ok(returnMarkdown(r).includes(`— unknown (${why})`), returnMarkdown(r));
    }
    assert.equal(await outcome(p, budget), first, 'the same on a second run');
    assert.equal(await underLoad(() => outcome(p, budget)), first, 'the same with both cores busy');
  });

  test('the default budget keeps a margin of 20 over every fixture and the sample', async () => {
    const files: string[] = [path.join(repoRoot, 'samples', 'entry_64.S')];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const f = path.join(d, n);
        if (statSync(f).isDirectory()) walk(f);
        else if (/\.S$/.test(n)) files.push(f);
      }
    };
    walk(fixture('kernels'));
    let most = 0;
    for (const f of files) {
      const c = await runChecks(parseProgram(f, readFileSync(f, 'utf8'), {}, diskReader), defaultOptions);
      for (const w of c.walks) most = Math.max(most, w.states);
    }
    assert.ok(most > 50, `${most}`);
    assert.ok(most * 20 <= WALK_STATE_BUDGET, `the largest fixture takes ${most} states; the budget is ${WALK_STATE_BUDGET}`);
  });

  test('shouldStop: a long walk stops within a few states of being told, and says it was cancelled', async () => {
    const p = await generated(1280);
    let stopAt = Infinity;
    let asked = 0;
    let started = 0;
    const c = await runChecks(p, defaultOptions, undefined, {
      shouldStop: () => {
        // first asked before the walk starts; told to stop 100 ms into it
        if (asked++ === 0) started = performance.now();
        if (stopAt === Infinity && performance.now() - started > 100) stopAt = performance.now();
        return stopAt !== Infinity;
      },
    });
    const late = performance.now() - stopAt;
    assert.ok(asked > 1, 'asked during the walk');
    assert.deepEqual(c.walks.map((w) => w.incomplete), ['cancelled']);
    assert.ok(late < 500, `stopped ${Math.round(late)} ms after being told`);
    assert.ok(c.walks[0].states < 8000, `${c.walks[0].states} states of ~8,400`);
  });
});
