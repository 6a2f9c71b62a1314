// The long fuzzing run: the properties of test/support/fuzz.ts (preprocessor, parser, analyzer,
// language server, incremental re-parse), >= 100,000 inputs in all, each target in a process of its own (run side by
// side). Prints per target: inputs run, time, and the first failure with fast-check's seed and
// path (the counterexample shrunk), then the totals. Exit 1 when a property failed.
// Usage: node scripts/fuzz.mjs [--seed S] [--scale F]   (F multiplies every target's count; default 1)
// Needs the compiled tests: npm run compile-tests (npm run fuzz does it), and dist/ for the server.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { seed: { type: 'string' }, scale: { type: 'string', default: '1' }, target: { type: 'string' }, runs: { type: 'string' } } });

const TARGETS = { parser: 80000, preprocessor: 15000, analyzer: 4000, lsp: 1000, incremental: 1500 };

if (values.target) {
  const fc = require('fast-check');
  const F = require(join(root, 'out/test/support/fuzz.js'));
  const seed = Number(values.seed);
  const numRuns = Number(values.runs);
  const started = performance.now();
  let server;
  let extra = {};
  try {
    if (values.target === 'lsp') {
      server = new F.FuzzServer();
      await server.start();
    }
    const prop = { parser: F.parserProperty, preprocessor: F.preprocessorProperty, analyzer: F.analyzerProperty, incremental: F.incrementalProperty, lsp: server && F.lspProperty(server) }[values.target];
    const details = await fc.check(prop, { seed, numRuns, endOnFailure: true });
    if (server) {
      extra.requests = server.requests;
      const big = await F.bigDocument(server, readFileSync(join(root, 'samples/entry_64.S'), 'utf8'));
      extra.bigDocument = { lines: big.lines, hoverMs: Math.round(big.hoverMs), directiveHoverMs: Math.round(big.directiveHoverMs), symbolsAfterEditMs: Math.round(big.symbolsMs) };
      extra.exit = await server.stop();
      extra.serverErrors = /Uncaught|Unhandled|TypeError|RangeError/.test(server.client.stderr);
    }
    const out = { target: values.target, seed, inputs: details.numRuns, ms: Math.round(performance.now() - started), failed: details.failed, ...extra };
    if (details.failed) out.failure = { seed: details.seed, path: details.counterexamplePath, error: String(details.errorInstance ?? details.error).slice(0, 2000), counterexample: JSON.stringify(details.counterexample).slice(0, 2000) };
    process.stdout.write(JSON.stringify(out));
    process.exit(details.failed || extra.serverErrors || (server && extra.exit !== 0) ? 1 : 0);
  } catch (e) {
    process.stdout.write(JSON.stringify({ target: values.target, seed, failed: true, error: String(e?.stack ?? e) }));
    process.exit(1);
  }
}

if (!existsSync(join(root, 'out/test/support/fuzz.js'))) {
  console.error('fuzz: compile first (npm run compile-tests)');
  process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() & 0x7fffffff;
const scale = Number(values.scale);
console.log(`fuzz: seed ${seed} (replay with --seed ${seed}), ${Object.entries(TARGETS).map(([t, n]) => `${t} ${Math.round(n * scale)}`).join(', ')}`);
const started = performance.now();
const results = await Promise.all(Object.entries(TARGETS).map(([target, n]) => new Promise((res) => {
  const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--target', target, '--seed', String(seed), '--runs', String(Math.round(n * scale))], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  c.on('exit', (code) => {
    let r;
    try {
      r = JSON.parse(out);
    } catch {
      r = { target, failed: true, error: `no report (exit ${code}): ${out.slice(0, 500)}` };
    }
    console.log(`${target.padEnd(13)} ${String(r.inputs ?? '?').padStart(7)} inputs  ${((r.ms ?? 0) / 1000).toFixed(1).padStart(7)} s  ${r.failed ? 'FAILED' : 'ok'}${r.requests ? `  (${r.requests} requests; 100,000-line document: instruction hover ${r.bigDocument.hoverMs} ms, directive hover ${r.bigDocument.directiveHoverMs} ms, symbols after an edit ${r.bigDocument.symbolsAfterEditMs} ms)` : ''}`);
    if (r.failed) console.log(JSON.stringify(r.failure ?? r.error, null, 2));
    res(r);
  });
})));
const inputs = results.reduce((s, r) => s + (r.inputs ?? 0), 0);
const failed = results.filter((r) => r.failed);
console.log(`fuzz: ${inputs} inputs in ${((performance.now() - started) / 1000).toFixed(0)} s, ${failed.length} target(s) failed`);
process.exit(failed.length ? 1 : 0);
