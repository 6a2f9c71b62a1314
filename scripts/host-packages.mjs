// The Debian packages `npm test` needs beyond npm's: the editor tests' browser, ripgrep and
// kerberos headers, Neovim for the third-party client test, and gcc/binutils for the differential
// tests. Run first by scripts/test.mjs: as root on Debian/Ubuntu it installs what is missing
// (apt-get, its output shown); otherwise it stops with the exact command to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HOST_TOOLS } from './setup-code-server.mjs';

const TOOLS = [
  ...HOST_TOOLS,
  { bin: '/usr/bin/nvim', pkg: 'neovim', why: 'the Neovim LSP client test' },
  { bin: '/usr/bin/gcc', pkg: 'gcc', why: 'the differential tests against gcc -E' },
  { bin: '/usr/bin/as', pkg: 'binutils', why: 'the differential tests against GNU as' },
];

const missing = TOOLS.filter((t) => !existsSync(t.bin));
if (missing.length === 0) process.exit(0);
const pkgs = [...new Set(missing.map((t) => t.pkg))];
for (const t of missing) console.log(`host-packages: missing ${t.bin} (${t.why})`);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  console.error(`host-packages: install them with:  ${isRoot ? '' : 'sudo '}apt-get update && ${isRoot ? '' : 'sudo '}apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
console.log(`host-packages: $ apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}`);
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...pkgs]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`host-packages: apt-get ${args[0]} failed (exit ${r.status})`);
    process.exit(1);
  }
}
const still = TOOLS.filter((t) => !existsSync(t.bin));
if (still.length) {
  console.error(`host-packages: still missing after apt-get: ${still.map((t) => t.bin).join(' ')}`);
  process.exit(1);
}
