// Registers, flags, memory cells, merging, instruction outcomes and the
// instruction descriptions.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CV,
  Expr,
  Instruction,
  MachineState,
  MemoryAccess,
  Operand,
  SymbolicAlgebra,
  canonicalMnemonics,
  check,
  concrete as A,
  describeInstruction,
  faultCondition,
  imm,
  insn,
  isModelled,
  label,
  mem,
  mergeStates,
  modelledMnemonics,
  reg,
  step,
  syscallEntryState,
  freshUser,
  pinnedUser,
  frameMemInit,
  PT_REGS_SIZE,
  PtRegsField,
  ptregsOffset,
  ptregsFieldAt,
  ptregsFieldOf,
} from '../../../server/src/x86';

const c64 = (v: bigint): CV => A.const(64, v);

describe('registers', () => {
  test('32-bit writes zero-extend, 8/16-bit writes merge', () => {
    const s = new MachineState(A, { regs: { rax: c64(0x1122334455667788n), rsi: c64(0xffffffffffffffffn), r8: c64(0xffffffffffffffffn) } });
    s.write('eax', A.const(32, 0xaabbccddn));
    assert.equal(s.regs.rax.value, 0xaabbccddn);
    s.write('ax', A.const(16, 0x1234n));
    assert.equal(s.regs.rax.value, 0xaabb1234n);
    s.write('ah', A.const(8, 0x56n));
    assert.equal(s.regs.rax.value, 0xaabb5634n);
    s.write('al', A.const(8, 0x78n));
    assert.equal(s.read('eax').value, 0xaabb5678n);
    s.write('sil', A.const(8, 0n));
    assert.equal(s.regs.rsi.value, 0xffffffffffffff00n);
    s.write('r8d', A.const(32, 1n));
    assert.equal(s.regs.r8.value, 1n);
    s.write('r8w', A.const(16, 0xffffn));
    assert.equal(s.read('r8').value, 0xffffn);
    assert.equal(s.read('%R8B').value, 0xffn);
    assert.throws(() => s.write('eax', A.const(16, 0n)), /16 bits to a 32-bit register/);
  });
  test('readAny/writeAny reach every named piece of state', () => {
    const s = new MachineState(A, { rflags: c64(0x246n) });
    assert.equal(s.readAny('%ZF')?.value, 1n);
    assert.equal(s.readAny('if')?.value, 1n);
    assert.equal(s.readAny('rflags')?.value, 0x246n);
    assert.equal(s.readAny('cs')?.value, 0x10n);
    assert.equal(s.readAny('msr.star')?.value, 0x0023001000000000n);
    assert.equal(s.readAny('nosuch'), undefined);
    assert.equal(s.writeAny('ss', A.const(16, 0x2bn)), true);
    assert.equal(s.writeAny('CF', A.const(1, 1n)), true);
    assert.equal(s.writeAny('r9d', A.const(32, 7n)), true);
    assert.equal(s.writeAny('cr3', c64(0x1000n)), true);
    assert.equal(s.writeAny('bogus', c64(0n)), false);
    assert.throws(() => s.writeAny('ss', c64(0n)), /16-bit/);
    assert.equal(s.rflags().value, 0x247n);
    assert.equal(s.readAny('r9')?.value, 7n);
    assert.equal(s.cr3Kind(), 'user');
  });
  test('RFLAGS bit by bit, with bit 1 always set and reserved bits clear', () => {
    const s = new MachineState(A, { rflags: c64(0xffffffffffffffffn) });
    assert.equal(s.rflags().value, 0x3f7fd7n);
    assert.equal(s.flags.RF.value, 1n);
    assert.equal(s.iopl.value, 3n);
    s.setRflags(c64(0n));
    assert.equal(s.rflags().value, 2n);
  });
});

describe('memory cells', () => {
  test('little-endian pieces of wider cells, partial overwrites', () => {
    const s = new MachineState(A);
    s.store(c64(0x1000n), c64(0x8877665544332211n));
    assert.equal(s.load(c64(0x1002n), 32).value, 0x66554433n);
    assert.equal(s.load(c64(0x1007n), 8).value, 0x88n);
    s.store(c64(0x1003n), A.const(16, 0xbbaan));
    assert.equal(s.load(c64(0x1000n), 64).value, 0x887766bbaa332211n);
    // reads that straddle a written cell and untouched memory (zero by default)
    assert.equal(s.load(c64(0x1006n), 32).value, 0x8877n);
  });
  test('frame slots resolve through a symbolic stack pointer', () => {
    const S = new SymbolicAlgebra();
    const top = S.fresh('kstack_top', 64);
    const s = new MachineState(S, { regs: { rsp: top, rcx: S.fresh('user.rip', 64) } });
    // build part of a frame the way the entry does
    for (const i of [insn('pushq', imm(0x2b)), insn('pushq', reg('rcx'))]) assert.equal(step(s, i, S).kind, 'next');
    assert.equal(S.show(s.regs.rsp), 'kstack_top - 0x10');
    const o = step(s, insn('movq', mem({ base: 'rsp', disp: 0n }), reg('r11')), S);
    assert.equal(o.kind, 'next');
    assert.equal(S.show(s.regs.r11), 'user.rip');
    assert.equal(S.show(s.load(S.sub(top, S.const(64, 8n)), 64)), '0x2b');
    // an untouched slot is a named unknown of that cell
    assert.equal(S.show(s.load(S.sub(top, S.const(64, 0x20n)), 64)), 'mem[kstack_top-0x20]:64');
  });
  test('named cells: per-CPU variables and symbol displacements', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { r11: S.fresh('task', 64) }, gsKernel: S.const(1, 0n) });
    const seen: MemoryAccess<Expr>[] = [];
    const ctx = { onAccess: (a: MemoryAccess<Expr>) => seen.push(a) };
    step(s, insn('movq', reg('rsp'), mem({ seg: 'gs', dispSymbol: 'cpu_tss_rw', disp: 4n })), S, ctx);
    assert.equal(seen[0].key.base, 'gs:cpu_tss_rw');
    assert.equal(seen[0].key.offset, 4n);
    assert.equal(seen[0].kind, 'write');
    assert.equal(S.show(seen[0].gsKernel as Expr), '0');
    step(s, insn('swapgs'), S, ctx);
    step(s, insn('movq', mem({ seg: 'gs', dispSymbol: 'cpu_tss_rw', disp: 4n }), reg('rax')), S, ctx);
    assert.equal(S.show(seen[1].gsKernel as Expr), '1');
    assert.equal(s.regs.rax, s.regs.rsp);
    step(s, insn('testl', imm(0x3fff), mem({ dispSymbol: 'TASK_TI_flags', base: 'r11' })), S, ctx);
    assert.equal(seen[2].key.base, 'TASK_TI_flags + task');
    // a symbol the context knows is a number
    const k = new MachineState(A, { regs: { rdi: c64(0x1000n) } });
    step(k, insn('movq', imm(5), mem({ dispSymbol: 'OFF', base: 'rdi' })), A, { resolveSymbol: (n) => (n === 'OFF' ? 0x10n : undefined) });
    assert.equal(k.load(c64(0x1010n), 64).value, 5n);
  });
});

describe('merging states', () => {
  test('differences become ite under the condition, equal parts stay shared', () => {
    const S = new SymbolicAlgebra();
    const c = S.eq(S.fresh('ti_flags', 32), S.const(32, 0n));
    const base = new MachineState(S, { regs: { rax: S.fresh('user.rax', 64) } });
    const a = base.clone();
    const b = base.clone();
    step(a, insn('movl', imm(1), reg('ecx')), S);
    step(b, insn('movl', imm(2), reg('ecx')), S);
    step(b, insn('movq', reg('rcx'), mem({ base: 'rax', disp: 8n })), S);
    const m = mergeStates(S, c, a, b);
    assert.equal(S.show(m.regs.rcx), '(ti_flags == 0 ? 1 : 2)');
    assert.equal(m.regs.rax, base.regs.rax);
    assert.equal(S.show(m.load(S.add(base.regs.rax, S.const(64, 8n)), 64)), '(ti_flags == 0 ? mem[user.rax+0x8]:64 : 2)');
    assert.equal(mergeStates(S, S.T, a, b).regs.rcx, a.regs.rcx);
  });

  test('memory laid out alike merges cell by cell; laid out apart, byte by byte; the states merged are left as they were', () => {
    const S = new SymbolicAlgebra();
    const c = S.eq(S.fresh('ti_flags', 32), S.const(32, 0n));
    const sp = S.fresh('kstack', 64);
    const at = (d: bigint): Expr => S.add(sp, S.const(64, d));
    const base = new MachineState(S, { regs: { rsp: sp } });
    base.store(at(0n), S.fresh('user.rip', 64));
    base.store(at(8n), S.fresh('user.cs', 64));
    const a = base.clone();
    const b = base.clone();
    // alike: both sides hold 8-byte cells at 0 and 8; b rewrote the one at 8
    b.store(at(8n), S.const(64, 0x33n));
    const m = mergeStates(S, c, a, b);
    assert.equal(m.load(at(0n), 64), base.load(at(0n), 64), 'the cell both sides share is the same value');
    assert.equal(S.show(m.load(at(8n), 64)), '(ti_flags == 0 ? user.cs : 0x33)');
    // apart: d wrote 4 bytes over the upper half of the cell at 0 (its cells: 0:4, 4:4, 8:8)
    const d = base.clone();
    d.store(at(4n), S.const(32, 0xffffffffn));
    const cellsBefore = [...a.mem.cells()].length;
    const n = mergeStates(S, c, a, d);
    assert.equal([...a.mem.cells()].length, cellsBefore, 'the merge read copies, not the state merged');
    const low = S.extract(base.load(at(0n), 64), 31, 0);
    assert.equal(S.show(n.load(at(0n), 32)), S.show(low), 'the low half, untouched on both sides');
    assert.equal(S.show(n.load(at(4n), 32)), S.show(S.ite(c, S.extract(base.load(at(0n), 64), 63, 32), S.const(32, 0xffffffffn))));
    assert.equal(n.load(at(8n), 64), base.load(at(8n), 64));
  });
});

describe('outcomes', () => {
  const ctx = { nextRip: c64(0x401005n) };
  test('jcc gives the branch condition; jmp, call and ret their targets', () => {
    const s = new MachineState(A, { regs: { rax: c64(3n), rsp: c64(0x8000n) } });
    step(s, insn('cmpq', imm(3), reg('rax')), A);
    assert.deepEqual(step(s, insn('jne', label('1f')), A), { kind: 'branch', cond: false, target: '1f' });
    assert.deepEqual(step(s, insn('je', label('2f')), A), { kind: 'branch', cond: true, target: '2f' });
    assert.deepEqual(step(s, insn('jmp', label('out')), A), { kind: 'jump', target: { kind: 'label', name: 'out' } });
    const ind = step(s, insn('jmp', { kind: 'indirect', target: reg('rax') }), A);
    assert.equal(ind.kind === 'jump' && ind.target.kind === 'value' && ind.target.value.value, 3n);
    s.store(c64(0x2000n + 24n), c64(0xffffffff81234560n));
    const call = step(s, insn('call', { kind: 'indirect', target: mem({ disp: 0x2000n, index: 'rax', scale: 8 }) }), A, ctx);
    assert.equal(call.kind === 'call' && call.target.kind === 'value' && call.target.value.value, 0xffffffff81234560n);
    assert.equal(s.regs.rsp.value, 0x7ff8n);
    assert.equal(s.load(c64(0x7ff8n), 64).value, 0x401005n);
    const ret = step(s, insn('retq'), A);
    assert.equal(ret.kind === 'ret' && ret.target.value, 0x401005n);
    assert.equal(s.regs.rsp.value, 0x8000n);
  });
  test('signed conditions after cmp read as comparisons', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rax: S.fresh('nr', 64), rbx: S.fresh('b', 64) } });
    step(s, insn('cmpq', imm(450), reg('rax')), S);
    const show = (cc: string): string => {
      const o = step(s, insn('j' + cc, label('x')), S);
      return o.kind === 'branch' ? S.show(o.cond) : o.kind;
    };
    assert.equal(show('l'), 'nr <s 0x1c2');
    assert.equal(show('ge'), '!(nr <s 0x1c2)');
    assert.equal(show('le'), 'nr <=s 0x1c2');
    assert.equal(show('g'), '!(nr <=s 0x1c2)');
    assert.equal(show('a'), '!(nr <= 0x1c2)');
    assert.equal(show('be'), 'nr <= 0x1c2');
    // once another instruction writes the flags, the general form is used
    step(s, insn('incq', reg('rbx')), S);
    assert.doesNotMatch(show('l'), /<s/);
    assert.match(show('l'), /b/);
  });
  test('unknown and malformed instructions are reported, never thrown, and change nothing', () => {
    const s = new MachineState(A, { regs: { rax: c64(1n) } });
    const bad: Instruction[] = [
      insn('frobnicate', reg('rax')),
      insn('movs'),
      insn('addq', reg('rax')),
      insn('movq', reg('eax'), reg('rbx')),
      insn('mov', imm(1), mem({ base: 'rdi' })),
      insn('shl', reg('rbx'), reg('rax')),
      insn('lea', reg('rax'), reg('rbx')),
      insn('xchg', imm(1), reg('nosuch')),
    ];
    const S = new SymbolicAlgebra();
    const sym = new MachineState(S, { regs: { rcx: S.fresh('x', 64) } });
    for (const i of bad) {
      const o = step(s, i, A);
      assert.equal(o.kind, 'unknown', i.mnemonic);
      if (o.kind === 'unknown') assert.ok(o.reason.length > 0);
    }
    assert.equal(step(sym, insn('rdmsr'), S).kind, 'unknown');
    assert.equal(s.regs.rax.value, 1n);
    assert.equal(s.regs.rbx.value, 0n);
    // a memory write made before the instruction fails is undone
    s.store(c64(0x108n), c64(0x55n));
    const o = step(s, insn('xchgq', mem({ base: 'rdi', disp: 0x108n }), reg('cs')), A);
    assert.equal(o.kind, 'unknown');
    assert.equal(s.load(c64(0x108n), 64).value, 0x55n);
  });
  test('push/pop corner cases: push %rsp, pop %rsp, pop into an rsp-based slot', () => {
    const s = new MachineState(A, { regs: { rsp: c64(0x8000n), rax: c64(0xaan) } });
    step(s, insn('pushq', reg('rsp')), A);
    assert.equal(s.load(c64(0x7ff8n), 64).value, 0x8000n);
    step(s, insn('pushq', reg('rax')), A);
    step(s, insn('popq', mem({ base: 'rsp', disp: 0n })), A);
    // the slot is addressed after the increment: 0xaa overwrote the pushed rsp
    assert.equal(s.load(c64(0x7ff8n), 64).value, 0xaan);
    s.store(c64(0x7ff8n), c64(0x1234n));
    step(s, insn('popq', reg('rsp')), A);
    assert.equal(s.regs.rsp.value, 0x1234n);
  });
  test('pushf clears RF and VM in the image; popf obeys privilege', () => {
    const k = new MachineState(A, { regs: { rsp: c64(0x8000n) }, rflags: c64(0x30346n), cpl: A.const(2, 0n) });
    step(k, insn('pushfq'), A);
    assert.equal(k.load(c64(0x7ff8n), 64).value, 0x346n);
    k.store(c64(0x7ff8n), c64(0x3002n));
    step(k, insn('popfq'), A);
    assert.equal(k.flags.IF.value, 0n);
    assert.equal(k.iopl.value, 3n);
    assert.equal(k.flags.RF.value, 0n);
    assert.equal(k.flags.VM.value, 1n);
    const u = new MachineState(A, { regs: { rsp: c64(0x8000n) }, rflags: c64(0x202n), cpl: A.const(2, 3n) });
    u.store(c64(0x8000n), c64(0x3000n | 0x0cd5n));
    step(u, insn('popf'), A);
    // user mode: IF and IOPL unchanged, status flags and DF loaded
    assert.equal(u.rflags().value, 0x202n | 0xcd5n);
  });
  test('shift by a masked count of 0 leaves the flags (and their undefinedness) alone', () => {
    const s = new MachineState(A, { regs: { rax: c64(0x80n) }, rflags: c64(0x8c3n) });
    step(s, insn('andl', imm(0), reg('ebx')), A);
    assert.deepEqual([...s.undefinedFlags], ['AF']);
    step(s, insn('shlq', imm(64), reg('rax')), A);
    assert.equal(s.regs.rax.value, 0x80n);
    assert.equal(s.rflags().value & 0x8d5n, 0x44n);
    assert.deepEqual([...s.undefinedFlags], ['AF']);
    step(s, insn('shlb', imm(1), reg('al')), A);
    assert.equal(s.regs.rax.value, 0n);
    assert.equal(s.flags.CF.value, 1n);
    assert.equal(s.flags.OF.value, 1n);
    assert.equal(s.undefinedFlags.has('OF'), false);
    step(s, insn('sarb', imm(2), reg('al')), A);
    assert.equal(s.undefinedFlags.has('OF'), true);
  });
  test('wrgsbase writes the current GS base, which SWAPGS then exchanges', () => {
    const s = new MachineState(A, { regs: { rax: c64(0x7f0000001000n) }, gsKernel: A.const(1, 1n) });
    step(s, insn('swapgs'), A);
    step(s, insn('wrgsbase', reg('rax')), A);
    assert.equal(s.msr('GS_BASE').value, 0x7f0000001000n);
    step(s, insn('rdgsbase', reg('ecx')), A);
    assert.equal(s.regs.rcx.value, 0x1000n);
    step(s, insn('swapgs'), A);
    assert.equal(s.msr('KERNEL_GS_BASE').value, 0x7f0000001000n);
    assert.equal(s.gsBaseKind(), 'kernel');
  });
  test('bt with a negative register offset addresses below the operand', () => {
    const s = new MachineState(A, { regs: { rdi: c64(0x1000n), rcx: c64(-1n) } });
    s.store(c64(0xff8n), c64(0x8000000000000000n));
    step(s, insn('btq', reg('rcx'), mem({ base: 'rdi' })), A);
    assert.equal(s.flags.CF.value, 1n);
    step(s, insn('btrl', reg('ecx'), mem({ base: 'rdi' })), A);
    assert.equal(s.load(c64(0xff8n), 64).value, 0n);
  });
  test('rcl/rcr rotate through CF (9/17-bit rotations for bytes and words)', () => {
    const s = new MachineState(A, { regs: { rax: c64(0n), rbx: c64(0x8000000000000001n), rcx: c64(0x81n) }, rflags: c64(0x203n) });
    step(s, insn('rcrq', imm(1), reg('rax')), A); // CF=1 enters at the top
    assert.equal(s.regs.rax.value, 0x8000000000000000n);
    assert.equal(s.flags.CF.value, 0n);
    assert.equal(s.flags.OF.value, 1n); // msb before (0) xor CF before (1)
    step(s, insn('rclq', imm(1), reg('rbx')), A); // CF=0 enters at bit 0, bit 63 leaves into CF
    assert.equal(s.regs.rbx.value, 2n);
    assert.equal(s.flags.CF.value, 1n);
    step(s, insn('rclb', imm(9), reg('cl')), A); // a full 9-bit turn: nothing moves
    assert.equal(s.regs.rcx.value, 0x81n);
    assert.equal(s.flags.CF.value, 1n);
    step(s, insn('rclb', imm(2), reg('cl')), A); // 1,1000 0001 -> 0000 0111 with CF = 0
    assert.equal(s.regs.rcx.value, 0x07n);
    assert.equal(s.flags.CF.value, 0n);
    assert.ok(isModelled('rcr') && isModelled('rcll'));
  });
  test("Xen's guest-pointer masking (cmp/cmovnb/btr/rcr/or) makes only Xen's range non-canonical", () => {
    const END = 0xffff880000000000n;
    const masked = (p: bigint): bigint => {
      const s = new MachineState(A, { regs: { rsi: c64(p) } });
      for (const i of [
        insn('movabsq', imm(END - 1n), reg('rax')), insn('movq', imm(47), reg('rcx')), insn('cmpq', reg('rsi'), reg('rax')),
        insn('cmovnbq', reg('rcx'), reg('rax')), insn('xorq', reg('rcx'), reg('rcx')), insn('btrq', reg('rax'), reg('rsi')),
        insn('rcrq', imm(1), reg('rcx')), insn('orq', reg('rcx'), reg('rsi')),
      ]) step(s, i, A);
      return s.regs.rsi.value;
    };
    assert.equal(masked(0x00007fffdeadbeefn), 0x00007fffdeadbeefn); // guest half: unchanged
    assert.equal(masked(0xffff830000001000n), 0xffff030000001000n); // Xen's direct map: bit 47 gone
    assert.equal(masked(0xffffc90000000000n), 0xffffc90000000000n); // guest kernel above Xen: unchanged
  });
});

describe('the seed: opportunistic SYSRET checks', () => {
  const R = (n: string): Operand => reg(n);
  const M = (disp: number): Operand => mem({ base: 'rsp', disp: BigInt(disp) });
  // pt_regs offsets (R15 = 0 ... R11 = 6*8, RCX = 11*8, RIP = 16*8, CS, EFLAGS, RSP, SS)
  const RCX = 11 * 8;
  const R11 = 6 * 8;
  const RIP = 16 * 8;
  const CS = 17 * 8;
  const EFLAGS = 18 * 8;
  const SS = 20 * 8;
  function run(withCanonicalCheck: boolean): { bad: Expr; S: SymbolicAlgebra; pc: Expr } {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rsp: S.sub(S.fresh('kstack_top', 64), S.const(64, 21n * 8n)) }, gsKernel: S.const(1, 1n) });
    const frame: [number, string][] = [
      [RCX, 'ptregs.cx'],
      [R11, 'ptregs.r11'],
      [RIP, 'ptregs.ip'],
      [CS, 'ptregs.cs'],
      [EFLAGS, 'ptregs.flags'],
      [SS, 'ptregs.ss'],
      [19 * 8, 'ptregs.sp'],
    ];
    for (const [off, name] of frame) s.store(S.add(s.regs.rsp, S.const(64, BigInt(off))), S.fresh(name, 64));
    const prog: Instruction[] = [
      insn('movq', M(RCX), R('rcx')),
      insn('movq', M(RIP), R('r11')),
      insn('cmpq', R('rcx'), R('r11')),
      insn('jne', label('opportunistic_sysret_failed')),
      ...(withCanonicalCheck
        ? [insn('shl', imm(16), R('rcx')), insn('sar', imm(16), R('rcx')), insn('cmpq', R('rcx'), R('r11')), insn('jne', label('opportunistic_sysret_failed'))]
        : []),
      insn('cmpq', imm(0x33), M(CS)),
      insn('jne', label('opportunistic_sysret_failed')),
      insn('movq', M(R11), R('r11')),
      insn('cmpq', R('r11'), M(EFLAGS)),
      insn('jne', label('opportunistic_sysret_failed')),
      insn('testq', imm(0x10100), R('r11')),
      insn('jnz', label('opportunistic_sysret_failed')),
      insn('cmpq', imm(0x2b), M(SS)),
      insn('jne', label('opportunistic_sysret_failed')),
      insn('movq', M(19 * 8), R('rsp')),
      insn('swapgs'),
      insn('sysretq'),
    ];
    let pc = S.T;
    for (const i of prog) {
      const o = step(s, i, S, { vaBits: 48 });
      if (o.kind === 'branch') pc = S.andB(pc, S.notB(o.cond));
      else if (o.kind === 'exit') return { bad: S.andB(pc, faultCondition(S, o.exit, 'intel', 0)), S, pc };
      else assert.equal(o.kind, 'next', i.mnemonic);
    }
    throw new Error('no exit');
  }
  test('with the checks, SYSRET cannot fault in ring 0', async () => {
    const { bad, S } = run(true);
    const r = await check(bad, { timeoutMs: 5000 });
    assert.equal(r.status, 'unsat', S.show(bad));
  });
  test('without the canonical check, the witness is a non-canonical ptregs.ip', async () => {
    const { bad } = run(false);
    const r = await check(bad, { timeoutMs: 5000 });
    assert.equal(r.status, 'sat');
    if (r.status !== 'sat') return;
    const ip = r.model.get('ptregs.ip') as bigint;
    assert.equal(r.model.get('ptregs.cx'), ip);
    assert.notEqual(BigInt.asUintN(64, BigInt.asIntN(48, ip)), ip);
    assert.equal((r.model.get('ptregs.r11') as bigint) & 0x10100n, 0n);
    assert.equal(r.model.get('ptregs.cs'), 0x33n);
  });
  test('the path condition reads like the source', () => {
    const { S, pc } = run(true);
    const text = S.show(pc);
    assert.equal(
      text,
      'ptregs.cx == ptregs.ip && ptregs.ip == sext47(ptregs.cx) && ptregs.cs == 0x33 && ptregs.r11 == ptregs.flags && (ptregs.r11 & 0x10100) == 0 && ptregs.ss == 0x2b',
    );
  });
});

describe('instruction descriptions', () => {
  test('suffixed AT&T forms map to the canonical instruction', () => {
    const shl = describeInstruction('shlq');
    assert.equal(shl?.mnemonic, 'shl');
    assert.equal(shl?.operandSize, 64);
    assert.deepEqual(shl?.flagsUndefined, ['AF', 'OF']);
    assert.equal(describeInstruction('SARL')?.mnemonic, 'sar');
    assert.match(describeInstruction('sar')?.summary ?? '', /copies of the sign bit/);
    assert.deepEqual([describeInstruction('movzbl')?.mnemonic, describeInstruction('movzbl')?.operandSize], ['movzx', 32]);
    assert.equal(describeInstruction('movslq')?.mnemonic, 'movsxd');
    assert.equal(describeInstruction('cltq')?.mnemonic, 'cdqe');
    assert.equal(describeInstruction('sall')?.mnemonic, 'shl');
    assert.equal(describeInstruction('testb')?.operandSize, 8);
    assert.equal(describeInstruction('pushfq')?.mnemonic, 'pushf');
    assert.equal(describeInstruction('btsq')?.mnemonic, 'bts');
    assert.equal(describeInstruction('sbbb')?.mnemonic, 'sbb');
  });
  test('conditional forms name their condition and flags', () => {
    assert.deepEqual(describeInstruction('jnz')?.flagsRead, ['ZF']);
    assert.equal(describeInstruction('jnz')?.mnemonic, 'jne');
    assert.equal(describeInstruction('setb')?.mnemonic, 'setb');
    assert.deepEqual(describeInstruction('setb')?.flagsRead, ['CF']);
    assert.equal(describeInstruction('cmovll')?.mnemonic, 'cmovl');
    assert.equal(describeInstruction('cmovll')?.operandSize, 32);
    assert.deepEqual(describeInstruction('jle')?.flagsRead, ['ZF', 'SF', 'OF']);
  });
  test('privileged instructions say so', () => {
    const s = describeInstruction('sysretq');
    assert.equal(s?.mnemonic, 'sysret');
    assert.equal(s?.operandSize, 64);
    assert.equal(s?.privileged, true);
    assert.equal(describeInstruction('sysretl')?.operandSize, 32);
    assert.equal(describeInstruction('swapgs')?.privileged, true);
    assert.equal(describeInstruction('addq')?.privileged, false);
  });
  test('unknown mnemonics have no description', () => {
    assert.equal(describeInstruction('frob'), undefined);
    assert.equal(describeInstruction('cmpsb'), undefined);
    assert.equal(describeInstruction(''), undefined);
  });
  test('every described instruction has semantics and every modelled one a description', () => {
    assert.deepEqual([...canonicalMnemonics()].sort(), [...modelledMnemonics()].sort());
    for (const m of canonicalMnemonics()) {
      const d = describeInstruction(m);
      assert.ok(d && d.summary.length > 10 && d.title.length > 2, m);
    }
  });
});

describe('return paths of Linux 3.x–6.x, FreeBSD, Xen and OpenBSD', () => {
  // Instruction forms found on those paths (operands stand for their shapes)
  const forms: Instruction[] = [
    insn('movq', mem({ base: 'rsp', disp: 0x80n }), reg('rcx')),
    insn('movq', mem({ seg: 'gs', dispSymbol: 'cpu_current_top_of_stack' }), reg('rsp')),
    insn('movl', mem({ base: 'rsp', disp: 8n }), reg('eax')),
    insn('movw', reg('ax'), reg('ds')),
    insn('movb', imm(1), mem({ base: 'rsp', disp: 2n })),
    insn('movabsq', imm(0x7ffffffff000n), reg('rcx')),
    insn('movzbl', reg('al'), reg('eax')),
    insn('movzwl', mem({ base: 'rsp', disp: 0x88n }), reg('eax')),
    insn('movslq', reg('eax'), reg('rax')),
    insn('leaq', mem({ base: 'rsp', disp: 8n }), reg('rdi')),
    insn('pushq', imm(0x2b)),
    insn('pushq', mem({ base: 'rdi', disp: 0x98n })),
    insn('pushq', reg('rax')),
    insn('popq', reg('rdi')),
    insn('pushfq'),
    insn('popfq'),
    insn('addq', imm(8), reg('rsp')),
    insn('subq', imm(0x78), reg('rsp')),
    insn('andl', imm(0x3ff), reg('eax')),
    insn('orq', imm(0x1800), reg('rdi')),
    insn('xorl', reg('r11d'), reg('r11d')),
    insn('testl', imm(0x3fff), mem({ dispSymbol: 'TASK_TI_flags', base: 'rcx' })),
    insn('testb', imm(4), mem({ base: 'rsp', disp: 0xa0n })),
    insn('testq', reg('rax'), reg('rax')),
    insn('cmpq', imm(0x33), mem({ base: 'rsp', disp: 0x88n })),
    insn('cmpw', imm(0x2b), mem({ base: 'rsp', disp: 0xa0n })),
    insn('cmpl', imm(0x1b3), reg('eax')),
    insn('shl', imm(16), reg('rcx')),
    insn('sarq', imm(16), reg('rcx')),
    insn('shrq', imm(47), reg('rcx')),
    insn('btl', imm(9), reg('r11d')),
    insn('btq', imm(12), mem({ base: 'rsp' })),
    insn('btrq', imm(63), reg('rax')),
    insn('btsq', imm(63), reg('rax')),
    insn('btr', reg('rax'), mem({ seg: 'gs', dispSymbol: 'user_pcid_flush_mask' })),
    insn('incl', mem({ seg: 'gs', dispSymbol: 'irq_count' })),
    insn('decl', mem({ seg: 'gs', dispSymbol: 'irq_count' })),
    insn('negq', reg('rax')),
    insn('notq', reg('rax')),
    insn('adcq', imm(0), reg('rax')),
    insn('sbbq', reg('rax'), reg('rax')),
    insn('rolq', imm(1), reg('rax')),
    insn('rorq', imm(1), reg('rax')),
    insn('setne', reg('al')),
    insn('cmovneq', reg('rcx'), reg('rax')),
    insn('xchgq', reg('rax'), mem({ base: 'rsp' })),
    insn('jnz', label('1f')),
    insn('ja', label('1f')),
    insn('jmp', label('restore')),
    insn('jmp', { kind: 'indirect', target: reg('rax') }),
    insn('call', label('do_syscall_64')),
    insn('call', { kind: 'indirect', target: mem({ dispSymbol: 'sys_call_table', index: 'rax', scale: 8 }) }),
    insn('ret'),
    insn('retq'),
    insn('cli'),
    insn('sti'),
    insn('cld'),
    insn('swapgs'),
    insn('movq', reg('cr3'), reg('rax')),
    insn('movq', reg('rax'), reg('cr3')),
    insn('wrmsr'),
    insn('wrfsbase', reg('rax')),
    insn('rdgsbase', reg('rax')),
    insn('lfence'),
    insn('mfence'),
    insn('verw', mem({ base: 'rip', dispSymbol: 'mds_verw_sel' })),
    insn('lsl', reg('ax'), reg('eax')),
    { mnemonic: 'divq', operands: [reg('rcx')] },
    insn('nop'),
    insn('pause'),
    { mnemonic: 'nop', operands: [], prefixes: ['rep'] },
    { mnemonic: 'orl', operands: [imm(1), mem({ base: 'rdi' })], prefixes: ['lock'] },
    insn('sysretq'),
    insn('sysretl'),
    { mnemonic: 'sysretl', operands: [], prefixes: ['rex64'] },
    insn('iretq'),
    insn('ud2'),
    insn('int3'),
  ];
  test(`${forms.length} instruction forms all run symbolically`, () => {
    const S = new SymbolicAlgebra();
    for (const i of forms) {
      assert.ok(isModelled(i.mnemonic), i.mnemonic);
      const s = new MachineState(S, { regs: { rsp: S.fresh('kstack', 64), rax: S.fresh('rax', 64), rcx: S.fresh('rcx', 64), rdi: S.fresh('rdi', 64) } });
      s.write('ecx', S.const(32, 0x48n));
      const o = step(s, i, S, { vaBits: 48 });
      assert.notEqual(o.kind, 'unknown', `${i.mnemonic}: ${o.kind === 'unknown' ? o.reason : ''}`);
    }
  });
});

describe('div / idiv (Xen flushes the divider on exit to a guest)', () => {
  test('div %al: AX / AL, quotient to AL, remainder to AH', () => {
    const s = new MachineState(A, { regs: { rax: c64(0xffff_0000_0000_0107n) } });
    assert.equal(step(s, insn('div', reg('al')), A, { vaBits: 48 }).kind, 'next');
    // AX = 0x0107 = 263, AL = 7: 263 = 37 * 7 + 4
    assert.equal(s.regs.rax.value, 0xffff_0000_0000_0425n);
  });
  test('divq and idivl against BigInt arithmetic; 32-bit results zero-extend', () => {
    const s = new MachineState(A, { regs: { rax: c64(100n), rdx: c64(1n), rcx: c64(7n) } });
    step(s, insn('divq', reg('rcx')), A, { vaBits: 48 });
    const n = (1n << 64n) + 100n;
    assert.equal(s.regs.rax.value, n / 7n);
    assert.equal(s.regs.rdx.value, n % 7n);
    const t = new MachineState(A, { regs: { rax: c64(0xffff_fff9n), rdx: c64(0xffff_ffffn), rcx: c64(2n) } });
    step(t, insn('idivl', reg('ecx')), A, { vaBits: 48 });
    assert.equal(t.regs.rax.value, 0xffff_fffdn, '-7 / 2 = -3');
    assert.equal(t.regs.rdx.value, 0xffff_ffffn, 'remainder -1');
  });
  test('#DE on a zero divisor and on a quotient that does not fit', () => {
    const z = new MachineState(A, { regs: { rax: c64(5n), rcx: c64(0n) } });
    const o = step(z, insn('divl', reg('ecx')), A, { vaBits: 48 });
    assert.ok(o.kind === 'fault' && o.fault.vector === 0);
    const big = new MachineState(A, { regs: { rax: c64(0n), rdx: c64(2n), rcx: c64(2n) } });
    const o2 = step(big, insn('divq', reg('rcx')), A, { vaBits: 48 });
    assert.ok(o2.kind === 'fault' && o2.fault.vector === 0);
  });
  test('symbolic: unknown results only where no #DE is possible', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rax: S.fresh('rax', 64), rdx: S.const(64, 0n), rcx: S.const(64, 3n) } });
    assert.equal(step(s, insn('divq', reg('rcx')), S, { vaBits: 48 }).kind, 'next');
    assert.ok(s.undefinedFlags.has('ZF'));
    const u = new MachineState(S, { regs: { rax: S.fresh('rax', 64), rdx: S.fresh('rdx', 64), rcx: S.const(64, 3n) } });
    assert.equal(step(u, insn('divq', reg('rcx')), S, { vaBits: 48 }).kind, 'unknown');
  });
});

describe('rep movs / rep stos with a known count (Xen copies frames this way)', () => {
  test('rep movsq copies rcx quadwords forward and leaves rcx zero; stosq stores rax', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rsi: S.fresh('src', 64), rdi: S.fresh('dst', 64), rcx: S.const(64, 2n), rax: S.const(64, 7n) } });
    s.flags.DF = S.const(1, 0n);
    const src = s.regs.rsi;
    const o = step(s, { mnemonic: 'movsq', operands: [], prefixes: ['rep'] }, S, { vaBits: 48 });
    assert.equal(o.kind, 'next');
    assert.equal(S.show(s.regs.rsi), S.show(S.add(src, S.const(64, 16n))));
    assert.equal(S.asConst(s.regs.rcx), 0n);
    const t = new MachineState(A, { regs: { rdi: c64(0x1000n), rax: c64(0xdeadbeefn), rcx: c64(3n) } });
    t.flags.DF = A.const(1, 0n);
    step(t, { mnemonic: 'stosq', operands: [], prefixes: ['rep'] }, A, { vaBits: 48 });
    assert.equal(t.regs.rdi.value, 0x1018n);
    assert.equal(t.regs.rcx.value, 0n);
  });
  test('an unknown count or direction is not run', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rcx: S.fresh('n', 64) } });
    s.flags.DF = S.const(1, 0n);
    assert.equal(step(s, { mnemonic: 'movsq', operands: [], prefixes: ['rep'] }, S, { vaBits: 48 }).kind, 'unknown');
  });
  test('ud2a is ud2', () => {
    const s = new MachineState(A, {});
    const o = step(s, insn('ud2a'), A, { vaBits: 48 });
    assert.ok(o.kind === 'fault' && o.fault.vector === 6);
  });
});

describe('CET: endbr64 and the shadow-stack instructions of Xen\'s exits', () => {
  test('endbr64 changes nothing; rdsspq makes its register unknown; incsspd and setssbsy leave registers', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rcx: S.const(64, 0n), rax: S.fresh('rax', 64) } });
    assert.equal(step(s, insn('endbr64'), S, { vaBits: 48 }).kind, 'next');
    assert.equal(step(s, insn('rdsspq', reg('rcx')), S, { vaBits: 48 }).kind, 'next');
    assert.equal(S.asConst(s.regs.rcx), undefined, 'the SSP, or 0 when shadow stacks are off');
    const before = S.show(s.regs.rcx);
    assert.equal(step(s, insn('incsspd', reg('ecx')), S, { vaBits: 48 }).kind, 'next');
    assert.equal(step(s, insn('setssbsy'), S, { vaBits: 48 }).kind, 'next');
    assert.equal(S.show(s.regs.rcx), before);
    assert.equal(S.show(s.regs.rax), 'rax');
  });
  test('clrssbsy leaves CF unknown; wrssq stores', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rcx: S.fresh('ssp', 64), rax: S.const(64, 5n), rdi: S.fresh('p', 64) } });
    step(s, insn('clrssbsy', mem({ base: 'rcx' })), S, { vaBits: 48 });
    assert.ok(s.undefinedFlags.has('CF'));
    step(s, insn('wrssq', reg('rax'), mem({ base: 'rdi', disp: 8n })), S, { vaBits: 48 });
    step(s, insn('movq', mem({ base: 'rdi', disp: 8n }), reg('rbx')), S, { vaBits: 48 });
    assert.equal(S.asConst(s.regs.rbx), 5n);
  });
});

describe('bsr / bsf / hlt', () => {
  test('bsr and bsf give the highest and lowest set bit; zero sets ZF and keeps the destination', () => {
    const s = new MachineState(A, { regs: { rax: c64(0x0000_0000_0012_0400n), rbx: c64(99n) } });
    step(s, insn('bsrl', reg('eax'), reg('ecx')), A, { vaBits: 48 });
    assert.equal(s.regs.rcx.value, 20n);
    assert.equal(s.flags.ZF.value, 0n);
    step(s, insn('bsfq', reg('rax'), reg('rdx')), A, { vaBits: 48 });
    assert.equal(s.regs.rdx.value, 10n);
    const z = new MachineState(A, { regs: { rax: c64(0n), rbx: c64(99n) } });
    step(z, insn('bsrq', reg('rax'), reg('rbx')), A, { vaBits: 48 });
    assert.equal(z.regs.rbx.value, 99n);
    assert.equal(z.flags.ZF.value, 1n);
  });
  test('hlt changes nothing in ring 0', () => {
    const s = new MachineState(A, { regs: { rax: c64(5n) } });
    assert.equal(step(s, insn('hlt'), A, { vaBits: 48 }).kind, 'next');
    assert.equal(s.regs.rax.value, 5n);
  });
});

describe('lsl (the CPU number from a GDT limit, 5.x+ paranoid entry)', () => {
  test('the destination and ZF become unknown; nothing else changes', () => {
    const S = new SymbolicAlgebra();
    const s = new MachineState(S, { regs: { rax: S.fresh('rax', 64), rbx: S.fresh('rbx', 64), rsp: S.fresh('kstack', 64) } });
    const o = step(s, insn('lsl', reg('ax'), reg('eax')), S, { vaBits: 48 });
    assert.equal(o.kind, 'next');
    assert.match(S.show(s.regs.rax), /^zext64\(lsl\.limit#\d+\)$/, '32-bit destination: the unknown limit, zero-extended');
    assert.equal(S.show(s.regs.rbx), 'rbx');
    assert.equal(S.show(s.regs.rsp), 'kstack');
    assert.ok(s.undefinedFlags.has('ZF'));
  });
  test('the concrete model refuses it (no descriptor tables)', () => {
    const s = new MachineState(A, { regs: { rax: c64(0n) } });
    assert.equal(step(s, insn('lsl', reg('ax'), reg('eax')), A, { vaBits: 48 }).kind, 'unknown');
  });
});

describe('entry state and pt_regs', () => {
  test('syscallEntryState: what SYSCALL leaves, symbolically', () => {
    const S = new SymbolicAlgebra();
    const s = syscallEntryState(S, freshUser(S));
    assert.equal(S.show(s.regs.rcx), 'user.rip');
    assert.equal(S.show(s.regs.r11), 'user.rflags & 0x244dd5 | 0x202');
    assert.equal(S.show(s.rflags()), 'user.rflags & 0x2008d5 | 2');
    assert.equal(S.show(s.regs.rsp), 'user.rsp');
    assert.equal(S.show(s.regs.rdi), 'user.rdi');
    assert.equal(s.gsBaseKind(), 'user');
    assert.equal(s.cr3Kind(), 'user');
    assert.equal(S.show(s.seg.cs), '0x10');
    assert.equal(S.show(s.cpl), '0');
  });
  test('syscallEntryState with pinned values is concrete', () => {
    const s = syscallEntryState(A, pinnedUser(A, { rip: 0x401000n, rflags: 0x10346n, rsp: 0x7ffc0000n }));
    assert.equal(s.regs.rcx.value, 0x401000n);
    assert.equal(s.regs.r11.value, 0x346n);
    assert.equal(s.rflags().value, 0x46n);
  });
  test('a frame built by the entry resolves to named fields', () => {
    const S = new SymbolicAlgebra();
    const top = 'kstack_top';
    const s = syscallEntryState(S, freshUser(S), {
      memInit: frameMemInit(S, top, -BigInt(PT_REGS_SIZE), (b, o, n) => S.fresh(`mem[${b}+${o}]`, n * 8)),
    });
    const prog: Instruction[] = [
      insn('swapgs'),
      insn('movq', reg('rsp'), mem({ seg: 'gs', dispSymbol: 'rsp_scratch' })),
      insn('movq', mem({ seg: 'gs', dispSymbol: 'cpu_current_top_of_stack' }), reg('rsp')),
      insn('pushq', imm(0x2b)),
      insn('pushq', mem({ seg: 'gs', dispSymbol: 'rsp_scratch' })),
      insn('pushq', reg('r11')),
      insn('pushq', imm(0x33)),
      insn('pushq', reg('rcx')),
    ];
    const ctx = {};
    // the per-CPU stack top is the region the frame lives in
    s.mem.write('gs:cpu_current_top_of_stack', 0n, S.fresh(top, 64));
    for (const i of prog) assert.equal(step(s, i, S, ctx).kind, 'next');
    assert.equal(S.show(s.regs.rsp), 'kstack_top - 0x28');
    // the slot the entry has not written yet is named after its pt_regs field
    const at = (f: PtRegsField): Expr => s.load(S.add(S.fresh(top, 64), S.const(64, BigInt(ptregsOffset(f) - PT_REGS_SIZE))), 64);
    assert.equal(S.show(at('ip')), 'user.rip');
    assert.equal(S.show(at('sp')), 'user.rsp');
    assert.equal(S.show(at('cs')), '0x33');
    assert.equal(S.show(at('orig_ax')), 'ptregs.orig_ax');
    assert.equal(ptregsFieldAt(18 * 8), 'flags');
    assert.equal(ptregsFieldOf('rcx'), 'cx');
    assert.equal(ptregsFieldOf('r11'), 'r11');
    assert.equal(ptregsOffset('ss'), 160);
  });
});
