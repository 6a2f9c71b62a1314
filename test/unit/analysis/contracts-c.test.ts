// Contracts checked against their C source (issue 12): do_syscall_64's "true means SYSRET is
// safe" read from a team-written C file (test/fixtures/contracts/syscall_64.c) with the 2025-style
// entry file that only tests %al. The correct C is verified; each mutant of it (a weakened or
// misplaced test) gives exactly one `contract-unproven` at the call, naming the weak C line, with a
// witness that replays through `simulate` into the fast return the C should have refused.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, envFromPins, simulate, withCSources, type Analysis, type AnalyzeOptions } from '../../../server/src/analysis';
import { parseProgram } from '../../../server/src/syntax';
import { diskReader } from '../../support/files';
import { fixture } from '../../support/paths';

const ENTRY = fixture('kernels', 'linux-2025-entry_64.S');
const CALL_LINE = 109; // `call do_syscall_64` in ENTRY
const SYSRET_LINE = 160;
const GOOD = readFileSync(fixture('contracts', 'syscall_64.c'), 'utf8');

const run = (file: string, cSources: string[], text = readFileSync(file, 'utf8')): Promise<Analysis> => analyze({ file, text }, { ...defaultOptions, cSources }, diskReader);
const severe = (a: Analysis) => a.findings.filter((f) => f.severity !== 'info');
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const lastLineOf = (text: string, needle: string): number => {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].includes(needle)) return i + 1;
  return 0;
};

let tmp: string | undefined;
function cFile(name: string, text: string): string {
  tmp ??= mkdtempSync(path.join(tmpdir(), 'er-csrc-'));
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
}

describe('contracts from C: do_syscall_64', () => {
  test('the correct C is verified: the SYSRET is proven and says where from', async () => {
    const a = await run(ENTRY, [fixture('contracts', 'syscall_64.c')]);
    assert.deepEqual(severe(a).map((f) => `${f.code}@${f.loc.range.start.line + 1}`), []);
    const sysret = a.returns.find((r) => r.kind === 'sysret');
    assert.ok(sysret);
    assert.equal(sysret.loc.range.start.line + 1, SYSRET_LINE);
    assert.equal(sysret.verdict, 'ok');
    const defLine = lineOf(GOOD, 'bool do_syscall_64(');
    assert.ok(sysret.assumes.includes(`do_syscall_64: verified from ${fixture('contracts', 'syscall_64.c')}:${defLine} (returning true implies every SYSRET condition on the frame it leaves)`), sysret.assumes.join(' | '));
    assert.ok(a.log.includes(`do_syscall_64: read from ${fixture('contracts', 'syscall_64.c')}:${defLine}`));
  });

  // each mutant: the text change, and the C test the finding must name
  const checks = GOOD.indexOf('\t/* a Xen PV guest');
  const exitCall = '\tsyscall_exit_to_user_mode(regs);\n\n';
  const mutants: { name: string; mutate: (t: string) => string; weak: (t: string) => string; broken: string }[] = [
    {
      name: '`>` instead of `>=` against TASK_SIZE_MAX',
      mutate: (t) => t.replace('regs->ip >= TASK_SIZE_MAX', 'regs->ip > TASK_SIZE_MAX'),
      weak: (t) => `the test at mut.c:${lineOf(t, 'regs->ip > TASK_SIZE_MAX')} lets it through`,
      broken: 'regs->ip < TASK_SIZE_MAX (48-bit: 0x7ffffffff000) fails with ip = 0x7ffffffff000',
    },
    {
      name: 'the RF test dropped',
      mutate: (t) => t.replace('regs->flags & (X86_EFLAGS_RF | X86_EFLAGS_TF)', 'regs->flags & X86_EFLAGS_TF'),
      weak: (t) => `the test at mut.c:${lineOf(t, 'regs->flags & X86_EFLAGS_TF')} lets it through`,
      broken: 'RF and TF clear in regs->flags fails with flags = 0x10000',
    },
    {
      name: '`cx != ip` dropped',
      mutate: (t) => t.replace('regs->cx != regs->ip || ', ''),
      weak: (t) => `no test of regs->cx/regs->ip on the path to the return at mut.c:${lastLineOf(t, 'return true;')}`,
      broken: 'regs->cx == regs->ip fails',
    },
    {
      name: 'the checks placed before the call that may rewrite the frame',
      mutate: (t) => {
        const body = t.slice(checks, t.lastIndexOf('\treturn true;'));
        return t.replace(exitCall, '').replace(body, body + '\tsyscall_exit_to_user_mode(regs);\n\n');
      },
      weak: (t) => `before the call at mut.c:${lastLineOf(t, 'syscall_exit_to_user_mode(regs);')}, which may rewrite the frame`,
      broken: 'fails',
    },
    {
      name: "5-level paging's TASK_SIZE_MAX on a 4-level machine",
      mutate: (t) => t.replace('regs->ip >= TASK_SIZE_MAX', 'regs->ip >= ((1UL << 56) - PAGE_SIZE)'),
      weak: (t) => `the test at mut.c:${lineOf(t, '(1UL << 56)')} lets it through`,
      broken: 'regs->ip < TASK_SIZE_MAX (48-bit: 0x7ffffffff000) fails',
    },
  ];
  for (const m of mutants) {
    test(`mutant: ${m.name} → contract-unproven at the call, replayable`, async () => {
      const text = m.mutate(GOOD);
      assert.notEqual(text, GOOD, 'the mutation applies');
      const c = cFile('mut.c', text);
      const a = await run(ENTRY, [c]);
      const got = severe(a);
      assert.deepEqual(got.map((f) => `${f.code}@${f.loc.range.start.line + 1}`), [`contract-unproven@${CALL_LINE}`]);
      const f = got[0];
      assert.ok(f.message.startsWith(`do_syscall_64() (mut.c:${lineOf(text, 'bool do_syscall_64(')}) can return true for a frame SYSRET must not take`), f.message);
      assert.ok(f.message.includes(m.broken), f.message);
      assert.ok(f.message.includes(m.weak(text)), `${f.message}\n  wanted: ${m.weak(text)}`);
      assert.ok(f.witness && Object.keys(f.witness).some((k) => /^ptregs\.\w+@L\d+:mut\.c:\d+$/.test(k)), JSON.stringify(f.witness));
      // the witness replays: the same pins take the fast return the C should have refused
      const program = parseProgram(ENTRY, readFileSync(ENTRY, 'utf8'), {}, diskReader);
      const options: AnalyzeOptions = { ...defaultOptions, vendor: 'intel', cSources: [c] };
      const cs = await withCSources(program, options, diskReader);
      const pins = (f.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
      const sim = await simulate(program, options, 'entry_SYSCALL_64', envFromPins(pins), cs.project);
      const exit = sim.paths[0].exit;
      assert.ok(exit.kind === 'sysret' || exit.kind === 'fault', JSON.stringify(exit));
      assert.equal(exit.line, SYSRET_LINE);
      // and the return's assumption says the promise does not hold
      const sysret = a.returns.find((r) => r.kind === 'sysret');
      assert.ok(sysret?.assumes.some((s) => s.includes('its promise does not hold (contract-unproven)')));
    });
  }

  test('the void form (Linux 4.x–6.4) has no promise to check: the built-in contract applies', async () => {
    const entry = fixture('kernels', 'linux-2018-pti-entry_64.S');
    const plain = await run(entry, []);
    const a = await run(entry, [fixture('contracts', 'syscall_64-void.c')]);
    assert.deepEqual(a.returns.map((r) => r.verdict), plain.returns.map((r) => r.verdict));
    assert.deepEqual(severe(a).map((f) => f.code), []);
    assert.ok(a.log.some((l) => l.includes('returns void (the assembly makes the SYSRET decision)')), a.log.join('\n'));
  });

  test('in a kernel tree the C beside the entry file is found by itself', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-tree-'));
    try {
      const entryDir = path.join(dir, 'arch', 'x86', 'entry');
      mkdirSync(entryDir, { recursive: true });
      copyFileSync(ENTRY, path.join(entryDir, 'entry_64.S'));
      copyFileSync(fixture('contracts', 'syscall_64.c'), path.join(entryDir, 'syscall_64.c'));
      const a = await run(path.join(entryDir, 'entry_64.S'), []);
      const sysret = a.returns.find((r) => r.kind === 'sysret');
      assert.ok(sysret?.assumes.some((s) => s.startsWith(`do_syscall_64: verified from ${path.join(entryDir, 'syscall_64.c')}:`)), sysret?.assumes.join(' | '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the project file names the C source ("cSources", relative to it)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-proj-'));
    try {
      mkdirSync(path.join(dir, 'c'));
      copyFileSync(ENTRY, path.join(dir, 'entry_64.S'));
      copyFileSync(fixture('contracts', 'syscall_64.c'), path.join(dir, 'c', 'dispatch.c'));
      writeFileSync(path.join(dir, '.entry-review.json'), JSON.stringify({ cSources: ['c/dispatch.c'] }));
      const a = await run(path.join(dir, 'entry_64.S'), []);
      const sysret = a.returns.find((r) => r.kind === 'sysret');
      assert.ok(sysret?.assumes.some((s) => s.startsWith(`do_syscall_64: verified from ${path.join(dir, 'c', 'dispatch.c')}:`)), sysret?.assumes.join(' | '));
      // an untrusted workspace reads no project file, so the contract stays the built-in one
      const untrusted = await analyze({ file: path.join(dir, 'entry_64.S'), text: readFileSync(ENTRY, 'utf8') }, { ...defaultOptions, projectFile: '' }, diskReader);
      assert.ok(untrusted.returns.find((r) => r.kind === 'sysret')?.assumes.some((s) => s.startsWith('do_syscall_64: returns with interrupts off')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a C file that does not define the function leaves the contract assumed, and says so', async () => {
    const c = cFile('other.c', 'int unrelated(void) { return 0; }\n');
    const a = await run(ENTRY, [c]);
    assert.ok(a.log.includes(`do_syscall_64: not defined in ${c}; its contract is assumed`), a.log.join('\n'));
    const sysret = a.returns.find((r) => r.kind === 'sysret');
    assert.ok(sysret?.assumes.some((s) => s.startsWith('do_syscall_64: returns with interrupts off')));
  });

  test('C that is not valid C gives no crash and no false verdict', async () => {
    const c = cFile('broken.c', GOOD.replace('return true;', 'return true; }}}} #### (((').replace('if (unlikely(regs->cx', 'if (unlikely(regs->cx +++'));
    const a = await run(ENTRY, [c]);
    assert.ok(!severe(a).some((f) => f.code !== 'contract-unproven'));
    const sysret = a.returns.find((r) => r.kind === 'sysret');
    assert.ok(sysret && sysret.verdict !== undefined);
  });
});

describe('contracts from C: a flag contract (FreeBSD amd64_syscall and PCB_FULL_IRET)', () => {
  const entry = fixture('kernels', 'freebsd-exception.S');
  const good = readFileSync(fixture('contracts', 'freebsd-trap.c'), 'utf8');
  const options = (c: string): AnalyzeOptions => ({ ...defaultOptions, projectFile: fixture('projects', 'freebsd.entry-review.json'), cSources: [c] });
  const check = (c: string) => analyze({ file: entry, text: readFileSync(entry, 'utf8') }, options(c), diskReader);
  test('the flag is set whenever the RIP it leaves is not a user address: verified, the rest assumed', async () => {
    const a = await check(fixture('contracts', 'freebsd-trap.c'));
    assert.deepEqual(severe(a).map((f) => f.code), []);
    const sysret = a.returns.find((r) => r.kind === 'sysret');
    assert.equal(sysret?.verdict, 'ok');
    const line = lineOf(good, 'amd64_syscall(struct thread');
    assert.ok(sysret?.assumes.includes(`amd64_syscall: PCB_FULL_IRET set at its return whenever the frame's RIP is not a user address — verified from ${fixture('contracts', 'freebsd-trap.c')}:${line - 1}; that every other rewrite of the frame sets it too rests on code outside it (ptrace, sigreturn): assumed`), sysret?.assumes.join(' | '));
  });
  for (const [name, mutate] of [
    ['the test dropped', (t: string) => t.replace(/\tif \(td->td_frame->tf_rip >= VM_MAXUSER_ADDRESS\)\n\t\tset_pcb_flags\(td->td_pcb, PCB_FULL_IRET\);\n/, '')],
    ['the test placed before syscallret', (t: string) => t.replace('\tsyscallret(td, error, &sa);\n', '').replace('\t\tset_pcb_flags(td->td_pcb, PCB_FULL_IRET);\n', '\t\tset_pcb_flags(td->td_pcb, PCB_FULL_IRET);\n\tsyscallret(td, error, &sa);\n')],
  ] as const) {
    test(`mutant: ${name} → contract-unproven at the call, with the RIP it lets through`, async () => {
      const text = mutate(good);
      assert.notEqual(text, good);
      const a = await check(cFile('trap.c', text));
      const got = severe(a);
      assert.deepEqual(got.map((f) => f.code), ['contract-unproven']);
      assert.equal(a.returns.find((r) => r.kind === 'sysret')?.assumes.some((s) => s.includes('(contract-unproven)')), true);
      const ip = BigInt(got[0].witness?.['ptregs.ip'] ?? '0');
      assert.ok(ip >= 1n << 47n, got[0].message);
      assert.match(got[0].message, /^amd64_syscall\(\) \(trap\.c:\d+\) can return with PCB_FULL_IRET clear and a frame RIP of 0x[0-9a-f]+, which SYSRET cannot take \(48-bit addresses\)/);
    });
  }
  // FreeBSD 12.1's amd64_syscall calls its L1D-flush helper after the test (through a function
  // pointer the C cannot follow): sound without a word on that callee, proven with one
  test('a call after the test breaks the proof; a project contract saying the callee never rewrites the frame restores it, and is named', async () => {
    const text = good.replace('\t\tset_pcb_flags(td->td_pcb, PCB_FULL_IRET);\n', '\t\tset_pcb_flags(td->td_pcb, PCB_FULL_IRET);\n\tflush_l1d_after_return(error);\n');
    assert.notEqual(text, good);
    const c = cFile('trap.c', text);
    const call = lineOf(text, 'flush_l1d_after_return(error)');
    const without = severe(await check(c));
    assert.deepEqual(without.map((f) => f.code), ['contract-unproven']);
    assert.match(without[0].message, new RegExp(`runs before the call at trap\\.c:${call}, which may rewrite the frame`));
    const project = JSON.parse(readFileSync(fixture('projects', 'freebsd.entry-review.json'), 'utf8'));
    project.contracts.flush_l1d_after_return = { frame: 'never', interrupts: 'unchanged' };
    const pf = cFile('with-callee.entry-review.json', JSON.stringify(project));
    const a = await analyze({ file: entry, text: readFileSync(entry, 'utf8') }, { ...options(c), projectFile: pf }, diskReader);
    assert.deepEqual(severe(a).map((f) => f.code), []);
    const sysret = a.returns.find((r) => r.kind === 'sysret');
    assert.equal(sysret?.verdict, 'ok');
    const v = sysret?.assumes.find((s) => s.startsWith('amd64_syscall: PCB_FULL_IRET set at its return'));
    assert.ok(v?.endsWith('; relies on flush_l1d_after_return (.entry-review.json): never rewrites the saved frame; interrupts unchanged on return'), v);
  });
});

// The compat fast return (issue 12): do_fast_syscall_32's "true means SYSRETL is safe" read from
// team-written C (test/fixtures/contracts/fast_syscall_32.c) with the 2025-style compat entry file,
// which only tests %al. The question is what SYSRETL needs of the frame: a 32-bit ip (it takes EIP
// from ECX, loaded from regs->ip), __USER32_CS/__USER_DS, RF and TF clear. The C compares ip with
// the vDSO's landing pad, a whole-kernel value: one unknown, `landing_pad`, taken as a 32-bit
// address and said so in `assumes`.
describe('contracts from C: do_fast_syscall_32 and do_SYSENTER_32 (compat SYSRETL)', () => {
  const COMPAT = fixture('kernels', 'linux-2025-compat.S');
  const COMPAT_TEXT = readFileSync(COMPAT, 'utf8');
  const CALL32 = lineOf(COMPAT_TEXT, 'call\tdo_fast_syscall_32');
  const SYSENTER_CALL = lineOf(COMPAT_TEXT, 'call\tdo_SYSENTER_32');
  const SYSRETL_LINE = lineOf(COMPAT_TEXT, '\tsysretl');
  const C32 = fixture('contracts', 'fast_syscall_32.c');
  const GOOD32 = readFileSync(C32, 'utf8');
  const syscallOnly = (cSources: string[]): Promise<Analysis> => analyze({ file: COMPAT, text: COMPAT_TEXT }, { ...defaultOptions, cSources, entries: ['entry_SYSCALL_compat'] }, diskReader);
  const landing = (file: string, text: string) =>
    `landing_pad (current->mm->context.vdso + vdso_image_32.sym_int80_landing_pad, ${path.basename(file)}:${lineOf(text, 'unsigned long landing_pad =')}) is a 32-bit address — that the 32-bit vDSO is mapped below 4 GiB is a whole-kernel fact, outside this function: assumed`;
  const verified = (file: string, text: string) => `do_fast_syscall_32: verified from ${file}:${lineOf(text, 'bool do_fast_syscall_32(')} (returning true implies every SYSRETL condition on the frame it leaves); ${landing(file, text)}`;

  test('the correct C is verified for both entries, and says what the landing pad rests on', async () => {
    assert.ok(CALL32 > 0 && SYSENTER_CALL > 0 && SYSRETL_LINE > 0);
    const a = await run(COMPAT, [C32]);
    assert.deepEqual(severe(a).map((f) => `${f.code}@${f.loc.range.start.line + 1}`), []);
    const ret = a.returns.find((r) => r.kind === 'sysretl');
    assert.ok(ret);
    assert.equal(ret.loc.range.start.line + 1, SYSRETL_LINE);
    assert.deepEqual(ret.entries.slice().sort(), ['entry_SYSCALL_compat', 'entry_SYSENTER_compat']);
    assert.equal(ret.verdict, 'ok');
    assert.ok(ret.assumes.includes(verified(C32, GOOD32)), ret.assumes.join(' | '));
    // do_SYSENTER_32 ends in `return do_fast_syscall_32(regs);`, which is run inline
    const sysenter = `do_SYSENTER_32: verified from ${C32}:${lineOf(GOOD32, 'bool do_SYSENTER_32(')} (returning true implies every SYSRETL condition on the frame it leaves; do_fast_syscall_32 (fast_syscall_32.c:${lineOf(GOOD32, 'bool do_fast_syscall_32(')}) run inline); ${landing(C32, GOOD32)}`;
    assert.ok(ret.assumes.includes(sysenter), ret.assumes.join(' | '));
    assert.ok(a.log.includes(`do_fast_syscall_32: read from ${C32}:${lineOf(GOOD32, 'bool do_fast_syscall_32(')}`), a.log.join('\n'));
  });

  const checks = GOOD32.indexOf('\t/* a Xen PV guest');
  const tail = GOOD32.indexOf('\treturn true;\n}\n\n/* the SYSENTER entry');
  const fastCall = '\tif (!run_fast_call(regs))\n\t\treturn false;\n\n';
  const mutants: { name: string; mutate: (t: string) => string; weak: (t: string) => string; broken: string }[] = [
    {
      name: 'the RF test dropped',
      mutate: (t) => t.replace('X86_EFLAGS_RF | X86_EFLAGS_TF | X86_EFLAGS_VM', 'X86_EFLAGS_TF | X86_EFLAGS_VM'),
      weak: (t) => `the test at mut.c:${lineOf(t, 'regs->flags & (X86_EFLAGS_TF | X86_EFLAGS_VM)')} lets it through`,
      broken: 'RF and TF clear in regs->flags fails with flags = 0x10000',
    },
    {
      name: 'the CS test dropped',
      mutate: (t) => t.replace('regs->cs != __USER32_CS || ', ''),
      weak: (t) => `no test of regs->cs on the path to the return at mut.c:${lastLineOf(t.slice(0, tail), 'return true;')}`,
      broken: 'regs->cs == __USER32_CS fails with cs = 0x',
    },
    {
      name: 'the landing-pad test dropped (ptrace may have moved ip above 4 GiB)',
      mutate: (t) => t.replace('\tif (unlikely(regs->ip != landing_pad))\n\t\treturn false;\n\n', ''),
      weak: (t) => `no test of regs->ip on the path to the return at mut.c:${lastLineOf(t.slice(0, tail), 'return true;')}`,
      broken: 'regs->ip < 2^32 (SYSRETL takes EIP from ECX) fails with ip = 0x',
    },
    {
      name: 'the tests placed before the call that may rewrite the frame',
      mutate: (t) => {
        const body = t.slice(checks, tail);
        return t.replace(fastCall, '').replace(body, body + fastCall);
      },
      weak: (t) => `before the call at mut.c:${lineOf(t, 'if (!run_fast_call(regs))')}, which may rewrite the frame`,
      broken: 'fails with',
    },
  ];
  for (const m of mutants) {
    test(`mutant: ${m.name} → contract-unproven at the call, replayable`, async () => {
      const text = m.mutate(GOOD32);
      assert.notEqual(text, GOOD32, 'the mutation applies');
      const c = cFile('mut.c', text);
      const a = await syscallOnly([c]);
      const got = severe(a);
      assert.deepEqual(got.map((f) => `${f.code}@${f.loc.range.start.line + 1}`), [`contract-unproven@${CALL32}`]);
      const f = got[0];
      assert.ok(f.message.startsWith(`do_fast_syscall_32() (mut.c:${lineOf(text, 'bool do_fast_syscall_32(')}) can return true for a frame SYSRETL must not take: `), f.message);
      assert.ok(f.message.includes(m.broken), f.message);
      assert.ok(f.message.includes(m.weak(text)), `${f.message}\n  wanted: ${m.weak(text)}`);
      assert.ok(f.witness && Object.keys(f.witness).some((k) => /^ptregs\.\w+@L\d+:mut\.c:\d+$/.test(k)), JSON.stringify(f.witness));
      // the witness replays: the same pins take the SYSRETL the C should have refused
      const program = parseProgram(COMPAT, COMPAT_TEXT, {}, diskReader);
      const options: AnalyzeOptions = { ...defaultOptions, vendor: 'intel', cSources: [c] };
      const cs = await withCSources(program, options, diskReader);
      const pins = (f.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
      const sim = await simulate(program, options, 'entry_SYSCALL_compat', envFromPins(pins), cs.project);
      const exit = sim.paths[0].exit;
      assert.ok(exit.kind === 'sysret' || exit.kind === 'fault', JSON.stringify(exit));
      assert.equal(exit.line, SYSRETL_LINE);
      assert.ok(a.returns.find((r) => r.kind === 'sysretl')?.assumes.some((s) => s.includes('its promise does not hold (contract-unproven)')));
    });
  }

  test('the VM test dropped: still verified — VM is no SYSRETL condition on x86-64 (IRETQ does not load it, SYSRETL clears it)', async () => {
    const text = GOOD32.replace('X86_EFLAGS_RF | X86_EFLAGS_TF | X86_EFLAGS_VM', 'X86_EFLAGS_RF | X86_EFLAGS_TF');
    assert.notEqual(text, GOOD32);
    const c = cFile('novm.c', text);
    const a = await syscallOnly([c]);
    assert.deepEqual(severe(a).map((f) => f.code), []);
    const ret = a.returns.find((r) => r.kind === 'sysretl');
    assert.equal(ret?.verdict, 'ok');
    assert.ok(ret?.assumes.includes(verified(c, text)), ret?.assumes.join(' | '));
  });

  test('a weak do_fast_syscall_32 breaks do_SYSENTER_32 too: one finding at each call, at the same C line', async () => {
    const text = mutants[0].mutate(GOOD32);
    const c = cFile('mut.c', text);
    const a = await run(COMPAT, [c], COMPAT_TEXT);
    const got = severe(a);
    assert.deepEqual(got.map((f) => `${f.code}@${f.loc.range.start.line + 1}`).sort(), [`contract-unproven@${CALL32}`, `contract-unproven@${SYSENTER_CALL}`].sort());
    const weak = mutants[0].weak(text);
    for (const f of got) assert.ok(f.message.includes(weak), f.message);
    const f = got.find((x) => x.message.startsWith(`do_SYSENTER_32() (mut.c:${lineOf(text, 'bool do_SYSENTER_32(')}) can return true for a frame SYSRETL must not take`));
    assert.ok(f, got.map((x) => x.message).join('\n'));
    // its witness replays on the SYSENTER entry into the shared SYSRETL
    const program = parseProgram(COMPAT, COMPAT_TEXT, {}, diskReader);
    const options: AnalyzeOptions = { ...defaultOptions, vendor: 'intel', cSources: [c] };
    const cs = await withCSources(program, options, diskReader);
    const pins = (f.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
    const sim = await simulate(program, options, 'entry_SYSENTER_compat', envFromPins(pins), cs.project);
    assert.equal(sim.paths[0].exit.line, SYSRETL_LINE, JSON.stringify(sim.paths[0].exit));
  });

  // Linux 4.4–6.5: a `long` result, the whole test one returned expression, no VM on 64-bit
  const oneExpression = (t: string): string =>
    t
      .replace('__visible noinstr bool do_fast_syscall_32(', '__visible noinstr long do_fast_syscall_32(')
      .replace(
        t.slice(checks, tail + '\treturn true;\n'.length),
        '\t/* back to the landing pad in 32-bit mode, with nothing SYSRETL cannot restore */\n\treturn regs->cs == __USER32_CS && regs->ss == __USER_DS &&\n\t\tregs->ip == landing_pad &&\n\t\t(regs->flags & (X86_EFLAGS_RF | X86_EFLAGS_TF)) == 0;\n',
      );
  test('the 4.4–6.5 form (long, one returned expression) is verified; its weak test is the return', async () => {
    const text = oneExpression(GOOD32);
    assert.ok(text.includes('return regs->cs == __USER32_CS &&') && !text.includes('cpu_feature_enabled'));
    const c = cFile('old.c', text);
    const a = await syscallOnly([c]);
    assert.deepEqual(severe(a).map((f) => f.code), []);
    assert.ok(a.returns.find((r) => r.kind === 'sysretl')?.assumes.some((s) => s.startsWith(`do_fast_syscall_32: verified from ${c}:`)));
    const weak = text.replace('(X86_EFLAGS_RF | X86_EFLAGS_TF)', 'X86_EFLAGS_TF');
    const b = await syscallOnly([cFile('mut.c', weak)]);
    const got = severe(b);
    assert.deepEqual(got.map((f) => `${f.code}@${f.loc.range.start.line + 1}`), [`contract-unproven@${CALL32}`]);
    assert.ok(got[0].message.includes(`RF and TF clear in regs->flags fails with flags = 0x10000; the test at mut.c:${lineOf(weak, 'return regs->cs == __USER32_CS')} lets it through`), got[0].message);
  });

  test('in a 6.19 tree syscall_32.c is read before common.c', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-tree32-'));
    try {
      const entryDir = path.join(dir, 'arch', 'x86', 'entry');
      mkdirSync(entryDir, { recursive: true });
      copyFileSync(COMPAT, path.join(entryDir, 'entry_64_compat.S'));
      copyFileSync(C32, path.join(entryDir, 'syscall_32.c'));
      // a common.c that also defines it, weakly: not the one read
      writeFileSync(path.join(entryDir, 'common.c'), mutants[0].mutate(GOOD32));
      const a = await run(path.join(entryDir, 'entry_64_compat.S'), []);
      assert.deepEqual(severe(a).map((f) => f.code), []);
      const ret = a.returns.find((r) => r.kind === 'sysretl');
      assert.ok(ret?.assumes.some((s) => s.startsWith(`do_fast_syscall_32: verified from ${path.join(entryDir, 'syscall_32.c')}:`)), ret?.assumes.join(' | '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without its C the built-in promise applies', async () => {
    const a = await run(COMPAT, []);
    assert.deepEqual(severe(a).map((f) => f.code), []);
    assert.ok(a.returns.find((r) => r.kind === 'sysretl')?.assumes.some((s) => s.startsWith('do_fast_syscall_32: returns with interrupts off')));
  });
  // SYSEXIT (test/fixtures/kernels/linux-compat-sysexit.S, a shape only 32-bit kernels have): it
  // takes ESP from ECX too, loaded from regs->sp, which Linux's C never tests
  describe('a SYSEXIT return asks for its own conditions', () => {
    const SYSEXIT_FILE = fixture('kernels', 'linux-compat-sysexit.S');
    const SYSEXIT_TEXT = readFileSync(SYSEXIT_FILE, 'utf8');
    const CALL = lineOf(SYSEXIT_TEXT, 'call\tdo_SYSENTER_32');
    const SYSEXIT_LINE = lineOf(SYSEXIT_TEXT, '\tsysexitl');
    test("Linux's C lets a 64-bit regs->sp through: one contract-unproven at the call, replayable into the SYSEXIT", async () => {
      const a = await run(SYSEXIT_FILE, [C32], SYSEXIT_TEXT);
      const got = severe(a);
      // (the SYSEXIT's own return-rsp-not-user is the same failure: reported once, at the call)
      assert.deepEqual(got.map((f) => `${f.code}@${f.loc.range.start.line + 1}`), [`contract-unproven@${CALL}`]);
      const f = got[0];
      assert.ok(f.message.startsWith(`do_SYSENTER_32() (fast_syscall_32.c:${lineOf(GOOD32, 'bool do_SYSENTER_32(')}) can return true for a frame SYSEXIT must not take: regs->sp < 2^32 (SYSEXIT takes ESP from ECX) fails with sp = 0x`), f.message);
      assert.ok(f.message.includes(`no test of regs->sp on the path to the return at fast_syscall_32.c:`), f.message);
      const program = parseProgram(SYSEXIT_FILE, SYSEXIT_TEXT, {}, diskReader);
      const options: AnalyzeOptions = { ...defaultOptions, vendor: 'intel', cSources: [C32] };
      const cs = await withCSources(program, options, diskReader);
      const pins = (f.replay ?? []).filter((_, i, xs) => xs[i - 1] === '--set');
      const sim = await simulate(program, options, 'entry_SYSENTER_compat', envFromPins(pins), cs.project);
      assert.equal(sim.paths[0].exit.kind, 'sysexit', JSON.stringify(sim.paths[0].exit));
      assert.equal(sim.paths[0].exit.line, SYSEXIT_LINE);
    });
    test('a C that also refuses a 64-bit sp is verified for SYSEXIT', async () => {
      const text = GOOD32.replace('\t/* it cannot restore RF', '\t/* SYSEXIT takes ESP from ECX: 32 bits */\n\tif (unlikely(regs->sp > 0xffffffffUL))\n\t\treturn false;\n\n\t/* it cannot restore RF');
      assert.notEqual(text, GOOD32);
      const c = cFile('sp32.c', text);
      const a = await run(SYSEXIT_FILE, [c], SYSEXIT_TEXT);
      assert.deepEqual(severe(a).map((f) => f.code), []);
      const ret = a.returns.find((r) => r.kind === 'sysexit');
      assert.equal(ret?.verdict, 'ok');
      assert.ok(ret?.assumes.some((x) => x.startsWith(`do_SYSENTER_32: verified from ${c}:${lineOf(text, 'bool do_SYSENTER_32(')} (returning true implies every SYSEXIT condition on the frame it leaves; do_fast_syscall_32 (sp32.c:`)), ret?.assumes.join(' | '));
    });
    test('without C the built-in promise (what Linux tests) does not cover sp: the SYSEXIT itself is the finding', async () => {
      const a = await run(SYSEXIT_FILE, [], SYSEXIT_TEXT);
      assert.deepEqual(severe(a).map((f) => `${f.code}@${f.loc.range.start.line + 1}`), [`return-rsp-not-user@${SYSEXIT_LINE}`]);
    });
  });
});
