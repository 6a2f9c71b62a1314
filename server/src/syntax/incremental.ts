// Incremental re-parsing of the main file (parse.ts): a parse keeps the preprocessor's and the
// assembler's state at checkpoints, main-file line boundaries where nothing is open (no #if, no
// macro body, no .if, no ALTERNATIVE, no include); the parse of an edited text starts from the last
// checkpoint above the edit instead of the top, and when an edit left the line count as it was,
// it stops at the first checkpoint below the edit whose state equals what the earlier parse had
// there: the rest is the earlier parse's, taken over (an incremental lexer's restartable states,
// for a preprocessor and an assembler). The result is the program a parse from the top gives;
// test/unit/syntax/incremental.test.ts compares the two over random edits of every fixture.
//
// Every own field of the two machines has a policy (FIELDS): a test fails when a field is added
// without one, so no state is forgotten by a checkpoint.
//   log     an array only appended to: a checkpoint keeps its length, a restore slices the
//           earlier parse's array (no copy at a checkpoint);
//   output  a log that nothing reads back while parsing (the statements): compared by length;
//   value   a Map, Set or array, copied one level deep and compared by value;
//   deep    a Map or array whose values are themselves changed in place: copied two levels deep;
//   scalar  compared and restored as it is;
//   cache   kept with the state it belongs to (restored, never compared: it answers the same);
//   memo    a memo (a Map) not kept: a restored parse starts it empty, and only asks again;
//   own     each parse's own (its host, its callbacks): never saved.
// A checkpoint shares a copy with the one before when the field has not changed since (the
// macros, mostly): the copies are never changed, only copied again.

type Policy = 'log' | 'output' | 'value' | 'deep' | 'scalar' | 'cache' | 'memo' | 'own';

export const PP_FIELDS: Readonly<Record<string, Policy>> = {
  host: 'own', sink: 'own', mainFile: 'own', onMainLine: 'own',
  // at a checkpoint the main file alone, which runSource pushes again
  includeStack: 'own',
  diagnostics: 'log', inactiveRanges: 'log', expansions: 'log', included: 'log',
  configTested: 'value', macros: 'value', locked: 'value', onceFiles: 'value', diagKeys: 'value',
  definingPrelude: 'scalar', inclusions: 'scalar', includeBudgetReported: 'scalar', expandDepth: 'scalar', counter: 'scalar', generation: 'scalar',
  tokCache: 'cache', expanded: 'memo',
};

export const ASM_FIELDS: Readonly<Record<string, Policy>> = {
  builtins: 'own', cppExpand: 'own', includeFile: 'own', mainFile: 'own', usesKernelStackVar: 'own', bodyTokens: 'own',
  statements: 'output',
  // (entries as resolved at the end: pendingExtable holds them as written)
  exceptionTable: 'output',
  diagnostics: 'log', symbols: 'log', macroExpansions: 'log', alternatives: 'log', numericRefs: 'log', pendingExtable: 'log', inactiveRanges: 'log',
  labels: 'value', constants: 'value', symbolExprs: 'value', macros: 'value', conds: 'value', sectionStack: 'value', pendingPrefixes: 'value', numericCount: 'value', labelSites: 'value', labelOffsets: 'value', stagedRefs: 'value',
  numericDefs: 'deep', dot: 'deep',
  capture: 'scalar', macroDepth: 'scalar', includeDepth: 'scalar', includes: 'scalar', expansionCounter: 'scalar', expanded: 'scalar', expansionLimitHit: 'scalar',
  exitMacro: 'scalar', section: 'scalar', prevSection: 'scalar', altTag: 'scalar', nextGroup: 'scalar', fragCount: 'scalar',
  sectionKeyOf: 'cache', sectionKeyText: 'cache',
};

type Fields = Record<string, unknown>;

/** One machine's state at a checkpoint: logs by length, the rest copied. */
interface Saved {
  lengths: Map<string, number>;
  values: Map<string, unknown>;
}

export interface Checkpoint {
  /** The main-file line the checkpoint stands before (its logical line's first physical line). */
  line: number;
  /** That logical line's index in the file's tokenized lines. */
  index: number;
  pp: Saved;
  asm: Saved;
  /** How many missing includes the parse had noted. */
  missing: number;
}

/** What a parse keeps for the next parse of the same file. */
export interface Kept {
  /** Everything but the text that the state at a checkpoint depends on (parse.ts). */
  key: string;
  text: string;
  checkpoints: Checkpoint[];
  /** The state when the main file's lines were all run (before the assembler's finish). */
  end: Checkpoint;
  /** The arrays of every log as the main file's lines left them (the finish appends to them, or resolves into copies), which checkpoints slice. */
  logs: { pp: Map<string, unknown[]>; asm: Map<string, unknown[]>; missing: unknown[] };
  /** Every file the parse read, and what it read. */
  reads: Map<string, string | undefined>;
}

function copy(v: unknown, deep: boolean): unknown {
  const inner = (x: unknown): unknown => (!deep ? x : Array.isArray(x) ? x.slice() : x && typeof x === 'object' ? { ...x } : x);
  if (v instanceof Map) {
    if (!deep) return new Map(v);
    const m = new Map();
    for (const [k, x] of v) m.set(k, inner(x));
    return m;
  }
  if (v instanceof Set) return new Set(v);
  if (Array.isArray(v)) return deep ? v.map(inner) : v.slice();
  return v;
}

/** The same members, the same objects (one level): a copy of `b` stands for `a`. */
function shallowSame(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const ib = b.entries();
    for (const [k, v] of a) {
      const n = ib.next().value as [unknown, unknown];
      if (n[0] !== k || n[1] !== v) return false;
    }
    return true;
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    const ib = b.values();
    for (const v of a) if (ib.next().value !== v) return false;
    return true;
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
  return false;
}

/** The state of `o` now; `prev` is the checkpoint before, whose unchanged copies are shared. */
function save(o: object, fields: Readonly<Record<string, Policy>>, prev?: Saved): Saved {
  const f = o as Fields;
  const lengths = new Map<string, number>();
  const values = new Map<string, unknown>();
  for (const k in fields) {
    const p = fields[k];
    if (p === 'own' || p === 'memo') continue;
    if (p === 'log' || p === 'output') lengths.set(k, (f[k] as unknown[]).length);
    else {
      const was = prev?.values.get(k);
      values.set(k, p !== 'deep' && was !== undefined && typeof was === 'object' && shallowSame(f[k], was) ? was : copy(f[k], p === 'deep'));
    }
  }
  return { lengths, values };
}

/** Puts a saved state into `o`: each log the first `length` elements of the final array, the rest copied again (the saved state stays as it was). */
function restore(o: object, fields: Readonly<Record<string, Policy>>, s: Saved, logs: Map<string, unknown[]>): void {
  const f = o as Fields;
  for (const k in fields) {
    const p = fields[k];
    if (p === 'own') continue;
    if (p === 'memo') f[k] = new Map();
    else if (p === 'log' || p === 'output') f[k] = (logs.get(k) ?? []).slice(0, s.lengths.get(k));
    else f[k] = copy(s.values.get(k), p === 'deep');
  }
}

/**
 * The state of `o` from `at` on is the earlier parse's from `at` on: each log keeps what `o` made
 * before `at` and takes the earlier parse's elements from `at` to its `end`; the rest is `end`'s.
 */
function splice(o: object, fields: Readonly<Record<string, Policy>>, at: Saved, end: Saved, logs: Map<string, unknown[]>): void {
  const f = o as Fields;
  for (const k in fields) {
    const p = fields[k];
    if (p === 'own' || p === 'memo') continue;
    if (p === 'log' || p === 'output') {
      const mine = f[k] as unknown[];
      const theirs = logs.get(k) ?? [];
      for (let i = at.lengths.get(k) ?? 0, n = end.lengths.get(k) ?? 0; i < n; i++) mine.push(theirs[i]);
    } else f[k] = copy(end.values.get(k), p === 'deep');
  }
}

/** Equal as data: the same object, or the same primitive, or containers of equal members (Maps and Sets in the same order). */
export function same(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > 64) return false;
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const ib = b.entries();
    for (const [k, v] of a) {
      const n = ib.next();
      if (n.done || n.value[0] !== k || !same(v, n.value[1], depth + 1)) return false;
    }
    return true;
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    const ib = b.values();
    for (const v of a) if (!same(v, ib.next().value, depth + 1)) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b) || b instanceof Map || b instanceof Set || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!same((a as Fields)[k], (b as Fields)[k], depth + 1)) return false;
  return true;
}

/**
 * True when `o` now stands where the earlier parse stood at checkpoint `then`: every value and
 * scalar equal, every log as long, and what each log (but the output) gained since `from` equal.
 */
function sameAs(o: object, fields: Readonly<Record<string, Policy>>, then: Saved, from: Saved, logs: Map<string, unknown[]>): boolean {
  const f = o as Fields;
  for (const k in fields) {
    const p = fields[k];
    if (p === 'own' || p === 'cache' || p === 'memo') continue;
    if (p === 'log' || p === 'output') {
      const mine = f[k] as unknown[];
      const n = then.lengths.get(k) ?? 0;
      if (mine.length !== n) return false;
      if (p === 'output') continue;
      const theirs = logs.get(k) ?? [];
      for (let i = from.lengths.get(k) ?? 0; i < n; i++) if (!same(mine[i], theirs[i])) return false;
    } else if (!same(f[k], then.values.get(k))) return false;
  }
  return true;
}

/** Where an edit is: the first line that changed, and (from the end) the last line of the old text that did. */
export function changedLines(old: string, now: string): { first: number; lastOld: number; delta: number } | undefined {
  if (old === now) return undefined;
  const n = Math.min(old.length, now.length);
  let a = 0;
  while (a < n && old.charCodeAt(a) === now.charCodeAt(a)) a++;
  let b = 0;
  while (b < n - a && old.charCodeAt(old.length - 1 - b) === now.charCodeAt(now.length - 1 - b)) b++;
  const lineOf = (t: string, at: number): number => {
    let l = 0;
    for (let i = t.indexOf('\n'); i >= 0 && i < at; i = t.indexOf('\n', i + 1)) l++;
    return l;
  };
  const first = lineOf(old, a);
  const count = (t: string): number => lineOf(t, t.length);
  return { first, lastOld: lineOf(old, old.length - b), delta: count(now) - count(old) };
}

/**
 * A checkpoint every this many lines (at the first quiet line after), or more in a long file: at
 * most about CHECKPOINTS of them, so that keeping them costs a parse time linear in the file (each
 * holds copies of maps that grow with the file).
 */
const SPACING = 48;
const CHECKPOINTS = 40;

/** Counts for tests: parses that started from a checkpoint, those that took the rest over, and how many checkpoints the last parse kept. */
export const incrementalCounts = { resumed: 0, converged: 0, checkpoints: 0 };

/**
 * One parse's checkpoints: it is told each main-file line it reaches with nothing open
 * (`atLine`), takes a checkpoint every SPACING lines (or every 1/CHECKPOINTS of the file), and,
 * when it resumed an earlier parse, answers whether the rest of the run is the earlier one's
 * (then it has spliced it in).
 */
export class Recorder {
  readonly checkpoints: Checkpoint[] = [];
  private last = -Infinity;
  private readonly spacing: number;
  /** Set when the run stopped at a checkpoint of the earlier parse and took the rest over from it. */
  convergedAt: Checkpoint | undefined;

  constructor(
    private readonly pp: object,
    private readonly asm: object,
    private readonly missing: unknown[],
    private readonly lines: readonly { sl: number }[],
    /** The earlier parse, the checkpoint this one started from, and the edit (for taking the rest over). */
    private readonly prior?: { kept: Kept; from: Checkpoint; edit: { first: number; lastOld: number; delta: number } },
  ) {
    const n = lines.length ? lines[lines.length - 1].sl + 1 : 0;
    this.spacing = Math.max(SPACING, Math.ceil(n / CHECKPOINTS));
    if (prior) {
      // the earlier checkpoints above the edit hold for this parse too
      for (const c of prior.kept.checkpoints) if (c.line <= prior.from.line) this.checkpoints.push(c);
      this.last = prior.from.line;
    }
  }

  private capture(index: number): Checkpoint {
    const prev = this.checkpoints[this.checkpoints.length - 1];
    return { line: this.lines[index]?.sl ?? Number.MAX_SAFE_INTEGER, index, pp: save(this.pp, PP_FIELDS, prev?.pp), asm: save(this.asm, ASM_FIELDS, prev?.asm), missing: this.missing.length };
  }

  /** The main file's line `index` is next, with nothing open: true when the rest is taken over (stop the run). */
  atLine(index: number): boolean {
    const line = this.lines[index].sl;
    const p = this.prior;
    if (p && p.edit.delta === 0 && line > p.edit.lastOld) {
      const then = p.kept.checkpoints.find((c) => c.index === index && c.line === line);
      if (then && then.line > p.from.line && this.converges(then)) return true;
    }
    if (line - this.last >= this.spacing) {
      this.checkpoints.push(this.capture(index));
      this.last = line;
    }
    return false;
  }

  private converges(then: Checkpoint): boolean {
    const { kept, from } = this.prior!;
    if (this.missing.length !== then.missing) return false;
    if (!sameAs(this.pp, PP_FIELDS, then.pp, from.pp, kept.logs.pp) || !sameAs(this.asm, ASM_FIELDS, then.asm, from.asm, kept.logs.asm)) return false;
    for (let i = from.missing; i < then.missing; i++) if (!same(this.missing[i], kept.logs.missing[i])) return false;
    splice(this.pp, PP_FIELDS, then.pp, kept.end.pp, kept.logs.pp);
    splice(this.asm, ASM_FIELDS, then.asm, kept.end.asm, kept.logs.asm);
    for (let i = then.missing; i < kept.end.missing; i++) this.missing.push(kept.logs.missing[i]);
    // the earlier checkpoints from here on hold for this parse too (the same state, the same lines)
    for (const c of kept.checkpoints) if (c.line >= then.line) this.checkpoints.push(c);
    this.convergedAt = then;
    incrementalCounts.converged++;
    return true;
  }

  /** The main file's lines are all run (or taken over): the state to keep for the next parse. */
  end(): Checkpoint {
    incrementalCounts.checkpoints = this.checkpoints.length;
    return this.convergedAt ? this.prior!.kept.end : this.capture(this.lines.length);
  }
}

/** The earlier parse's checkpoint this one may start from: the last above the edit (the same lines before it, the same tokens). */
export function resumePoint(kept: Kept | undefined, key: string, text: string, lines: readonly { sl: number }[], readNow: (f: string) => string | undefined): { kept: Kept; from: Checkpoint; edit: { first: number; lastOld: number; delta: number } } | undefined {
  if (!kept || kept.key !== key) return undefined;
  const edit = changedLines(kept.text, text) ?? { first: Number.MAX_SAFE_INTEGER, lastOld: -1, delta: 0 };
  let from: Checkpoint | undefined;
  for (const c of kept.checkpoints) if (c.line <= edit.first && lines[c.index]?.sl === c.line) from = c;
  if (!from) return undefined;
  for (const [f, t] of kept.reads) if (readNow(f) !== t) return undefined;
  return { kept, from, edit };
}

/** Starts a parse at checkpoint `from` of an earlier parse. */
export function restoreCheckpoint(pp: object, asm: object, missing: unknown[], kept: Kept, from: Checkpoint): void {
  restore(pp, PP_FIELDS, from.pp, kept.logs.pp);
  restore(asm, ASM_FIELDS, from.asm, kept.logs.asm);
  missing.length = 0;
  for (let i = 0; i < from.missing; i++) missing.push(kept.logs.missing[i]);
  incrementalCounts.resumed++;
}

/** The arrays of a parse's logs, kept for its checkpoints. */
export function logsOf(pp: object, asm: object, missing: unknown[]): Kept['logs'] {
  const of = (o: object, fields: Readonly<Record<string, Policy>>): Map<string, unknown[]> => {
    const m = new Map<string, unknown[]>();
    for (const k in fields) if (fields[k] === 'log' || fields[k] === 'output') m.set(k, (o as Fields)[k] as unknown[]);
    return m;
  };
  return { pp: of(pp, PP_FIELDS), asm: of(asm, ASM_FIELDS), missing };
}
