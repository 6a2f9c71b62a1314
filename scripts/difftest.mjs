// Differential test of the x86 model against this machine's CPU.
// Usage: node scripts/difftest.mjs --cases N [--seed S] [--batch B] [--workers W] [--show K]
// Cases depend only on the seed (each batch of B cases has its own seed), not on W.
// Runs compiled code from out/ (npm run compile-tests first).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = resolve(root, 'out/test/differential/run.js');
if (!existsSync(compiled)) {
  console.error('difftest: out/test/differential/run.js not found (run `npm run compile-tests` first)');
  process.exit(2);
}
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`difftest: --${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
};
const cases = opt('cases', 10000);
const seed = opt('seed', Date.now() % 1000000007);
const batch = opt('batch', 2000);
const show = opt('show', 5);
const workers = Math.max(1, opt('workers', availableParallelism()));
const { runDifferentialParallel, formatMismatch } = createRequire(import.meta.url)(compiled);
console.log(`difftest: ${cases} cases, seed ${seed}, ${batch} per binary, ${workers} worker${workers === 1 ? '' : 's'}`);
const r = await runDifferentialParallel({
  cases,
  seed,
  batch,
  workers,
  // A live counter on a terminal; in a log, one line per tenth of the run.
  onBatch: (done, total) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`);
    else if (done === total || Math.floor((done * 10) / total) > Math.floor(((done - batch) * 10) / total)) process.stderr.write(`${done}/${total}\n`);
  },
});
if (process.stderr.isTTY) process.stderr.write('\n');
for (const m of r.mismatches.slice(0, show)) console.log(formatMismatch(m) + '\n');
console.log(`cases: ${r.cases}  mismatches: ${r.mismatches.length}  skipped: ${r.skipped}  seed: ${r.seed}  time: ${(r.millis / 1000).toFixed(1)} s  cases/s: ${r.casesPerSecond}`);
process.exit(r.mismatches.length ? 1 : 0);
