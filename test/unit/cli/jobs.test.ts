// `check --jobs N`: files analysed in worker threads print exactly what `--jobs 1` prints, in the
// order the files were given (text, JSON and SARIF), with the same exit code.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { main, parseJobs, UsageError, type CliIO } from '../../../server/src/cli';
import { defaultJobs, workersStarted } from '../../../server/src/jobs';
import { fixture, repoRoot } from '../../support/paths';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: repoRoot };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

const rel = (...p: string[]) => path.relative(repoRoot, fixture(...p));
// the slowest file first, so workers finish out of order; bug fixtures need Z3's models (witnesses)
const FILES = [
  rel('kernels', 'linux-2025-entry_64.S'),
  rel('kernels', 'bugs', 'compat-eip-from-cx.S'),
  rel('kernels', 'bugs', 'no-canonical-check.S'),
  rel('lsp', 'basic.S'),
  rel('kernels', 'bugs', 'no-r11-flags-compare.S'),
];

/** The one field that is a measurement, not a result. */
const noTiming = (s: string) => s.replace(/"millis": \d+/g, '"millis": 0');

async function run(args: string[]) {
  const c = capture();
  const code = await main(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('check --jobs N', () => {
  for (const format of ['text', 'json', 'sarif']) {
    test(`${format}: --jobs 3 prints byte for byte what --jobs 1 prints`, async () => {
      const before = workersStarted();
      const one = await run(['check', ...FILES, '--format', format, '--jobs', '1']);
      assert.equal(workersStarted(), before, '--jobs 1 runs in this thread');
      const three = await run(['check', ...FILES, '--format', format, '--jobs', '3']);
      assert.equal(workersStarted(), before + 3, '--jobs 3 starts three workers');
      assert.equal(one.code, 1);
      assert.equal(three.code, one.code);
      assert.equal(three.err, '');
      assert.ok(one.out.length > 1000);
      assert.equal(noTiming(three.out), noTiming(one.out));
    });
  }

  test('results come in the order the files were given, not the order they finish', async () => {
    const reversed = [...FILES].reverse();
    const r = await run(['check', ...reversed, '--format', 'json', '--jobs', '4']);
    assert.deepEqual(JSON.parse(r.out).files.map((f: { file: string }) => f.file), reversed);
    const t = await run(['check', ...reversed, '--jobs', '4']);
    const summaries = t.out.split('\n').filter((l) => / read \d+ instructions?,/.test(l)).map((l) => l.split(': read')[0]);
    assert.deepEqual(summaries, reversed);
  });

  test('a clean run exits 0 with workers too; never more workers than files', async () => {
    const before = workersStarted();
    const clean = [rel('kernels', 'linux-2015-compat.S'), rel('editor', 'clean.S')];
    const r = await run(['check', ...clean, '--jobs', '8']);
    assert.equal(r.code, 0, r.out);
    assert.equal(workersStarted(), before + 2);
  });

  test('an unreadable file exits 2 before any analysis, as with one job', async () => {
    for (const jobs of ['1', '4']) {
      const r = await run(['check', FILES[3], 'no/such.S', FILES[1], '--jobs', jobs]);
      assert.equal(r.code, 2);
      assert.equal(r.out, '');
      assert.equal(r.err, "entry-review: cannot read 'no/such.S': no such file\n");
    }
  });

  test('--jobs takes a positive integer; the default is the CPUs available', async () => {
    assert.equal(parseJobs('4'), 4);
    assert.equal(parseJobs(undefined), defaultJobs());
    assert.ok(defaultJobs() >= 1);
    for (const bad of ['0', '-1', 'two', '1.5', '']) assert.throws(() => parseJobs(bad), (e: unknown) => e instanceof UsageError && /--jobs must be a positive integer/.test(e.message));
    const r = await run(['check', FILES[3], '--jobs', '0']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^entry-review: --jobs must be a positive integer, not '0'\n/);
    // diff takes check's flags, --jobs among them
    const d = await run(['diff', FILES[3], FILES[3], '--jobs', '2']);
    assert.equal(d.code, 0, d.err);
    assert.equal((await run(['diff', FILES[3], FILES[3], '--jobs', 'x'])).code, 2);
    const h = await run(['--help']);
    assert.match(h.out, /--jobs N: analyse N files at once in worker threads/);
  });
});

describe('check --c FILE', () => {
  test('names the C source of do_syscall_64, also from outside the working directory, and the JSON says it was verified', async () => {
    const entry = fixture('kernels', 'linux-2025-entry_64.S');
    const c = fixture('contracts', 'syscall_64.c');
    const r = await run(['check', entry, '--c', c, '--format', 'json', '--jobs', '1']);
    assert.equal(r.code, 0, r.err);
    const sysret = JSON.parse(r.out).files[0].returns.find((x: { kind: string }) => x.kind === 'sysret');
    assert.ok(sysret.assumes.some((a: string) => a.startsWith(`do_syscall_64: verified from ${c}:`)), JSON.stringify(sysret.assumes));
    // the same through a worker thread
    const w = await run(['check', entry, fixture('kernels', 'linux-2015-entry_64.S'), '--c', c, '--format', 'json', '--jobs', '2']);
    const sysret2 = JSON.parse(w.out).files[0].returns.find((x: { kind: string }) => x.kind === 'sysret');
    assert.deepEqual(sysret2.assumes, sysret.assumes);
  });
});
