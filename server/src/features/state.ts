// The machine state at a line, for hovers: a register's symbolic value before and after the
// instruction(s) written on that line, and a memory operand's cell (a pt_regs field, a per-CPU
// variable, the thread_info flags) with its value before and after the instruction, read back in
// the user's terms (`user.rip`, `pt_regs->ip after the call at line 156`, the hex value when it is
// constant).
import type { Analysis, OperandState } from '../analysis';
import type { Pos, Range } from '../syntax';
import { type Expr, cellName, lookupRegister, show } from '../x86';
import { lineText } from './text';

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
    const after = /^(ti_flags|percpu\.(.*?))@L(\d+)(?:\.\d+)?$/.exec(e.name);
    if (after) return `\`${e.name}\` — ${after[2] ? `per-CPU ${after[2]}` : 'the thread-info work flags'} as line ${after[3]} may leave them`;
    if (e.name === 'ti_flags') return '`ti_flags` — the thread-info work flags at entry';
    if (e.name.startsWith('percpu.')) return `\`${e.name}\` — per-CPU ${e.name.slice(7)} as the entry found it`;
    if (e.name.startsWith('mem[')) return `\`${e.name}\` — memory not written since the entry`;
  }
  // the low bits of a named value (a 32-bit read of a 64-bit cell)
  if (e.op === 'extract' && e.lo === 0 && e.args[0].op === 'var') {
    const inner = /^`[^`]*` — (.*)$/.exec(describeValue(e.args[0]));
    if (inner) return `\`${show(e, 0, 300)}\` — the low ${e.width} bits of ${inner[1]}`;
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

/** A memory operand under the cursor: its statement, its index there, and where it is written on the line. */
export interface OperandAt {
  stmt: number;
  operand: number;
  range: Range;
}

/**
 * The memory operands under `pos`. An operand written on the line has its own range; a macro's
 * expansion maps as a whole to its invocation, so its operands are matched by their text: an
 * operand of the expansion is under the cursor when the invocation line has that text there.
 */
export function memoryOperandsAt(a: Analysis, text: string, pos: Pos): OperandAt[] {
  const line = lineText(text, pos.line);
  if (line === undefined) return [];
  const c = pos.character;
  const out: OperandAt[] = [];
  const st = a.program.statements;
  for (let i = 0; i < st.length; i++) {
    const s = st[i];
    if (s.kind !== 'instruction' || s.loc.file !== a.file || s.loc.range.start.line !== pos.line) continue;
    s.operands.forEach((op, j) => {
      if (op.kind !== 'mem') return;
      const r = op.range;
      if (!sameRange(r, s.loc.range)) {
        if (r.start.line === pos.line && r.end.line === pos.line && r.start.character <= c && c < r.end.character) out.push({ stmt: i, operand: j, range: r });
        return;
      }
      for (let k = line.indexOf(op.text); k >= 0 && k <= c; k = line.indexOf(op.text, k + 1)) {
        if (c < k + op.text.length) {
          out.push({ stmt: i, operand: j, range: { start: { line: pos.line, character: k }, end: { line: pos.line, character: k + op.text.length } } });
          break;
        }
      }
    });
  }
  return out;
}

/**
 * Hover text for the memory operand(s) under `pos` that the walk reached: the cell as a reviewer
 * reads it, the value there before the instruction and after it, and the entry the state is from.
 */
export function memoryHover(a: Analysis, text: string, pos: Pos): { value: string; range: Range } | undefined {
  const line = lineText(text, pos.line) ?? '';
  const sections: string[] = [];
  let range: Range | undefined;
  const hits = memoryOperandsAt(a, text, pos);
  for (const h of hits) {
    const rec = a.memory.get(h.stmt);
    const o = rec?.operands.find((x) => x.operand === h.operand);
    if (!rec || !o) continue;
    range ??= h.range;
    const s = a.program.statements[h.stmt];
    const op = s.operands[h.operand];
    const written = line.slice(h.range.start.character, h.range.end.character);
    const title = [`**\`${written}\`**`];
    if (op.text.replace(/\s+/g, '') !== written.replace(/\s+/g, '')) title.push(`= \`${op.text}\``);
    // an operand of a macro's expansion: which of its instructions
    if (sameRange(op.range, s.loc.range) && s.text) title.push(`in \`${s.text.trim()}\``);
    title.push(`(from ${rec.entry})`);
    const lines = [title.join(' '), '', `address: ${cellText(a, o, rec.entry)} — ${o.width / 8} byte${o.width === 8 ? '' : 's'} ${ACCESS[o.access]}`, '', `before: ${describeValue(o.before)}`, ''];
    if (o.access === 'read') lines.push('unchanged by this instruction');
    else if (o.after === o.before) lines.push('after: the same value (written back)');
    else lines.push(`after: ${describeValue(o.after)}`);
    sections.push(lines.join('\n'));
  }
  if (!range) return undefined;
  return { value: sections.join('\n\n---\n\n'), range };
}

const ACCESS: Record<OperandState['access'], string> = { read: 'read', write: 'written', 'read-write': 'read and written' };

/** `pt_regs->ip at \`percpu.cpu_current_top_of_stack-0x28\``, `per-CPU cpu_tss_rw+0x4`, `thread_info flags at \`…\``, or the cell. */
function cellText(a: Analysis, o: OperandState, entry: string): string {
  const cell = `\`${cellName(o.base, o.offset)}\``;
  const off = o.field?.offset ? `+0x${o.field.offset.toString(16)}` : '';
  // a frame the project file lays out (a trapframe, Xen's guest frame) is not Linux's pt_regs: its
  // field as the file's constants name it (TF_RIP → tf_rip) when they do
  if (o.field && a.project?.entries.some((e) => e.label === entry && e.layout)) {
    const name = Object.entries(a.project.cFields ?? {}).find(([, f]) => f === o.field?.name)?.[0] ?? o.field.name;
    return `the saved frame's ${name}${off} at ${cell}`;
  }
  if (o.field) return `pt_regs->${o.field.name}${off} at ${cell}`;
  if (o.work) return `${a.project?.work ? 'the work flags' : 'thread_info flags'} at ${cell}`;
  if (o.base.startsWith('gs:')) return `per-CPU ${cellName(o.base.slice(3), o.offset)}`;
  if (o.base.startsWith('fs:')) return `\`%fs:${cellName(o.base.slice(3), o.offset)}\``;
  return cell;
}

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}
