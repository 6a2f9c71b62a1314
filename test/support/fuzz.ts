// Property-based fuzzing (fast-check) of every layer an editor or a CI feeds text to: the
// preprocessor (macro bombs, include cycles, deep #if nesting), the parser (token soups), the
// analyzer (random instruction mixes and control flow in an entry, random project files) and
// the language server (random LSP request sequences with invalid positions and ranges, edits
// while an analysis runs, documents closed mid-analysis), and the incremental re-parse (random
// chains of edits of every fixture, each parse equal to one from the top). The properties are
// shared: the unit
// tests run them CI-sized with a fixed, printed seed (test/unit/fuzz/fuzz.test.ts), the long
// run (scripts/fuzz.mjs) runs them for >= 100,000 inputs.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze, defaultOptions, type Analysis } from '../../server/src/analysis';
import { parseProgram, type FileReader, type Program } from '../../server/src/syntax';
import { diskReader, programJson as json } from './files';
import { StdioLspClient } from './lsp-client';
import { fixture, repoRoot } from './paths';

export const FUZZ_SEED = 0x11f022;

const FILE = '/virtual/fuzz/entry.S';

/** The program is well formed: locations inside the text, only `parse` diagnostics, no internal error. */
export function checkProgram(p: Program, text: string): void {
  assert.equal(p.file, FILE);
  const lines = text.split('\n').length;
  for (const d of p.diagnostics) {
    assert.equal(d.code, 'parse');
    assert.ok(d.message.length > 0);
    assert.ok(!/internal parser error/.test(d.message), d.message);
    if (d.loc.file === FILE) assert.ok(d.loc.range.start.line < lines, `diagnostic on line ${d.loc.range.start.line} of ${lines}`);
  }
  for (const s of p.statements) if (s.loc.file === FILE) assert.ok(s.loc.range.start.line < lines);
  for (const [name, idx] of p.labels) assert.equal(p.statements[idx].name, name);
}

const memReader = (files: Record<string, string>): FileReader => ({
  read: (p) => (Object.prototype.hasOwnProperty.call(files, p) ? files[p] : undefined),
  exists: (p) => Object.prototype.hasOwnProperty.call(files, p) || Object.keys(files).some((f) => f.startsWith(p + '/')),
});

function timed<T>(budgetMs: number, what: string, fn: () => T): T {
  const t = performance.now();
  const r = fn();
  const ms = performance.now() - t;
  assert.ok(ms < budgetMs, `${what} took ${Math.round(ms)} ms (budget ${budgetMs})`);
  return r;
}

// --- the preprocessor ---------------------------------------------------------------------------


/** A chain of #defines each using the previous one `fan` times: fan^depth tokens if nothing stopped it. */
const macroBomb = fc.record({ depth: fc.integer({ min: 1, max: 40 }), fan: fc.integer({ min: 1, max: 5 }), fnLike: fc.boolean(), use: fc.constantFrom('.long', 'movq $', 'ALTERNATIVE "') }).map(({ depth, fan, fnLike, use }) => {
  const L: string[] = [fnLike ? '#define M0(x) x x' : '#define M0 1'];
  for (let i = 1; i <= depth; i++) {
    const ref = fnLike ? `M${i - 1}(x)` : `M${i - 1}`;
    L.push(fnLike ? `#define M${i}(x) ${Array(fan).fill(ref).join(' ')}` : `#define M${i} ${Array(fan).fill(ref).join(' + ')}`);
  }
  L.push(`\t${use}${fnLike ? `M${depth}(y)` : `M${depth}`}${use.endsWith('"') ? '", "nop", X86_FEATURE_PTI' : use.endsWith('$') ? ', %rax' : ''}`, '\tnop');
  return L.join('\n');
});

/** #if nesting up to thousands deep, with #elif / #else and some unbalanced lines. */
const deepIf = fc.record({
  depth: fc.integer({ min: 1, max: 3000 }),
  kinds: fc.array(fc.constantFrom('#if 1', '#if 0', '#ifdef A', '#ifndef B', '#if defined(C) || X > 2', '#if (1 ? 2 : 0'), { minLength: 1, maxLength: 6 }),
  middles: fc.array(fc.constantFrom('', '#else', '#elif 1', '#elif', '\tnop', '#define A 1', '#undef A', '#error stop'), { maxLength: 6 }),
  unbalance: fc.integer({ min: -3, max: 3 }),
}).map(({ depth, kinds, middles, unbalance }) => {
  const L: string[] = [];
  for (let i = 0; i < depth; i++) {
    L.push(kinds[i % kinds.length]);
    if (middles.length && i % 7 === 0) L.push(middles[i % middles.length]);
  }
  L.push('\tmovq %rax, %rbx');
  for (let i = 0; i < depth + unbalance; i++) L.push(i % 11 === 3 && middles.length ? middles[0] || '#endif' : '#endif');
  L.push('\tnop');
  return L.join('\n');
});

/** A graph of headers including each other (cycles, self-includes, ../ paths, .include and #include). */
const includeGraph = fc.record({
  n: fc.integer({ min: 1, max: 6 }),
  edges: fc.array(fc.tuple(fc.nat(5), fc.nat(5), fc.constantFrom('#include "h%.h"', '#include <h%.h>', '\t.include "h%.h"', '#include "../fuzz/h%.h"', '#include_next <h%.h>', '#include "/virtual/fuzz/h%.h"')), { maxLength: 12 }),
  guards: fc.boolean(),
  body: fc.constantFrom('#define V% 1', '\tnop', '.macro MAC%\n\tnop\n.endm', '#pragma once'),
}).map(({ n, edges, guards, body }) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const inc = edges.filter(([from]) => from % n === i).map(([, to, form]) => form.replace('%', String(to % n)));
    const text = [body.replace(/%/g, String(i)), ...inc].join('\n');
    files[`/virtual/fuzz/h${i}.h`] = guards ? `#ifndef G${i}\n#define G${i}\n${text}\n#endif\n` : text + '\n';
  }
  return { files, main: '#include "h0.h"\n' + edges.slice(0, 2).map(([, to, form]) => form.replace('%', String(to % n))).join('\n') + '\n\tnop\n' };
});

export const preprocessorInput = fc.oneof(
    macroBomb.map((text) => ({ text, files: {} as Record<string, string> })),
    deepIf.map((text) => ({ text, files: {} as Record<string, string> })),
    includeGraph.map(({ files, main }) => ({ text: main, files })),
);

export const preprocessorProperty = fc.property(
  preprocessorInput,
  ({ text, files }) => {
    const p = timed(5000, 'parseProgram', () => parseProgram(FILE, text, {}, memReader(files)));
    checkProgram(p, text);
  },
);

// --- the parser ---------------------------------------------------------------------------------

const reg = fc.constantFrom('%rax', '%rcx', '%r11', '%rsp', '%eax', '%al', '%gs', '%cr3', '%rip', '%xmm0', '%r16', '%');
const operand = fc.oneof(
  reg,
  fc.integer({ min: -1000, max: 1 << 30 }).map((v) => `$${v}`),
  fc.constantFrom('$__USER_CS', '$(1 << 47)', '$-ENOSYS', '$0xffffffffffffffffff', 'RIP(%rsp)', '8(%rsp,%rax,8)', 'PER_CPU_VAR(rsp_scratch)', '%gs:0x10', '*%rax', '(%rax', '1f', '2b', 'sys_call_table(,%rax,8)', '"str', "'c", '\\arg'),
);
const mnemonic = fc.constantFrom('movq', 'mov', 'addq', 'subl', 'xorl', 'testl', 'cmpq', 'shl', 'sar', 'bt', 'jz', 'jnz', 'jmp', 'ja', 'call', 'pushq', 'popq', 'leaq', 'swapgs', 'sysretq', 'sysretl', 'iretq', 'sysexit', 'cli', 'sti', 'ret', 'nop', 'lfence', 'mov %cr3', 'rep', 'lock', 'ud2', 'frobq');
const directive = fc.constantFrom('.macro M a b=1', '.endm', '.rept 3', '.endr', '.irp r, rax, rbx', '.if 1', '.else', '.endif', '.set X, 1', '.equ Y, X+1', '.error "x"', '.section .text', '.pushsection .a', '.popsection', '.byte 1,2', '.quad 0', '.align 16', '.L1:', '1:', 'ENTRY(foo)', 'END(foo)', 'ALTERNATIVE "", "lfence", X86_FEATURE_PTI', 'ALTERNATIVE_2 "a", "b", 1, "c", 2', 'SWAPGS', 'PUSH_AND_CLEAR_REGS', '_ASM_EXTABLE(1b, 2f)', '#define Z(x) x##x', '#if Z(1)', '#endif', '/*', '*/', '#', '\\', 'M 1, 2', '.L1_\\@:');
const asmLine = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(mnemonic, fc.array(operand, { maxLength: 3 })).map(([m, ops]) => `\t${m} ${ops.join(', ')}`) },
  { weight: 3, arbitrary: directive },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

export const parserProperty = fc.property(fc.array(asmLine, { maxLength: 60 }), fc.constantFrom('\n', '\r\n', ';', '\n\\\n'), (lines, sep) => {
  const text = lines.join(sep);
  const p = timed(5000, 'parseProgram', () => parseProgram(FILE, text, {}, memReader({})));
  checkProgram(p, text);
});

// --- the analyzer -------------------------------------------------------------------------------

/** An entry_SYSCALL_64 whose body is a random mix of instructions, branches to random labels and exits. */
const entryBody = fc.record({
  frame: fc.boolean(),
  body: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: asmLine },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom('jz', 'jnz', 'jmp', 'jne', 'call', 'ja'), fc.nat(7)).map(([j, l]) => `\t${j} .Lf${l}`) },
      { weight: 2, arbitrary: fc.nat(7).map((l) => `.Lf${l}:`) },
      { weight: 2, arbitrary: fc.constantFrom('\tswapgs', '\tsysretq', '\tiretq', '\tmovq RIP(%rsp), %rcx', '\tmovq EFLAGS(%rsp), %r11', '\tmovq RSP(%rsp), %rsp', '\tcall do_syscall_64', '\ttestl $_TIF_ALLWORK_MASK, TASK_TI_flags(%r11)', '\tmovq PER_CPU_VAR(current_task), %r11', '\tDISABLE_INTERRUPTS(CLBR_NONE)', '\tENABLE_INTERRUPTS(CLBR_NONE)', '\tUSERGS_SYSRET64', '\tSWITCH_TO_USER_CR3_STACK scratch_reg=%rdi', '\tALTERNATIVE "jmp .Lf1", "", X86_FEATURE_XENPV') },
    ),
    { maxLength: 50 },
  ),
}).map(({ frame, body }) => {
  const head = ['#include <asm/calling.h>', 'ENTRY(entry_SYSCALL_64)', '\tswapgs'];
  if (frame) head.push('\tmovq %rsp, PER_CPU_VAR(rsp_scratch)', '\tmovq PER_CPU_VAR(cpu_current_top_of_stack), %rsp', '\tpushq $__USER_DS', '\tpushq PER_CPU_VAR(rsp_scratch)', '\tpushq %r11', '\tpushq $__USER_CS', '\tpushq %rcx', '\tpushq %rax', '\tPUSH_AND_CLEAR_REGS rax=$-ENOSYS');
  return [...head, ...body, '\tsysretq', 'END(entry_SYSCALL_64)', ''].join('\n');
});

/** A project file: sometimes valid, often not (wrong types, unknown names, odd JSON). */
const projectFile = fc.oneof(
  fc.constantFrom('', '{', 'null', '[]', '{"entries": 3}', '{"contracts": {"do_syscall_64": {"frame": "sometimes"}}}', '{"entries": [{"label": "entry_SYSCALL_64", "kind": "frame"}]}'),
  fc.record({
    entries: fc.array(fc.record({ label: fc.constantFrom('entry_SYSCALL_64', 'nope', ''), kind: fc.constantFrom('syscall', 'compat', 'interrupt', 'frame', 7), frame: fc.option(fc.record({ size: fc.oneof(fc.nat(400), fc.constantFrom('TF_SIZE', 'SIZEOF_PTREGS', '1|2')), fields: fc.dictionary(fc.constantFrom('ip', 'cs', 'flags', 'sp', 'ss', 'cx', 'r11', 'ax', 'bogus'), fc.oneof(fc.nat(200), fc.constantFrom('RIP', 'TF_RIP', 'X|Y', '', '1 - (2', 'RIP + 8 * 2'))), returnFlags: fc.oneof(fc.record({ clear: fc.oneof(fc.nat(), fc.constantFrom('X86_EFLAGS_IOPL|X86_EFLAGS_VM', 'NOPE', '~0')), set: fc.oneof(fc.nat(0x3fffff), fc.constantFrom('X86_EFLAGS_IF', '')) }, { requiredKeys: [] }), fc.constantFrom(null, 3, 'IF')) }, { requiredKeys: ['size', 'fields'] })) }), { maxLength: 2 }),
    contracts: fc.dictionary(fc.constantFrom('do_syscall_64', 'amd64_syscall', 'x', 'syscall_return_slowpath'), fc.record({ frame: fc.oneof(fc.constantFrom('never', 'always', 'sometimes'), fc.record({ onlyWith: fc.record({ percpu: fc.constantFrom('current_task', 'PC_CURPCB'), offset: fc.oneof(fc.nat(64), fc.constantFrom('TASK_TI_flags')), mask: fc.oneof(fc.nat(), fc.constantFrom('_TIF_NOTIFY_RESUME', 'A|B')) }) })), interrupts: fc.constantFrom('off', 'on', 'unchanged', 'unknown', 'maybe'), exitWorkDone: fc.oneof(fc.boolean(), fc.constantFrom('yes')), clobbers: fc.array(fc.constantFrom('rax', 'rcx', 'r11', 'rip', 'x'), { maxLength: 3 }) }, { requiredKeys: [] })),
    workFlags: fc.array(fc.record({ percpu: fc.constantFrom('current_task'), offset: fc.constantFrom('TASK_TI_flags', 0), mask: fc.constantFrom('_TIF_ALLWORK_MASK', 255) }), { maxLength: 2 }),
    selectors: fc.option(fc.record({ userCs: fc.oneof(fc.nat(0xffff), fc.constantFrom('__USER_CS')), userSs: fc.oneof(fc.nat(0xffff), fc.constantFrom('__USER_DS')) })),
    userCr3: fc.oneof(
      fc.record({ percpu: fc.constantFrom('cpu_tss_rw', 'PC_UCR3', ''), none: fc.oneof(fc.nat(), fc.constantFrom('0xffffffffffffffff', 'x')) }, { requiredKeys: [] }),
      fc.record({ stackEnd: fc.oneof(fc.constantFrom(0x8000, 0, 3, -1, 'THREAD_SIZE', 'STACK_SIZE + 1')), offset: fc.oneof(fc.integer({ min: -256, max: 256 }), fc.constantFrom('1 - 248 + 224', 'TASK_TI_flags', '(')), none: fc.oneof(fc.nat(), fc.constant('0')) }, { requiredKeys: [] }),
    ),
    accept: fc.oneof(fc.constantFrom(3, 'all', {}), fc.array(fc.record({ code: fc.constantFrom('sysret-rf-tf', 'sysret-selectors', 'exit-work-unchecked', 'sysret-noncanonical-rip', 'nope', 7), entry: fc.constantFrom('entry_SYSCALL_64', 'nope', 3), return: fc.constantFrom('sysret', 'sysretl', 'iret', 'eretu'), why: fc.constantFrom('by design', '', 5) }, { requiredKeys: [] }), { maxLength: 3 })),
    companions: fc.oneof(fc.constantFrom(3, 'entry_64.S', [''], [7]), fc.array(fc.constantFrom('entry_64.S', '../entry.S', '/etc/passwd', '../../../../x.S', 'nope.S'), { maxLength: 2 })),
    workflags: fc.constantFrom(1, 'misspelt'),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
);

/** What every analysis must satisfy, whatever its input. */
export function checkAnalysis(a: Analysis): void {
  for (const f of a.findings) {
    assert.ok(!/internal error/.test(f.message), f.message);
    if (f.severity !== 'info' && f.code !== 'parse') {
      assert.ok(f.path && f.path.length > 0, `${f.code} without a path`);
      assert.ok(f.replay, `${f.code} without a replay`);
    }
  }
  for (const r of a.returns) assert.ok(['ok', 'finding', 'unknown'].includes(r.verdict));
}

export const analyzerProperty = fc.asyncProperty(entryBody, fc.option(projectFile, { freq: 3 }), fc.constantFrom<'intel' | 'amd' | 'both'>('intel', 'amd', 'both'), async (text, project, vendor) => {
  const files: Record<string, string> = {};
  if (project !== null) files['/virtual/fuzz/.entry-review.json'] = project;
  const t = performance.now();
  const a = await analyze({ file: FILE, text }, { ...defaultOptions, vendor }, memReader(files));
  const ms = performance.now() - t;
  // the walk's own budget is 4 s; a replay's is counted in states
  assert.ok(ms < 15000, `analyze took ${Math.round(ms)} ms`);
  checkAnalysis(a);
});

// --- the language server ------------------------------------------------------------------------

type Op =
  | { op: 'change'; sl: number; sc: number; el: number; ec: number; text: string; wait: boolean }
  | { op: 'full'; text: string }
  | { op: 'request'; method: string; line: number; character: number; el: number; ec: number }
  | { op: 'close' }
  | { op: 'reopen'; text: string };

const position = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -3, max: -1 }), fc.constantFrom(1 << 30, 2 ** 31 - 1, 100000));
const lspOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('change' as const), sl: position, sc: position, el: position, ec: position, text: fc.oneof(asmLine, fc.constantFrom('', '\n', '/* c */', '\tsysretq\n', '#if 1\n', '.macro X\n')), wait: fc.boolean() }) },
  { weight: 1, arbitrary: entryBody.map((text) => ({ op: 'full' as const, text })) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('request' as const), method: fc.constantFrom('textDocument/hover', 'textDocument/definition', 'textDocument/documentSymbol', 'textDocument/codeLens', 'textDocument/codeAction'), line: position, character: position, el: position, ec: position }) },
  { weight: 1, arbitrary: fc.constant({ op: 'close' as const }) },
  { weight: 1, arbitrary: entryBody.map((text) => ({ op: 'reopen' as const, text })) },
);

/** Per request, the longest a small document's answer may take (4x the design's waits, for a loaded machine). */
export const REQUEST_BUDGET_MS: Record<string, number> = {
  'textDocument/hover': 2000,
  'textDocument/definition': 2000,
  'textDocument/documentSymbol': 2000,
  'textDocument/codeLens': 2000,
  'textDocument/codeAction': 5000,
};

/** A running server for a sequence of properties; `uri()` gives each run a document of its own. */
export class FuzzServer {
  client!: StdioLspClient;
  private n = 0;
  requests = 0;

  async start(): Promise<void> {
    this.client = new StdioLspClient();
    await this.client.conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL('/virtual/fuzz').href, capabilities: {}, workspaceFolders: null });
    await this.client.conn.sendNotification('initialized', {});
  }

  uri(): string {
    return pathToFileURL(`/virtual/fuzz/doc${this.n++}.S`).href;
  }

  /**
   * A request answered within its budget (an error response is an answer; a hang is not). The
   * budgets follow the server's design (server.ts): nothing waits for an analysis longer than
   * STATE_WAIT_MS (500 ms) but a code action's fix check (3 s); the rest is a parse of the document
   * in the syntax thread, or nothing at all.
   */
  async ask(method: string, params: object, budgetMs = REQUEST_BUDGET_MS[method] ?? 15000): Promise<unknown> {
    this.requests++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${method} not answered within ${budgetMs} ms`)), budgetMs)));
    try {
      return await Promise.race([
        this.client.conn.sendRequest(method, params).then(
          (r) => r,
          (e: unknown) => ({ error: String(e) }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<number | null> {
    return this.client.close();
  }
}

export function lspProperty(server: FuzzServer): fc.IAsyncPropertyWithHooks<[string, Op[]]> {
  return fc.asyncProperty(entryBody, fc.array(lspOp, { minLength: 1, maxLength: 12 }), async (text, ops) => {
    const c = server.client.conn;
    const uri = server.uri();
    let version = 1;
    let open = true;
    await c.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'x86-entry-asm', version, text } });
    for (const o of ops) {
      if (o.op === 'close') {
        if (open) await c.sendNotification('textDocument/didClose', { textDocument: { uri } });
        open = false;
      } else if (o.op === 'reopen') {
        if (open) await c.sendNotification('textDocument/didClose', { textDocument: { uri } });
        await c.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'x86-entry-asm', version: ++version, text: o.text } });
        open = true;
      } else if (o.op === 'change' || o.op === 'full') {
        const change = o.op === 'full' ? { text: o.text } : { range: { start: { line: o.sl, character: o.sc }, end: { line: o.el, character: o.ec } }, text: o.text };
        await c.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [change] });
        // an edit while the previous version is still being analysed, or after it settled
        if (o.op === 'change' && o.wait) await server.ask('textDocument/documentSymbol', { textDocument: { uri } });
      } else {
        const pos = { line: o.line, character: o.character };
        const params =
          o.method === 'textDocument/documentSymbol' || o.method === 'textDocument/codeLens'
            ? { textDocument: { uri } }
            : o.method === 'textDocument/codeAction'
              ? { textDocument: { uri }, range: { start: pos, end: { line: o.el, character: o.ec } }, context: { diagnostics: [{ range: { start: pos, end: pos }, message: 'x', source: 'entry-review', code: 'sysret-rf-tf', data: { replay: ['--entry', 'entry_SYSCALL_64', "--set'; rm -rf /"] } }] } }
              : { textDocument: { uri }, position: pos };
        await server.ask(o.method, params);
      }
    }
    if (open) await c.sendNotification('textDocument/didClose', { textDocument: { uri } });
    // still alive and answering
    await server.ask('textDocument/hover', { textDocument: { uri: server.uri() }, position: { line: 0, character: 0 } }, 5000);
  });
}

/**
 * A 100,000-line document: opened, asked about at once, edited and closed while it is analysed.
 * An instruction's hover answers from the text at once (1 s), long before the analysis is done; a
 * directive's hover and the outline need one parse of the document in the syntax thread, never
 * the analysis: each within 10 s on a loaded machine.
 */
export async function bigDocument(server: FuzzServer, base: string): Promise<{ lines: number; hoverMs: number; directiveHoverMs: number; symbolsMs: number }> {
  const c = server.client.conn;
  const baseLines = base.split('\n');
  const lines: string[] = [];
  while (lines.length < 100000) lines.push(...baseLines);
  lines.length = 100000;
  const mnemonicLine = lines.findIndex((l, i) => i > 90000 && /^\tmovq\t/.test(l));
  const uri = server.uri();
  let published = Infinity;
  const diagnostics = server.client.waitForDiagnostics(uri, (p) => p.version === 1, 120000).then(() => (published = performance.now()), () => undefined);
  await c.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'x86-entry-asm', version: 1, text: lines.join('\n') } });
  const t = performance.now();
  const hover = (await server.ask('textDocument/hover', { textDocument: { uri }, position: { line: mnemonicLine, character: 2 } }, 1000)) as { contents?: { value?: string } } | null;
  const hoverMs = performance.now() - t;
  assert.match(hover?.contents?.value ?? '', /^\*\*mov\*\*/);
  await server.ask('textDocument/hover', { textDocument: { uri }, position: { line: 99999, character: 1 } }, 10000);
  const directiveHoverMs = performance.now() - t;
  const outline = await server.ask('textDocument/documentSymbol', { textDocument: { uri } }, 10000);
  assert.ok(Array.isArray(outline) && outline.length > 0);
  await diagnostics;
  assert.ok(t + hoverMs < published, 'the instruction hover is answered before the analysis is done');
  await c.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 50000, character: 0 }, end: { line: 50000, character: 0 } }, text: '/* edit */' }] });
  const t2 = performance.now();
  const symbols = server.ask('textDocument/documentSymbol', { textDocument: { uri } }, 10000);
  // closed while version 2 is being analysed: the request still gets an answer
  await c.sendNotification('textDocument/didClose', { textDocument: { uri } });
  await symbols;
  const symbolsMs = performance.now() - t2;
  const after = await server.ask('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 1 } }, 1000);
  assert.equal(after, null, 'a closed document has no hover');
  return { lines: lines.length, hoverMs, directiveHoverMs, symbolsMs };
}

// ---- the incremental re-parse ------------------------------------------------------------------

/** Parses `text` incrementally (from the file's last parse) and from the top; fails unless the two are the same, byte for byte. */
export function sameParse(file: string, text: string, what: string): Program {
  const a = parseProgram(file, text, {}, diskReader);
  const b = parseProgram(file, text, { incremental: false }, diskReader);
  const ja = json(a);
  const jb = json(b);
  if (ja !== jb) {
    let i = 0;
    while (i < ja.length && ja[i] === jb[i]) i++;
    assert.fail(`${path.relative(repoRoot, file)}, ${what}: the incremental parse differs from a parse from the top at ${i}: …${ja.slice(Math.max(0, i - 120), i + 120)}…\n  vs …${jb.slice(Math.max(0, i - 120), i + 120)}…`);
  }
  return a;
}

/** The sample, the kernel tree's entry file and every kernel fixture, with their texts. */
function editedFiles(): { file: string; text: string }[] {
  const files = [path.join(repoRoot, 'samples', 'entry_64.S'), fixture('kernel-tree', 'arch', 'x86', 'entry', 'entry_64.S')];
  for (const dir of [fixture('kernels'), fixture('kernels', 'bugs')]) {
    for (const n of readdirSync(dir).sort()) if (n.endsWith('.S') && statSync(path.join(dir, n)).isFile()) files.push(path.join(dir, n));
  }
  return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

// lines an edit writes: what a developer types in entry code, and what opens and closes state
const SNIPPETS = [
  '\tnop', '/* a comment */', '# a comment', '1:', '2:', '\tjmp 1f', '\tjnz 1b', '\tjmp 2f', '#define ER_X 3', '#undef ER_X', '#define ER_F(x) ((x) + 1)',
  '\tmovq $ER_X, %rax', '#ifdef ER_X', '#else', '#endif', '#if 0', '.if 1', '.else', '.endif', '.macro ER_M a\n\tmovq \\a, %rax\n.endm', '\tER_M %rbx', '.endm',
  '\t_ASM_EXTABLE(1b, 2f)', '\t.section .text, "ax"', '\t.pushsection .rodata\n\t.quad 1b\n\t.popsection', 'ALTERNATIVE "", "nop", X86_FEATURE_XENPV', '\tcmpq %rcx, %r11',
  '\tsysretq', '\tswapgs', 'SYM_CODE_START(er_new)', 'SYM_CODE_END(er_new)', '\t.rept 3\n\tnop\n\t.endr', '.rept 2', '.endr', 'er_label:', '\tmovq %rsp, PER_CPU_VAR(cpu_tss_rw + TSS_sp2)',
  '\t.set ER_Y, . - er_label', '\t.byte 1, 2, 3', '\tmovq RCX(%rsp), %rcx', '\\', '"', '/*', '*/', '\tlock', '',
];
const CHARS = [' ', 'x', '%', ',', '$', '1', 'f', 'b', ':', '#', '\\', '/', '*', '(', ')', '"', '\n', ';', '.'];
const at = fc.double({ min: 0, max: 1, noNaN: true });
const textEdit = fc.oneof(
  fc.record({ kind: fc.constant('char' as const), at, col: fc.nat(60), ch: fc.constantFrom(...CHARS) }),
  fc.record({ kind: fc.constant('cut' as const), at, col: fc.nat(60), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constantFrom('insert' as const, 'replace' as const), at, snippet: fc.constantFrom(...SNIPPETS) }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), at }),
);
type TextEdit = typeof textEdit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(text: string, e: TextEdit): string {
  const lines = text.split('\n');
  const li = Math.min(lines.length - 1, Math.floor(e.at * lines.length));
  const line = lines[li];
  switch (e.kind) {
    case 'char': {
      const c = Math.min(e.col, line.length);
      lines[li] = line.slice(0, c) + e.ch + line.slice(c);
      break;
    }
    case 'cut': {
      const c = Math.min(e.col, line.length);
      lines[li] = line.slice(0, c) + line.slice(c + e.n);
      break;
    }
    case 'insert':
      lines.splice(li, 0, e.snippet);
      break;
    case 'replace':
      lines[li] = e.snippet;
      break;
    case 'delete':
      lines.splice(li, 1);
      break;
    case 'duplicate':
      lines.splice(li, 0, line);
      break;
  }
  return lines.join('\n');
}

let edited: { file: string; text: string }[] | undefined;
/**
 * A file of the fixtures parsed, then a chain of one to four edits (characters typed and cut,
 * lines of #if, .if, .macro, .rept, ALTERNATIVE, numeric labels, #define written, lines deleted
 * and duplicated): each text's incremental parse is the parse from the top.
 */
export const incrementalProperty = fc.property(fc.nat(1000), fc.array(textEdit, { minLength: 1, maxLength: 4 }), (pick, edits) => {
  edited ??= editedFiles();
  const { file, text: first } = edited[pick % edited.length];
  let text = first;
  parseProgram(file, text, {}, diskReader);
  for (const [i, e] of edits.entries()) {
    text = applyEdit(text, e);
    sameParse(file, text, `edit ${i + 1} of ${edits.length} (${JSON.stringify(e)})`);
  }
});
