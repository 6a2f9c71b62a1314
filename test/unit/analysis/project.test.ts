// The project file: FreeBSD described as data. Its fast_syscall SYSRET is proven with the
// PCB_FULL_IRET contract; without the contract (or without the flag test) the CVE-2014-4699 shape
// appears; a broken project file is reported with the JSON path of each mistake.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, envFromPins, simulate, type Analysis } from '../../../server/src/analysis';
import { diagnosticsFor } from '../../../server/src/features/diagnostics';
import { parseProgram, type FileReader } from '../../../server/src/syntax';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

// The team's FreeBSD fixture, with the project file shown to it as `.entry-review.json` beside it
// (found the way a workspace's is) — its text comes from test/fixtures/projects/.
const file = fixture('kernels', 'freebsd-exception.S');
const projectPath = path.join(path.dirname(file), '.entry-review.json');
const projectText = readFileSync(fixture('projects', 'freebsd.entry-review.json'), 'utf8');
const project = JSON.parse(projectText);

/** The disk, with a project file beside the fixture. */
const reader = (text: string): FileReader => ({
  read: (p) => (p === projectPath ? text : diskReader.read(p)),
  exists: (p) => (p === projectPath ? true : diskReader.exists?.(p) ?? diskReader.read(p) !== undefined),
});
const run = (text: string, projectText: string): Promise<Analysis> => analyze({ file, text }, defaultOptions, reader(projectText));
const severe = (a: Analysis) => a.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}@${f.loc.range.start.line + 1}`);
const source = readFileSync(file, 'utf8');

describe('project file', () => {
  test('FreeBSD fast_syscall with its contracts: SYSRET and IRET proven, taken when PCB_FULL_IRET is clear', async () => {
    const a = await run(source, projectText);
    assert.deepEqual(severe(a), []);
    assert.deepEqual(a.entries, ['Xfast_syscall']);
    const sysret = a.returns.find((r) => r.kind === 'sysret');
    assert.equal(sysret?.verdict, 'ok');
    assert.equal(sysret?.conditions.length, 9);
    assert.match(sysret?.exitCondition ?? '', /^PCB_FULL_IRET\[0\] == 0 ∧ /);
    assert.ok(sysret?.assumes.some((s) => s.startsWith('amd64_syscall (.entry-review.json): rewrites the saved frame only together with PCB_FULL_IRET')));
    assert.equal(a.returns.find((r) => r.kind === 'iret')?.verdict, 'ok');
  });
  test('without the PCB_FULL_IRET contract (frame "always"), the fast path trusts a frame C may have rewritten', async () => {
    const p = structuredClone(project);
    p.contracts.amd64_syscall.frame = 'always';
    const a = await run(source, JSON.stringify(p));
    const codes = severe(a);
    assert.ok(codes.includes('sysret-noncanonical-rip@256'), codes.join(' '));
    assert.ok(codes.includes('sysret-selectors@256'), codes.join(' '));
  });
  test('without the PCB_FULL_IRET test before SYSRET, the same shape appears', async () => {
    const text = source.replace(/\ttestl\t\$PCB_FULL_IRET, PCB_FLAGS\(%rax\)\n\tjnz\t4f\n/, '\n\n');
    assert.notEqual(text, source);
    const codes = severe(await run(text, JSON.stringify(project)));
    assert.ok(codes.includes('sysret-noncanonical-rip@256'), codes.join(' '));
  });
  test('a key the reader does not know is a mistake with its JSON path (a misspelt key would leave the checks on their defaults); "$schema" and "//" comments are not', async () => {
    const p = structuredClone(project);
    p.workflags = p.workFlags;
    delete p.workFlags;
    p.contracts.amd64_syscall.frame.onlywith = p.contracts.amd64_syscall.frame.onlyWith;
    delete p.contracts.amd64_syscall.frame.onlyWith;
    p.entries[0].frame.feilds = {};
    p.$schema = './entry-review.schema.json';
    p['// note'] = 'fast path only';
    const a = await run(source, JSON.stringify(p));
    const msgs = a.findings.filter((f) => f.code === 'parse').map((f) => f.message.replace(/^.*\.entry-review\.json /, ''));
    assert.deepEqual(msgs.filter((m) => m.includes('unknown key')), [
      '$.workflags: unknown key (expected "entries", "workFlags", "selectors", "userCr3", "contracts", "cSources", "companions", "preprocess", "accept")',
      '$.entries[0].frame.feilds: unknown key (expected "offset", "size", "fields", "returnFlags")',
      '$.contracts.amd64_syscall.frame.onlywith: unknown key (expected "onlyWith")',
    ]);
  });
  test('an untrusted workspace (projectFile "") reads no project file: the FreeBSD entry is not even known', async () => {
    const a = await analyze({ file, text: source }, { ...defaultOptions, projectFile: '' }, reader(projectText));
    assert.deepEqual([a.entries, a.returns.length], [[], 0]);
  });
  test('--config FILE names the project file wherever it is', async () => {
    const a = await analyze({ file, text: source }, { ...defaultOptions, projectFile: fixture('projects', 'freebsd.entry-review.json') }, diskReader);
    assert.deepEqual([a.entries, a.returns.map((r) => r.verdict)], [['Xfast_syscall'], ['ok', 'ok']]);
  });
  test('mistakes are reported with their JSON path, on the project file', async () => {
    const bad = { entries: [{ label: 'Xfast_syscall', kind: 'fastcall', frame: { size: 'TF_NOPE', fields: { ip: 'TF_RIP' } } }], contracts: { amd64_syscall: { interrupts: 'maybe' } } };
    const a = await run(source, JSON.stringify(bad));
    const msgs = a.findings.filter((f) => f.loc.file === projectPath).map((f) => [f.code, f.severity, f.message.slice(projectPath.length + 1)]);
    assert.deepEqual(msgs, [
      ['parse', 'error', '$.entries[0].kind: expected one of syscall, compat, sysenter, interrupt, exception, int80, frame'],
      ['parse', 'error', '$.contracts.amd64_syscall.interrupts: expected one of off, on, unchanged, unknown'],
    ]);
    const notJson = await run(source, '{ "entries": [ }');
    assert.match(notJson.findings.find((f) => f.loc.file === projectPath)?.message ?? '', /\$: not JSON/);
    const badSize = { entries: [{ label: 'Xfast_syscall', frame: { size: 'TF_NOPE', fields: { ip: 'TF_RIP' } } }] };
    const m = (await run(source, JSON.stringify(badSize))).findings.filter((f) => f.loc.file === projectPath).map((f) => f.message.slice(projectPath.length + 1));
    assert.deepEqual(m, [
      "$.entries[0].frame.size: 'TF_NOPE' is not a constant of this file (its headers define no such value)",
      '$.entries[0].frame.fields: missing "flags": the checks compare the return with it',
      '$.entries[0].frame.fields: missing "cs": the checks compare the return with it',
      '$.entries[0].frame.fields: missing "ss": the checks compare the return with it',
      '$.entries[0].frame.fields: missing "sp": the checks compare the return with it',
    ]);
  });
  test('"preprocess": true runs cpp over a .s file (illumos builds its .s files through cpp)', async () => {
    // A team-written illumos-style entry: lower-case .s, #include and #define, a SYSCALL entry.
    const dir = '/virtual/uts/i86pc/ml';
    const sFile = `${dir}/syscall_demo.s`;
    const header = '#define USER_RIP(sp) 128(sp)\n#define KPTI_ENTRY swapgs\n';
    const text = [
      '#include <sys/demo_asm.h>',
      '\t.globl\tsys_syscall_demo',
      'sys_syscall_demo:',
      '\tKPTI_ENTRY',
      '\tmovq\t%rcx, USER_RIP(%rsp)',
      '\tswapgs',
      '\tsysretq',
      '',
    ].join('\n');
    const files = (projectText: string | undefined): FileReader => ({
      read: (p) => (p === `${dir}/.entry-review.json` ? projectText : p === `/virtual/inc/sys/demo_asm.h` ? header : undefined),
      exists: (p) => (p === `${dir}/.entry-review.json` ? projectText !== undefined : p === '/virtual/inc/sys/demo_asm.h'),
    });
    const opts = { ...defaultOptions, includePaths: ['/virtual/inc'], entries: ['sys_syscall_demo:syscall'] };
    const unmodeled = (a: Analysis) => a.findings.filter((f) => f.code === 'unmodeled' || f.code === 'parse').map((f) => `${f.code}@${f.loc.range.start.line + 1}`);
    // as gcc -c reads it: '#' lines are comments, the cpp macros are unknown names
    const plain = await analyze({ file: sFile, text }, opts, files(undefined));
    assert.ok(unmodeled(plain).includes('unmodeled@4'), unmodeled(plain).join(' '));
    assert.equal(plain.program.includes.length, 0);
    // the project file asks for cpp, as illumos's build runs it
    const cpp = await analyze({ file: sFile, text }, opts, files(JSON.stringify({ preprocess: true })));
    assert.deepEqual(unmodeled(cpp), []);
    assert.deepEqual(cpp.program.includes, ['/virtual/inc/sys/demo_asm.h']);
    assert.equal(cpp.program.statements.filter((st) => st.kind === 'instruction').map((st) => st.name).join(' '), 'swapgs movq swapgs sysretq');
    // AnalyzeOptions.preprocess (the API) wins over the project file
    const off = await analyze({ file: sFile, text }, { ...opts, preprocess: false }, files(JSON.stringify({ preprocess: true })));
    assert.equal(off.program.includes.length, 0);
    // a wrong value is a mistake on the project file, and the default applies
    const bad = await analyze({ file: sFile, text }, opts, files(JSON.stringify({ preprocess: 'yes' })));
    assert.ok(bad.findings.some((f) => f.loc.file === `${dir}/.entry-review.json` && /\$\.preprocess: expected true/.test(f.message)));
    assert.equal(bad.program.includes.length, 0);
  });
});

// A frame entry: Xen-style return to a PV guest (test/fixtures/kernels/xen-style-restore.S), with
// test/fixtures/projects/xen.entry-review.json: RSP points at a frame the guest chose entirely.
describe('project file: a frame entry (Xen-style restore to a guest)', () => {
  const xen = fixture('kernels', 'xen-style-restore.S');
  const xenText = readFileSync(xen, 'utf8');
  const config = { ...defaultOptions, projectFile: fixture('projects', 'xen.entry-review.json') };
  const check = (text: string): Promise<Analysis> => analyze({ file: xen, text }, config, diskReader);
  const sysretLine = xenText.split('\n').indexOf('\tsysretq') + 1;
  test('with its checks, SYSRET and IRET back to the guest are proven', async () => {
    const a = await check(xenText);
    assert.deepEqual(severe(a), []);
    assert.deepEqual(a.entries, ['restore_to_guest']);
    assert.deepEqual(a.returns.map((r) => `${r.kind}@${r.loc.range.start.line + 1}:${r.verdict}`), [`sysret@${sysretLine}:ok`, `iret@${sysretLine + 4}:ok`]);
    // the selectors SYSRET loads come from the project's STAR values
    assert.ok(a.returns[0].conditions.some((c) => c.code === 'sysret-selectors' && c.status === 'proven'));
  });
  test('without the canonical test: the XSA-7 shape, a non-canonical guest RIP at SYSRET, with a witness that replays', async () => {
    const text = xenText.replace(/\tmovq\t8\(%rsp\), %rcx\n\tshlq\t\$16, %rcx\n\tsarq\t\$16, %rcx\n\tcmpq\t8\(%rsp\), %rcx\n\tjne\t\.Lto_guest_iret\n/, '\n\n\n\n\n');
    assert.notEqual(text, xenText);
    const a = await check(text);
    assert.deepEqual(severe(a), [`sysret-noncanonical-rip@${sysretLine}`]);
    const f = a.findings.find((x) => x.code === 'sysret-noncanonical-rip');
    const ip = BigInt(f?.witness?.['ptregs.ip'] ?? '0');
    assert.ok(ip >= 1n << 47n && ip < (1n << 64n) - (1n << 47n), `a non-canonical guest RIP: ${f?.witness?.['ptregs.ip']}`);
    assert.deepEqual(f?.replay?.slice(0, 2), ['--entry', 'restore_to_guest']);
  });
  test('a branch on a per-CPU cell at the stack\'s end whose two arms join (Xen\'s pv_cr3): the XSA-7 witness still replays, the cell read as 0 among its pins', async () => {
    // the canonical test removed, and, at the entry, a test of a cell the model names by its
    // address (the stack's end, as Xen's GET_STACK_END finds its per-CPU area) that changes nothing
    // the question reads: the solver's model leaves the cell out, and a replay that kept it
    // unknown stopped at the branch ("unknown" before)
    const text = xenText
      .replace(/\tmovq\t8\(%rsp\), %rcx\n\tshlq\t\$16, %rcx\n\tsarq\t\$16, %rcx\n\tcmpq\t8\(%rsp\), %rcx\n\tjne\t\.Lto_guest_iret\n/, '\n\n\n\n\n')
      .replace('restore_to_guest:\n', 'restore_to_guest:\n\tmovq\t%rsp, %rdx\n\torq\t$0x7fff, %rdx\n\tmovq\t-0x17(%rdx), %rdi\n\ttestq\t%rdi, %rdi\n\tjz\t1f\n\tmovq\t%rdi, %r8\n1:\n');
    const line = text.split('\n').indexOf('\tsysretq') + 1;
    const a = await check(text);
    assert.deepEqual(severe(a), [`sysret-noncanonical-rip@${line}`]);
    const f = a.findings.find((x) => x.code === 'sysret-noncanonical-rip')!;
    const cell = 'mem[kernel.rsp | 0x7fff-0x17]:64';
    assert.equal(f.witness?.[cell], '0x0000000000000000', JSON.stringify(f.witness));
    const pins = (f.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
    assert.ok(pins.includes(`${cell}=0x0000000000000000`), pins.join(' '));
    // and `simulate` with those pins takes that SYSRET and faults on Intel
    const program = parseProgram(xen, text, {}, diskReader);
    const sim = await simulate(program, { ...config, vendor: 'intel' }, 'restore_to_guest', envFromPins(pins), a.project);
    const exit = sim.paths[0].exit;
    assert.equal(exit.line, line);
    assert.equal(sim.paths[0].verdict, 'finding');
    assert.deepEqual(sim.paths[0].codes, ['sysret-noncanonical-rip']);
  });
  test('a frame entry without its frame is a mistake on the project file', async () => {
    const bad = JSON.stringify({ entries: [{ label: 'restore_to_guest', kind: 'frame' }] });
    const p = path.join(path.dirname(xen), '.entry-review.json');
    const r: FileReader = { read: (q) => (q === p ? bad : diskReader.read(q)), exists: (q) => (q === p ? true : diskReader.exists?.(q) ?? false) };
    const a = await analyze({ file: xen, text: xenText }, defaultOptions, r);
    assert.ok(a.findings.some((x) => x.code === 'parse' && x.message.endsWith('$.entries[0].frame: a frame entry needs its frame: { "offset": ..., "fields": { ... } }')), a.findings.map((x) => x.message).join('\n'));
  });
});

describe('project file: FreeBSD 12 (page-table isolation, IBRS helpers)', () => {
  const file12 = fixture('kernels', 'freebsd12', 'exception.S');
  const text12 = readFileSync(file12, 'utf8');
  const proj12 = JSON.parse(readFileSync(path.join(path.dirname(file12), '.entry-review.json'), 'utf8'));
  const run12 = (text: string, projectJson: unknown): Promise<Analysis> => {
    const pp = path.join(path.dirname(file12), '.entry-review.json');
    const r: FileReader = { read: (p) => (p === pp ? JSON.stringify(projectJson) : diskReader.read(p)), exists: (p) => (p === pp ? true : diskReader.exists?.(p) ?? diskReader.read(p) !== undefined) };
    return analyze({ file: file12, text }, defaultOptions, r);
  };
  const sysretLine = text12.split('\n').findIndex((l) => l.includes('sysretq')) + 1;
  const iretLine = text12.split('\n').findIndex((l) => l.includes('iretq')) + 1;
  test('userCr3: the per-CPU UCR3 is the user %cr3 (no bit 12 as in Linux): SYSRET and IRET proven', async () => {
    const a = await run12(text12, proj12);
    assert.deepEqual(severe(a), []);
    assert.deepEqual(a.returns.map((r) => [r.kind, r.loc.range.start.line + 1, r.verdict, r.conditions.find((c) => c.name === 'user CR3')?.status]), [
      ['sysret', sysretLine, 'ok', 'proven'],
      ['iret', iretLine, 'ok', 'proven'],
    ]);
  });
  test('without userCr3 the user CR3 is Linux-shaped and neither return proves it; a file that forgets to load UCR3 before SYSRET is caught', async () => {
    const { userCr3: _, ...linuxShaped } = proj12;
    const plain = await run12(text12, linuxShaped);
    assert.deepEqual(severe(plain), [`cr3-not-user@${sysretLine}`, `cr3-not-user@${iretLine}`]);
    const forgot = text12.replace('\tmovq\t%r9, %cr3\n', '');
    const a = await run12(forgot, proj12);
    assert.deepEqual(severe(a), [`cr3-not-user@${sysretLine - 1}`]);
    const f = a.findings.find((x) => x.code === 'cr3-not-user');
    // the witness has isolation on: UCR3 is not ~0
    const ucr3 = Object.entries(f?.witness ?? {}).find(([k]) => k.startsWith('percpu.'));
    assert.ok(ucr3 && BigInt(ucr3[1]) !== (1n << 64n) - 1n, JSON.stringify(f?.witness));
  });
  test('setsWork: false keeps a helper called with interrupts off from making the work-flags test moot', async () => {
    const loose = structuredClone(proj12);
    for (const c of Object.values(loose.contracts) as { setsWork?: boolean }[]) delete c.setsWork;
    loose.contracts.handle_ibrs_exit = { frame: 'never', interrupts: 'unchanged' };
    // (after the AST test, as 12.0 calls it)
    const src = text12.replace('\tmovq\tTF_RDI(%rsp), %rdi\n\tmovq\tTF_RSI', '\tcall\thandle_ibrs_exit\n\tmovq\tTF_RDI(%rsp), %rdi\n\tmovq\tTF_RSI');
    assert.notEqual(src, text12);
    const workStatus = (a: Analysis) => a.returns.find((r) => r.kind === 'sysret')?.conditions.find((c) => c.name === 'no exit work pending')?.status;
    assert.equal(workStatus(await run12(src, loose)), 'unknown');
    loose.contracts.handle_ibrs_exit.setsWork = false;
    const withIt = await run12(src, loose);
    assert.equal(workStatus(withIt), 'proven');
    assert.ok(withIt.returns.find((r) => r.kind === 'sysret')?.assumes.includes('handle_ibrs_exit (.entry-review.json): never rewrites the saved frame; interrupts unchanged on return; sets no work flag'));
  });
  test('an indirect call (12.1\'s `callq *mds_handler`) takes the contract named by its pointer; without one it may do anything', async () => {
    const src = text12.replace('\tmovq\tTF_RDI(%rsp), %rdi\n\tmovq\tTF_RSI', '\tcallq\t*mds_handler\n\tmovq\tTF_RDI(%rsp), %rdi\n\tmovq\tTF_RSI');
    assert.notEqual(src, text12);
    const call = src.split('\n').findIndex((l) => l.includes('*mds_handler')) + 1;
    const bare = await run12(src, proj12);
    const sysret = (a: Analysis) => a.returns.find((r) => r.kind === 'sysret');
    // the default havoc: it may post work after the test and rewrite the frame the fast return reads
    assert.ok(severe(bare).includes(`exit-work-unchecked@${sysretLine + 1}`), severe(bare).join(' '));
    assert.ok(sysret(bare)?.assumes.some((x) => x.startsWith('mds_handler: no contract known')), sysret(bare)?.assumes.join(' | '));
    const withIt = structuredClone(proj12);
    withIt.contracts.mds_handler = { clobbers: [], frame: 'never', interrupts: 'unchanged', setsWork: false };
    const a = await run12(src, withIt);
    assert.deepEqual(severe(a), []);
    assert.equal(sysret(a)?.verdict, 'ok');
    assert.ok(sysret(a)?.assumes.includes('mds_handler (.entry-review.json): never rewrites the saved frame; interrupts unchanged on return; sets no work flag'));
    assert.ok(call > 0 && call < sysretLine);
  });
  test('a bad userCr3 is reported with its JSON path', async () => {
    const a = await run12(text12, { ...proj12, userCr3: { percpu: 'PC_NOPE' } });
    assert.ok(a.findings.some((f) => f.code === 'parse' && f.message.endsWith("$.userCr3.percpu: 'PC_NOPE' is not a constant of this file")), a.findings.map((f) => f.message).join('\n'));
  });
});

// Today's Xen shape (test/fixtures/kernels/xen-pv/return.S): per-CPU data at the stack's end,
// XPTI's per-CPU root, flags given back with IOPL/VM clear and IF set, SYSRET for every
// TRAP_syscall frame by the PV ABI. Described by data: returnFlags, userCr3 at the stack's end,
// and what the design accepts — with only the entry and selectors, Linux's rules apply.
describe('project file: what a design answers otherwise (Xen PV: returnFlags, userCr3 at the stack\'s end, accept)', () => {
  const pv = fixture('kernels', 'xen-pv', 'return.S');
  const pvText = readFileSync(pv, 'utf8');
  const pvProject = JSON.parse(readFileSync(path.join(path.dirname(pv), '.entry-review.json'), 'utf8'));
  const lines = pvText.split('\n');
  const sysretq = lines.indexOf('\tsysretq') + 1;
  const sysretl = lines.indexOf('1:\tsysretl') + 1;
  const iretq = lines.indexOf('\tiretq') + 1;
  const withProject = (text: string, projectJson: unknown): Promise<Analysis> => {
    const pp = path.join(path.dirname(pv), '.entry-review.json');
    const r: FileReader = { read: (p) => (p === pp ? JSON.stringify(projectJson) : diskReader.read(p)), exists: (p) => (p === pp ? true : diskReader.exists?.(p) ?? diskReader.read(p) !== undefined) };
    return analyze({ file: pv, text }, defaultOptions, r);
  };
  const notes = (a: Analysis) => a.findings.filter((f) => f.severity === 'info').map((f) => `${f.code}@${f.loc.range.start.line + 1}`);

  test('with Linux\'s rules (entry and selectors only) the returns get what real Xen gets: flags, RF/TF, selectors, EIP and CR3', async () => {
    const a = await analyze({ file: pv, text: pvText }, { ...defaultOptions, projectFile: fixture('projects', 'xen-linux-rules.entry-review.json') }, diskReader);
    assert.deepEqual(severe(a).sort(), [
      `cr3-not-user@${sysretq}`, `sysret-r11-not-rflags@${sysretq}`, `sysret-rf-tf@${sysretq}`, `sysret-selectors@${sysretq}`,
      `cr3-not-user@${sysretl}`, `sysret-r11-not-rflags@${sysretl}`, `sysret-rcx-not-rip@${sysretl}`, `sysret-rf-tf@${sysretl}`, `sysret-selectors@${sysretl}`,
      `cr3-not-user@${iretq}`,
    ].sort());
    // the CR3 witness is the XPTI path: a non-zero pv_cr3 word at the stack's end, loaded into %cr3
    const cr3 = a.findings.find((f) => f.code === 'cr3-not-user' && f.loc.range.start.line + 1 === sysretq);
    assert.notEqual(BigInt(cr3?.witness?.['mem[kernel.rsp | 0x7fff-0x1f]:64'] ?? '0'), 0n, JSON.stringify(cr3?.witness));
  });

  test('with the design said: every return ok, the accepted conditions notes with their reason, the verdict resting on each', async () => {
    const a = await withProject(pvText, pvProject);
    assert.deepEqual(severe(a), []);
    assert.deepEqual(notes(a).sort(), [`sysret-rf-tf@${sysretq}`, `sysret-selectors@${sysretq}`, `sysret-rcx-not-rip@${sysretl}`, `sysret-rf-tf@${sysretl}`, `sysret-selectors@${sysretl}`].sort());
    assert.deepEqual(a.returns.map((r) => `${r.kind}@${r.loc.range.start.line + 1}:${r.verdict}:${r.conditions.filter((c) => c.status === 'proven').length}/${r.conditions.length}`), [`sysret@${sysretq}:ok:9/9`, `sysretl@${sysretl}:ok:7/7`, `iret@${iretq}:ok:3/3`]);
    const [q, l] = a.returns;
    assert.ok(q.assumes.includes('return_to_pv_guest (.entry-review.json): the frame\'s flags are given back with EFLAGS_IOPL|EFLAGS_VM clear, EFLAGS_IF set'), q.assumes.join(' | '));
    assert.ok(q.assumes.some((x) => x.startsWith('sysret-rf-tf accepted (.entry-review.json): a TRAP_syscall frame is the guest\'s request for SYSRET')), q.assumes.join(' | '));
    // accepted on SYSRETL only: SYSRETQ's RCX is proven, not accepted
    assert.ok(!q.assumes.some((x) => x.startsWith('sysret-rcx-not-rip')), q.assumes.join(' | '));
    assert.ok(l.assumes.some((x) => x.startsWith('sysret-rcx-not-rip on SYSRETL accepted (.entry-review.json)')), l.assumes.join(' | '));
    const note = a.findings.find((f) => f.code === 'sysret-rf-tf');
    assert.match(note?.message ?? '', /^accepted by \.entry-review\.json \(a TRAP_syscall frame is the guest's request for SYSRET \(PV ABI\): .*\): RF\/TF not tested before SYSRET/);
    // the name of the flags condition says what it compares
    assert.ok(q.conditions.some((c) => c.name === 'RFLAGS == ptregs.flags with EFLAGS_IOPL|EFLAGS_VM clear, EFLAGS_IF set' && c.status === 'proven'), JSON.stringify(q.conditions));
  });

  test('simulate with an accepted note\'s pins says what check says: ok, the accepted codes apart; under Linux\'s rules the same run is a finding', async () => {
    const a = await withProject(pvText, pvProject);
    const note = a.findings.find((f) => f.code === 'sysret-rf-tf' && f.loc.range.start.line + 1 === sysretq)!;
    const pins = (note.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
    const program = parseProgram(pv, pvText, {}, diskReader);
    const sim = await simulate(program, { ...defaultOptions, vendor: 'intel' }, 'return_to_pv_guest', envFromPins(pins), a.project);
    assert.deepEqual([sim.paths[0].exit.line, sim.paths[0].verdict, sim.paths[0].codes, sim.paths[0].accepted], [sysretq, 'ok', [], ['sysret-rf-tf', 'sysret-selectors']]);
    const linux = await analyze({ file: pv, text: pvText }, { ...defaultOptions, projectFile: fixture('projects', 'xen-linux-rules.entry-review.json') }, diskReader);
    const plain = await simulate(program, { ...defaultOptions, vendor: 'intel' }, 'return_to_pv_guest', envFromPins(pins), linux.project);
    assert.equal(plain.paths[0].verdict, 'finding');
    assert.ok(plain.paths[0].codes.includes('sysret-rf-tf') && plain.paths[0].accepted === undefined, JSON.stringify(plain.paths[0].codes));
  });

  test('returnFlags is what SYSRET must give: a return that forgets to set IF is caught, with the frame\'s flags in the witness', async () => {
    const text = pvText.replace('\torq\t$EFLAGS_IF, %r11\n', '\n');
    assert.notEqual(text, pvText);
    const a = await withProject(text, pvProject);
    assert.deepEqual(severe(a), [`sysret-r11-not-rflags@${sysretq}`, `sysret-r11-not-rflags@${sysretl}`]);
    const f = a.findings.find((x) => x.code === 'sysret-r11-not-rflags')!;
    // the witness: a saved frame whose IF is clear (what R11 then keeps)
    assert.equal(BigInt(f.witness?.['ptregs.flags'] ?? '0x200') & 0x200n, 0n, JSON.stringify(f.witness));
    assert.match(f.message, /\(given back with EFLAGS_IOPL\|EFLAGS_VM clear, EFLAGS_IF set\)$/);
  });

  test('userCr3 at the stack\'s end: a return that loads the wrong page tables with XPTI on is caught on every way out; XPTI off keeps %cr3', async () => {
    const text = pvText.replace('\tmovq\t%rdi, %cr3', '\tmovq\t%r9, %cr3');
    assert.notEqual(text, pvText);
    const a = await withProject(text, pvProject);
    assert.deepEqual(severe(a), [`cr3-not-user@${sysretq}`, `cr3-not-user@${sysretl}`, `cr3-not-user@${iretq}`]);
    const f = a.findings.find((x) => x.code === 'cr3-not-user')!;
    const word = BigInt(f.witness?.['mem[kernel.rsp | 0x7fff-0x1f]:64'] ?? '0');
    const vcpuCr3 = BigInt(f.witness?.['mem[kernel.rbx+0x3c0]:64'] ?? '0');
    assert.ok(word !== 0n && word !== vcpuCr3, JSON.stringify(f.witness));
    // and `simulate` with its pins ends on the kernel's page tables
    const pins = (f.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
    const program = parseProgram(pv, text, {}, diskReader);
    const sim = await simulate(program, defaultOptions, 'return_to_pv_guest', envFromPins(pins), a.project);
    assert.equal(sim.paths[0].exit.line, sysretq);
    assert.ok(sim.paths[0].codes.includes('cr3-not-user'), sim.paths[0].codes.join(' '));
  });

  test('what is accepted stays narrow: a missing canonical test is still the XSA-7 error', async () => {
    const text = pvText.replace('\tja\t.Lrestore_rcx_iret\n', '\n');
    assert.notEqual(text, pvText);
    const a = await withProject(text, pvProject);
    assert.deepEqual(severe(a), [`sysret-noncanonical-rip@${sysretq}`]);
  });

  test('mistakes in returnFlags, userCr3 and accept are reported with their JSON paths', async () => {
    const bad = structuredClone(pvProject);
    bad.entries[0].frame.returnFlags = { set: 'EFLAGS_NOPE' };
    bad.userCr3 = { stackEnd: 'STACK_SIZE', offset: '1 - CI_SIZE + CI_NOPE' };
    bad.accept = [{ code: 'sysret-noncanonical-rip', why: 'no' }, { code: 'sysret-rf-tf', why: '' }, { code: 'sysret-rf-tf', why: 'x', entry: 'nowhere' }, { code: 'sysret-rf-tf', why: 'x', return: 'eretu' }];
    const a = await withProject(pvText, bad);
    const msgs = a.findings.filter((f) => f.code === 'parse').map((f) => f.message.replace(/^.*\.entry-review\.json /, ''));
    assert.deepEqual(msgs, [
      "$.entries[0].frame.returnFlags.set: 'EFLAGS_NOPE' is not a constant of this file (its headers define no such value)",
      "$.userCr3.offset: 'CI_NOPE' is not a constant of this file (its headers define no such value)",
      '$.accept[0].code: expected one of sysret-rcx-not-rip, sysret-r11-not-rflags, sysret-rf-tf, sysret-selectors, return-rsp-not-user, exit-work-unchecked, kernel-value-leak',
      '$.accept[1].why: expected the reason, as the verdict will show it',
      "$.accept[2].entry: no label 'nowhere' in this file",
      '$.accept[3].return: expected one of sysret, sysretl, iret, sysexit',
    ]);
    const pow = await withProject(pvText, { ...pvProject, userCr3: { stackEnd: 'STACK_SIZE + 1' } });
    assert.ok(pow.findings.some((f) => f.message.endsWith('$.userCr3.stackEnd: expected the stack size, a power of two (its end is RSP with the low bits set)')), pow.findings.map((f) => f.message).join('\n'));
  });
});

// A compat entry that leaves through another file's code (Xen: compat/entry.S jumps to
// iret_to_guest in entry.S): the project file's `companions` names where that code lives, and the
// two are read as the linker joins them (test/fixtures/kernels/xen-pv/compat/return32.S).
describe('project file: companions (the file a compat entry jumps into)', () => {
  const compat = fixture('kernels', 'xen-pv', 'compat', 'return32.S');
  const compatText = readFileSync(compat, 'utf8');
  const tail = fixture('kernels', 'xen-pv', 'return.S');
  const iretq = readFileSync(tail, 'utf8').split('\n').indexOf('\tiretq') + 1;
  const projectPath = path.join(path.dirname(compat), '.entry-review.json');
  const project = JSON.parse(readFileSync(projectPath, 'utf8'));
  const withProject = (text: string, json: unknown): Promise<Analysis> => {
    const r: FileReader = { read: (p) => (p === projectPath ? JSON.stringify(json) : diskReader.read(p)), exists: (p) => (p === projectPath ? true : diskReader.exists?.(p) ?? diskReader.read(p) !== undefined) };
    return analyze({ file: compat, text }, defaultOptions, r);
  };
  const jump = compatText.split('\n').indexOf('\tjmp\tiret_to_pv_guest') + 1;

  test('linked with ../return.S: the IRET there is this entry\'s return, checked and ok', async () => {
    const a = await withProject(compatText, project);
    assert.deepEqual(a.findings.filter((f) => f.severity !== 'info' || f.code === 'unmodeled').map((f) => f.message), []);
    assert.deepEqual(a.returns.map((r) => [r.kind, r.loc.file, r.loc.range.start.line + 1, r.verdict, r.entries]), [['iret', tail, iretq, 'ok', ['compat_return_to_guest']]]);
    assert.deepEqual(a.program.companion && [a.program.companion.file, a.program.companion.targets], [tail, ['iret_to_pv_guest']]);
    assert.ok(a.program.includes.includes(tail), 'an edit of the companion is an edit of this analysis');
  });

  test('without companions the paths end at the jump, said so, and nothing is checked', async () => {
    const { companions: _, ...alone } = project;
    const a = await withProject(compatText, alone);
    assert.deepEqual(a.returns, []);
    const note = a.findings.find((f) => f.code === 'unmodeled' && /leave this file here for iret_to_pv_guest/.test(f.message));
    assert.equal(note && note.loc.range.start.line + 1, jump);
  });

  test('a compat path that jumps with RSP one word short of the frame: the linked IRET pops the wrong frame', async () => {
    const text = compatText.replace(/\taddq\t\$8, %rsp[^\n]*\n/, '\n');
    assert.notEqual(text, compatText);
    const a = await withProject(text, project);
    assert.deepEqual(severe(a), [`return-rsp-not-user@${iretq}`]);
    const f = a.findings.find((x) => x.code === 'return-rsp-not-user')!;
    assert.equal(f.loc.file, tail);
    // in the editor: at the jump that leaves the compat file
    const shownAt = text.split('\n').indexOf('\tjmp\tiret_to_pv_guest') + 1;
    const shown = diagnosticsFor(a).filter((d) => d.code === 'return-rsp-not-user');
    assert.deepEqual(shown.map((d) => d.range.start.line + 1), [shownAt]);
    assert.equal(shown[0].message.split('\n')[0], `the user's RSP after IRET is 0x0000000000000200, not the saved pt_regs->sp 0x000000000000002b (in return.S:${iretq}, reached through this jump)`);
    // and its witness replays through the linked code: simulate ends at that IRET with the finding
    const pins = (f.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
    const r: FileReader = { read: (p) => (p === projectPath ? JSON.stringify(project) : diskReader.read(p)) };
    const sim = await simulate(parseProgram(compat, text, { companions: [tail] }, r), { ...defaultOptions, vendor: 'intel' }, 'compat_return_to_guest', envFromPins(pins), a.project);
    assert.deepEqual(sim.paths.map((p) => [p.exit.kind, p.exit.file, p.exit.line, p.codes]), [['iret', tail, iretq, ['return-rsp-not-user']]]);
  });

  test('companions must be a list of paths', async () => {
    const a = await withProject(compatText, { ...project, companions: '../return.S' });
    assert.ok(a.findings.some((f) => f.code === 'parse' && /\$\.companions: expected an array of assembly file paths/.test(f.message)), a.findings.map((f) => f.message).join(' | '));
  });
});
