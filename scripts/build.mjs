// Bundles the extension client, the language server and the command line with esbuild.
// Usage: node scripts/build.mjs [--watch] [--minify]
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');

// z3-solver's emscripten module starts worker threads from its own file: it must stay a file of
// its own beside the bundle (copied below), not be bundled into it.
/** @type {import('esbuild').Plugin} */
const z3Beside = {
  name: 'z3-beside',
  setup(b) {
    b.onResolve({ filter: /[/\\]z3-built(\.js)?$/ }, () => ({ path: './z3-built.js', external: true }));
  },
};

// web-tree-sitter's ES build finds itself through import.meta.url, which a CommonJS bundle does
// not have: bundle its CommonJS build.
const treeSitterCjs = path.join(path.dirname(createRequire(path.resolve('server/package.json')).resolve('web-tree-sitter/tree-sitter.wasm')), 'tree-sitter.cjs');

/** @type {import('esbuild').BuildOptions} */
const common = {
  plugins: [z3Beside],
  alias: { 'web-tree-sitter': treeSitterCjs },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify,
  logLevel: 'warning',
};

const builds = [
  { ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['server/src/server-main.ts'], outfile: 'dist/server.js' },
  { ...common, entryPoints: ['server/src/cli-main.ts'], outfile: 'dist/cli.js' },
  // the simulation view's page: runs in the webview (a browser), loaded by its nonce
  { ...common, plugins: [], entryPoints: ['client/src/webview/main.ts'], outfile: 'dist/simulation-view.js', platform: 'browser', format: 'iife', target: 'es2022' },
];

if (watch) {
  for (const b of builds) {
    const ctx = await esbuild.context(b);
    await ctx.watch();
  }
  console.log('esbuild: watching client, server and cli');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
}

// Z3 (WebAssembly, from z3-solver): the bundles load its emscripten files from beside themselves.
const z3Dir = path.dirname(createRequire(import.meta.url).resolve('z3-solver/build/z3-built.js', { paths: ['server'] }));
mkdirSync('dist', { recursive: true });
for (const f of ['z3-built.js', 'z3-built.wasm']) copyFileSync(path.join(z3Dir, f), path.join('dist', f));

// tree-sitter (WebAssembly, from web-tree-sitter and tree-sitter-c): the C reader loads the
// runtime and the C grammar from beside the bundle, lazily, when a contract's C source is found.
const req = createRequire(path.resolve('server/package.json'));
copyFileSync(req.resolve('web-tree-sitter/tree-sitter.wasm'), path.join('dist', 'tree-sitter.wasm'));
copyFileSync(req.resolve('tree-sitter-c/tree-sitter-c.wasm'), path.join('dist', 'tree-sitter-c.wasm'));
