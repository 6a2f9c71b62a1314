// Scale series: generated entry files (scripts/gen-entry.mjs) with N = 10, 20, 40 … 640 branch
// diamonds and nested ALTERNATIVEs on the SYSRET return path. For each N, in a fresh process
// (so every analysis is cold), measured in the same run:
//   - full analysis time (analyze(): parse, walk, every property decided), solver questions
//     (AnalysisStats.solver: asked, settled cheaply, from the cache, by search, by Z3), peak RSS;
//   - parse alone on the same text (parseProgram), and full / parse;
//   - `gcc -E | as --64` on the same file (the kernel build's front end), and full / toolchain;
//   - re-analysis after a one-line comment edit, and edit / cold (the solver's answer cache).
// Fails (exit 1) when doubling N costs more than 2.2x the time, or a generated file gets a
// warning. In each process the analysis runs in a batch (at least 5 runs, at least 1 s, no
// collection forced between them: each run pays for its garbage) and its figure is the batch's
// mean; each figure is the least of --runs fresh processes (default 5, in rounds over every N), run with the V8 settings
// the server's threads have (the defaults); the growth test uses the analysis's CPU time, which
// other processes on a shared machine disturb least.
// Usage: node scripts/bench-scale.mjs [--max 640] [--runs 3] [--json]
// Needs the compiled code: npm run compile-tests (out/server/src).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { generateEntry, stubHeaders } from './gen-entry.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    dir: { type: 'string' },
    max: { type: 'string', default: '640' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
// the least of several runs: what the code costs, with as little of the other processes' load as
// the machine allowed (a shared machine only ever adds time)
const least = (a) => Math.min(...a);

if (values.child !== undefined) {
  // --- one cold measurement, in its own process ---------------------------------------------
  const n = Number(values.child);
  const { analyze, defaultOptions } = require(join(root, 'out/server/src/analysis/index.js'));
  const { parseProgram } = require(join(root, 'out/server/src/syntax/index.js'));
  const none = { read: () => undefined };
  const file = join(values.dir, `entry-${n}.S`);
  const text = readFileSync(file, 'utf8');
  // warm the JIT and the prelude on other files (their questions are not this file's): the
  // sample, and a file of the same shape at half the size, three times each, so that the
  // compiler threads' work (counted in the process's CPU time) is done before the runs measured
  // here — what the series compares is the analysis's cost, not V8's warm-up on a larger file
  const sample = join(root, 'samples/entry_64.S');
  const half = generateEntry(Math.max(5, n >> 1));
  for (let i = 0; i < 3; i++) {
    await analyze({ file: sample, text: readFileSync(sample, 'utf8'), version: i }, defaultOptions, none);
    await analyze({ file: join(values.dir, 'warm.S'), text: half, version: i }, defaultOptions, none);
  }
  // the first analysis of this text is cold (no answer of its questions cached); then a batch of
  // runs (at least five, at least a second) whose mean is the figure: each run pays for the
  // garbage it makes. (A collection forced before each run, and the least of five runs, hid the
  // GC cost of every file small enough for its run to fit the young generation — N = 80 and
  // below — and of none above: a step at 80 -> 160 of the GC's making, not the analysis's.)
  let a;
  const cold0 = performance.now();
  a = await analyze({ file, text, version: 10 }, defaultOptions, none);
  const coldMs = performance.now() - cold0;
  let runs = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  while (runs < 5 || performance.now() - t0 < 1000) {
    a = await analyze({ file, text, version: 11 + runs }, defaultOptions, none);
    runs++;
  }
  const cpu1 = process.cpuUsage(cpu0);
  const fullMs = (performance.now() - t0) / runs;
  const fullCpuMs = (cpu1.user + cpu1.system) / 1000 / runs;
  const parses = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    parseProgram(file, text, {}, none);
    parses.push(performance.now() - t);
  }
  // a comment edit in the middle of the return path: every question is asked again
  const lines = text.split('\n');
  lines.splice(Math.floor(lines.length / 2), 0, '/* edited */');
  const t1 = performance.now();
  const b = await analyze({ file, text: lines.join('\n'), version: 2 }, defaultOptions, none);
  const editMs = performance.now() - t1;
  const severe = a.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} at ${f.loc.range.start.line + 1}`);
  process.stdout.write(JSON.stringify({
    n, lines: text.split('\n').length, instructions: a.stats.instructions, fullMs, fullCpuMs, coldMs, parseMs: median(parses), editMs,
    solver: a.stats.solver, editSolver: b.stats.solver, incomplete: a.log.filter((l) => /cut short/.test(l)),
    severe, verdicts: a.returns.map((r) => r.verdict), alternatives: a.program.alternatives.length,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }));
  process.exit(0);
}

// --- the series --------------------------------------------------------------------------------
if (!existsSync(join(root, 'out/server/src/analysis/index.js'))) {
  console.error('bench-scale: compile first (npm run compile-tests)');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'er-scale-'));
const inc = join(dir, 'inc');
stubHeaders(inc);
const toolchain = spawnSync('sh', ['-c', 'command -v gcc && command -v as'], { encoding: 'utf8' }).status === 0;
const runs = Math.max(1, Number(values.runs));
const series = [];
const sizes = [];
for (let n = 10; n <= Number(values.max); n *= 2) {
  sizes.push(n);
  writeFileSync(join(dir, `entry-${n}.S`), generateEntry(n));
}
// the processes run in rounds, each round every N once, so that a spell of load on the machine
// falls on every N alike rather than on the few processes of one N (a 2.3x step from one N's
// five processes meeting a busy minute)
const samplesOf = new Map(sizes.map((n) => [n, []]));
for (let r = 0; r < runs; r++) {
  for (const n of sizes) {
    const c = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(n), '--dir', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (c.status !== 0) {
      console.error(`bench-scale: N=${n} failed:\n${c.stderr}`);
      process.exit(2);
    }
    samplesOf.get(n).push(JSON.parse(c.stdout));
  }
  if (!values.json) process.stderr.write(`round ${r + 1}/${runs} done\n`);
}
for (const n of sizes) {
  const file = join(dir, `entry-${n}.S`);
  const samples = samplesOf.get(n);
  const s = samples[0];
  const row = {
    n, lines: s.lines, instructions: s.instructions, alternatives: s.alternatives,
    coldMs: least(samples.map((x) => x.coldMs)),
    fullMs: least(samples.map((x) => x.fullMs)), fullCpuMs: least(samples.map((x) => x.fullCpuMs)),
    parseMs: least(samples.map((x) => x.parseMs)), editMs: least(samples.map((x) => x.editMs)),
    solver: s.solver, editSolver: s.editSolver, peakRssMB: Math.max(...samples.map((x) => x.peakRssMB)),
    severe: s.severe, incomplete: s.incomplete, verdicts: s.verdicts,
  };
  if (toolchain) {
    const times = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      const g = spawnSync('sh', ['-c', `gcc -E -D__ASSEMBLY__ -I "${inc}" "${file}" | as --64 -o /dev/null -`], { encoding: 'utf8' });
      times.push(performance.now() - t);
      if (g.status !== 0) {
        console.error(`bench-scale: the toolchain rejected N=${n}:\n${g.stderr}`);
        process.exit(2);
      }
    }
    row.toolchainMs = least(times);
  }
  series.push(row);
  if (!values.json) process.stderr.write(`N=${n}: ${row.fullMs.toFixed(0)} ms, CPU ${row.fullCpuMs.toFixed(0)} ms\n`);
}
rmSync(dir, { recursive: true, force: true });

const failures = [];
for (let i = 1; i < series.length; i++) {
  // CPU time of the analysis (all its threads): what doubling N costs the code, not the machine's load
  const ratio = series[i].fullCpuMs / series[i - 1].fullCpuMs;
  series[i].growth = ratio;
  if (ratio > 2.2) failures.push(`N ${series[i - 1].n} → ${series[i].n} costs ${ratio.toFixed(2)}x the time (limit 2.2x)`);
}
for (const r of series) {
  if (r.severe.length) failures.push(`N=${r.n}: warnings on a correct file: ${r.severe.join(', ')}`);
  if (r.incomplete.length) failures.push(`N=${r.n}: ${r.incomplete.join('; ')}`);
  if (r.verdicts.some((v) => v !== 'ok')) failures.push(`N=${r.n}: verdicts ${r.verdicts.join(', ')} (every return is correct)`);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node.js ${process.version}`;
if (values.json) console.log(JSON.stringify({ machine, toolchain, series, failures }));
else {
  console.log(`scale series on ${machine}${toolchain ? '' : ' (gcc/as not found: toolchain column skipped)'}`);
  console.log('| N | lines | analysis (CPU) | ×prev (CPU) | parse | analysis/parse | gcc -E \\| as | analysis/toolchain | cold | comment edit | edit/cold | solver questions (cheap/z3) | peak RSS |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of series) {
    const tc = r.toolchainMs === undefined ? '–' : `${r.toolchainMs.toFixed(0)} ms`;
    const tr = r.toolchainMs === undefined ? '–' : (r.fullMs / r.toolchainMs).toFixed(2);
    console.log(`| ${r.n} | ${r.lines} | ${r.fullMs.toFixed(0)} ms (${r.fullCpuMs.toFixed(0)} ms) | ${r.growth ? r.growth.toFixed(2) : '–'} | ${r.parseMs.toFixed(1)} ms | ${(r.fullMs / r.parseMs).toFixed(1)} | ${tc} | ${tr} | ${r.coldMs.toFixed(0)} ms | ${r.editMs.toFixed(0)} ms | ${(r.editMs / r.coldMs).toFixed(2)} | ${r.solver.queries} (${r.solver.cheap}/${r.solver.z3}) | ${r.peakRssMB.toFixed(0)} MB |`);
  }
  if (!toolchain) console.log('gcc or as missing: the toolchain ratio is skipped');
  console.log(failures.length ? `FAIL:\n  ${failures.join('\n  ')}` : 'ok: doubling N never costs more than 2.2x the time');
}
process.exit(failures.length ? 1 : 0);
