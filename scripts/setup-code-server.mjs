// Installs code-server (VS Code 1.100.3 in a browser, the last release that runs on Node 20) into
// .cache/ so that the editor tests can run a real VS Code without downloading one from Microsoft.
// Everything comes from the npm registry and Debian packages; nothing is fetched by install scripts.
//
// Usage: node scripts/setup-code-server.mjs [--force]
// Prints the code-server directory on its last line. Idempotent: a stamp file marks a complete
// install, and a second run only checks the host tools and returns.
//
// Exported for scripts/test-editor.mjs: setupCodeServer() → { root, bin, version }.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync, rmSync, copyFileSync, symlinkSync, lstatSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(repo, '.cache', `code-server-${CODE_SERVER_VERSION}`);
const root = join(cacheDir, 'node_modules', 'code-server');
const vscodeDir = join(root, 'lib', 'vscode');
const stamp = join(cacheDir, 'complete.stamp');

/** Host programs the editor tests need, with the Debian package that provides each. */
export const HOST_TOOLS = [
  { bin: '/usr/bin/chromium', pkg: 'chromium', why: 'headless browser that runs the VS Code workbench' },
  { bin: '/usr/bin/rg', pkg: 'ripgrep', why: 'VS Code search (its npm download fails offline)' },
  { bin: '/usr/include/krb5.h', pkg: 'libkrb5-dev', why: 'builds the kerberos module of VS Code' },
];

/** Fails loudly, with the exact install command, when a host program is missing. */
export function checkHostTools(tools = HOST_TOOLS) {
  const missing = tools.filter((t) => !existsSync(t.bin));
  if (missing.length === 0) return;
  for (const t of missing) console.error(`missing ${t.bin} (${t.why})`);
  const pkgs = missing.map((t) => t.pkg).join(' ');
  console.error(`install with:  apt-get update && apt-get install -y ${pkgs}`);
  throw new Error(`host packages missing: ${pkgs}`);
}

function log(msg) {
  console.log(`setup-code-server: ${msg}`);
}

function run(cmd, args, cwd, extraEnv = {}) {
  log(`$ (cd ${cwd.startsWith(repo) ? cwd.slice(repo.length + 1) || '.' : cwd}) ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...extraEnv } });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${r.status ?? r.signal})`);
  }
  log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function link(target, path) {
  let exists = false;
  try {
    lstatSync(path);
    exists = true;
  } catch {
    // not there yet
  }
  if (exists) rmSync(path, { recursive: true, force: true });
  log(`link ${path.slice(root.length + 1)} -> ${target}`);
  symlinkSync(target, path);
}

export function setupCodeServer({ force = false } = {}) {
  const result = { root, bin: join(root, 'out', 'node', 'entry.js'), version: CODE_SERVER_VERSION };
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === CODE_SERVER_VERSION) {
    log(`code-server ${CODE_SERVER_VERSION} already installed in ${root.slice(repo.length + 1)}`);
    return result;
  }
  // Building VS Code's native modules needs the Kerberos headers; search needs ripgrep.
  checkHostTools(HOST_TOOLS.filter((t) => t.pkg !== 'chromium'));
  const t0 = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${cacheDir.slice(repo.length + 1)}`);
  rmSync(stamp, { force: true });
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }, null, 2) + '\n');
  const npm = 'npm';
  const quiet = ['--no-audit', '--no-fund', '--loglevel=error'];
  // 1. code-server itself, without its postinstall (which downloads and builds what follows).
  run(npm, ['install', `code-server@${CODE_SERVER_VERSION}`, '--ignore-scripts', '--no-package-lock', ...quiet], cacheDir);
  run(npm, ['rebuild', 'argon2', ...quiet], cacheDir);
  // 2. VS Code's own node modules, native ones built against this Node.
  run(npm, ['install', '--ignore-scripts', '--omit=dev', ...quiet], vscodeDir);
  run(npm, ['rebuild', '@parcel/watcher', '@vscode/deviceid', '@vscode/spdlog', 'kerberos', 'native-watchdog', 'node-pty', ...quiet],
    vscodeDir, { npm_config_yes: 'true' });
  // 3. ripgrep: @vscode/ripgrep downloads a binary in its postinstall; use Debian's instead.
  const rgDir = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(rgDir, { recursive: true });
  log(`copy /usr/bin/rg -> ${join(rgDir, 'rg').slice(root.length + 1)}`);
  copyFileSync('/usr/bin/rg', join(rgDir, 'rg'));
  chmodSync(join(rgDir, 'rg'), 0o755);
  // 4. The links code-server's postinstall would make.
  link('node_modules', join(vscodeDir, 'node_modules.asar'));
  link('code-linux.sh', join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  link('browser-linux.sh', join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
  // 5. The built-in extensions' dependencies.
  run(npm, ['install', '--omit=dev', ...quiet], join(vscodeDir, 'extensions'));
  writeFileSync(stamp, CODE_SERVER_VERSION + '\n');
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const r = setupCodeServer({ force: process.argv.includes('--force') });
    console.log(r.root);
  } catch (e) {
    console.error(`setup-code-server: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
