// The checker on the team's kernel fixtures: every bug variant reports exactly the code its
// `expect:` line names, at that line, with a witness that `simulate` replays; the clean files
// report nothing; `simulate --set` takes SYSRET, IRET or a fault as the hardware would.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyze, defaultOptions, envFromPins, heldBy, simulate, type Analysis } from '../../../server/src/analysis';
import { builtinKind, runChecks } from '../../../server/src/analysis/checker';
import { parseProgram } from '../../../server/src/syntax';
import { show } from '../../../server/src/x86';
import { diskReader } from '../../support/files';
import { fixture, repoRoot } from '../../support/paths';

const run = (file: string): Promise<Analysis> => analyze({ file, text: readFileSync(file, 'utf8') }, defaultOptions, diskReader);
const severe = (a: Analysis) => a.findings.filter((f) => f.severity !== 'info');
const program = (file: string) => parseProgram(file, readFileSync(file, 'utf8'), {}, diskReader);

/** `/* expect: CODE at line N: ... *\/` lines at the top of a bug fixture. */
function expectations(file: string): { code: string; line: number }[] {
  const head = readFileSync(file, 'utf8').split('\n').slice(0, 3).join('\n');
  return [...head.matchAll(/expect: ([a-z0-9-]+) at line (\d+)/g)].map((m) => ({ code: m[1], line: Number(m[2]) }));
}

const bugsDir = fixture('kernels', 'bugs');
const bugs = readdirSync(bugsDir).filter((f) => f.endsWith('.S')).sort();


describe('checker: bug fixtures', () => {
  for (const name of bugs) {
    const file = path.join(bugsDir, name);
    const want = expectations(file);
    test(`${name}: ${want.map((w) => `${w.code}@${w.line}`).join(', ')}`, async () => {
      const a = await run(file);
      const got = severe(a).map((f) => `${f.code}@${f.loc.range.start.line + 1}`).sort();
      const held = want.map((w) => `${w.code}@${w.line}`).sort();
      assert.deepEqual(got, held);
      for (const f of severe(a)) {
        assert.ok(f.witness && Object.keys(f.witness).length > 0 || f.code === 'percpu-user-gs', `${f.code} has a witness`);
        assert.ok(f.path && f.path.length >= (f.code === 'percpu-user-gs' ? 1 : 15), `${f.code} has a path`);
        // the whole path: it starts at the first instruction of the entry the replay names
        const prog = program(file);
        const entry = f.replay?.[f.replay.indexOf('--entry') + 1] ?? '';
        const label = prog.labels.get(entry);
        assert.ok(label !== undefined, `the replay names an entry label (${entry})`);
        const first = prog.statements.findIndex((s, i) => i > label && s.kind === 'instruction');
        assert.equal(f.path[0].loc.range.start.line, prog.statements[first].loc.range.start.line, `the path of ${f.code} starts at ${entry}`);
        assert.equal(f.path?.[f.path.length - 1].loc.range.start.line, f.loc.range.start.line, `the path of ${f.code} ends at the finding`);
      }
    });
  }
});

describe('checker: clean files stay clean', () => {
  for (const f of ['linux-2015-entry_64.S', 'linux-2015-compat.S', 'linux-2018-pti-entry_64.S', 'linux-2025-entry_64.S', 'linux-2025-compat.S']) {
    test(f, async () => {
      const a = await run(fixture('kernels', f));
      assert.deepEqual(severe(a).map((x) => `${x.code}@${x.loc.range.start.line + 1}: ${x.message}`), []);
      assert.ok(a.returns.length >= 2, 'every return is reported');
      assert.ok(a.returns.every((r) => r.verdict !== 'finding'));
    });
  }
  test('the bundled sample: every return proven', async () => {
    const a = await run(path.join(repoRoot, 'samples', 'entry_64.S'));
    assert.deepEqual(severe(a).map((x) => x.code), []);
    const sysrets = a.returns.filter((r) => r.kind === 'sysret');
    assert.equal(sysrets.length, 2);
    for (const r of a.returns) assert.equal(r.verdict, 'ok', `line ${r.loc.range.start.line + 1}`);
    const opportunistic = sysrets[1];
    assert.deepEqual(opportunistic.conditions.map((c) => c.status), opportunistic.conditions.map(() => 'proven'));
    assert.ok(opportunistic.conditions.some((c) => c.name === 'rcx canonical (48-bit)'));
    assert.ok(opportunistic.assumes.some((s) => s.startsWith('do_syscall_64:')));
  });
});

describe('checker: the log', () => {
  test('a clean file logs nothing; a walk cut short by its budget says so, and claims nothing', async () => {
    assert.deepEqual((await run(fixture('kernels', 'linux-2015-entry_64.S'))).log, []);
    const c = await runChecks(program(fixture('kernels', 'linux-2015-entry_64.S')), defaultOptions, undefined, { millis: 0 });
    // (and the IRET's fixup, walked as an entry of its own, is cut short too)
    assert.deepEqual(c.log, ['entry_SYSCALL_64', 'bad_iret'].map((e) => `${e}: the walk was cut short (time budget exhausted); what it did not reach has no verdict`));
    assert.deepEqual([c.returns, c.findings.filter((f) => f.severity !== 'info')], [[], []]);
  });
});

describe('checker: witnesses replay through simulate', () => {
  for (const name of ['no-canonical-check.S', 'no-rf-tf-test.S', 'no-cs-check.S', 'rsp-not-user.S', 'missing-swapgs.S']) {
    test(name, async () => {
      const file = path.join(bugsDir, name);
      const a = await run(file);
      const f = severe(a)[0];
      assert.ok(f.replay, 'a replay command');
      const pins = f.replay.filter((_, i, xs) => xs[i - 1] === '--set');
      const sim = await simulate(program(file), defaultOptions, 'entry_SYSCALL_64', envFromPins(pins));
      assert.ok(sim.paths.length >= 1);
      for (const p of sim.paths) {
        assert.equal(p.exit.line, f.loc.range.start.line + 1);
        // AMD has no ring-0 fault: the same values return, or fault in ring 3
        if (p.verdict === 'ok') assert.ok(p.exit.kind === 'sysret' || ('fault' in p.exit && p.exit.fault?.ring === 3), JSON.stringify(p.exit));
        else assert.ok(p.codes.includes(f.code), `${p.codes} includes ${f.code}`);
      }
      assert.ok(sim.paths.some((p) => p.codes.includes(f.code)));
    });
  }
});

describe('simulate --set', () => {
  const clean = fixture('kernels', 'linux-2015-entry_64.S');
  test('a clean fast-path run takes SYSRET with the user RIP on both vendors', async () => {
    const sim = await simulate(program(clean), defaultOptions, 'entry_SYSCALL_64', envFromPins(['rcx=0x401000', 'rax=1', 'ti_flags=0']));
    assert.deepEqual(sim.paths.map((p) => [p.exit.kind, p.exit.line, 'user' in p.exit ? p.exit.user.rip : '', p.verdict]), [
      ['sysret', 138, '0x401000', 'ok'],
      ['sysret', 138, '0x401000', 'ok'],
    ]);
    assert.ok(sim.paths[0].steps.length > 30);
  });
  test('a TF or RF frame after the slow path takes IRET; a non-canonical one too, and IRET faults in ring 0 (the fixup path)', async () => {
    const base = ['rcx=0x401000', 'rax=1', 'ti_flags=0x8', 'ptregs.cs=0x33', 'ptregs.ss=0x2b', 'ptregs.r11=0x246', 'ptregs.flags=0x246', 'ptregs.sp=0x7ffd0000'];
    const ok = ['ptregs.ip=0x401000', 'ptregs.cx=0x401000'];
    const cases: [string, string[], string, number][] = [
      ['clean', [...base, ...ok], 'sysret', 223],
      ['non-canonical', [...base, 'ptregs.ip=0x800000000000', 'ptregs.cx=0x800000000000'], 'fault', 273],
      ['TF', [...base.filter((p) => !p.startsWith('ptregs.r11') && !p.startsWith('ptregs.flags')), ...ok, 'ptregs.r11=0x346', 'ptregs.flags=0x346'], 'iret', 273],
      ['RF', [...base.filter((p) => !p.startsWith('ptregs.r11') && !p.startsWith('ptregs.flags')), ...ok, 'ptregs.r11=0x10246', 'ptregs.flags=0x10246'], 'iret', 273],
    ];
    for (const [what, pins, kind, line] of cases) {
      const sim = await simulate(program(clean), { ...defaultOptions, vendor: 'intel' }, 'entry_SYSCALL_64', envFromPins(pins));
      assert.deepEqual([sim.paths[0].exit.kind, sim.paths[0].exit.line, sim.paths[0].verdict], [kind, line, 'ok'], what);
    }
  });
  test('without the canonical test: #GP in ring 0 on Intel, in ring 3 on AMD', async () => {
    const file = path.join(bugsDir, 'no-canonical-check.S');
    const pins = ['rcx=0x401000', 'rax=1', 'ti_flags=0x8', 'ptregs.cs=0x33', 'ptregs.ss=0x2b', 'ptregs.r11=0x246', 'ptregs.flags=0x246', 'ptregs.ip=0x800000000000', 'ptregs.cx=0x800000000000', 'ptregs.sp=0x7ffd0000'];
    const sim = await simulate(program(file), defaultOptions, 'entry_SYSCALL_64', envFromPins(pins));
    assert.deepEqual(
      sim.paths.map((p) => ['fault' in p.exit ? p.exit.fault : null, p.codes]),
      [
        [{ vector: 13, ring: 0, vendor: 'intel' }, ['sysret-noncanonical-rip']],
        [{ vector: 13, ring: 3, vendor: 'amd' }, []],
      ],
    );
  });
  test('a branch the pins do not decide names the value to pin', async () => {
    const sim = await simulate(program(clean), defaultOptions, 'entry_SYSCALL_64', envFromPins(['rcx=0x401000']));
    const e = sim.paths[0].exit;
    assert.equal(e.kind, 'unknown');
    assert.deepEqual('missing' in e ? e.missing : [], ['ti_flags']);
    assert.equal(e.line, 94);
  });
});

describe('checker: exceptions and interrupts from user mode', () => {
  const file = fixture('kernels', 'linux-2025-entry_64.S');
  test('the page fault (error code), the common interrupt (vector pushed), #UD (no error code) and #DB (an IST vector) reach the IRET exit, proven', async () => {
    const a = await run(file);
    const iret = a.returns.find((r) => r.kind === 'iret');
    assert.ok(iret);
    assert.deepEqual(iret.entries, ['entry_SYSCALL_64', 'asm_int80_emulation', 'asm_exc_page_fault', 'asm_common_interrupt', 'asm_exc_invalid_op', 'asm_exc_debug']);
    assert.ok(iret.assumes.some((s) => s.startsWith('exc_debug: an idtentry handler')), iret.assumes.join(' | '));
    // int $0x80 from a 32-bit task: its C runs the exit work
    assert.ok(iret.assumes.some((s) => s.startsWith('int80_emulation: an idtentry handler')), iret.assumes.join(' | '));
    assert.equal(iret.verdict, 'ok');
    assert.deepEqual(iret.conditions.map((c) => [c.name, c.status]), [['rsp == ptregs.sp', 'proven'], ['user GS base', 'proven'], ['user CR3', 'proven'], ['no exit work pending', 'proven']]);
    // error_entry's tail call into sync_regs, and the C handler's exit work
    assert.ok(iret.assumes.some((s) => s.startsWith('sync_regs: copies pt_regs')), iret.assumes.join(' | '));
    assert.ok(iret.assumes.some((s) => s.startsWith('exc_page_fault: an idtentry handler')), iret.assumes.join(' | '));
  });
  test('int $0x80: the hardware frame holds the 32-bit CS and EIP', async () => {
    const sim = await simulate(program(file), { ...defaultOptions, vendor: 'intel' }, 'asm_int80_emulation', envFromPins(['rcx=0xffffffff00401000']), undefined, { detail: true });
    const call = sim.paths[0].steps.find((s) => s.text.includes('call int80_emulation'));
    assert.ok(call, sim.paths[0].steps.map((s) => s.text).join('\n'));
    // the concrete run ends in IRET to the 32-bit task: the EIP the CPU saved is 32 bits (the
    // pinned value's high half is not the task's), CS __USER32_CS, SS __USER_DS, proven
    const exit = sim.paths[0].exit;
    assert.equal(exit?.kind, 'iret');
    assert.deepEqual([exit?.user.rip, exit?.user.cs, exit?.user.ss, exit?.user.gsBase, exit?.user.cr3], ['0x401000', '0x23', '0x2b', 'user', 'user']);
    assert.equal(sim.paths[0].verdict, 'ok');
    // the user state it returns to is a 32-bit task's: CS __USER32_CS, a 32-bit EIP
    const c = await runChecks(program(file), { ...defaultOptions, entries: ['asm_int80_emulation'] });
    assert.equal(c.entries[0].kind, 'int80');
    const ev = c.walks[0].exits[0];
    assert.equal(show(ev.userCs), '0x23');
    assert.equal(show(ev.userRip), 'user.rip & 0xffffffff');
  });
  test('the hardware frame of an exception has its error code in orig_ax, and the handler gets it in %rsi', async () => {
    const sim = await simulate(program(file), { ...defaultOptions, vendor: 'intel' }, 'asm_exc_page_fault', envFromPins(['rcx=0x401000']), undefined, { detail: true });
    const call = sim.paths[0].steps.find((s) => s.text.includes('call exc_page_fault'));
    assert.ok(call, sim.paths[0].steps.map((s) => s.text).join('\n'));
    assert.equal(call.regs?.rsi, 'cpu.error_code');
  });
  test('an ALTERNATIVE arm whose feature the configuration rules out is not explored (Xen PV without CONFIG_XEN_PV)', async () => {
    const plain = await run(file);
    const xen = await analyze({ file, text: readFileSync(file, 'utf8') }, { ...defaultOptions, defines: { CONFIG_XEN_PV: '1' } }, diskReader);
    const mentions = (a: Analysis) => a.returns.some((r) => r.conjuncts.some((c) => c.includes('X86_FEATURE_XENPV')));
    assert.equal(mentions(plain), false);
    assert.equal(mentions(xen), true);
    const paths = (a: Analysis) => a.returns.reduce((n, r) => n + r.paths, 0);
    assert.ok(paths(plain) < paths(xen), `${paths(plain)} < ${paths(xen)}`);
    // the XENPV arms' instructions (the Xen PV return and error entry) are run only when the
    // configuration allows the feature (registers: the instructions some walk reached)
    const xenArm = (a: Analysis) => a.program.statements.flatMap((st, i) => (st.kind === 'instruction' && st.alternative?.feature === 'X86_FEATURE_XENPV' && st.alternative.arm > 0 ? [i] : []));
    assert.ok(xenArm(plain).length >= 3, 'the fixture has XENPV arms');
    assert.deepEqual(xenArm(plain).filter((i) => plain.registers.has(i)), []);
    assert.ok(xenArm(xen).some((i) => xen.registers.has(i)), 'an XENPV arm is run under CONFIG_XEN_PV');
  });
});

describe('checker: which entries a file has by default', () => {
  const analyseText = (text: string) => analyze({ file: '/tmp/entries-by-default.S', text }, defaultOptions, diskReader);
  test("the 3.x-5.7 names (nmi, page_fault, common_interrupt, invalid_op) are Linux's only in a file with Linux's system call entry (Xen's entry.S has its own)", async () => {
    const others = '\t.text\nnmi:\n\tiretq\npage_fault:\n\tiretq\ncommon_interrupt:\n\tiretq\ninvalid_op:\n\tiretq\n';
    assert.deepEqual((await analyseText(others)).entries, []);
    const linux = '\t.text\nsystem_call:\n\tswapgs\n\tsysretq\n' + others.replace('\t.text\n', '');
    assert.deepEqual((await analyseText(linux)).entries, ['system_call', 'nmi', 'page_fault', 'common_interrupt', 'invalid_op']);
    // the 5.8+ names are Linux's alone
    assert.deepEqual((await analyseText('\t.text\nasm_exc_page_fault:\n\tiretq\n')).entries, ['asm_exc_page_fault']);
  });
  test('a path that jumps to a label the file does not define ends there, and the file says so at the jump', async () => {
    // 4.x-6.6's entry_INT80_compat returns through entry_64.S's swapgs_restore_regs_and_return_to_usermode
    const text = ['\t.text', 'entry_INT80_compat:', '\tswapgs', '\tpushq\t%rax', '\ttestl\t%eax, %eax', '\tjnz\tint_ret_elsewhere', '\tjmp\tswapgs_restore_regs_and_return_to_usermode', ''].join('\n');
    const a = await analyseText(text);
    assert.deepEqual(a.entries, ['entry_INT80_compat']);
    assert.deepEqual(a.returns, []);
    const notes = a.findings.filter((f) => f.code === 'unmodeled').map((f) => [f.loc.range.start.line + 1, f.severity, f.message]);
    assert.deepEqual(notes, [
      [6, 'info', "paths of entry_INT80_compat leave this file here for int_ret_elsewhere, which it does not define: the return they reach there is not checked (another file's code is not followed)"],
      [7, 'info', "paths of entry_INT80_compat leave this file here for swapgs_restore_regs_and_return_to_usermode, which it does not define: the return they reach there is not checked (another file's code is not followed)"],
    ]);
  });
  test('the IST vectors: #DB, #BP and #MC push no error code, #DF pushes one; #DB is analysed by default, the others when named', async () => {
    for (const n of ['asm_exc_debug', 'asm_exc_int3', 'asm_exc_machine_check', 'debug', 'int3', 'machine_check']) assert.equal(builtinKind(n), 'interrupt', n);
    for (const n of ['asm_exc_double_fault', 'double_fault']) assert.equal(builtinKind(n), 'exception', n);
    const text = '\t.text\nentry_SYSCALL_64:\n\tswapgs\n\tsysretq\nasm_exc_debug:\n\tiretq\nasm_exc_int3:\n\tiretq\n';
    assert.deepEqual((await analyseText(text)).entries, ['entry_SYSCALL_64', 'asm_exc_debug']);
    const named = await analyze({ file: '/tmp/entries-by-default.S', text }, { ...defaultOptions, entries: ['asm_exc_int3'] }, diskReader);
    assert.deepEqual(named.entries, ['asm_exc_int3']);
  });
});

// Linux 3.x/4.x test the work flags in a loop against a mask in %edi that narrows as the work is
// done (int_with_check: _TIF_ALLWORK_MASK, then without the syscall-exit bits, then
// _TIF_WORK_MASK). Widened to any value, the mask proves nothing and the returns after the loop
// were unknown (real 4.2: its SYSRET and IRET); kept as one of the constants it takes, the loop
// settles and every return is proven.
describe('checker: an exit-work loop whose mask narrows (3.x/4.x int_with_check)', () => {
  const file = fixture('kernels', 'linux-2015-entry_64.S');
  const text = readFileSync(file, 'utf8');
  const slowCall = '\tTRACE_IRQS_ON\n\tENABLE_INTERRUPTS(CLBR_NONE)\n\tSAVE_EXTRA_REGS\n\tmovq\t%rsp, %rdi\n\tcall\tsyscall_return_slowpath\t\t/* returns with IRQs off */\n\tjmp\treturn_from_SYSCALL_64\n';
  const loop = [
    '\tSAVE_EXTRA_REGS',
    '\tmovl\t$_TIF_ALLWORK_MASK, %edi',
    '.Lexit_work_check:',
    '\tDISABLE_INTERRUPTS(CLBR_NONE)',
    '\tmovq\tPER_CPU_VAR(current_task), %rcx',
    '\tmovl\tTASK_TI_flags(%rcx), %edx',
    '\tandl\t%edi, %edx',
    '\tjz\treturn_from_SYSCALL_64',
    '\tbt\t$TIF_NEED_RESCHED, %edx',
    '\tjnc\t.Lexit_no_resched',
    '\tandl\t$~_TIF_NEED_RESCHED, TASK_TI_flags(%rcx)',
    '\tjmp\t.Lexit_work_check',
    '.Lexit_no_resched:',
    '\ttestl\t$_TIF_WORK_SYSCALL_EXIT, %edx',
    '\tjz\t.Lexit_signal',
    '\tandl\t$~(_TIF_WORK_SYSCALL_EXIT|_TIF_SYSCALL_EMU), %edi',
    '\tjmp\t.Lexit_work_check',
    '.Lexit_signal:',
    '\tandl\t$~_TIF_DO_NOTIFY_MASK, TASK_TI_flags(%rcx)',
    '\tmovl\t$_TIF_WORK_MASK, %edi',
    '\tjmp\t.Lexit_work_check',
    '',
  ].join('\n');
  test('three masks, each with the bits exit work needs: the loop settles, every return proven', async () => {
    assert.ok(text.includes(slowCall));
    const a = await analyze({ file, text: text.replace(slowCall, loop) }, defaultOptions, diskReader);
    assert.deepEqual(severe(a).map((f) => f.code), []);
    assert.deepEqual(a.returns.map((r) => [r.kind, r.verdict, r.conditions.filter((c) => c.status !== 'proven').map((c) => c.name)]), [
      ['sysret', 'ok', []],
      ['sysret', 'ok', []],
      ['iret', 'ok', []],
    ]);
    assert.ok(!a.returns.some((r) => r.assumes.some((x) => /incomplete/.test(x))));
  });
  test('a mask narrowed after a join (3.14: the 32-bit andl of a mask that is one of two on the way in): still one of a few constants, every return proven', async () => {
    const joined = loop.replace(
      '\tandl\t$~(_TIF_WORK_SYSCALL_EXIT|_TIF_SYSCALL_EMU), %edi\n',
      '\ttestl\t$_TIF_NOTIFY_RESUME, %edx\n\tjz\t1f\n\tmovl\t$_TIF_WORK_MASK, %edi\n1:\tandl\t$~(_TIF_WORK_SYSCALL_EXIT|_TIF_SYSCALL_EMU), %edi\n',
    );
    assert.notEqual(joined, loop);
    const a = await analyze({ file, text: text.replace(slowCall, joined) }, defaultOptions, diskReader);
    assert.deepEqual(severe(a).map((f) => f.code), []);
    assert.deepEqual(a.returns.map((r) => [r.kind, r.verdict, r.conditions.filter((c) => c.status !== 'proven').map((c) => c.name)]), [
      ['sysret', 'ok', []],
      ['sysret', 'ok', []],
      ['iret', 'ok', []],
    ]);
  });
});

describe('checker: the IRET fault path (an exception-table fixup on the IRET)', () => {
  const sample = path.join(repoRoot, 'samples', 'entry_64.S');
  const text = readFileSync(sample, 'utf8');
  /** The sample with bad_iret's SWAPGS left out (the line kept, empty): the shape of CVE-2014-9322's wrong-GS fixup. */
  const noSwapgs = (): string => {
    const at = text.indexOf('\nbad_iret:');
    const i = text.indexOf('\tSWAPGS\n', at);
    assert.ok(at > 0 && i > at && i - at < 1200, 'bad_iret still has its SWAPGS');
    return text.slice(0, i) + '\n' + text.slice(i + '\tSWAPGS\n'.length);
  };
  test('the fixup is walked as an entry of its own: from any RPL-3 frame with the kernel GS base, back through general_protection to the IRET, proven', async () => {
    const a = await run(sample);
    assert.deepEqual(severe(a), []);
    const iret = a.returns.find((r) => r.kind === 'iret');
    assert.ok(iret);
    assert.ok(iret.entries.includes('bad_iret'), iret.entries.join(' '));
    assert.equal(iret.verdict, 'ok');
    assert.ok(iret.assumes.some((s) => s.startsWith('bad_iret: the exception-table fixup of the IRET at line 646, run when it faults in ring 0')), iret.assumes.join(' | '));
    // its walk starts at the fixup, with the kernel GS base and the frame at RSP
    const c = await runChecks(program(sample), defaultOptions);
    const e = c.entries.find((x) => x.name === 'bad_iret');
    assert.deepEqual([e?.kind, e?.spec, e?.faultOf], ['iret-fault', undefined, [646]]);
    // named alone (the editor's simulation view, `simulate --entry bad_iret`), it is the same entry
    const named = (await runChecks(program(sample), { ...defaultOptions, entries: ['bad_iret'] })).entries;
    assert.deepEqual(named.map((x) => [x.name, x.kind, x.faultOf]), [['bad_iret', 'iret-fault', [646]]]);
  });
  test('a fixup that enters general_protection on the kernel GS base: the return runs on it (gs-not-user at the IRET), with a witness that replays from the fixup', async () => {
    const buggy = noSwapgs();
    const a = await analyze({ file: sample, text: buggy }, defaultOptions, diskReader);
    assert.deepEqual(severe(a).map((f) => `${f.code}@${f.loc.range.start.line + 1}`), ['gs-not-user@646']);
    const f = severe(a)[0];
    assert.deepEqual(f.replay?.slice(0, 2), ['--entry', 'bad_iret']);
    assert.equal(f.path?.[0].text, 'pushq $0');
    assert.ok(f.assumes?.some((s) => s.startsWith('bad_iret: the exception-table fixup')));
    const pins = f.replay!.filter((_, i, xs) => xs[i - 1] === '--set');
    const sim = await simulate(parseProgram(sample, buggy, {}, diskReader), defaultOptions, 'bad_iret', envFromPins(pins));
    // (one run per vendor: both return through the IRET on the kernel GS base)
    assert.deepEqual(sim.paths.map((p) => [p.exit.line, p.exit.kind, p.codes, 'user' in p.exit ? p.exit.user.gsBase : '']), [
      [646, 'iret', ['gs-not-user'], 'kernel'],
      [646, 'iret', ['gs-not-user'], 'kernel'],
    ]);
  });
  test('a fixup whose path leaves the file (general_protection defined elsewhere) is no entry, and a note says where its paths go', async () => {
    const file = fixture('kernels', 'linux-2015-entry_64.S');
    const a = await run(file);
    assert.ok(!a.returns.some((r) => r.entries.includes('bad_iret')));
    const note = a.findings.find((x) => x.message.startsWith('paths of bad_iret leave this file here for general_protection'));
    assert.equal(note?.severity, 'info');
    assert.equal(note?.loc.range.start.line + 1, 307);
  });
});

describe('checker: the 3.x NMI (its IST stack, two copies of the frame, the GS base read from MSR_GS_BASE)', () => {
  const file = fixture('kernels', 'linux-2014-nmi.S');
  const text = readFileSync(file, 'utf8');
  const options = { ...defaultOptions, entries: ['nmi'] };
  test('the IRET pops the copied frame: RSP, GS base proven; the exit work is the NMI rule note; do_nmi never rewrites pt_regs', async () => {
    const a = await analyze({ file, text }, options, diskReader);
    assert.deepEqual(severe(a), []);
    assert.deepEqual(a.findings.map((f) => `${f.code}@${f.loc.range.start.line + 1}:${f.severity}`), ['exit-work-unchecked@118:info']);
    const iret = a.returns.find((r) => r.kind === 'iret');
    assert.deepEqual(iret?.conditions.map((c) => [c.name, c.status]), [['rsp == ptregs.sp', 'proven'], ['user GS base', 'proven'], ['no exit work pending', 'proven']]);
    assert.ok(iret?.assumes.some((s) => s.startsWith('do_nmi: handles the NMI with interrupts off; pt_regs is read, never rewritten')), iret?.assumes.join(' | '));
  });
  test('simulate with the NMI rule note\'s pins says what check says: ok, the exit work apart as held by the rule (not a finding)', async () => {
    const a = await analyze({ file, text }, options, diskReader);
    const note = a.findings.find((f) => f.code === 'exit-work-unchecked')!;
    const pins = note.replay!.filter((_, k, xs) => xs[k - 1] === '--set');
    assert.ok(pins.some((p) => p.startsWith('ti_flags')), pins.join(' '));
    const sim = await simulate(parseProgram(file, text, {}, diskReader), options, 'nmi', envFromPins(pins));
    assert.deepEqual(sim.paths.map((p) => [p.exit.line, p.verdict, p.codes, p.byRule, p.accepted]), [
      [118, 'ok', [], ['exit-work-unchecked'], undefined],
      [118, 'ok', [], ['exit-work-unchecked'], undefined],
    ]);
    assert.equal(heldBy(sim.paths[0]), ' (by the built-in rule for the NMI: exit-work-unchecked)');
  });
  test('the way-out test inverted (jz for jnz): the return keeps the kernel GS base, and the witness replays through the MSR_GS_BASE test', async () => {
    const i = text.indexOf('\tjnz\tnmi_restore\n');
    assert.ok(i > 0);
    const buggy = text.slice(0, i) + '\tjz\tnmi_restore\n' + text.slice(i + '\tjnz\tnmi_restore\n'.length);
    const a = await analyze({ file, text: buggy }, options, diskReader);
    assert.deepEqual(severe(a).map((f) => `${f.code}@${f.loc.range.start.line + 1}`), ['gs-not-user@118']);
    const f = severe(a)[0];
    const pins = f.replay!.filter((_, k, xs) => xs[k - 1] === '--set');
    const sim = await simulate(parseProgram(file, buggy, {}, diskReader), options, 'nmi', envFromPins(pins));
    assert.deepEqual(sim.paths.map((p) => [p.exit.line, p.exit.kind, p.codes, 'user' in p.exit ? p.exit.user.gsBase : '']), [
      [118, 'iret', ['gs-not-user'], 'kernel'],
      [118, 'iret', ['gs-not-user'], 'kernel'],
    ]);
  });
});

describe('checker: a GS base set with wrgsbase (5.9+ paranoid_entry with FSGSBASE)', () => {
  const file = path.join(repoRoot, 'test', 'fixtures', 'kernels', 'inline-wrgsbase.S');
  /** An interrupt entry that sets the kernel's base from the per-CPU offsets table, reads per-CPU data, and puts the user's back. */
  const source = (table: string): string =>
    ['.text', '.globl asm_exc_foo', 'asm_exc_foo:', '\trdgsbase %rbx', '\tmovq\t%rdi, %rax', '\tandq\t$0xfff, %rax', `\tmovq\t${table}(, %rax, 8), %rax`, '\twrgsbase %rax', '\tmovq\t%gs:some_var, %rcx', '\twrgsbase %rbx', '\tiretq', ''].join('\n');
  const options = { ...defaultOptions, entries: ['asm_exc_foo:interrupt'] };
  test('this CPU\'s base from __per_cpu_offset: the per-CPU read runs on the kernel base, the return on the user\'s', async () => {
    const a = await analyze({ file, text: source('__per_cpu_offset') }, options, diskReader);
    const codes = a.findings.map((f) => `${f.code}@${f.loc.range.start.line + 1}`);
    assert.ok(!codes.some((c) => c.startsWith('percpu-user-gs') || c.startsWith('gs-not-user')), codes.join(' '));
  });
  test('a base read from anywhere else is not known to be the kernel\'s: the per-CPU read is flagged', async () => {
    const a = await analyze({ file, text: source('some_table') }, options, diskReader);
    assert.ok(a.findings.some((f) => f.code === 'percpu-user-gs' && f.loc.range.start.line + 1 === 9), a.findings.map((f) => `${f.code}@${f.loc.range.start.line + 1}`).join(' '));
  });
});
