// `npm run test:editor`: the extension tests in a real VS Code (code-server 4.100.3 = VS Code
// 1.100.3, driven by headless Chromium), then the packaged .vsix installed into code-server.
//
// Usage: node scripts/test-editor.mjs [--suite-only | --vsix-only] [--vsix FILE] [--update-docs-image]
//   --vsix FILE          test this .vsix instead of packaging one
//   --update-docs-image  also copy the screenshots to docs/images/ (editor-diagnostic.png, editor-simulation.png)
// Env:  ENTRY_REVIEW_EDITOR_FILTER=substr   run only tests whose name contains substr
//       ENTRY_REVIEW_EDITOR_TIMEOUT=ms      per code-server run (default 180000)
//
// Steps: install code-server into .cache/ if needed (scripts/setup-code-server.mjs); build the
// bundles and compile the tests when their sources are newer; start code-server with private
// user-data, extensions and config dirs, in its own process group; open the page with the
// extension under development and the tests (out/test/editor/suite) in the URL's payload; the
// tests run in the extension host and report through a results file; VS Code's test exit code
// arrives through `codeAutomationExit`. Then package the .vsix, install it with
// `--install-extension` into a fresh extensions dir and run out/test/editor/vsix against it.
// Artifacts go to test-results/ (logs, the screenshots editor-NAME.png, the .vsix). Last line: `editor: N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupCodeServer, checkHostTools, HOST_TOOLS } from './setup-code-server.mjs';
import { mtime, newestMtime } from './mtimes.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(repo, 'test-results');
const args = process.argv.slice(2);
const runSuite = !args.includes('--vsix-only');
const runVsix = !args.includes('--suite-only');
const updateDocsImage = args.includes('--update-docs-image');
const givenVsix = args.includes('--vsix') ? resolve(args[args.indexOf('--vsix') + 1] ?? '') : undefined;
const runTimeoutMs = Number(process.env.ENTRY_REVIEW_EDITOR_TIMEOUT ?? 180000);
const CHROMIUM = '/usr/bin/chromium';

const cleanups = [];
let totalPassed = 0;
let totalFailed = 0;

function say(msg) {
  console.log(`test-editor: ${msg}`);
}



function runOrDie(cmd, cmdArgs, what) {
  say(`$ ${[cmd === process.execPath ? 'node' : cmd, ...cmdArgs].join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal})`);
}

/** Bundles (dist/) and compiled tests (out/test/editor) fresh with respect to their sources. */
function ensureBuilt() {
  const srcNewest = Math.max(newestMtime(join(repo, 'client', 'src')), newestMtime(join(repo, 'server', 'src')), mtime(join(repo, 'scripts', 'build.mjs')));
  const distOldest = Math.min(mtime(join(repo, 'dist', 'extension.js')), mtime(join(repo, 'dist', 'server.js')));
  if (distOldest < srcNewest) runOrDie(process.execPath, ['scripts/build.mjs'], 'npm run build');
  const compiled = [join(repo, 'out', 'test', 'editor', 'suite', 'index.js'), join(repo, 'out', 'test', 'editor', 'vsix', 'index.js')];
  const testsNewest = Math.max(newestMtime(join(repo, 'test', 'editor')), newestMtime(join(repo, 'client', 'src')));
  if (Math.min(...compiled.map(mtime)) < testsNewest) {
    // tsc emits despite type errors elsewhere in the tree; what matters is that our files exist.
    say('$ tsc -p .   (compiling the tests)');
    const r = spawnSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: repo, encoding: 'utf8' });
    const ours = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('test/editor/'));
    if (ours.length) {
      console.error(ours.join('\n'));
      throw new Error('the editor tests do not compile');
    }
    if (r.status !== 0) say(`(tsc reported errors outside test/editor; ${(r.stdout ?? '').split('\n').filter((l) => / error TS/.test(l)).length} lines)`);
    for (const f of compiled) if (!existsSync(f)) throw new Error(`${f} was not produced by tsc -p .`);
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A private profile: user data (with settings), extensions dir, XDG config. */
function makeProfile(name) {
  const base = mkdtempSync(join(tmpdir(), `entry-review-${name}-`));
  cleanups.push(() => rmSync(base, { recursive: true, force: true }));
  const profile = { base, userData: join(base, 'user-data'), extensions: join(base, 'extensions'), xdg: join(base, 'xdg'), workspace: join(base, 'workspace') };
  mkdirSync(join(profile.userData, 'User'), { recursive: true });
  mkdirSync(profile.extensions, { recursive: true });
  mkdirSync(profile.xdg, { recursive: true });
  writeFileSync(join(profile.userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.colorTheme': 'Default Dark Modern',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'chat.disableAIFeatures': true,
    'editor.minimap.enabled': false,
    'editor.fontSize': 15,
    'editor.hover.delay': 100,
  }, null, 2));
  cpSync(join(repo, 'test', 'fixtures', 'editor'), profile.workspace, { recursive: true });
  return profile;
}

function codeServerEnv(profile, extra = {}) {
  const env = { ...process.env, XDG_CONFIG_HOME: profile.xdg, ...extra };
  // The gallery is unreachable here; an empty one keeps code-server from trying.
  env.EXTENSIONS_GALLERY = JSON.stringify({ serviceUrl: '', itemUrl: '' });
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

function commonFlags(profile) {
  return ['--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--user-data-dir', profile.userData, '--extensions-dir', profile.extensions];
}

/** Starts code-server in its own process group; resolves once /healthz answers. */
async function startCodeServer(cs, profile, phase, env) {
  const port = await freePort();
  const logPath = join(results, `code-server-${phase}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, [cs.bin, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...commonFlags(profile)], {
    cwd: profile.base,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: codeServerEnv(profile, env),
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone
    }
  };
  cleanups.push(stop);
  const deadline = Date.now() + 60000;
  for (;;) {
    if (exited) throw new Error(`code-server exited during start (see ${logPath})`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on port ${port} within 60 s (see ${logPath})`);
    await sleep(100);
  }
  return { port, stop, logPath };
}

async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  cleanups.push(() => browser.close().catch(() => {}));
  return browser;
}

/**
 * One extension-test run in code-server: opens `folder` with the development extension at
 * `devPath` and the test module at `testsPath`; streams the results file; returns the summary.
 */
async function runInCodeServer({ cs, profile, phase, devPath, testsPath, env = {}, screenshot }) {
  const resultsFile = join(profile.base, `results-${phase}.jsonl`);
  writeFileSync(resultsFile, '');
  const shotDir = join(profile.base, `shot-${phase}`);
  mkdirSync(shotDir, { recursive: true });
  const started = Date.now();
  const server = await startCodeServer(cs, profile, phase, {
    ...env,
    ENTRY_REVIEW_EDITOR_RESULTS: resultsFile,
    ...(screenshot ? { ENTRY_REVIEW_SCREENSHOT_DIR: shotDir } : {}),
  });
  say(`${phase}: code-server on 127.0.0.1:${server.port} (log: ${server.logPath.slice(repo.length + 1)})`);
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  const consoleLog = createWriteStream(join(results, `page-console-${phase}.log`));
  page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  let exitResolve;
  const exited = new Promise((r) => (exitResolve = r));
  await page.exposeFunction('codeAutomationExit', (code) => exitResolve(Number(code)));
  const authority = `127.0.0.1:${server.port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${devPath}`],
    ['extensionTestsPath', `vscode-remote://${authority}${testsPath}`],
  ];
  const url = `http://${authority}/?folder=${encodeURIComponent(profile.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url);

  // Stream the results file while waiting for the exit code (and the screenshot handshake).
  let printed = 0;
  let summary;
  const lines = [];
  const pump = () => {
    const text = readFileSync(resultsFile, 'utf8');
    const all = text.split('\n');
    for (; printed < all.length - 1; printed++) {
      const rec = JSON.parse(all[printed]);
      if (rec.kind === 'line') {
        lines.push(rec.line);
        console.log(`  ${rec.line}`);
      } else if (rec.kind === 'summary') {
        summary = rec;
      }
    }
  };
  const taken = new Set();
  let code;
  const deadline = started + runTimeoutMs;
  while (code === undefined) {
    pump();
    // the tests ask for a picture by writing ready-NAME; it goes to test-results/editor-NAME.png
    for (const name of screenshot ? readdirSync(shotDir).filter((f) => f.startsWith('ready-')).map((f) => f.slice(6)) : []) {
      if (taken.has(name)) continue;
      await sleep(300);
      const file = join(results, `editor-${name}.png`);
      await page.screenshot({ path: file });
      taken.add(name);
      writeFileSync(join(shotDir, `done-${name}`), 'done\n');
      say(`${phase}: screenshot ${file.slice(repo.length + 1)}`);
    }
    code = await Promise.race([exited, sleep(200).then(() => undefined)]);
    if (code === undefined && Date.now() > deadline) {
      const failShot = join(results, `editor-timeout-${phase}.png`);
      await page.screenshot({ path: failShot }).catch(() => {});
      say(`${phase}: no exit code after ${runTimeoutMs} ms; page at ${failShot.slice(repo.length + 1)}`);
      code = -1;
    }
  }
  pump();
  consoleLog.end();
  await browser.close().catch(() => {});
  await server.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(`${phase}: VS Code exit code ${code} after ${seconds} s`);
  const missing = (screenshot ?? []).filter((n) => !taken.has(n));
  if (missing.length && code === 0) say(`${phase}: the tests never asked for the screenshot(s) ${missing.join(', ')}`);
  let passed = summary?.passed ?? 0;
  let failed = summary?.failed ?? 0;
  if (!summary || (code !== 0 && failed === 0)) {
    // The run broke outside any test (no activation, a crash, a timeout): that is a failure too.
    failed += 1;
    console.log(`  FAIL ${phase}: the run ended with exit code ${code} ${summary ? '' : 'before the tests reported a summary'}`);
    const tail = readFileSync(server.logPath, 'utf8').split('\n').slice(-20).join('\n');
    console.log(`  --- last lines of ${server.logPath.slice(repo.length + 1)} ---\n${tail}`);
  }
  failed += missing.length;
  totalPassed += passed;
  totalFailed += failed;
  return { code, passed, failed, lines };
}

function installVsix(cs, profile, vsix) {
  say(`$ code-server --extensions-dir ${profile.extensions} --install-extension ${vsix.slice(repo.length + 1)}`);
  const r = spawnSync(process.execPath, [cs.bin, ...commonFlags(profile), '--install-extension', vsix], {
    cwd: profile.base,
    encoding: 'utf8',
    env: codeServerEnv(profile),
    timeout: 120000,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (out) console.log(out.split('\n').map((l) => `  ${l}`).join('\n'));
  if (r.status !== 0) throw new Error(`--install-extension failed (exit ${r.status ?? r.signal})`);
  const installed = readdirSync(profile.extensions).filter((n) => n.startsWith('entry-review.x86-entry-review-'));
  if (installed.length !== 1) throw new Error(`expected one installed entry-review.x86-entry-review-* in ${profile.extensions}, found: ${readdirSync(profile.extensions).join(', ')}`);
  return join(profile.extensions, installed[0]);
}

async function main() {
  const t0 = Date.now();
  mkdirSync(results, { recursive: true });
  try {
    checkHostTools(HOST_TOOLS.filter((t) => t.bin === CHROMIUM || t.bin === '/usr/bin/rg'));
  } catch (e) {
    totalFailed += 1;
    throw e;
  }
  const cs = setupCodeServer();
  ensureBuilt();

  if (runSuite) {
    const profile = makeProfile('suite');
    const shots = ['diagnostic', 'simulation'];
    for (const n of shots) rmSync(join(results, `editor-${n}.png`), { force: true });
    say('suite: extension tests (out/test/editor/suite) in code-server');
    await runInCodeServer({
      cs,
      profile,
      phase: 'suite',
      devPath: repo,
      testsPath: join(repo, 'out', 'test', 'editor', 'suite', 'index.js'),
      screenshot: shots,
    });
    for (const n of updateDocsImage ? shots : []) {
      const shot = join(results, `editor-${n}.png`);
      if (!existsSync(shot)) continue;
      mkdirSync(join(repo, 'docs', 'images'), { recursive: true });
      copyFileSync(shot, join(repo, 'docs', 'images', `editor-${n}.png`));
      say(`copied the screenshot to docs/images/editor-${n}.png`);
    }
  }

  if (runVsix) {
    let vsix = givenVsix;
    if (!vsix) {
      vsix = join(results, 'x86-entry-review.vsix');
      rmSync(vsix, { force: true });
      runOrDie(process.execPath, ['scripts/package.mjs', '--out', vsix, '--no-build'], 'npm run package');
    }
    const profile = makeProfile('vsix');
    const installedDir = installVsix(cs, profile, vsix);
    say(`vsix: installed as ${installedDir}`);
    await runInCodeServer({
      cs,
      profile,
      phase: 'vsix',
      devPath: join(repo, 'test', 'editor', 'vsix-probe'),
      testsPath: join(repo, 'out', 'test', 'editor', 'vsix', 'index.js'),
      env: { ENTRY_REVIEW_EXPECT_EXTENSION_DIR: installedDir },
    });
  }
  say(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.error(`test-editor: ${e instanceof Error ? e.message : String(e)}`);
  if (totalFailed === 0) totalFailed = 1;
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      // best effort
    }
  }
}
if (totalFailed > 0 || totalPassed === 0) exitCode = 1;
console.log(`editor: ${totalPassed} passed, ${totalFailed} failed`);
process.exit(exitCode);
