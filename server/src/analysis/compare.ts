// Comparing two versions' programs for what the checks read, shared by the two reuses of an
// earlier analysis: the whole of it after an edit that moved text within its lines
// (analyze.ts reuseChecks) and the walks of the entries an instruction edit did not touch
// (walkreuse.ts).
import type { Location, Operand, Origin, Program, Statement } from '../syntax';

/** The same place to the column. */
export function sameLoc(x: Location, y: Location): boolean {
  return x.file === y.file && x.range.start.line === y.range.start.line && x.range.start.character === y.range.start.character && x.range.end.line === y.range.end.line && x.range.end.character === y.range.end.character;
}

/** The same lines of the same file (columns aside). */
export function sameLines(x: Location, y: Location): boolean {
  return x.file === y.file && x.range.start.line === y.range.start.line && x.range.end.line === y.range.end.line;
}

/**
 * The same origin chains (macro expansions, includes), each link's place compared by `sameAt`;
 * `pairs` remembers links found the same (statements of one expansion share their chain).
 */
export function sameOrigin(x: Origin | undefined, y: Origin | undefined, sameAt: (a: Location, b: Location) => boolean, pairs?: Map<Origin, Origin>): boolean {
  for (; x && y; x = x.parent, y = y.parent) {
    if (x === y || pairs?.get(x) === y) return true;
    if (x.kind !== y.kind || x.name !== y.name || !sameAt(x.loc, y.loc)) return false;
    pairs?.set(x, y);
  }
  return x === undefined && y === undefined;
}

/** Where a statement is, what it is and what it belongs to (its section, ALTERNATIVE arm, origin): all but what it says. */
export function samePlace(x: Statement, y: Statement, sameAt: (a: Location, b: Location) => boolean, pairs?: Map<Origin, Origin>): boolean {
  return (
    x.kind === y.kind && x.section === y.section && x.alternative?.group === y.alternative?.group && x.alternative?.arm === y.alternative?.arm &&
    x.alternative?.feature === y.alternative?.feature && sameAt(x.loc, y.loc) && sameOrigin(x.origin, y.origin, sameAt, pairs)
  );
}

/** What a statement says: its name, prefixes, text and operands as written and as valued. */
export function sameContent(x: Statement, y: Statement): boolean {
  if (x === y) return true;
  if (x.name !== y.name || x.written !== y.written || x.text !== y.text || (x.prefixes?.join(',') ?? '') !== (y.prefixes?.join(',') ?? '')) return false;
  return x.operands.length === y.operands.length && x.operands.every((o, k) => sameOperand(o, y.operands[k]));
}

/** The same keys with the same (primitive) values, in the same order. */
export function sameMap<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): boolean {
  if (a.size !== b.size) return false;
  const ib = b.entries();
  for (const [k, v] of a) {
    const n = ib.next();
    if (n.done || n.value[0] !== k || n.value[1] !== v) return false;
  }
  return true;
}

/**
 * The same operand for the checks: its kind and text, and its values (an operand's value is its
 * text after expansion read with the constants, so with the constants the same its text and
 * values stand for its expression).
 */
export function sameOperand(x: Operand, y: Operand): boolean {
  if (x.kind !== y.kind || x.text !== y.text || x.indirect !== y.indirect) return false;
  type Fields = Partial<Record<'reg' | 'value' | 'seg' | 'dispValue' | 'base' | 'index' | 'scale' | 'string', unknown>>;
  const p = x as Fields;
  const q = y as Fields;
  return p.reg === q.reg && p.value === q.value && p.seg === q.seg && p.dispValue === q.dispValue && p.base === q.base && p.index === q.index && p.scale === q.scale && p.string === q.string;
}

/**
 * The program-wide facts the checks read beside the statements: the file, labels and constants
 * (thousands, from the headers) entry by entry, and the ALTERNATIVE sites, exception table,
 * headers and configuration as `json` prints them (to the column, or to the line).
 */
export function sameProgramFacts(a: Program, b: Program, json: (v: unknown) => string): boolean {
  if (a.file !== b.file || !sameMap(a.labels, b.labels) || !sameMap(a.constants, b.constants)) return false;
  const rest = (p: Program): string => json([p.alternatives, p.exceptionTable, p.includes, p.kernelTree, p.configuration]);
  return rest(a) === rest(b);
}
