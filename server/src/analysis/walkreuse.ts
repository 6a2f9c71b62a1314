// Taking an entry's walk over from the previous version's analysis (checker.ts): an edit that
// changes instructions only, none of them on the entry's paths, leaves the entry's walk as it
// was. Reasoning: positions are instruction indices, the same in both programs when the
// statements are the same in number and kind; a walk goes from an instruction only to what the
// instruction, the labels and the sections make its successors; with the labels, sections,
// ALTERNATIVE sites, constants and configuration unchanged and none of the instructions it reached
// changed, every instruction it reached has the successors it had, so it reaches the same ones
// and computes the same states. What the walk read besides instructions (data, symbols, the
// settings) is compared whole. The property phase (the solver, the witnesses' replays) runs again
// on the new program: only the walk is taken over.
import type { Location, Origin, Program, Statement } from '../syntax';
import type { SymbolicAlgebra } from '../x86/symbolic';
import type { Entry, WalkResult } from './walk';

/** What an analysis keeps of its walks for the next version's. */
export interface WalkCache {
  /** Everything but the program the walks read (options, budget, project's settings). */
  key: string;
  /** The analysis's checksKey (options, project, the other open editors): walks are taken over only under the same. */
  checks?: string;
  program: Program;
  /** By entry (its name, position, kind and frame). */
  walks: Map<string, { S: SymbolicAlgebra; w: WalkResult }>;
}

export function entryKey(e: Entry): string {
  return dataJson([e.name, e.pos, e.kind, e.layout, e.spec, e.ist, e.faultOf]);
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

/** JSON with bigints, Maps and Sets (exact: positions to the column). */
function dataJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x] : x instanceof Set ? [...x] : x));
}

/** The program-wide facts the checks read besides the statements: labels, constants, ALTERNATIVE sites, exception table, headers, configuration. */
export function sameProgramFacts(a: Program, b: Program): boolean {
  if (a.file !== b.file || !sameMap(a.labels, b.labels) || !sameMap(a.constants, b.constants)) return false;
  const rest = (p: Program): string => dataJson([p.alternatives, p.exceptionTable, p.includes, p.kernelTree, p.configuration]);
  return rest(a) === rest(b);
}

function sameLoc(x: Location, y: Location): boolean {
  return x.file === y.file && x.range.start.line === y.range.start.line && x.range.start.character === y.range.start.character && x.range.end.line === y.range.end.line && x.range.end.character === y.range.end.character;
}

function sameOrigin(x: Origin | undefined, y: Origin | undefined): boolean {
  for (; x && y; x = x.parent, y = y.parent) {
    if (x === y) return true;
    if (x.kind !== y.kind || x.name !== y.name || !sameLoc(x.loc, y.loc)) return false;
  }
  return x === undefined && y === undefined;
}

/** Where a statement is, what it is, and what it belongs to: all but what an instruction says. */
function samePlace(x: Statement, y: Statement): boolean {
  return (
    x.kind === y.kind && x.section === y.section && x.alternative?.group === y.alternative?.group && x.alternative?.arm === y.alternative?.arm &&
    x.alternative?.feature === y.alternative?.feature && sameLoc(x.loc, y.loc) && sameOrigin(x.origin, y.origin)
  );
}

/** What an instruction says: its mnemonic, prefixes and operands as written and as valued. */
function sameContent(x: Statement, y: Statement): boolean {
  if (x === y) return true;
  if (x.name !== y.name || x.written !== y.written || x.text !== y.text || (x.prefixes?.join(',') ?? '') !== (y.prefixes?.join(',') ?? '')) return false;
  return x.operands.length === y.operands.length && x.operands.every((o, k) => dataJson(o) === dataJson(y.operands[k]));
}

/**
 * The statements (indices) that changed from `old` to `now` when only instructions changed, and
 * only in what they say (each statement where it was, of its kind, in its section); undefined
 * when anything else changed (a statement added, removed or moved, a label, a directive, a
 * constant...): then no walk is taken over.
 */
export function changedInstructions(old: Program, now: Program): Set<number> | undefined {
  const a = old.statements;
  const b = now.statements;
  if (a.length !== b.length || !sameProgramFacts(old, now)) return undefined;
  const changed = new Set<number>();
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (!samePlace(a[i], b[i])) return undefined;
    if (sameContent(a[i], b[i])) continue;
    if (a[i].kind !== 'instruction') return undefined;
    changed.add(i);
  }
  return changed;
}

/** The earlier walk of `entry`, when none of the instructions it reached changed (and it was not cut short). */
export function reusableWalk(cache: WalkCache | undefined, key: string, changed: Set<number> | undefined, entry: Entry, insns: readonly number[]): { S: SymbolicAlgebra; w: WalkResult } | undefined {
  if (!cache || cache.key !== key || !changed) return undefined;
  const hit = cache.walks.get(entryKey(entry));
  if (!hit || hit.w.incomplete) return undefined;
  for (const pos of hit.w.reached) if (changed.has(insns[pos])) return undefined;
  return hit;
}
