// Builds one binary for a batch of cases (GNU as + gcc), runs it once and
// parses what the CPU computed.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Case, MEM_QWORDS, RBP_OFF, RSP_OFF, SCRATCH_SIZE } from './gen';

export interface CpuResult {
  /** RFLAGS as the CPU loaded it at entry (after popf's privilege rules). */
  entryFlags: bigint;
  regs: bigint[];
  flags: bigint;
  mem: bigint[];
}

export interface BatchResult {
  scratch: bigint;
  results: CpuResult[];
}

/** Where the harness links the scratch area. */
export const SCRATCH_ADDRESS = 0x20000000n;

const REG_ORDER = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const IN_QWORDS = 16 + 1 + MEM_QWORDS;

const C_SOURCE = `
#include <stdio.h>
#include <stdint.h>
#include <string.h>
extern uint64_t case_count;
extern uint64_t case_inputs[];
extern void *case_table[];
extern uint64_t in_regs[16], in_flags, out_regs[16], out_flags, entry_flags;
extern uint64_t scratch[${MEM_QWORDS}];
extern void run_case(void *code);
int main(void) {
  static char buf[1 << 16];
  setvbuf(stdout, buf, _IOFBF, sizeof buf);
  printf("SCRATCH %lx\\n", (unsigned long)(uintptr_t)scratch);
  for (uint64_t i = 0; i < case_count; i++) {
    const uint64_t *in = case_inputs + i * ${IN_QWORDS};
    memcpy(in_regs, in, 16 * 8);
    in_flags = in[16];
    memcpy(scratch, in + 17, ${MEM_QWORDS} * 8);
    run_case(case_table[i]);
    printf("%lx", (unsigned long)entry_flags);
    for (int r = 0; r < 16; r++) printf(" %lx", (unsigned long)out_regs[r]);
    printf(" %lx", (unsigned long)out_flags);
    for (int m = 0; m < ${MEM_QWORDS}; m++) printf(" %lx", (unsigned long)scratch[m]);
    printf("\\n");
  }
  return 0;
}
`;

function hex(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

/** The assembly file: harness entry, the cases as blocks, their inputs. */
export function assembly(cases: Case[]): string {
  const out: string[] = [];
  // the scratch area sits at a fixed address (linked with --section-start) so cases can be checked before they run
  out.push('\t.section .scratch,"aw",@progbits', '\t.balign 64', '\t.globl scratch', `scratch:\t.zero ${SCRATCH_SIZE}`, '\t.data');
  for (const n of ['in_regs', 'out_regs']) out.push(`\t.globl ${n}`, `${n}:\t.zero 128`);
  for (const n of ['in_flags', 'out_flags', 'entry_flags', 'saved_rsp', 'target']) out.push(`\t.globl ${n}`, `${n}:\t.quad 0`);
  out.push('\t.balign 16', 'harness_stack:\t.zero 256', 'harness_stack_top:');
  out.push('\t.globl case_count', `case_count:\t.quad ${cases.length}`);
  out.push('\t.globl case_table', 'case_table:');
  for (let i = 0; i < cases.length; i++) out.push(`\t.quad case_${i}`);
  out.push('\t.globl case_inputs', 'case_inputs:');
  for (const c of cases) {
    const vals = [...c.regs, c.flags, ...c.mem].map(hex);
    for (let i = 0; i < vals.length; i += 8) out.push('\t.quad ' + vals.slice(i, i + 8).join(', '));
  }
  out.push('\t.text', '\t.globl run_case', 'run_case:');
  for (const r of ['rbx', 'rbp', 'r12', 'r13', 'r14', 'r15']) out.push(`\tpushq %${r}`);
  out.push('\tmovq %rdi, target(%rip)', '\tmovq %rsp, saved_rsp(%rip)');
  out.push('\tpushq in_flags(%rip)', '\tpopfq', '\tpushfq', '\tpopq entry_flags(%rip)');
  REG_ORDER.forEach((r, i) => {
    if (r !== 'rsp' && r !== 'rbp') out.push(`\tmovq in_regs+${i * 8}(%rip), %${r}`);
  });
  out.push(`\tleaq scratch+${RBP_OFF}(%rip), %rbp`, `\tleaq scratch+${RSP_OFF}(%rip), %rsp`, '\tjmp *target(%rip)');
  out.push('case_done:');
  REG_ORDER.forEach((r, i) => out.push(`\tmovq %${r}, out_regs+${i * 8}(%rip)`));
  out.push('\tleaq harness_stack_top(%rip), %rsp', '\tpushfq', '\tpopq out_flags(%rip)', '\tcld', '\tmovq saved_rsp(%rip), %rsp');
  for (const r of ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx']) out.push(`\tpopq %${r}`);
  out.push('\tret');
  cases.forEach((c, i) => {
    out.push(`case_${i}:`);
    for (const t of c.text) out.push('\t' + t);
    out.push('\tjmp case_done');
  });
  out.push('\t.section .note.GNU-stack,"",@progbits', '');
  return out.join('\n');
}

/** Assembles, links and runs a batch; throws with the assembler's message when it rejects a case. */
export function runBatch(cases: Case[]): BatchResult {
  const dir = mkdtempSync(join(tmpdir(), 'entry-review-difftest-'));
  try {
    writeFileSync(join(dir, 'harness.c'), C_SOURCE);
    writeFileSync(join(dir, 'cases.s'), assembly(cases));
    const bin = join(dir, 'cases');
    try {
      execFileSync('gcc', ['-O1', '-no-pie', `-Wl,--section-start=.scratch=0x${SCRATCH_ADDRESS.toString(16)}`, '-o', bin, join(dir, 'harness.c'), join(dir, 'cases.s')], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error('harness: gcc failed:\n' + (err.stderr ? err.stderr.toString() : String(e)));
    }
    const text = execFileSync(bin, { maxBuffer: 1 << 28, encoding: 'utf8' });
    const lines = text.trim().split('\n');
    const head = /^SCRATCH ([0-9a-f]+)$/.exec(lines[0]);
    if (!head) throw new Error('harness: no scratch address in output');
    const results: CpuResult[] = [];
    for (const line of lines.slice(1)) {
      const v = line.split(' ').map((h) => BigInt('0x' + h));
      results.push({ entryFlags: v[0], regs: v.slice(1, 17), flags: v[17], mem: v.slice(18, 18 + MEM_QWORDS) });
    }
    if (results.length !== cases.length) throw new Error(`harness: ${results.length} results for ${cases.length} cases`);
    return { scratch: BigInt('0x' + head[1]), results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
