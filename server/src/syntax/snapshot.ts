// Copies of a preprocessor's or an assembler's state, so that a parse can start where an earlier
// one stood after the same preamble (parse.ts, the preamble cache). Every own field is copied —
// collections one level deep (their values, macros and diagnostics, are never changed once made),
// the rest as they are — except the ones named, which each parse sets for itself (the host, the
// sink, the builtins bound to this parse's preprocessor).

/** A copy of `v` one level deep: a new Map, Set or array with the same values. */
function copy(v: unknown): unknown {
  if (v instanceof Map) return new Map(v);
  if (v instanceof Set) return new Set(v);
  if (Array.isArray(v)) return v.slice();
  return v;
}

export type State = ReadonlyMap<string, unknown>;

/** The state of `o`: each own field but the excluded ones, copied. */
export function saveState(o: object, exclude: readonly string[]): State {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o)) {
    if (exclude.includes(k) || typeof v === 'function') continue;
    out.set(k, copy(v));
  }
  return out;
}

/** Puts a saved state back into `o` (copied again: the saved one stays as it was). */
export function restoreState(o: object, s: State): void {
  for (const [k, v] of s) Reflect.set(o, k, copy(v));
}
