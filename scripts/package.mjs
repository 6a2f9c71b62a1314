// `npm run package`: builds the bundles and packages the extension as a .vsix with @vscode/vsce.
// Usage: node scripts/package.mjs [--out FILE] [--no-build]
//   default output: x86-entry-review-<version>.vsix in the repository root (ignored by git)
// What ships is decided by .vscodeignore (dist/, syntaxes/, language-configuration.json,
// package.json, README.md, LICENSE); vsce runs with --no-dependencies because esbuild has bundled
// every dependency. The script then lists the package and refuses one that lacks a runtime file
// or carries node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const outIdx = args.indexOf('--out');
const out = outIdx >= 0 ? resolve(args[outIdx + 1]) : join(repo, `${manifest.name}-${manifest.version}.vsix`);

function run(cmd, cmdArgs) {
  console.log(`package: $ ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`package: failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

if (!args.includes('--no-build')) run(process.execPath, ['scripts/build.mjs']);

const required = ['dist/extension.js', 'dist/server.js', 'package.json', 'README.md', 'language-configuration.json'];
for (const f of required) {
  if (!existsSync(join(repo, f))) {
    console.error(`package: ${f} is missing${f.startsWith('dist/') ? ' (run `npm run build`)' : ''}`);
    process.exit(1);
  }
}

const vsce = join(repo, 'node_modules', '@vscode', 'vsce', 'vsce');
const vsceArgs = [vsce, 'package', '--no-dependencies', '--out', out];
if (!['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => existsSync(join(repo, f)))) vsceArgs.push('--skip-license');
// The repository URL is not a GitHub/GitLab one: keep README links as written.
vsceArgs.push('--no-rewrite-relative-links');
run(process.execPath, vsceArgs);

// Check what went in: everything the extension loads at run time, nothing of node_modules.
const listed = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: repo, encoding: 'utf8' });
const files = (listed.stdout ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
const problems = [];
for (const f of ['dist/extension.js', 'dist/server.js', 'package.json', 'syntaxes/x86-entry-asm.tmLanguage.json', 'schemas/entry-review.schema.json', 'language-configuration.json']) {
  if (!files.includes(f)) problems.push(`missing ${f}`);
}
for (const f of files) if (f.includes('node_modules/')) problems.push(`ships ${f}`);
// A server that loads z3-solver at run time needs its emscripten files beside the bundle.
const serverBundle = readFileSync(join(repo, 'dist', 'server.js'), 'utf8');
if (/z3-built/.test(serverBundle)) {
  for (const f of ['dist/z3-built.js', 'dist/z3-built.wasm', 'dist/tree-sitter.wasm', 'dist/tree-sitter-c.wasm']) if (!files.includes(f)) problems.push(`missing ${f} (the server bundle loads it)`);
}
if (problems.length) {
  console.error(`package: the .vsix is incomplete: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`package: ${out} (${(statSync(out).size / 1048576).toFixed(1)} MB, ${files.length} files)`);
