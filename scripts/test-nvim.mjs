// `npm run test:nvim`: headless Neovim (Debian's 0.7.2) as a third-party LSP client of
// `entry-review lsp --stdio` (test/nvim/lsp_test.lua). Builds dist/ first when it is stale.
// Fails loudly, with the install command, when nvim is missing; never skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtime } from './mtimes.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');


function fail(msg) {
  console.error(`test-nvim: ${msg}`);
  console.log('nvim: 0 passed, 1 failed');
  process.exit(1);
}

const which = spawnSync('sh', ['-c', 'command -v nvim'], { encoding: 'utf8' });
if (which.status !== 0) fail('nvim is not installed; install with:  apt-get update && apt-get install -y neovim');
const version = spawnSync('nvim', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
console.log(`test-nvim: ${version} (${which.stdout.trim()})`);

const cli = join(repo, 'dist', 'cli.js');
if (!existsSync(cli) || statSync(cli).mtimeMs < newestMtime(join(repo, 'server', 'src'))) {
  console.log('test-nvim: $ node scripts/build.mjs');
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, stdio: 'inherit' });
  if (b.status !== 0) fail('npm run build failed');
}

// A private Neovim home (no user config, no shada, no swap files in the tree).
const home = mkdtempSync(join(tmpdir(), 'entry-review-nvim-'));
const script = join(repo, 'test', 'nvim', 'lsp_test.lua');
// dofile under pcall: even a syntax error in the script ends Neovim with exit code 1.
const boot = `lua local ok, e = pcall(dofile, ${JSON.stringify(script)}); if not ok then io.stdout:write('FAIL Lua error: ' .. tostring(e) .. '\\n'); io.stdout:write('nvim: 0 passed, 1 failed\\n'); os.exit(1) end`;
const started = Date.now();
const r = spawnSync('timeout', ['-k', '5', '90', 'nvim', '--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', boot], {
  cwd: repo,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, ENTRY_REVIEW_REPO: repo, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), XDG_STATE_HOME: join(home, 'state'), XDG_CACHE_HOME: join(home, 'cache') },
});
rmSync(home, { recursive: true, force: true });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (r.status === 124 || r.status === 137) fail(`Neovim did not finish within 90 s (timeout); the last check printed above is where it stopped`);
console.log(`test-nvim: Neovim exited with ${r.status ?? r.signal} after ${seconds} s`);
process.exit(r.status === 0 ? 0 : 1);
