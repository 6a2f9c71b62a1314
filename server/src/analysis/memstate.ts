// What a memory operand held at an instruction, for hovers: the cell as the walk resolved the
// operand's address (region and offset; which saved-frame field or work-flags word it is), its
// value before the instruction and after it. The walk notes it on its first visit of each
// instruction (keepStates) — per position, not per path, so memory grows with the code.
import type { Expr, MachineState, MemoryAccess } from '../x86';
import type { CellRef, FrameRef } from './walk';

export interface OperandState {
  /** The operand's index in the instruction (as written, AT&T order). */
  operand: number;
  /** The cell: its region (`gs:rsp_scratch` for per-CPU data, the stack's base value for the stack) and offset. */
  base: string;
  offset: bigint;
  /** The access width in bits. */
  width: number;
  /** The saved frame's field the cell falls in, and the byte offset into the field (0: at its start). */
  field?: { name: string; offset: bigint };
  /** The cell is a work-flags word (Linux: the thread_info flags). */
  work?: boolean;
  access: 'read' | 'write' | 'read-write';
  /** The value there before the instruction, and after it (what it wrote, or the same). */
  before: Expr;
  after: Expr;
}

/**
 * Notes one access of the instruction's memory operand `index` (called from the step's onAccess,
 * before a write lands): the first access gives the value before, the last write the value after.
 */
export function noteOperand(list: OperandState[], index: number, a: MemoryAccess<Expr>, m: MachineState<Expr, Expr>, frame?: FrameRef, workCells?: readonly CellRef[]): void {
  if (index < 0) return;
  const seen = list.find((o) => o.operand === index);
  if (seen) {
    if (a.kind === 'write') [seen.after, seen.access] = [a.value, seen.access === 'read' ? 'read-write' : seen.access];
    return;
  }
  const { base, offset } = a.key;
  // a write has not happened yet: what is there now is the value before
  const before = a.kind === 'read' ? a.value : m.mem.read(base, offset, a.width / 8);
  const o: OperandState = { operand: index, base, offset, width: a.width, access: a.kind, before, after: a.value };
  if (frame && frame.base === base) {
    for (const [name, at] of Object.entries(frame.fields)) {
      const d = offset - (frame.offset + at);
      if (d >= 0n && d < 8n) o.field = { name, offset: d };
    }
  }
  if (workCells?.some((c) => c.base === base && offset >= c.offset && offset < c.offset + 8n)) o.work = true;
  list.push(o);
}
