// Linking a companion file: Linux's compat entry files (4.x–6.6 entry_64_compat.S, 3.x
// ia32/ia32entry.S) return their slow paths and `int $0x80` through entry_64.S's exit code
// (`jmp swapgs_restore_regs_and_return_to_usermode`, `jmp int_ret_from_sys_call`). A program whose
// jumps lead to labels it does not define gets the companion's statements appended, as the linker
// would join the two objects: the companion's labels that the file defines too (local labels,
// numeric labels, its own helpers) are renamed apart, its ALTERNATIVE sites renumbered, and the
// jumps then resolve into its code. Its entries stay its own: only the file's are analysed.
import * as path from 'node:path';
import type { Expr, FileReader, Operand, Program, Statement } from './types';

/** Where a file's exit code may live, relative to its directory (the same directory first). */
const CANDIDATES = ['entry_64.S', '../kernel/entry_64.S'];

const JUMP = /^j[a-z]+$/;

/** The labels the program's jumps lead to that it does not define. */
export function undefinedJumpTargets(program: Program): string[] {
  const out = new Set<string>();
  for (const s of program.statements) {
    if (s.kind !== 'instruction' || !JUMP.test(s.name)) continue;
    const op = s.operands[0];
    if (!op || op.kind !== 'sym' || op.indirect || op.expr.kind !== 'sym') continue;
    const name = op.expr.name;
    if (!program.labels.has(name) && !/^\d/.test(name)) out.add(name);
  }
  return [...out];
}

function renameExpr(e: Expr, rename: ReadonlyMap<string, string>): Expr {
  switch (e.kind) {
    case 'sym':
      return rename.has(e.name) ? { kind: 'sym', name: rename.get(e.name)! } : e;
    case 'unary':
      return { ...e, arg: renameExpr(e.arg, rename) };
    case 'binary':
      return { ...e, left: renameExpr(e.left, rename), right: renameExpr(e.right, rename) };
    default:
      return e;
  }
}

function renameOperand(o: Operand, rename: ReadonlyMap<string, string>): Operand {
  if (o.kind === 'imm' || o.kind === 'sym') return { ...o, expr: renameExpr(o.expr, rename) };
  if (o.kind === 'mem' && o.disp) return { ...o, disp: renameExpr(o.disp, rename) };
  return o;
}

/**
 * The program with its companion linked in, when its jumps lead to labels a companion file
 * (`first`, the project file's `companions`, then CANDIDATES) defines; the program itself
 * otherwise. `parse` reads the companion with the same options (its own headers, the same
 * configuration).
 */
export function linkCompanion(program: Program, files: FileReader, parse: (file: string, text: string) => Program, first: readonly string[] = []): Program {
  const targets = undefinedJumpTargets(program);
  if (!targets.length) return program;
  const dir = path.dirname(program.file);
  for (const rel of [...first, ...CANDIDATES]) {
    const file = path.resolve(dir, rel);
    if (file === program.file) continue;
    let text: string | undefined;
    try {
      text = files.read(file);
    } catch {
      text = undefined;
    }
    if (text === undefined) continue;
    let other: Program;
    try {
      other = parse(file, text);
    } catch {
      continue; // the companion's trouble is not this file's: read it alone
    }
    const found = targets.filter((t) => other.labels.has(t));
    if (!found.length) continue;
    return merge(program, other, found);
  }
  return program;
}

function merge(main: Program, other: Program, targets: string[]): Program {
  const from = main.statements.length;
  const tag = path.basename(other.file);
  // the companion's names that the file also has are its own: renamed apart
  const rename = new Map<string, string>();
  for (const name of other.labels.keys()) if (main.labels.has(name)) rename.set(name, `${name}@${tag}`);
  const groups = Math.max(-1, ...main.alternatives.map((a) => a.group), ...main.statements.map((s) => s.alternative?.group ?? -1)) + 1;
  const statements: Statement[] = other.statements.map((s) => ({
    ...s,
    ...(s.kind === 'label' && rename.has(s.name) ? { name: rename.get(s.name)! } : {}),
    operands: s.operands.map((o) => renameOperand(o, rename)),
    ...(s.alternative ? { alternative: { ...s.alternative, group: s.alternative.group + groups } } : {}),
  }));
  const labels = new Map(main.labels);
  for (const [name, i] of other.labels) labels.set(rename.get(name) ?? name, i + from);
  const constants = new Map([...other.constants, ...main.constants]);
  return {
    ...main,
    statements: [...main.statements, ...statements],
    labels,
    constants,
    // the targets' definitions, for go-to-definition from the jump
    symbols: [...main.symbols, ...other.symbols.filter((s) => s.kind === 'label' && targets.includes(s.name))],
    alternatives: [...main.alternatives, ...other.alternatives.map((a) => ({ ...a, group: a.group + groups }))],
    exceptionTable: [...main.exceptionTable, ...other.exceptionTable.map((e) => ({ ...e, from: rename.get(e.from) ?? e.from, to: rename.get(e.to) ?? e.to }))],
    // files read: the companion and its headers too (an edit of them is an edit of this analysis)
    includes: [...new Set([...main.includes, other.file, ...other.includes])],
    companion: { file: other.file, from, targets },
  };
}
