// Safety (issue 11): the server and the command line read only files under the workspace and the
// configured include paths — no escape through `#include "../../.."`, absolute paths or
// symbolic links; the server runs no program and opens no connection (run with every such API
// trapped); `diff --git` is the one place the command line runs a program (git show), and a
// project file is data: nothing in it is ever executed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as childProcess from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { analyze, defaultOptions } from '../../../server/src/analysis';
import { main, type CliIO } from '../../../server/src/cli';
import { confinedReader, isInside, type RealPathMemo } from '../../../server/src/files';
import { distCli, fixture, repoRoot } from '../../support/paths';

/** A workspace with an entry file that tries every way out, and a secret beside it. */
function layout() {
  const top = realpathSync(mkdtempSync(path.join(tmpdir(), 'er-safety-')));
  const ws = path.join(top, 'ws');
  const outside = path.join(top, 'outside');
  mkdirSync(path.join(ws, 'arch'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(path.join(outside, 'secret.h'), '#define SECRET_VALUE 0x5ec12e7\n');
  writeFileSync(path.join(outside, 'other.h'), '#define OTHER_VALUE 7\n');
  writeFileSync(path.join(ws, 'inside.h'), '#define INSIDE_VALUE 1\n');
  symlinkSync(path.join(outside, 'secret.h'), path.join(ws, 'link.h'));
  symlinkSync(outside, path.join(ws, 'linkdir'));
  symlinkSync(path.join(ws, 'inside.h'), path.join(ws, 'arch', 'good-link.h'));
  const entry = path.join(ws, 'arch', 'entry.S');
  writeFileSync(
    entry,
    [
      '#include "../../outside/secret.h"',
      `#include "${path.join(outside, 'secret.h')}"`,
      '#include "../link.h"',
      '#include "../linkdir/secret.h"',
      '#include "good-link.h"',
      '#include "../inside.h"',
      '\t.include "../../outside/other.h"',
      'foo:',
      '\tmovq $INSIDE_VALUE, %rax',
      '\tret',
      '',
    ].join('\n'),
  );
  return { top, ws, outside, entry };
}

const ESCAPES = ['../../outside/secret.h', 'outside/secret.h', '../link.h', '../linkdir/secret.h'];

describe('reads stay under the workspace and the include paths', () => {
  const L = layout();

  test('the confined reader: .., absolute paths and links out are missing; links within are read', () => {
    const r = confinedReader({ roots: [L.ws] });
    assert.equal(r.read(path.join(L.ws, 'arch', '../../outside/secret.h')), undefined);
    assert.equal(r.read(path.join(L.outside, 'secret.h')), undefined);
    assert.equal(r.read(path.join(L.ws, 'link.h')), undefined, 'a link inside pointing out');
    assert.equal(r.read(path.join(L.ws, 'linkdir', 'secret.h')), undefined, 'a directory link pointing out');
    assert.equal(r.exists?.(path.join(L.outside, 'secret.h')), false);
    assert.equal(r.read('/etc/passwd'), undefined);
    assert.equal(r.read(path.join(L.ws, 'arch', 'good-link.h')), '#define INSIDE_VALUE 1\n');
    assert.equal(r.read(path.join(L.ws, 'inside.h')), '#define INSIDE_VALUE 1\n');
    assert.equal(r.read(path.join(L.ws, 'inside.h\0../../x')), undefined);
    // a configured include path is a root of its own
    const withInc = confinedReader({ roots: [L.ws, L.outside] });
    assert.equal(withInc.read(path.join(L.ws, 'link.h')), '#define SECRET_VALUE 0x5ec12e7\n');
    assert.ok(isInside(path.join(L.ws, 'a', '..', 'inside.h'), [L.ws]));
    assert.ok(!isInside(path.join(L.ws, '..', 'outside'), [L.ws]));
  });

  test('a path read once and then swapped for a link out is missing: what the reader remembers of a path does not outlive its file', () => {
    const dir = path.join(L.ws, 'swap');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'secret.h'), '#define INSIDE_TOO 2\n');
    writeFileSync(path.join(L.ws, 'plain.h'), '#define PLAIN 3\n');
    const memo: RealPathMemo = new Map();
    const r = confinedReader({ roots: [L.ws] }, undefined, memo);
    assert.equal(r.read(path.join(dir, 'secret.h')), '#define INSIDE_TOO 2\n');
    assert.equal(r.read(path.join(L.ws, 'plain.h')), '#define PLAIN 3\n');
    assert.equal(memo.size, 2, 'both real paths remembered');
    // the directory becomes a link to the outside, which has a secret.h of its own
    renameSync(dir, path.join(L.ws, 'swap-was'));
    symlinkSync(L.outside, dir);
    // the file becomes a link to a file outside
    rmSync(path.join(L.ws, 'plain.h'));
    symlinkSync(path.join(L.outside, 'other.h'), path.join(L.ws, 'plain.h'));
    // a second reader sharing the memo (the server's threads keep one) is not fooled either
    for (const reader of [r, confinedReader({ roots: [L.ws] }, undefined, memo)]) {
      assert.equal(reader.read(path.join(dir, 'secret.h')), undefined, 'a directory swapped for a link out');
      assert.equal(reader.exists?.(path.join(dir, 'secret.h')), false);
      assert.equal(reader.read(path.join(L.ws, 'plain.h')), undefined, 'a file swapped for a link out');
    }
    // a file changed in place is read again, inside
    writeFileSync(path.join(L.ws, 'swap-was', 'secret.h'), '#define INSIDE_TOO 4\n');
    assert.equal(r.read(path.join(L.ws, 'swap-was', 'secret.h')), '#define INSIDE_TOO 4\n');
  });

  test('analyze through the confined reader includes nothing from outside', async () => {
    const a = await analyze({ file: L.entry, text: readFileSync(L.entry, 'utf8') }, defaultOptions, confinedReader({ roots: [L.ws] }));
    assert.deepEqual(a.program.includes.map((f) => path.relative(L.ws, f)).sort(), ['arch/good-link.h', 'inside.h']);
    assert.ok(!a.program.constants.has('SECRET_VALUE'));
    const missing = a.findings.filter((f) => /cannot find include file|cannot find '.include' file/.test(f.message)).map((f) => f.message);
    assert.equal(missing.length, 5, missing.join('\n'));
  });

  test('a project file\'s companions are read through the same reader: one outside (.., absolute, a link out) is not linked, one inside is', async () => {
    const tail = '\t.text\n\t.globl\tback_to_user\nback_to_user:\n\tswapgs\n\tsysretq\n';
    writeFileSync(path.join(L.outside, 'tail.S'), tail);
    const dir = path.join(L.ws, 'compat');
    mkdirSync(dir, { recursive: true });
    const entry = path.join(dir, 'entry.S');
    writeFileSync(entry, '\t.text\n\t.globl\tentry_SYSCALL_64\nentry_SYSCALL_64:\n\tjmp\tback_to_user\n');
    const project = (companions: string[]) => writeFileSync(path.join(dir, '.entry-review.json'), JSON.stringify({ companions }));
    project(['../../outside/tail.S', path.join(L.outside, 'tail.S'), '../linkdir/tail.S']);
    const reader = confinedReader({ roots: [L.ws] });
    const a = await analyze({ file: entry, text: readFileSync(entry, 'utf8') }, defaultOptions, reader);
    assert.equal(a.program.companion, undefined);
    assert.ok(!a.program.includes.some((f) => f.startsWith(L.outside) || f.includes('linkdir')), a.program.includes.join(' '));
    assert.ok(a.findings.some((f) => /leave this file here for back_to_user/.test(f.message)));
    // the same tail inside the workspace is linked (the test above would pass if nothing ever were)
    writeFileSync(path.join(L.ws, 'tail.S'), tail);
    project(['../tail.S']);
    const b = await analyze({ file: entry, text: readFileSync(entry, 'utf8') }, defaultOptions, confinedReader({ roots: [L.ws] }));
    assert.equal(b.program.companion?.file, path.join(L.ws, 'tail.S'));
  });

  test('the command line: the working directory, the file\'s directory and -I, nothing else', async () => {
    const out: string[] = [];
    const io: CliIO = { stdout: (t) => out.push(t), stderr: () => {}, cwd: L.ws };
    await main(['check', 'arch/entry.S', '--format', 'json'], io);
    const j = JSON.parse(out.join(''));
    const msgs: string[] = j.files[0].diagnostics.map((d: { message: string }) => d.message);
    for (const e of ESCAPES) assert.ok(msgs.some((m) => m.includes(e)), `'${e}' was read: ${msgs.join('\n')}`);
    assert.ok(!out.join('').includes('5ec12e7'));
    // named with -I, the outside directory may be read
    const out2: string[] = [];
    await main(['check', 'arch/entry.S', '--format', 'json', '-I', L.outside], { ...io, stdout: (t) => out2.push(t) });
    const msgs2: string[] = JSON.parse(out2.join('')).files[0].diagnostics.map((d: { message: string }) => d.message);
    assert.ok(!msgs2.some((m) => m.includes('../../outside/secret.h')), msgs2.join('\n'));
  });

  test('the language server: a workspace folder confines every include', async () => {
    const s = await startServer([], L.ws);
    try {
      const uri = pathToFileURL(L.entry).href;
      const diags = s.diagnosticsFor(uri);
      await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'x86-entry-asm', version: 1, text: readFileSync(L.entry, 'utf8') } });
      const d = await diags;
      const msgs = d.diagnostics.map((x) => x.message);
      for (const e of ESCAPES) assert.ok(msgs.some((m) => m.includes(e)), `'${e}' was read: ${msgs.join('\n')}`);
      assert.ok(!msgs.some((m) => m.includes('good-link.h') || m.includes('"../inside.h"')), msgs.join('\n'));
      const hover = await s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 8, character: 10 } });
      assert.ok(!JSON.stringify(hover).includes('5ec12e7'));
    } finally {
      await s.close();
    }
  });
});

/** The bundled server over stdio, optionally with node flags (the I/O trap). */
async function startServer(nodeFlags: string[], root: string) {
  const proc = spawn(process.execPath, [...nodeFlags, distCli, 'lsp', '--stdio'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  const waiting = new Map<string, (p: PublishDiagnosticsParams) => void>();
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    if (p.version !== undefined) waiting.get(p.uri)?.(p);
  });
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(root).href, capabilities: {}, workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'ws' }] });
  await conn.sendNotification('initialized', {});
  return {
    conn,
    stderr: () => stderr,
    diagnosticsFor: (uri: string) => new Promise<PublishDiagnosticsParams>((resolve) => waiting.set(uri, resolve)),
    async close(): Promise<number | null> {
      const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
      await conn.sendRequest('shutdown');
      await conn.sendNotification('exit');
      const code = await exited;
      conn.dispose();
      return code;
    },
  };
}

describe('no programs, no connections', () => {
  const trap = path.join(repoRoot, 'out', 'test', 'support', 'trap-io.js');
  let s: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    s = await startServer(['--require', trap], repoRoot);
  });
  after(async () => {
    assert.equal(await s.close(), 0);
  });

  test('the server runs a whole session (Z3 included) with every process and network API trapped', async () => {
    assert.match(s.stderr(), /trap-io: armed/);
    // a bug fixture: its finding needs Z3 and a witness replay
    const file = fixture('kernels', 'bugs', 'compat-eip-from-cx.S');
    const uri = pathToFileURL(file).href;
    const diags = s.diagnosticsFor(uri);
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'x86-entry-asm', version: 1, text: readFileSync(file, 'utf8') } });
    const d = await diags;
    assert.ok(d.diagnostics.some((x) => x.code === 'sysret-rcx-not-rip'), JSON.stringify(d.diagnostics.map((x) => x.code)));
    await s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 73, character: 2 } });
    await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    const actions = await s.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.diagnostics[0].range, context: { diagnostics: d.diagnostics } });
    assert.ok(Array.isArray(actions) && actions.length > 0);
    await s.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
    assert.doesNotMatch(s.stderr(), /TRAPPED/);
  });

  test('the trap works: a program started under it is caught', () => {
    const r = childProcess.spawnSync(process.execPath, ['--require', trap, '-e', "require('child_process').execFileSync('true')"], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TRAPPED child_process\.execFileSync/);
    const n = childProcess.spawnSync(process.execPath, ['--require', trap, '-e', "require('net').connect(80, 'example.invalid')"], { encoding: 'utf8' });
    assert.match(n.stderr, /TRAPPED net\.connect/);
  });
});

describe('the command line runs a program only for diff --git', () => {
  const srcRoot = path.join(repoRoot, 'server', 'src');
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
    });

  test('no source file but cli.ts imports child_process, net, http(s), dgram or tls', () => {
    const users = sources(srcRoot).filter((f) => /from ['"](node:)?(child_process|net|http|https|http2|dgram|tls)['"]|require\(['"](node:)?(child_process|net|http|https|dgram|tls)['"]\)/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(users.map((f) => path.relative(srcRoot, f)), ['cli.ts']);
    const cli = readFileSync(path.join(srcRoot, 'cli.ts'), 'utf8');
    assert.deepEqual(cli.match(/\b(execFileSync|execSync|spawnSync|spawn|exec|execFile|fork)\(/g), ['execFileSync(']);
    assert.match(cli, /execFileSync\('git', \['show', /);
  });

  test('check, simulate and diff of two files start nothing; diff --git starts exactly `git show REV:./FILE`', async () => {
    const calls: unknown[][] = [];
    // the module object itself (what cli.ts calls through), not an import namespace's getters
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cp = require('node:child_process') as Record<string, unknown>;
    const names = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'];
    const saved = names.map((n) => cp[n]);
    for (const n of names) {
      const orig = cp[n] as (...a: unknown[]) => unknown;
      cp[n] = (...args: unknown[]) => {
        calls.push([n, ...args.slice(0, 2)]);
        return orig(...args);
      };
    }
    try {
      const io: CliIO = { stdout: () => {}, stderr: () => {}, cwd: repoRoot };
      const file = path.relative(repoRoot, fixture('kernels', 'bugs', 'no-canonical-check.S'));
      await main(['check', file, '--jobs', '1'], io);
      await main(['simulate', file, '--entry', 'entry_SYSCALL_64'], io);
      await main(['diff', file, path.relative(repoRoot, fixture('kernels', 'linux-2015-entry_64.S'))], io);
      assert.deepEqual(calls, []);
      await main(['diff', '--git', 'HEAD', file], io);
      assert.equal(calls.length, 1, JSON.stringify(calls));
      const first = calls[0] as unknown[];
      assert.deepEqual(first.slice(0, 2), ['execFileSync', 'git']);
      assert.deepEqual(first[2], ['show', 'HEAD:./no-canonical-check.S']);
    } finally {
      names.forEach((n, i) => (cp[n] = saved[i]));
    }
  });

  test('a project file is data: shell, code and prototype keys in it are never run', async () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'er-project-')));
    const marker = path.join(dir, 'ran');
    writeFileSync(path.join(dir, 'entry.S'), readFileSync(fixture('kernels', 'bugs', 'no-canonical-check.S'), 'utf8'));
    writeFileSync(
      path.join(dir, '.entry-review.json'),
      JSON.stringify({
        __proto__: { polluted: true },
        constructor: { prototype: { polluted: true } },
        contracts: { do_syscall_64: { frame: `$(touch ${marker})`, interrupts: "require('child_process').execSync('touch " + marker + "')", clobbers: ['`touch ' + marker + '`'] } },
        entries: [{ label: 'entry_SYSCALL_64', kind: 'syscall; touch ' + marker }],
      }),
    );
    const out: string[] = [];
    const code = await main(['check', 'entry.S'], { stdout: (t) => out.push(t), stderr: () => {}, cwd: dir });
    assert.ok(code === 0 || code === 1, String(code));
    assert.ok(!existsSync(marker), 'nothing in the project file ran');
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    assert.match(out.join(''), /\.entry-review\.json/, 'its mistakes are reported on it');
  });
});
