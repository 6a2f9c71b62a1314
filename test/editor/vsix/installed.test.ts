// What must be true of the installed .vsix: it is the one VS Code loaded (not the repository),
// it carries the bundles and no node_modules, and its manifest is the repository's.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { getExtension } from '../suite/helper';
import { test } from '../suite/harness';

const repoManifest = path.resolve(__dirname, '../../../../package.json');

test('the extension VS Code loaded is the installed .vsix', () => {
  const expected = process.env.ENTRY_REVIEW_EXPECT_EXTENSION_DIR;
  assert.ok(expected, 'the runner names the installed extension directory (ENTRY_REVIEW_EXPECT_EXTENSION_DIR)');
  const ext = getExtension();
  assert.equal(ext.extensionPath, expected, 'loaded from the extensions dir the .vsix was installed into');
  const pkg = JSON.parse(readFileSync(repoManifest, 'utf8')) as { version: string; name: string; publisher: string };
  assert.equal(ext.packageJSON.version, pkg.version);
  assert.equal(ext.id, `${pkg.publisher}.${pkg.name}`);
});

test('the .vsix carries the bundles and nothing of node_modules or the sources', () => {
  const dir = getExtension().extensionPath;
  const top = readdirSync(dir).sort();
  for (const f of ['dist', 'package.json', 'syntaxes', 'language-configuration.json']) assert.ok(top.includes(f), `${f} shipped (top level: ${top.join(' ')})`);
  for (const f of ['node_modules', 'client', 'server', 'test', 'out', 'scripts', '.cache']) assert.ok(!top.includes(f), `${f} not shipped (top level: ${top.join(' ')})`);
  for (const f of ['extension.js', 'server.js']) assert.ok(existsSync(path.join(dir, 'dist', f)), `dist/${f} shipped`);
  const server = readFileSync(path.join(dir, 'dist', 'server.js'), 'utf8');
  if (server.includes('z3-built')) {
    for (const f of ['z3-built.js', 'z3-built.wasm', 'tree-sitter.wasm', 'tree-sitter-c.wasm']) assert.ok(existsSync(path.join(dir, 'dist', f)), `dist/${f} shipped beside the server bundle that loads it`);
  }
});
