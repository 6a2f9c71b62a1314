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
import type { Program } from '../syntax';
import { sameContent, sameLoc, samePlace, sameProgramFacts } from './compare';
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

/** The key of what a walk reads beside the program (the vendor, the budget, the project's settings). */
export function walkKey(what: unknown): string {
  return dataJson(what);
}

export function entryKey(e: Entry): string {
  return dataJson([e.name, e.pos, e.kind, e.layout, e.spec, e.ist, e.faultOf]);
}

/** JSON with bigints, Maps and Sets (exact: positions to the column). */
function dataJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x] : x instanceof Set ? [...x] : x));
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
  if (a.length !== b.length || !sameProgramFacts(old, now, dataJson)) return undefined;
  const changed = new Set<number>();
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (!samePlace(a[i], b[i], sameLoc)) return undefined;
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
