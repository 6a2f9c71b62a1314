// SYSCALL, SYSRET and IRET against the Intel SDM / AMD APM pseudocode, at the
// canonical edges of both address widths, for both vendors.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CV,
  ExitRecord,
  Instruction,
  MachineState,
  SymbolicAlgebra,
  VaBits,
  Vendor,
  applySyscall,
  concrete as A,
  concreteOutcome,
  faultCondition,
  quickCheck,
  step,
  insn,
  isCanonical,
  summarizeExit,
  syscallEntryState,
  pinnedUser,
  freshUser,
  kernelGsBase,
  userGsBase,
  reg,
} from '../../../server/src/x86';

const EDGES: { v: bigint; c48: boolean; c57: boolean }[] = [
  { v: 0x00007fffffffffffn, c48: true, c57: true },
  { v: 0x0000800000000000n, c48: false, c57: true },
  { v: 0xffff7fffffffffffn, c48: false, c57: true },
  { v: 0xffff800000000000n, c48: true, c57: true },
  { v: 0x00ffffffffffffffn, c48: false, c57: true },
  { v: 0x0100000000000000n, c48: false, c57: false },
  { v: 0xfeffffffffffffffn, c48: false, c57: false },
  { v: 0xff00000000000000n, c48: false, c57: true },
];

const c64 = (v: bigint): CV => A.const(64, v);

function kernelState(over: { rcx?: bigint; r11?: bigint; rsp?: bigint; cpl?: bigint } = {}): MachineState<CV, boolean> {
  return new MachineState(A, {
    regs: { rcx: c64(over.rcx ?? 0x401000n), r11: c64(over.r11 ?? 0x246n), rsp: c64(over.rsp ?? 0x00007ffc12345678n), rax: c64(7n) },
    rflags: c64(0x46n),
    cpl: A.const(2, over.cpl ?? 0n),
    gsKernel: A.const(1, 0n),
  });
}

function exitOf(s: MachineState<CV, boolean>, i: Instruction, vaBits: VaBits): ExitRecord<CV, boolean> {
  const o = step(s, i, A, { vaBits });
  assert.equal(o.kind, 'exit');
  if (o.kind !== 'exit') throw new Error('unreachable');
  return o.exit;
}

describe('canonical addresses', () => {
  for (const e of EDGES) {
    test(`0x${e.v.toString(16)}: 48-bit ${e.c48}, 57-bit ${e.c57}`, () => {
      assert.equal(isCanonical(A, c64(e.v), 48), e.c48);
      assert.equal(isCanonical(A, c64(e.v), 57), e.c57);
    });
  }
});

describe('sysretq', () => {
  for (const vaBits of [48, 57] as VaBits[]) {
    for (const e of EDGES) {
      const canonical = vaBits === 48 ? e.c48 : e.c57;
      test(`RCX 0x${e.v.toString(16)}, ${vaBits}-bit: ${canonical ? 'returns' : 'faults'} on both vendors`, () => {
        const s = kernelState({ rcx: e.v });
        const rec = exitOf(s, insn('sysretq'), vaBits);
        const intel = concreteOutcome(A, rec, 'intel');
        const amd = concreteOutcome(A, rec, 'amd');
        if (canonical) {
          assert.equal(intel.kind, 'sysret');
          assert.equal(amd.kind, 'sysret');
        } else {
          // Intel: #GP(0) while still in ring 0 (on the user's RSP, GS still as the kernel left it)
          assert.equal(intel.kind, 'fault');
          assert.equal(intel.fault?.vector, 13);
          assert.equal(intel.fault?.ring, 0);
          assert.equal(intel.fault?.vendor, 'intel');
          // AMD: the return completes, the fault is taken in ring 3 at the user instruction fetch
          assert.equal(amd.kind, 'fault');
          assert.equal(amd.fault?.vector, 13);
          assert.equal(amd.fault?.ring, 3);
          assert.equal(amd.fault?.vendor, 'amd');
        }
        // the state a successful (or AMD) return leaves
        assert.equal(rec.user.rip.value, e.v);
        assert.equal(rec.user.cs.value, 0x33n);
        assert.equal(rec.user.ss.value, 0x2bn);
        assert.equal(rec.user.cpl.value, 3n);
        assert.equal(rec.user.rsp.value, 0x00007ffc12345678n);
        assert.equal(rec.user.regs.rcx.value, e.v);
        assert.equal(rec.user.regs.rax.value, 7n);
      });
    }
  }

  const flagCases: [string, bigint, bigint][] = [
    ['all ones', 0xffffffffffffffffn, 0x3c7fd7n],
    ['zero (bit 1 forced)', 0n, 0x2n],
    ['RF and TF: RF dropped, TF kept', 0x10100n, 0x102n],
    ['VM dropped, AC and ID kept', 0x260202n, 0x240202n],
    ['reserved bits 3, 5, 15 and above 21 dropped', 0xffffffffffc08028n, 0x2n],
    ['IF IOPL NT DF kept', 0x7602n, 0x7602n],
  ];
  for (const [name, r11, expected] of flagCases) {
    test(`RFLAGS from R11: ${name}`, () => {
      const rec = exitOf(kernelState({ r11 }), insn('sysretq'), 48);
      assert.equal(rec.user.rflags.value, expected);
      assert.equal(rec.debugTrap, (expected & 0x100n) !== 0n);
      assert.equal(rec.user.regs.r11.value, r11);
    });
  }

  test('outside ring 0 it is #GP(0) on both vendors', () => {
    const rec = exitOf(kernelState({ cpl: 3n }), insn('sysretq'), 48);
    for (const v of ['intel', 'amd'] as Vendor[]) {
      const o = concreteOutcome(A, rec, v);
      assert.equal(o.kind, 'fault');
      assert.equal(o.fault?.vector, 13);
      assert.equal(o.fault?.reason, 'SYSRET outside ring 0');
    }
  });

  test('STAR decides the selectors', () => {
    const s = kernelState();
    s.setMsr('STAR', c64((0x1bn << 48n) | (0x8n << 32n)));
    const rec = exitOf(s, insn('sysretq'), 48);
    assert.equal(rec.user.cs.value, 0x2bn);
    assert.equal(rec.user.ss.value, 0x23n);
  });
});

describe('sysretl', () => {
  for (const e of EDGES) {
    test(`ECX of 0x${e.v.toString(16)} is zero-extended and never faults`, () => {
      const rec = exitOf(kernelState({ rcx: e.v }), insn('sysretl'), 48);
      assert.equal(rec.operandSize, 32);
      assert.equal(rec.user.rip.value, e.v & 0xffffffffn);
      assert.equal(rec.user.cs.value, 0x23n);
      assert.equal(rec.user.ss.value, 0x2bn);
      assert.equal(concreteOutcome(A, rec, 'intel').kind, 'sysret');
      assert.equal(concreteOutcome(A, rec, 'amd').kind, 'sysret');
    });
  }
  test('plain `sysret` is the 32-bit form and `rex64 sysretl` the 64-bit one', () => {
    assert.equal(exitOf(kernelState(), insn('sysret'), 48).operandSize, 32);
    assert.equal(exitOf(kernelState(), { mnemonic: 'sysretl', operands: [], prefixes: ['rex64'] }, 48).operandSize, 64);
  });
});

describe('sysexit', () => {
  test('sysexitl: EIP from EDX, ESP from ECX (zero-extended), __USER32_CS / __USER_DS, RFLAGS kept, CPL 3', () => {
    const s = kernelState({ rcx: 0xffffffff0000fff0n });
    s.write('rdx', c64(0x1234_0000_f7fd0580n));
    const rec = exitOf(s, insn('sysexitl'), 48);
    assert.deepEqual([rec.kind, rec.operandSize, rec.user.rip.value, rec.user.rsp.value], ['sysexit', 32, 0xf7fd0580n, 0x0000fff0n]);
    assert.deepEqual([rec.user.cs.value, rec.user.ss.value, rec.user.cpl.value, rec.user.rflags.value], [0x23n, 0x2bn, 3n, 0x46n]);
    assert.equal(concreteOutcome(A, rec, 'intel').kind, 'sysexit');
  });
  test('sysexitq: __USER_CS; a non-canonical RDX or RCX faults in ring 0; outside ring 0 it faults too', () => {
    const s = kernelState({ rcx: 0x7ffc0000n });
    s.write('rdx', c64(0x0000800000000000n));
    const rec = exitOf(s, insn('sysexitq'), 48);
    assert.equal(rec.user.cs.value, 0x33n);
    assert.deepEqual(concreteOutcome(A, rec, 'intel').fault && [concreteOutcome(A, rec, 'intel').fault?.vector, concreteOutcome(A, rec, 'intel').fault?.ring], [13, 0]);
    const user = exitOf(kernelState({ cpl: 3n }), insn('sysexitl'), 48);
    assert.equal(concreteOutcome(A, user, 'amd').kind, 'fault');
  });
});

describe('symbolic SYSRET', () => {
  test('the vendor difference is a condition on RCX', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rcx: S.fresh('user.rip', 64), r11: S.fresh('user.rflags', 64) } });
    const o = step(s, insn('sysretq'), S, { vaBits: 48 });
    assert.equal(o.kind, 'exit');
    if (o.kind !== 'exit') return;
    const intelRing0 = faultCondition(S, o.exit, 'intel', 0);
    const amdRing0 = faultCondition(S, o.exit, 'amd', 0);
    assert.equal(S.show(intelRing0), 'user.rip != sext47(user.rip)');
    // with CPL 0, AMD never faults in ring 0
    assert.equal(S.asBool(amdRing0), false);
    const q = quickCheck(intelRing0);
    assert.equal(q.status, 'sat');
    if (q.status === 'sat') assert.equal(isCanonical(A, c64(q.model.get('user.rip') as bigint), 48), false);
    assert.equal(S.show(o.exit.user.rflags), 'user.rflags & 0x3c7fd5 | 2');
  });
});

function iretState(frame: bigint[], flags = 0x46n): MachineState<CV, boolean> {
  const rsp = 0xffffc90000003f58n;
  const s = new MachineState(A, { regs: { rsp: c64(rsp), rdi: c64(9n) }, rflags: c64(flags), cpl: A.const(2, 0n) });
  frame.forEach((v, i) => s.store(c64(rsp + BigInt(8 * i)), c64(v)));
  return s;
}

describe('iretq', () => {
  test('pops RIP, CS, RFLAGS, RSP, SS and restores RF and TF', () => {
    const rec = exitOf(iretState([0x401000n, 0x33n, 0x10346n, 0x7ffc0000n, 0x2bn]), insn('iretq'), 48);
    assert.equal(concreteOutcome(A, rec, 'intel').kind, 'iret');
    assert.equal(concreteOutcome(A, rec, 'amd').kind, 'iret');
    assert.equal(rec.user.rip.value, 0x401000n);
    assert.equal(rec.user.cs.value, 0x33n);
    assert.equal(rec.user.rflags.value, 0x10346n);
    assert.equal(rec.user.rsp.value, 0x7ffc0000n);
    assert.equal(rec.user.ss.value, 0x2bn);
    assert.equal(rec.user.cpl.value, 3n);
    assert.equal(rec.user.regs.rdi.value, 9n);
    assert.equal(rec.debugTrap, true);
  });
  test('VM is not restored in IA-32e mode; reserved bits are dropped and bit 1 set', () => {
    const rec = exitOf(iretState([0x401000n, 0x33n, 0xffffffff00020200n, 0x7ffc0000n, 0x2bn]), insn('iretq'), 48);
    assert.equal(rec.user.rflags.value, 0x202n);
  });
  for (const vaBits of [48, 57] as VaBits[]) {
    for (const e of EDGES) {
      const canonical = vaBits === 48 ? e.c48 : e.c57;
      test(`RIP 0x${e.v.toString(16)}, ${vaBits}-bit: ${canonical ? 'returns' : '#GP in ring 0 on both vendors'}`, () => {
        const rec = exitOf(iretState([e.v, 0x33n, 0x202n, 0x7ffc0000n, 0x2bn]), insn('iretq'), vaBits);
        for (const v of ['intel', 'amd'] as Vendor[]) {
          const o = concreteOutcome(A, rec, v);
          if (canonical) assert.equal(o.kind, 'iret');
          else {
            assert.equal(o.kind, 'fault');
            assert.equal(o.fault?.vector, 13);
            assert.equal(o.fault?.ring, 0);
          }
        }
      });
    }
  }
  const bad: [string, bigint[], bigint, string | undefined][] = [
    ['null CS', [0x401000n, 0n, 0x202n, 0x7ffc0000n, 0x2bn], 0x46n, 'code selector'],
    ['CS 0x2b (a data selector)', [0x401000n, 0x2bn, 0x202n, 0x7ffc0000n, 0x2bn], 0x46n, 'code selector'],
    ['SS 0x18 with user CS', [0x401000n, 0x33n, 0x202n, 0x7ffc0000n, 0x18n], 0x46n, 'stack selector'],
    ['null SS with user CS', [0x401000n, 0x33n, 0x202n, 0x7ffc0000n, 0n], 0x46n, 'stack selector'],
    ['compat CS with a RIP above 4 GiB', [0x100000000n, 0x23n, 0x202n, 0x7ffc0000n, 0x2bn], 0x46n, 'non-canonical'],
    ['NT set in the current RFLAGS', [0x401000n, 0x33n, 0x202n, 0x7ffc0000n, 0x2bn], 0x4046n, 'NT'],
    ['compat CS with a 32-bit RIP', [0xfffff000n, 0x23n, 0x202n, 0xfff0n, 0x2bn], 0x46n, undefined],
    ['kernel CS and SS (return to ring 0)', [0xffffffff81000000n, 0x10n, 0x46n, 0xffffc90000004000n, 0x18n], 0x46n, undefined],
  ];
  for (const [name, frame, flags, reason] of bad) {
    test(`${name}: ${reason ? '#GP in ring 0' : 'no fault'}`, () => {
      const rec = exitOf(iretState(frame, flags), insn('iretq'), 48);
      for (const v of ['intel', 'amd'] as Vendor[]) {
        const o = concreteOutcome(A, rec, v);
        if (!reason) assert.equal(o.kind, 'iret');
        else {
          assert.equal(o.kind, 'fault');
          assert.equal(o.fault?.ring, 0);
          assert.equal(o.fault?.vector, 13);
          assert.match(o.fault?.reason ?? '', new RegExp(reason));
        }
      }
    });
  }
  test('the kernel return lands in ring 0 on the kernel stack', () => {
    const rec = exitOf(iretState([0xffffffff81000000n, 0x10n, 0x46n, 0xffffc90000004000n, 0x18n]), insn('iretq'), 48);
    assert.equal(rec.user.cpl.value, 0n);
    assert.equal(rec.user.rsp.value, 0xffffc90000004000n);
  });
  test('iretl pops 4-byte slots', () => {
    const rsp = 0x10000n;
    const s = new MachineState(A, { regs: { rsp: c64(rsp) } });
    [0x8048000n, 0x23n, 0x246n, 0xffffd000n, 0x2bn].forEach((v, i) => s.store(c64(rsp + BigInt(4 * i)), A.const(32, v)));
    const rec = exitOf(s, insn('iretl'), 48);
    assert.equal(rec.user.rip.value, 0x8048000n);
    assert.equal(rec.user.cs.value, 0x23n);
    assert.equal(rec.user.rsp.value, 0xffffd000n);
    assert.equal(concreteOutcome(A, rec, 'intel').kind, 'iret');
  });
});

describe('syscall', () => {
  test('RCX, R11, masked RFLAGS, kernel selectors, CPL 0; RSP and GS untouched', () => {
    const user = 0x10000n | 0x4000n | 0x40000n | 0x3000n | 0x400n | 0x200n | 0x100n | 0xc7n | 0x2n;
    const s = new MachineState(A, { regs: { rsp: c64(0x7ffc0000n), rcx: c64(1n), r11: c64(2n) }, rflags: c64(user), cpl: A.const(2, 3n), cs: A.const(16, 0x33n), ss: A.const(16, 0x2bn), gsKernel: A.const(1, 0n) });
    const o = step(s, insn('syscall'), A, { nextRip: c64(0x401002n) });
    assert.equal(o.kind, 'syscall');
    assert.equal(s.regs.rcx.value, 0x401002n);
    assert.equal(s.regs.r11.value, user & ~0x10000n);
    // Linux FMASK clears TF DF IF IOPL AC NT; RF is cleared too
    assert.equal(s.rflags().value, 0xc7n | 0x2n);
    assert.equal(s.seg.cs.value, 0x10n);
    assert.equal(s.seg.ss.value, 0x18n);
    assert.equal(s.cpl.value, 0n);
    assert.equal(s.regs.rsp.value, 0x7ffc0000n);
    assert.equal(s.gsBaseKind(), 'user');
  });
  test('applySyscall builds the symbolic entry state', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { rflags: S.or(S.fresh('user.rflags', 64), S.const(64, 2n)), gsKernel: S.const(1, 0n), cpl: S.const(2, 3n) });
    applySyscall(S, s, S.fresh('user.rip', 64));
    assert.equal(S.show(s.regs.rcx), 'user.rip');
    assert.equal(S.show(s.flags.IF), '0');
    assert.equal(S.show(s.flags.ZF), 'user.rflags[6]');
    assert.equal(S.show(s.regs.r11), 'user.rflags & 0x3e7fd5 | 2');
  });
});

describe('other privileged instructions', () => {
  test('swapgs toggles the GS base and swaps the MSRs', () => {
    const s = kernelState();
    s.setMsr('GS_BASE', c64(0x1000n));
    s.setMsr('KERNEL_GS_BASE', c64(0xffff888000000000n));
    assert.equal(s.gsBaseKind(), 'user');
    step(s, insn('swapgs'), A);
    assert.equal(s.gsBaseKind(), 'kernel');
    assert.equal(s.msr('GS_BASE').value, 0xffff888000000000n);
    step(s, insn('swapgs'), A);
    assert.equal(s.gsBaseKind(), 'user');
    assert.equal(s.msr('GS_BASE').value, 0x1000n);
  });
  test('unwritten GS bases follow the GS base in use: rdmsr MSR_GS_BASE has bit 63 set exactly on the kernel one (3.x-5.8 paranoid_entry tests it), SWAPGS swaps them', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { gsKernel: S.const(1, 0n) });
    const sign = (): string => {
      s.write('ecx', S.const(32, 0xc0000101n));
      step(s, insn('rdmsr'), S);
      return S.show(S.extract(s.read('edx'), 31, 31));
    };
    assert.equal(sign(), '0');
    s.write('ecx', S.const(32, 0xc0000102n));
    step(s, insn('rdmsr'), S);
    assert.equal(S.show(S.extract(s.read('edx'), 31, 31)), '1', 'KERNEL_GS_BASE: the kernel base while the user one is active');
    step(s, insn('swapgs'), S);
    assert.equal(sign(), '1');
    assert.equal(S.show(s.msr('GS_BASE')), 'kernel.gs_base | 0x8000000000000000');
    step(s, insn('swapgs'), S);
    assert.equal(sign(), '0');
    assert.equal(S.show(s.msr('GS_BASE')), 'user.gs_base & 0x7fffffffffff');
    // a base the code wrote is the value written, and SWAPGS swaps it
    s.setMsr('GS_BASE', S.const(64, 0x1234n));
    step(s, insn('swapgs'), S);
    assert.equal(S.show(s.msr('KERNEL_GS_BASE')), '0x1234');
    assert.equal(S.show(s.msr('GS_BASE')), 'kernel.gs_base | 0x8000000000000000');
  });
  test('a GS base written (wrgsbase, wrmsr) makes the base in use the kernel\'s or the user\'s by its value: 5.9+ paranoid_entry and paranoid_exit', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { gsKernel: S.const(1, 0n) });
    step(s, insn('rdgsbase', reg('rbx')), S);
    s.regs.rax = kernelGsBase(S);
    step(s, insn('wrgsbase', reg('rax')), S);
    assert.equal(S.show(s.gsKernel), '1');
    step(s, insn('wrgsbase', reg('rbx')), S);
    assert.equal(S.show(s.gsKernel), '0');
    // merged arms: each arm's base under its condition
    s.regs.rax = S.ite(S.eq(S.fresh('feature.X86_FEATURE_FSGSBASE', 1), S.const(1, 1n)), kernelGsBase(S), userGsBase(S));
    step(s, insn('wrgsbase', reg('rax')), S);
    assert.equal(S.show(s.gsKernel), 'feature.X86_FEATURE_FSGSBASE');
    // a value that is neither leaves it as it was
    s.gsKernel = S.const(1, 0n);
    s.regs.rax = S.fresh('something', 64);
    step(s, insn('wrgsbase', reg('rax')), S);
    assert.equal(S.show(s.gsKernel), '0');
  });
  test('rdmsr/wrmsr go through named MSRs', () => {
    const s = kernelState();
    s.write('ecx', A.const(32, 0x48n));
    s.write('eax', A.const(32, 0x1n));
    s.write('edx', A.const(32, 0x2n));
    assert.equal(step(s, insn('wrmsr'), A).kind, 'next');
    assert.equal(s.msr('SPEC_CTRL').value, 0x200000001n);
    s.write('ecx', A.const(32, 0xc0000081n));
    step(s, insn('rdmsr'), A);
    assert.equal(s.read('edx').value, 0x00230010n);
    assert.equal(s.read('eax').value, 0n);
  });
  test('mov to and from CR3', () => {
    const s = kernelState();
    s.cr.cr3 = c64(0x1234000n);
    step(s, insn('movq', { kind: 'reg', name: 'cr3' }, { kind: 'reg', name: 'rdi' }), A);
    step(s, insn('orq', { kind: 'imm', value: 0x1800n }, { kind: 'reg', name: 'rdi' }), A);
    assert.equal(s.cr3Kind(), 'kernel');
    step(s, insn('movq', { kind: 'reg', name: 'rdi' }, { kind: 'reg', name: 'cr3' }), A);
    assert.equal(s.cr.cr3.value, 0x1235800n);
    assert.equal(s.cr3Kind(), 'user');
  });
  test('cli in ring 3 with IOPL 0 is #GP; in ring 0 it clears IF', () => {
    const u = new MachineState(A, { cpl: A.const(2, 3n), rflags: c64(0x202n) });
    const o = step(u, insn('cli'), A);
    assert.equal(o.kind, 'fault');
    if (o.kind === 'fault') assert.equal(o.fault.vector, 13);
    const k = kernelState();
    k.setFlag('IF', A.const(1, 1n));
    step(k, insn('cli'), A);
    assert.equal(k.flags.IF.value, 0n);
    step(k, insn('sti'), A);
    assert.equal(k.flags.IF.value, 1n);
  });
  test('ring-0 instructions fault in ring 3', () => {
    for (const [i, vector] of [
      [insn('swapgs'), 13],
      [insn('wrmsr'), 13],
      [insn('rdmsr'), 13],
      [insn('movq', { kind: 'reg', name: 'cr3' }, { kind: 'reg', name: 'rax' }), 13],
      [insn('clac'), 6],
    ] as [Instruction, number][]) {
      const u = new MachineState(A, { cpl: A.const(2, 3n), gsKernel: A.const(1, 0n) });
      const o = step(u, i, A);
      assert.equal(o.kind, 'fault', i.mnemonic);
      if (o.kind === 'fault') assert.equal(o.fault.vector, vector, i.mnemonic);
      assert.equal(u.gsBaseKind(), 'user');
    }
  });
  test('ud2 and int3 fault with their vectors', () => {
    const s = kernelState();
    const u = step(s, insn('ud2'), A);
    const b = step(s, insn('int3'), A);
    assert.equal(u.kind === 'fault' && u.fault.vector, 6);
    assert.equal(b.kind === 'fault' && b.fault.vector, 3);
  });
});

describe('exit summaries', () => {
  test('a concrete SYSRET as the JSON output shows it, per vendor', () => {
    const s = syscallEntryState(A, pinnedUser(A, { rip: 0x0000800000000000n, rflags: 0x246n, rsp: 0x7ffc0000n, rax: 0x27n }));
    step(s, insn('swapgs'), A);
    step(s, insn('swapgs'), A);
    const rec = exitOf(s, insn('sysretq'), 48);
    const intel = summarizeExit(A, rec, 'intel');
    assert.equal(intel.kind, 'fault');
    assert.deepEqual(intel.fault, { vector: 13, ring: 0, vendor: 'intel' });
    const amd = summarizeExit(A, rec, 'amd');
    assert.deepEqual(amd.fault, { vector: 13, ring: 3, vendor: 'amd' });
    assert.equal(amd.user.rip, '0x800000000000');
    assert.equal(amd.user.cs, '0x33');
    assert.equal(amd.user.ss, '0x2b');
    assert.equal(amd.user.rflags, '0x246');
    assert.equal(amd.user.rax, '0x27');
    assert.equal(amd.user.rsp, '0x7ffc0000');
    assert.equal(amd.user.gsBase, 'user');
    assert.equal(amd.user.cr3, 'user');
    assert.deepEqual(Object.keys(amd.user).length, 5 + 15 + 2);
  });
  test('a symbolic exit keeps expressions and an unknown kind', () => {
    const S = new SymbolicAlgebra();
    const s = syscallEntryState(S, freshUser(S));
    const o = step(s, insn('sysretq'), S, { vaBits: 57 });
    assert.equal(o.kind, 'exit');
    if (o.kind !== 'exit') return;
    const sum = summarizeExit(S, o.exit, 'intel');
    assert.equal(sum.kind, 'unknown');
    assert.equal(sum.user.rip, 'user.rip');
    assert.equal(sum.user.gsBase, 'user');
    assert.equal(S.show(faultCondition(S, o.exit, 'intel', 0)), 'user.rip != sext56(user.rip)');
  });
});
