// Differential testing of the machine's concrete run against this CPU.

import { CV, FLAG_BITS, Flag, GPRS, MachineState, Rng, concrete, flagsReadBy, parseMnemonic, step } from '../../server/src/x86';
import { printInstruction } from './att';
import { Case, MEM_QWORDS, RBP_OFF, RSP_OFF, SCRATCH_SIZE, genInputs, genInstructions, makeCase } from './gen';
import { CpuResult, runBatch } from './harness';

export interface ModelRun {
  regs: bigint[];
  flags: bigint;
  mem: bigint[];
  undefinedFlags: Flag[];
}

/** Why the model refused a case (generator side: the case is replaced). */
export class Rejected extends Error {}

/** Runs a case on the concrete model. `scratch` is the scratch area's address. */
export function runModel(c: Case, scratch: bigint, entryFlags: bigint): ModelRun {
  const A = concrete;
  const regs: Partial<Record<(typeof GPRS)[number], CV>> = {};
  GPRS.forEach((g, i) => (regs[g] = A.const(64, c.regs[i])));
  regs.rsp = A.const(64, scratch + BigInt(RSP_OFF));
  regs.rbp = A.const(64, scratch + BigInt(RBP_OFF));
  let outside = '';
  const bytes = new Uint8Array(SCRATCH_SIZE);
  c.mem.forEach((q, i) => {
    for (let k = 0; k < 8; k++) bytes[i * 8 + k] = Number((q >> BigInt(8 * k)) & 0xffn);
  });
  const s = new MachineState(A, {
    regs,
    rflags: A.const(64, entryFlags),
    cs: A.const(16, 0x33n),
    ss: A.const(16, 0x2bn),
    cpl: A.const(2, 3n),
    gsKernel: A.const(1, 0n),
    memInit: (base, off, size) => {
      const rel = off - scratch;
      if (base !== '' || rel < 0n || rel + BigInt(size) > BigInt(SCRATCH_SIZE)) {
        outside = `access outside the scratch area: ${base}+0x${off.toString(16)}`;
        throw new Rejected(outside);
      }
      let v = 0n;
      for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[Number(rel) + k]);
      return A.const(size * 8, v);
    },
  });
  const ctx = { resolveSymbol: (n: string) => (n === 'scratch' ? scratch : undefined) };
  for (const insn of c.insns) {
    const pm = parseMnemonic(insn.mnemonic);
    if (pm) for (const f of flagsReadBy(pm)) if (s.undefinedFlags.has(f)) throw new Rejected(`${printInstruction(insn)} reads undefined ${f}`);
    const o = step(s, insn, A, ctx);
    if (outside) throw new Rejected(outside);
    if (o.kind !== 'next') throw new Error(`model: ${printInstruction(insn)} → ${o.kind}${o.kind === 'unknown' ? ': ' + o.reason : ''}`);
  }
  // final memory image
  const out: bigint[] = [];
  for (let i = 0; i < MEM_QWORDS; i++) out.push(s.load(A.const(64, scratch + BigInt(i * 8)), 64).value);
  return { regs: GPRS.map((g) => s.regs[g].value), flags: s.rflags().value, mem: out, undefinedFlags: [...s.undefinedFlags] };
}

export interface Mismatch {
  id: number;
  text: string[];
  inputs: { regs: Record<string, string>; flags: string; mem: string[] };
  diffs: { what: string; expected: string; actual: string }[];
}

const h = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');

/** Compares the CPU's result with the model's, masking undefined flags. */
export function compare(c: Case, cpu: CpuResult, model: ModelRun): Mismatch | undefined {
  const diffs: Mismatch['diffs'] = [];
  GPRS.forEach((g, i) => {
    if (cpu.regs[i] !== model.regs[i]) diffs.push({ what: g, expected: h(cpu.regs[i]), actual: h(model.regs[i]) });
  });
  let m = (1n << 64n) - 1n;
  for (const f of model.undefinedFlags) m &= ~(1n << BigInt(FLAG_BITS[f]));
  if ((cpu.flags & m) !== (model.flags & m)) diffs.push({ what: `rflags (undefined: ${model.undefinedFlags.join(' ') || 'none'})`, expected: h(cpu.flags), actual: h(model.flags) });
  for (let i = 0; i < MEM_QWORDS; i++) if (cpu.mem[i] !== model.mem[i]) diffs.push({ what: `scratch+${i * 8}`, expected: h(cpu.mem[i]), actual: h(model.mem[i]) });
  if (!diffs.length) return undefined;
  const regs: Record<string, string> = {};
  GPRS.forEach((g, i) => (regs[g] = h(c.regs[i])));
  return { id: c.id, text: c.text, inputs: { regs, flags: h(cpu.entryFlags), mem: c.mem.map(h) }, diffs };
}

/** A nominal scratch address for checking generated cases before the real run. */
const NOMINAL_SCRATCH = 0x404000n;

/** Generates one valid case: every access inside the scratch area, no read of an undefined flag. */
export function generateCase(rng: Rng, id: number): Case {
  for (let attempt = 0; ; attempt++) {
    const c = makeCase(id, genInstructions(rng), genInputs(rng));
    try {
      runModel(c, NOMINAL_SCRATCH, c.flags);
      return c;
    } catch (e) {
      if (!(e instanceof Rejected) || attempt > 1000) throw e;
    }
  }
}

export interface DiffResult {
  seed: number;
  cases: number;
  /** Cases dropped because the real scratch address changed what they read (should stay 0). */
  skipped: number;
  mismatches: Mismatch[];
  millis: number;
  casesPerSecond: number;
}

export interface DiffOptions {
  cases: number;
  seed: number;
  batch?: number;
  /** Stop collecting after this many mismatches (default 20). */
  maxMismatches?: number;
  onBatch?: (done: number, total: number) => void;
}

export function runDifferential(opts: DiffOptions): DiffResult {
  const t0 = Date.now();
  const rng = new Rng(opts.seed);
  const batch = opts.batch ?? 2000;
  const mismatches: Mismatch[] = [];
  let done = 0;
  let skipped = 0;
  while (done < opts.cases) {
    const n = Math.min(batch, opts.cases - done);
    const cases: Case[] = [];
    for (let i = 0; i < n; i++) cases.push(generateCase(rng, done + i));
    const { scratch, results } = runBatch(cases);
    cases.forEach((c, i) => {
      let model: ModelRun;
      try {
        model = runModel(c, scratch, results[i].entryFlags);
      } catch (e) {
        if (e instanceof Rejected) {
          skipped++;
          return;
        }
        throw e;
      }
      const mm = compare(c, results[i], model);
      if (mm && mismatches.length < (opts.maxMismatches ?? 20)) mismatches.push(mm);
      else if (mm) mismatches.push({ ...mm, diffs: mm.diffs.slice(0, 1) });
    });
    done += n;
    opts.onBatch?.(done, opts.cases);
  }
  const millis = Date.now() - t0;
  return { seed: opts.seed, cases: done, skipped, mismatches, millis, casesPerSecond: Math.round((done * 1000) / Math.max(1, millis)) };
}

export function formatMismatch(m: Mismatch): string {
  const lines = [`case ${m.id}:`, ...m.text.map((t) => '    ' + t), '  inputs:'];
  lines.push('    ' + Object.entries(m.inputs.regs).map(([k, v]) => `${k}=${v}`).join(' '));
  lines.push(`    rflags=${m.inputs.flags}`);
  lines.push(`    mem=${m.inputs.mem.join(' ')}`);
  lines.push('  differences (expected = CPU, actual = model):');
  for (const d of m.diffs) lines.push(`    ${d.what}: expected ${d.expected}, actual ${d.actual}`);
  return lines.join('\n');
}
