// Runs the compiled unit and integration tests (out/test/**.test.js) with node's test runner.
// Usage: node scripts/run-tests.mjs [substring...]   (filters test files by path)
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['out/test/unit', 'out/test/integration'];
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
for (const r of roots) if (existsSync(r)) walk(r);
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('run-tests: no compiled tests found under out/test (run `npm run compile-tests` first)');
  process.exit(1);
}
// spec for people, tap to a file for the counts: the last line is `unit: N passed, N failed`.
mkdirSync('test-results', { recursive: true });
const tapFile = 'test-results/unit.tap';
const r = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...selected],
  { stdio: 'inherit' },
);
const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
console.log(`unit: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed`);
process.exit(r.status ?? 1);
