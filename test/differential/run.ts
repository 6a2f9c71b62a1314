// Differential testing of the machine's concrete run against this CPU.

import { Worker } from 'node:worker_threads';
import { join } from 'node:path';

import { CV, FLAG_BITS, Flag, GPRS, MachineState, Rng, concrete, flagsReadBy, parseMnemonic, step } from '../../server/src/x86';
import { printInstruction } from './att';
import { Case, MEM_QWORDS, RBP_OFF, RSP_OFF, SCRATCH_SIZE, genInputs, genInstructions, makeCase } from './gen';
import { CpuResult, SCRATCH_ADDRESS, runBatch } from './harness';

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

/** Generates one valid case: every access inside the scratch area, no read of an undefined flag. Returns the model's run too. */
export function generateCaseWithModel(rng: Rng, id: number): { c: Case; model: ModelRun } {
  for (let attempt = 0; ; attempt++) {
    const c = makeCase(id, genInstructions(rng), genInputs(rng));
    try {
      return { c, model: runModel(c, SCRATCH_ADDRESS, c.flags) };
    } catch (e) {
      if (!(e instanceof Rejected) || attempt > 1000) throw e;
    }
  }
}

export function generateCase(rng: Rng, id: number): Case {
  return generateCaseWithModel(rng, id).c;
}

/** Runs one batch: `count` cases from the batch's own seed, so results do not depend on how batches are spread over workers. */
export function runOneBatch(seed: number, batchIndex: number, firstId: number, count: number): { skipped: number; mismatches: Mismatch[] } {
  const rng = new Rng(BigInt(seed) * 1000003n + BigInt(batchIndex));
  const gen: { c: Case; model: ModelRun }[] = [];
  for (let i = 0; i < count; i++) gen.push(generateCaseWithModel(rng, firstId + i));
  const { scratch, results } = runBatch(gen.map((g) => g.c));
  let skipped = 0;
  const mismatches: Mismatch[] = [];
  gen.forEach(({ c, model: dry }, i) => {
    let model = dry;
    if (scratch !== SCRATCH_ADDRESS || results[i].entryFlags !== c.flags) {
      try {
        model = runModel(c, scratch, results[i].entryFlags);
      } catch (e) {
        if (e instanceof Rejected) {
          skipped++;
          return;
        }
        throw e;
      }
    }
    const mm = compare(c, results[i], model);
    if (mm) mismatches.push(mm);
  });
  return { skipped, mismatches };
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
  const batch = opts.batch ?? 2000;
  const mismatches: Mismatch[] = [];
  let done = 0;
  let skipped = 0;
  for (let b = 0; done < opts.cases; b++) {
    const n = Math.min(batch, opts.cases - done);
    const r = runOneBatch(opts.seed, b, done, n);
    skipped += r.skipped;
    mismatches.push(...r.mismatches);
    done += n;
    opts.onBatch?.(done, opts.cases);
  }
  const millis = Date.now() - t0;
  return { seed: opts.seed, cases: done, skipped, mismatches, millis, casesPerSecond: Math.round((done * 1000) / Math.max(1, millis)) };
}

/**
 * The same run spread over worker threads (one per core by default). Batches
 * are seeded by index, so the cases and the verdict equal those of `runDifferential`.
 */
export async function runDifferentialParallel(opts: DiffOptions & { workers?: number }): Promise<DiffResult> {
  const t0 = Date.now();
  const batch = opts.batch ?? 2000;
  const jobs: { seed: number; batchIndex: number; firstId: number; count: number }[] = [];
  for (let b = 0, first = 0; first < opts.cases; b++, first += batch) jobs.push({ seed: opts.seed, batchIndex: b, firstId: first, count: Math.min(batch, opts.cases - first) });
  const n = Math.max(1, Math.min(opts.workers ?? 2, jobs.length));
  const results: { skipped: number; mismatches: Mismatch[] }[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: n }, () => {
      const w = new Worker(join(__dirname, 'worker.js'));
      return new Promise<void>((resolve, reject) => {
        const feed = (): void => {
          if (next >= jobs.length) {
            void w.terminate().then(() => resolve());
            return;
          }
          w.postMessage(jobs[next++]);
        };
        w.on('message', (m: { ok: boolean; job: { batchIndex: number; count: number }; error?: string; skipped?: number; mismatches?: Mismatch[] }) => {
          if (!m.ok) {
            void w.terminate();
            reject(new Error(m.error));
            return;
          }
          results[m.job.batchIndex] = { skipped: m.skipped ?? 0, mismatches: m.mismatches ?? [] };
          done += m.job.count;
          opts.onBatch?.(done, opts.cases);
          feed();
        });
        w.on('error', reject);
        feed();
      });
    }),
  );
  const millis = Date.now() - t0;
  return {
    seed: opts.seed,
    cases: jobs.reduce((a, j) => a + j.count, 0),
    skipped: results.reduce((a, r) => a + r.skipped, 0),
    mismatches: results.flatMap((r) => r.mismatches),
    millis,
    casesPerSecond: Math.round((opts.cases * 1000) / Math.max(1, millis)),
  };
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
