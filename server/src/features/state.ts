// The machine state at a line, for hovers: a register's symbolic value before and after the
// instruction(s) written on that line, read back in the user's terms (`user.rip`, `pt_regs->ip
// after the call at line 156`, the hex value when it is constant).
import type { Analysis } from '../analysis';
import type { Pos } from '../syntax';
import { type Expr, lookupRegister, show } from '../x86';

/** A value as a reviewer reads it. */
export function describeValue(e: Expr): string {
  if (e.op === 'const') return `\`0x${e.value.toString(16)}\``;
  if (e.op === 'var') {
    const m = /^(ptregs|kernel|syscall)\.(.*?)(?:@L(\d+)(?:\.\d+)?)?$/.exec(e.name);
    if (m) {
      const [, kind, what, line] = m;
      const call = line ? `the call at line ${line}` : 'the calls into C';
      if (kind === 'ptregs') return `\`${e.name}\` — pt_regs->${what} after ${call}`;
      if (kind === 'kernel') return `\`${e.name}\` — a kernel value left by ${call}`;
      if (kind === 'syscall') return `\`${e.name}\` — the system call's return value`;
    }
    if (e.name.startsWith('user.')) return `\`${e.name}\` — the user's value at entry`;
  }
  const text = show(e, 0, 300);
  return `\`${text}\``;
}

/** Hover text for a register operand at `pos`, when the walk reached the line. */
export function registerHover(a: Analysis, word: string, pos: Pos): string | undefined {
  const ref = lookupRegister(word);
  if (!ref) return undefined;
  const st = a.program.statements;
  const onLine: number[] = [];
  for (let i = 0; i < st.length; i++) if (st[i].kind === 'instruction' && st[i].loc.file === a.file && st[i].loc.range.start.line === pos.line) onLine.push(i);
  if (!onLine.length) return undefined;
  if (a.pending) return `**%${word.toLowerCase()}**\n\n_The analysis of this version is still running: the value here follows when it is done._`;
  const before = a.registers.get(onLine[0]);
  if (!before) return undefined;
  let after: { regs: Record<string, Expr> } | undefined;
  for (let i = onLine[onLine.length - 1] + 1; i < st.length && !after; i++) if (st[i].kind === 'instruction') after = a.registers.get(i);
  const name = `%${word.toLowerCase()}`;
  const full = ref.gpr;
  const lines = [`**${name}** (from ${before.entry})`, '', `before: ${describeValue(before.regs[full])}${ref.width < 64 ? ` (of %${full})` : ''}`];
  if (after && after.regs[full] !== before.regs[full]) lines.push('', `after: ${describeValue(after.regs[full])}`);
  else if (after) lines.push('', 'unchanged by this line');
  return lines.join('\n');
}
