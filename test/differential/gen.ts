// Random short AT&T sequences over the user-mode instructions, with random
// register, RFLAGS and memory inputs biased toward edge values.

import { Instruction, MemOperand, Operand, Rng, imm, mem, reg } from '../../server/src/x86';
import { printInstruction } from './att';

/** Scratch memory the harness provides: rbp points at +RBP_OFF, rsp starts at +RSP_OFF. */
export const SCRATCH_SIZE = 256;
export const RBP_OFF = 64;
export const RSP_OFF = 192;
export const MEM_QWORDS = SCRATCH_SIZE / 8;

export interface Case {
  id: number;
  insns: Instruction[];
  text: string[];
  /** rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15 (rsp and rbp are set by the harness). */
  regs: bigint[];
  /** RFLAGS requested at entry (the harness records what the CPU really loaded). */
  flags: bigint;
  /** Initial scratch memory, 32 little-endian qwords. */
  mem: bigint[];
}

const M64 = (1n << 64n) - 1n;

const EDGE64 = [
  0n,
  1n,
  2n,
  M64,
  M64 - 1n,
  0x8000000000000000n,
  0x7fffffffffffffffn,
  0x80000000n,
  0x7fffffffn,
  0xffffffffn,
  0x100000000n,
  0xffffffff80000000n,
  0x80n,
  0x7fn,
  0xffn,
  0x100n,
  0x8000n,
  0x7fffn,
  0xffffn,
  0xff80n,
  0x00007fffffffffffn,
  0x0000800000000000n,
  0xffff7fffffffffffn,
  0xffff800000000000n,
  0x00ffffffffffffffn,
  0x0100000000000000n,
  0xfeffffffffffffffn,
  0xff00000000000000n,
  0x10n,
  0x3fn,
  0x40n,
  0x1fn,
  0x20n,
  0x21n,
  0x41n,
];

export function edgeValue(rng: Rng): bigint {
  const r = rng.below(8);
  if (r < 4) return EDGE64[rng.below(EDGE64.length)];
  if (r === 4) return rng.next64() & 0xffn;
  if (r === 5) return rng.next64() & 0xffffffffn;
  if (r === 6) {
    // a random value with an edge pattern in one byte lane
    const lane = BigInt(rng.below(8) * 8);
    return (rng.next64() & ~(0xffn << lane) & M64) | ([0x80n, 0x7fn, 0xffn, 0n][rng.below(4)] << lane);
  }
  return rng.next64();
}

const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const NAMES: Record<number, string[]> = {
  64: GPR64,
  32: ['eax', 'ecx', 'edx', 'ebx', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'],
  16: ['ax', 'cx', 'dx', 'bx', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'],
  8: ['al', 'cl', 'dl', 'bl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'],
};
const SRC_EXTRA: Record<number, string[]> = { 64: ['rsp', 'rbp'], 32: ['esp', 'ebp'], 16: ['sp', 'bp'], 8: ['spl', 'bpl'] };
const LEGACY8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SUFFIX: Record<number, string> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };
const SIZES = [8, 16, 32, 64];
const CCS = ['o', 'no', 'b', 'c', 'nae', 'ae', 'nb', 'nc', 'e', 'z', 'ne', 'nz', 'be', 'na', 'a', 'nbe', 's', 'ns', 'p', 'pe', 'np', 'po', 'l', 'nge', 'ge', 'nl', 'le', 'ng', 'g', 'nle'];

/** RFLAGS bits the generator may set: status flags, DF, NT, ID (never TF or AC). */
export const SETTABLE_FLAGS = 0x1n | 0x4n | 0x10n | 0x40n | 0x80n | 0x400n | 0x800n | 0x4000n | 0x200000n;

class Builder {
  insns: Instruction[] = [];
  /** Bytes pushed minus popped since the start (rsp = RSP_OFF - depth). */
  depth = 0;
  constructor(readonly rng: Rng) {}

  pick<T>(xs: readonly T[]): T {
    return xs[this.rng.below(xs.length)];
  }
  chance(p: number): boolean {
    return this.rng.below(1000) < p * 1000;
  }
  /** Set by lockMaybe: the next instruction with a memory operand gets a lock prefix. */
  lockNext = false;
  emit(mnemonic: string, ...operands: Operand[]): void {
    const i: Instruction = { mnemonic, operands };
    if (this.lockNext && operands.some((o) => o.kind === 'mem')) {
      i.prefixes = ['lock'];
      this.lockNext = false;
    }
    this.insns.push(i);
  }
  /** A register of `size` bits: destinations never touch rsp/rbp. */
  reg(size: number, dest: boolean): string {
    if (!dest && this.chance(0.08)) return this.pick(SRC_EXTRA[size]);
    return this.pick(NAMES[size]);
  }
  mnem(base: string, size: number, force: boolean): string {
    return force || this.chance(0.5) ? base + SUFFIX[size] : base;
  }
  imm(size: number): bigint {
    const v = edgeValue(this.rng);
    if (size === 64) return BigInt.asIntN(32, v);
    return this.chance(0.3) ? BigInt.asIntN(size, v) : BigInt.asUintN(size, v);
  }
  /** A memory operand of `bytes` bytes inside the scratch area. */
  memOp(bytes: number): MemOperand {
    const r = this.rng.below(4);
    if (r === 0) {
      const d = this.rng.below(SCRATCH_SIZE - bytes + 1);
      return mem({ base: 'rip', dispSymbol: 'scratch', disp: BigInt(d) });
    }
    if (r === 1) {
      // relative to the current rsp
      const sp = RSP_OFF - this.depth;
      const lo = -sp;
      const hi = SCRATCH_SIZE - bytes - sp;
      return mem({ base: 'rsp', disp: BigInt(lo + this.rng.below(hi - lo + 1)) });
    }
    if (r === 2) {
      // base + index*scale with the index loaded just before
      const idx = this.pick(GPR64);
      const scale = this.pick([1, 2, 4, 8] as const);
      const k = this.rng.below(9) - 4;
      this.emit('movq', imm(k), reg(idx));
      const lo = -RBP_OFF - k * scale;
      const hi = SCRATCH_SIZE - bytes - RBP_OFF - k * scale;
      return mem({ base: 'rbp', index: idx, scale, disp: BigInt(lo + this.rng.below(hi - lo + 1)) });
    }
    const lo = -RBP_OFF;
    const hi = SCRATCH_SIZE - RBP_OFF - bytes;
    return mem({ base: 'rbp', disp: BigInt(lo + this.rng.below(hi - lo + 1)) });
  }

  // --- templates --------------------------------------------------------------------
  alu(): void {
    const op = this.pick(['add', 'sub', 'adc', 'sbb', 'and', 'or', 'xor', 'cmp', 'test']);
    const size = this.pick(SIZES);
    const form = this.rng.below(5);
    const rmw = op !== 'cmp' && op !== 'test';
    if (size === 8 && form === 0 && this.chance(0.3)) {
      this.emit(this.mnem(op, 8, false), reg(this.pick(LEGACY8)), reg(this.pick(LEGACY8)));
      return;
    }
    if (form === 0) this.emit(this.mnem(op, size, false), reg(this.reg(size, false)), reg(this.reg(size, !rmw ? false : true)));
    else if (form === 1) this.emit(this.mnem(op, size, false), imm(this.imm(size)), reg(this.reg(size, rmw)));
    else if (form === 2) {
      const m = this.memOp(size / 8);
      this.lockMaybe(rmw);
      this.emit(this.mnem(op, size, true), imm(this.imm(size)), m);
    } else if (form === 3) {
      const m = this.memOp(size / 8);
      this.lockMaybe(rmw);
      this.emit(this.mnem(op, size, false), reg(this.reg(size, false)), m);
    } else {
      if (op === 'test') return this.emit(this.mnem(op, size, false), reg(this.reg(size, false)), this.memOp(size / 8));
      const m = this.memOp(size / 8);
      this.emit(this.mnem(op, size, false), m, reg(this.reg(size, rmw)));
    }
  }
  lockMaybe(ok: boolean): void {
    this.lockNext = ok && this.chance(0.2);
  }
  unary(): void {
    const op = this.pick(['inc', 'dec', 'neg', 'not']);
    const size = this.pick(SIZES);
    if (this.chance(0.6)) this.emit(this.mnem(op, size, false), reg(this.reg(size, true)));
    else {
      const m = this.memOp(size / 8);
      this.lockMaybe(true);
      this.emit(this.mnem(op, size, true), m);
    }
  }
  shift(): void {
    const op = this.pick(['shl', 'sal', 'shr', 'sar', 'rol', 'ror']);
    const size = this.pick(SIZES);
    const dst: Operand = this.chance(0.75) ? reg(this.reg(size, true)) : this.memOp(size / 8);
    const force = dst.kind === 'mem';
    const r = this.rng.below(10);
    if (r === 0) return this.emit(this.mnem(op, size, force), dst);
    if (r <= 3) {
      if (this.chance(0.5)) this.emit('movb', imm(this.pick([0, 1, 2, size - 1, size, size + 1, 31, 32, 33, 63, 64, 65, this.rng.below(256)])), reg('cl'));
      if (dst.kind === 'reg' && /^(rcx|ecx|cx|cl)$/.test(dst.name) && this.chance(0.5)) return;
      return this.emit(this.mnem(op, size, force), reg('cl'), dst);
    }
    const n = this.pick([0, 1, 1, 2, 3, size - 1, size, size + 1, 31, 32, 33, 63, 64, 65, 127, 255, this.rng.below(256)]);
    this.emit(this.mnem(op, size, force), imm(n), dst);
  }
  bits(): void {
    const op = this.pick(['bt', 'bts', 'btr', 'btc']);
    const size = this.pick([16, 32, 64]);
    const r = this.rng.below(4);
    if (r === 0) return this.emit(this.mnem(op, size, false), imm(this.rng.below(256)), reg(this.reg(size, op === 'bt' ? false : true)));
    if (r === 1) return this.emit(this.mnem(op, size, false), reg(this.reg(size, false)), reg(this.reg(size, op !== 'bt')));
    if (r === 2) {
      const m = this.memOp(size / 8);
      this.lockMaybe(op !== 'bt');
      return this.emit(this.mnem(op, size, true), imm(this.rng.below(256)), m);
    }
    // register bit offset into memory: a bit string around rbp
    const off = this.pick(NAMES[size]);
    const k = this.rng.below(512) - 256;
    this.emit('movq', imm(k), reg(GPR64[NAMES[size].indexOf(off)]));
    const d = 32 + this.rng.below(64 - size / 8);
    this.emit(this.mnem(op, size, false), reg(off), mem({ base: 'rbp', disp: BigInt(d) }));
  }
  cond(): void {
    const cc = this.pick(CCS);
    if (this.chance(0.5)) {
      const dst: Operand = this.chance(0.7) ? reg(this.chance(0.2) ? this.pick(LEGACY8) : this.reg(8, true)) : this.memOp(1);
      this.emit('set' + cc, dst);
    } else {
      const size = this.pick([16, 32, 64]);
      const src: Operand = this.chance(0.7) ? reg(this.reg(size, false)) : this.memOp(size / 8);
      this.emit(this.mnem('cmov' + cc, size, false), src, reg(this.reg(size, true)));
    }
  }
  moves(): void {
    const r = this.rng.below(9);
    const size = this.pick(SIZES);
    if (r === 0) return this.emit(this.mnem('mov', size, false), reg(this.reg(size, false)), reg(this.reg(size, true)));
    if (r === 1) return this.emit(this.mnem('mov', size, false), imm(this.imm(size)), reg(this.reg(size, true)));
    if (r === 2) return this.emit(this.mnem('mov', size, true), imm(this.imm(size)), this.memOp(size / 8));
    if (r === 3) {
      const m = this.memOp(size / 8);
      return this.emit(this.mnem('mov', size, false), reg(this.reg(size, false)), m);
    }
    if (r === 4) {
      const m = this.memOp(size / 8);
      return this.emit(this.mnem('mov', size, false), m, reg(this.reg(size, true)));
    }
    if (r === 5) return this.emit(this.chance(0.5) ? 'movabsq' : 'movabs', imm(edgeValue(this.rng)), reg(this.reg(64, true)));
    if (r === 6) {
      const [mn, ss, ds] = this.pick([
        ['movzbw', 8, 16],
        ['movzbl', 8, 32],
        ['movzbq', 8, 64],
        ['movzwl', 16, 32],
        ['movzwq', 16, 64],
        ['movsbw', 8, 16],
        ['movsbl', 8, 32],
        ['movsbq', 8, 64],
        ['movswl', 16, 32],
        ['movswq', 16, 64],
        ['movslq', 32, 64],
      ] as [string, number, number][]);
      const src: Operand = this.chance(0.7) ? reg(ss === 8 && ds !== 64 && this.chance(0.2) ? this.pick(['ah', 'bh', 'ch', 'dh']) : this.reg(ss, false)) : this.memOp(ss / 8);
      let dst = this.reg(ds, true);
      if (src.kind === 'reg' && /h$/.test(src.name)) dst = this.pick({ 16: ['ax', 'cx', 'dx', 'bx', 'si', 'di'], 32: ['eax', 'ecx', 'edx', 'ebx', 'esi', 'edi'], 64: ['rax', 'rcx', 'rdx', 'rbx', 'rsi', 'rdi'] }[ds] as string[]);
      return this.emit(mn, src, reg(dst));
    }
    if (r === 7) {
      // lea with any base and index
      const ds = this.pick([16, 32, 64]);
      const base = this.chance(0.8) ? this.pick([...GPR64, 'rsp', 'rbp']) : undefined;
      const index = this.chance(0.6) ? this.pick([...GPR64, 'rbp']) : undefined;
      const m = mem({ base, index, scale: this.pick([1, 2, 4, 8] as const), disp: BigInt.asIntN(32, edgeValue(this.rng)) });
      return this.emit(this.mnem('lea', ds, false), m, reg(this.reg(ds, true)));
    }
    // xchg
    if (this.chance(0.5)) return this.emit(this.mnem('xchg', size, false), reg(this.reg(size, true)), reg(this.reg(size, true)));
    const m = this.memOp(size / 8);
    this.emit(this.mnem('xchg', size, false), reg(this.reg(size, true)), m);
  }
  stack(): void {
    const r = this.rng.below(8);
    const canPush = this.depth <= 40;
    const canPop = this.depth >= -40;
    if (r === 0 && canPush && canPop) {
      this.emit(this.chance(0.5) ? 'pushq' : 'push', imm(BigInt.asIntN(64, (edgeValue(this.rng) & SETTABLE_FLAGS) | 0x2n)));
      this.emit(this.chance(0.5) ? 'popfq' : 'popf');
      return;
    }
    if (r === 1 && canPush) {
      this.depth += 8;
      return this.emit(this.chance(0.5) ? 'pushfq' : 'pushf');
    }
    if (r === 5 && canPush && canPop) {
      // 16-bit pushes and pops move rsp by 2
      if (this.chance(0.5)) {
        this.depth += 2;
        const k = this.rng.below(3);
        if (k === 0) return this.emit('pushw', reg(this.reg(16, false)));
        if (k === 1) return this.emit('pushw', imm(this.imm(16)));
        const m = this.memOp(2);
        return this.emit('pushw', m);
      }
      this.depth -= 2;
      if (this.chance(0.7)) return this.emit(this.chance(0.5) ? 'popw' : 'pop', reg(this.reg(16, true)));
      const m = this.memOp(2);
      return this.emit('popw', m);
    }
    if (r <= 4 && canPush) {
      this.depth += 8;
      const k = this.rng.below(3);
      if (k === 0) return this.emit(this.chance(0.5) ? 'pushq' : 'push', reg(this.reg(64, false)));
      if (k === 1) return this.emit('pushq', imm(BigInt.asIntN(32, edgeValue(this.rng))));
      const m = this.memOp(8);
      return this.emit('pushq', m);
    }
    if (canPop) {
      if (this.chance(0.7)) {
        this.depth -= 8;
        return this.emit(this.chance(0.5) ? 'popq' : 'pop', reg(this.reg(64, true)));
      }
      const m = this.memOp(8);
      this.depth -= 8;
      return this.emit('popq', m);
    }
  }
  misc(): void {
    const r = this.rng.below(4);
    if (r === 0) return this.emit(this.pick(['cltq', 'cwtl', 'cltd', 'cqto']));
    if (r === 1) return this.emit(this.pick(['clc', 'stc', 'cmc', 'cld', 'std']));
    if (r === 2) return this.emit(this.pick(['nop', 'pause', 'lfence', 'mfence', 'sfence']));
    this.emit('nopl', mem({ base: 'rax', index: 'rax', scale: 1 }));
  }
}

/** Generates the instructions of one case (without inputs). */
export function genInstructions(rng: Rng): Instruction[] {
  const b = new Builder(rng);
  const n = 1 + rng.below(6);
  for (let i = 0; i < n; i++) {
    const t = rng.below(100);
    if (t < 22) b.alu();
    else if (t < 32) b.unary();
    else if (t < 52) b.shift();
    else if (t < 62) b.bits();
    else if (t < 72) b.cond();
    else if (t < 86) b.moves();
    else if (t < 95) b.stack();
    else b.misc();
    b.lockNext = false;
  }
  return b.insns;
}

export function genInputs(rng: Rng): { regs: bigint[]; flags: bigint; mem: bigint[] } {
  const regs: bigint[] = [];
  for (let i = 0; i < 16; i++) regs.push(edgeValue(rng));
  const flags = (rng.next64() & SETTABLE_FLAGS & ~0x400n) | (rng.below(8) === 0 ? 0x400n : 0n) | 0x202n;
  const memv: bigint[] = [];
  for (let i = 0; i < MEM_QWORDS; i++) memv.push(edgeValue(rng));
  return { regs, flags, mem: memv };
}

export function makeCase(id: number, insns: Instruction[], inputs: { regs: bigint[]; flags: bigint; mem: bigint[] }): Case {
  return { id, insns, text: insns.map(printInstruction), ...inputs };
}
