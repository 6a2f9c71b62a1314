// Preloaded (node --require) into a process under test: every way to run a program or open a
// network connection is replaced by a trap that writes `TRAPPED <what>` to stderr and throws.
// The language server must never trip one (SPEC: it runs no external program and opens no
// connection); the stdio transport it uses needs none of them.
/* eslint-disable @typescript-eslint/no-require-imports */
const trap = (what: string) =>
  function trapped(): never {
    process.stderr.write(`TRAPPED ${what}\n`);
    throw new Error(`trapped: ${what}`);
  };
const cp = require('node:child_process');
for (const f of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) cp[f] = trap(`child_process.${f}`);
const net = require('node:net');
for (const f of ['connect', 'createConnection', 'createServer']) net[f] = trap(`net.${f}`);
net.Socket.prototype.connect = trap('net.Socket.connect');
for (const mod of ['node:http', 'node:https', 'node:http2']) {
  const m = require(mod);
  for (const f of ['request', 'get', 'connect', 'createServer', 'createSecureServer']) if (typeof m[f] === 'function') m[f] = trap(`${mod}.${f}`);
}
const tls = require('node:tls');
tls.connect = trap('tls.connect');
const dgram = require('node:dgram');
dgram.createSocket = trap('dgram.createSocket');
if (typeof globalThis.fetch === 'function') globalThis.fetch = trap('fetch') as typeof fetch;
process.stderr.write('trap-io: armed\n');
