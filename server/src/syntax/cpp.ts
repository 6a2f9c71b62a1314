// The C preprocessor, as `gcc -x assembler-with-cpp` runs it over kernel .S files:
// #define (object- and function-like, # and ##, variadic), #undef, #include "..."/<...>
// (#include_next, #pragma once), #if/#ifdef/#ifndef/#elif/#else/#endif with full C integer
// expressions and defined(), #error/#warning. `$` is not an identifier character (as in the
// assembler-with-cpp mode), and a `#` after the start of a line is a GNU as comment.
//
// Limits: #include nesting INCLUDE_DEPTH (cycles end there with a diagnostic), MAX_INCLUDES inclusions in all; tokens produced by
// expanding one line: MAX_LINE_TOKENS.
import type { Location, MacroExpansion, Origin, Range, SyntaxDiagnostic } from './types';
import type { LogicalLine, Seg } from './source';
import { parseNumber } from './expr';
import { charValue } from './lexer';

export const INCLUDE_DEPTH = 200;
/**
 * Inclusions in one run, all files together. The depth limit alone does not stop a header that
 * includes itself twice (no guard): 2^200 inclusions. A kernel entry file needs a few hundred.
 */
export const MAX_INCLUDES = 5000;
export const MAX_LINE_TOKENS = 50_000;
/** Nesting of macro invocations inside macro arguments. */
export const MAX_ARG_NESTING = 200;

export type PPKind = 'id' | 'num' | 'str' | 'chr' | 'punct' | 'other';

interface Inv {
  sl: number;
  sc: number;
  el: number;
  ec: number;
  macro: string;
  def: Location;
}

export interface PPTok {
  t: string;
  k: PPKind;
  /** Whitespace before this token. */
  ws: boolean;
  line: number;
  col: number;
  /** Set on tokens produced by expanding a macro invoked in the file being read. */
  inv?: Inv;
  /** Hide set: macros that must not expand this token again. */
  hs?: ReadonlySet<string>;
}

export interface PPLine {
  toks: PPTok[];
  /** Physical lines covered. */
  sl: number;
  el: number;
  ec: number;
  directive: boolean;
}

export interface CppMacro {
  name: string;
  fn: boolean;
  params: string[];
  variadic: boolean;
  body: PPTok[];
  loc: Location;
  /** From the prelude: a later #define replaces it silently. */
  weak: boolean;
  /** A model primitive: later #defines of it are ignored. */
  locked: boolean;
  /** Text of the definition for hovers. */
  text: string;
}

// ---- tokenizer -------------------------------------------------------------------------------

const PUNCT3 = new Set(['...', '<<=', '>>=']);
const PUNCT2 = new Set(['##', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '->', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=']);

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Splits a file into preprocessor lines (comments removed, continuations joined). */
export function tokenizeFile(text: string): PPLine[] {
  const lines: PPLine[] = [];
  const n = text.length;
  let i = 0;
  let line = 0;
  let col = 0;
  let cur: PPLine = { toks: [], sl: 0, el: 0, ec: 0, directive: false };
  let ws = false;
  const endLine = () => {
    cur.el = line;
    cur.ec = col;
    lines.push(cur);
    cur = { toks: [], sl: line + 1, el: line + 1, ec: 0, directive: false };
    ws = false;
  };
  const push = (k: PPKind, start: number, sc: number) => {
    cur.toks.push({ t: text.slice(start, i), k, ws, line, col: sc });
    ws = false;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      endLine();
      i++;
      line++;
      col = 0;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      col++;
      ws = true;
      continue;
    }
    if (c === 92 /* \ */) {
      // Backslash-newline: a continuation.
      let j = i + 1;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9 || text.charCodeAt(j) === 13)) j++;
      if (j < n && text.charCodeAt(j) === 10) {
        i = j + 1;
        line++;
        col = 0;
        ws = true;
        continue;
      }
      if (j >= n) {
        i = n;
        continue;
      }
    }
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      i += 2;
      col += 2;
      while (i < n && !(text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47)) {
        if (text.charCodeAt(i) === 10) {
          line++;
          col = 0;
        } else col++;
        i++;
      }
      i += 2;
      col += 2;
      if (i > n) i = n;
      ws = true;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) {
        i++;
        col++;
      }
      continue;
    }
    if (c === 35 /* # */) {
      if (cur.toks.length === 0) {
        cur.directive = true;
      } else if (!cur.directive) {
        // A GNU as comment: the rest of the line.
        while (i < n && text.charCodeAt(i) !== 10) {
          if (text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 10) break;
          i++;
          col++;
        }
        continue;
      }
    }
    const start = i;
    const sc = col;
    if (isIdStart(c)) {
      i++;
      while (i < n && isIdChar(text.charCodeAt(i))) i++;
      col += i - start;
      push('id', start, sc);
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isIdChar(d) || d === 46) i++;
        else if ((d === 43 || d === 45) && /[eEpP]/.test(text[i - 1]) && !/^0[xX]/.test(text.slice(start, i)) ) i++;
        else break;
      }
      col += i - start;
      push('num', start, sc);
      continue;
    }
    if (c === 34 /* " */) {
      i++;
      while (i < n && text.charCodeAt(i) !== 34 && text.charCodeAt(i) !== 10) {
        if (text.charCodeAt(i) === 92 && i + 1 < n && text.charCodeAt(i + 1) !== 10) i++;
        i++;
      }
      if (i < n && text.charCodeAt(i) === 34) i++;
      col += i - start;
      push('str', start, sc);
      continue;
    }
    if (c === 39 /* ' */) {
      const m = /^'(?:\\.|[^'\\\n])'/.exec(text.slice(i, i + 8));
      if (m) {
        i += m[0].length;
        col += m[0].length;
        push('chr', start, sc);
        continue;
      }
      // GNU as 'c character constant: keep the quote and the character together.
      if (i + 1 < n && text.charCodeAt(i + 1) !== 10) {
        i += text.charCodeAt(i + 1) === 92 && i + 2 < n ? 3 : 2;
        col += i - start;
        push('chr', start, sc);
        continue;
      }
    }
    const three = text.slice(i, i + 3);
    if (PUNCT3.has(three)) {
      i += 3;
    } else if (PUNCT2.has(text.slice(i, i + 2))) {
      i += 2;
    } else {
      i++;
    }
    col += i - start;
    push(c === 92 || c === 64 || c === 96 ? 'other' : 'punct', start, sc);
  }
  endLine();
  // A trailing newline leaves one empty line: drop it.
  if (lines.length > 1 && lines[lines.length - 1].toks.length === 0 && text.endsWith('\n')) lines.pop();
  return lines;
}

// ---- C expressions for #if -------------------------------------------------------------------

interface CVal {
  v: bigint;
  u: boolean;
}
const C_RANK: Record<string, number> = {
  '*': 10, '/': 10, '%': 10, '+': 9, '-': 9, '<<': 8, '>>': 8, '<': 7, '>': 7, '<=': 7, '>=': 7,
  '==': 6, '!=': 6, '&': 5, '^': 4, '|': 3, '&&': 2, '||': 1,
};

function norm(v: bigint, u: boolean): CVal {
  return { v: u ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v), u };
}

class CExpr {
  pos = 0;
  error?: string;
  constructor(private toks: PPTok[]) {}

  private peek(): PPTok | undefined {
    return this.toks[this.pos];
  }
  private fail(msg: string): CVal {
    if (!this.error) this.error = msg;
    return { v: 0n, u: false };
  }

  parse(): CVal {
    const v = this.cond();
    if (!this.error && this.pos < this.toks.length) this.fail(`unexpected '${this.toks[this.pos].t}'`);
    return v;
  }

  private cond(): CVal {
    if (this.depth > 500) return this.fail('expression nested more than 500 deep');
    this.depth++;
    try {
      return this.condInner();
    } finally {
      this.depth--;
    }
  }

  private condInner(): CVal {
    const c = this.binary(1);
    const t = this.peek();
    if (t && t.t === '?') {
      this.pos++;
      const a = this.cond();
      const colon = this.peek();
      if (!colon || colon.t !== ':') return this.fail("expected ':' in '?:'");
      this.pos++;
      const b = this.cond();
      const u = a.u || b.u;
      return norm(c.v !== 0n ? a.v : b.v, u);
    }
    return c;
  }

  private binary(min: number): CVal {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (!t || t.k !== 'punct') break;
      const r = C_RANK[t.t];
      if (r === undefined || r < min) break;
      this.pos++;
      if (this.pos >= this.toks.length) return this.fail(`expected an operand after '${t.t}'`);
      const rhs = this.binary(r + 1);
      l = this.apply(t.t, l, rhs);
    }
    return l;
  }

  private apply(op: string, a: CVal, b: CVal): CVal {
    const u = a.u || b.u;
    const x = u ? BigInt.asUintN(64, a.v) : a.v;
    const y = u ? BigInt.asUintN(64, b.v) : b.v;
    switch (op) {
      case '*': return norm(x * y, u);
      case '/': return y === 0n ? this.fail('division by zero in #if') : norm(x / y, u);
      case '%': return y === 0n ? this.fail('division by zero in #if') : norm(x % y, u);
      case '+': return norm(x + y, u);
      case '-': return norm(x - y, u);
      case '<<': return norm(b.v < 0n || b.v > 63n ? 0n : (a.u ? BigInt.asUintN(64, a.v) : a.v) << b.v, a.u);
      case '>>': return norm(b.v < 0n || b.v > 63n ? 0n : (a.u ? BigInt.asUintN(64, a.v) : a.v) >> b.v, a.u);
      case '<': return { v: x < y ? 1n : 0n, u: false };
      case '>': return { v: x > y ? 1n : 0n, u: false };
      case '<=': return { v: x <= y ? 1n : 0n, u: false };
      case '>=': return { v: x >= y ? 1n : 0n, u: false };
      case '==': return { v: x === y ? 1n : 0n, u: false };
      case '!=': return { v: x !== y ? 1n : 0n, u: false };
      case '&': return norm(x & y, u);
      case '^': return norm(x ^ y, u);
      case '|': return norm(x | y, u);
      case '&&': return { v: a.v !== 0n && b.v !== 0n ? 1n : 0n, u: false };
      case '||': return { v: a.v !== 0n || b.v !== 0n ? 1n : 0n, u: false };
    }
    return this.fail(`unknown operator '${op}'`);
  }

  private depth = 0;

  private unary(): CVal {
    if (++this.depth > 500) return this.fail('expression nested more than 500 deep');
    try {
      return this.unaryInner();
    } finally {
      this.depth--;
    }
  }

  private unaryInner(): CVal {
    const t = this.peek();
    if (!t) return this.fail('expected an expression');
    this.pos++;
    if (t.k === 'punct') {
      switch (t.t) {
        case '-': { const a = this.unary(); return norm(-a.v, a.u); }
        case '+': return this.unary();
        case '~': { const a = this.unary(); return norm(~a.v, a.u); }
        case '!': { const a = this.unary(); return { v: a.v === 0n ? 1n : 0n, u: false }; }
        case '(': {
          const v = this.cond();
          const c = this.peek();
          if (!c || c.t !== ')') return this.fail("expected ')'");
          this.pos++;
          return v;
        }
      }
      return this.fail(`expected an expression, found '${t.t}'`);
    }
    if (t.k === 'num') {
      const p = parseNumber(t.t, true);
      if (!('value' in p)) return this.fail(`invalid number '${t.t}' in #if`);
      const u = /[uU]/.test(t.t) || p.value > 0x7fffffffffffffffn;
      return norm(p.value, u);
    }
    if (t.k === 'chr') return { v: charValue(t.t), u: false };
    if (t.k === 'id') return { v: 0n, u: false }; // identifiers left after expansion are 0
    return this.fail(`expected an expression, found '${t.t}'`);
  }
}

// ---- the preprocessor ------------------------------------------------------------------------

/**
 * How many leading lines of a main file's tokenized lines are its preamble: directives, comments
 * and blank lines, ending where no #if is open — what the preamble cache (parse.ts) stands for.
 * 0 when they hold no #include (nothing worth keeping).
 */
export function preambleLength(lines: PPLine[]): number {
  let depth = 0;
  let end = 0;
  let includes = false;
  for (let i = 0; i < lines.length; i++) {
    const pl = lines[i];
    if (pl.directive) {
      const name = pl.toks[1]?.t ?? '';
      if (name === 'if' || name === 'ifdef' || name === 'ifndef') depth++;
      else if (name === 'endif') depth--;
      else if (name === 'include' || name === 'include_next') includes = true;
      if (depth < 0) break;
    } else if (pl.toks.length > 0) break;
    if (depth === 0) end = i + 1;
  }
  return includes ? end : 0;
}

export interface IncludeResult {
  path: string;
  text: string;
}

export interface CppHost {
  /** Resolves an #include; `next` for #include_next (search after `fromDir`). */
  resolve(name: string, angled: boolean, fromFile: string, next: boolean): IncludeResult | undefined;
  /**
   * Called for an #include that cannot be found; true when the prelude covers it (no warning),
   * or the text that stands in for it (read in its place, as the header would be).
   */
  missing(name: string, loc: Location): boolean | IncludeResult;
}

interface Cond {
  active: boolean;
  taken: boolean;
  outer: boolean;
  elseSeen: boolean;
  loc: Location;
}

interface Ctx {
  file: string;
  kind: Origin['kind'];
  parent?: Origin;
  isMain: boolean;
  /** The main file's lines run from this index of its tokenized lines (runSource). */
  offset?: number;
}

const DIRECTIVES = new Set(['define', 'undef', 'include', 'include_next', 'if', 'ifdef', 'ifndef', 'elif', 'elifdef', 'elifndef', 'else', 'endif', 'error', 'warning', 'line', 'pragma', 'ident', 'sccs', 'assert', 'unassert']);


export class Preprocessor {
  /** CONFIG_ options the file and its headers test in #if/#ifdef (the prelude's own tests excluded). */
  readonly configTested = new Set<string>();
  macros = new Map<string, CppMacro>();
  diagnostics: SyntaxDiagnostic[] = [];
  inactiveRanges: Range[] = [];
  expansions: MacroExpansion[] = [];
  included: string[] = [];
  /** Definitions made now are weak (prelude). */
  definingPrelude = false;
  /** Names whose later definitions are ignored (model primitives). */
  locked = new Set<string>();
  private onceFiles = new Set<string>();
  private inclusions = 0;
  private includeBudgetReported = false;
  private includeStack: string[] = [];
  private tokCache = new Map<string, PPLine[]>();
  mainFile: string;
  /**
   * Told the index (in the main file's tokenized lines) of each main-file line about to run with
   * no #if open; true stops the run there (incremental.ts: the rest is an earlier parse's).
   */
  onMainLine: ((index: number) => boolean) | undefined = undefined;

  constructor(mainFile: string, private host: CppHost, private sink: (line: LogicalLine) => void) {
    this.mainFile = mainFile;
  }

  private diagKeys = new Set<string>();
  private diag(loc: Location, message: string, severity: SyntaxDiagnostic['severity'] = 'error'): void {
    // the same message at the same place once (a cycle hit from thousands of include paths)
    const r = loc.range;
    const key = `${loc.file}:${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}:${severity}:${message}`;
    if (this.diagKeys.has(key)) return;
    this.diagKeys.add(key);
    if (this.diagnostics.length < 2000) this.diagnostics.push({ code: 'parse', severity, message, loc });
  }

  /** The location users see for a position in the current context. */
  private userLoc(ctx: Ctx, r: Range): Location {
    if (ctx.isMain) return { file: ctx.file, range: r };
    let o: Origin | undefined = ctx.parent;
    while (o && o.parent) o = o.parent;
    return o ? o.loc : { file: ctx.file, range: r };
  }

  define(name: string, value: string, loc: Location): void {
    const lines = tokenizeFile(`${value}`);
    const body = lines.flatMap((l) => l.toks);
    if (body.length) body[0] = { ...body[0], ws: false };
    this.setMacro({ name, fn: false, params: [], variadic: false, body, loc, weak: this.definingPrelude, locked: false, text: `#define ${name} ${value}` });
  }

  private setMacro(m: CppMacro): void {
    const prev = this.macros.get(m.name);
    if (prev && prev.locked && !this.definingPrelude) return;
    if (prev && this.definingPrelude && !prev.weak) return; // -D and .config values beat the prelude
    if (this.definingPrelude && this.locked.has(m.name)) m.locked = true;
    this.macros.set(m.name, m);
    this.generation++;
  }

  /** Runs a whole file. */
  /**
   * Runs lines of the main file, a part of it: `lines` as tokenizeFile gave them, or a run of them
   * that leaves no #if open (a preamble, and then the rest).
   */
  runSource(file: string, all: PPLine[], lines: PPLine[] = all, offset = 0): void {
    this.tokCache.set(file, all);
    this.runFile(file, lines, { file, kind: 'source', isMain: true, offset });
  }

  run(file: string, text: string, kind: Origin['kind'], parent?: Origin): void {
    const ctx: Ctx = { file, kind, isMain: kind === 'source' && !parent };
    if (parent) ctx.parent = parent;
    let lines = this.tokCache.get(file);
    if (!lines || kind === 'source') {
      lines = tokenizeFile(text);
      this.tokCache.set(file, lines);
    }
    this.runFile(file, lines, ctx);
  }

  /** Runs a file's lines with the file on the include stack. */
  private runFile(file: string, lines: PPLine[], ctx: Ctx): void {
    this.includeStack.push(file);
    try {
      this.runLines(lines, ctx);
    } finally {
      this.includeStack.pop();
    }
  }

  private runLines(lines: PPLine[], ctx: Ctx): void {
    const conds: Cond[] = [];
    let inactiveFrom = -1;
    const markInactive = (from: number, to: number, toCol: number) => {
      if (ctx.isMain && to >= from) this.inactiveRanges.push({ start: { line: from, character: 0 }, end: { line: to, character: toCol } });
    };
    const at = ctx.isMain && this.includeStack.length === 1 ? this.onMainLine : undefined;
    for (let li = 0; li < lines.length; li++) {
      const pl = lines[li];
      if (at && conds.length === 0 && this.expandDepth === 0 && at(li + (ctx.offset ?? 0))) break;
      const active = conds.length === 0 || conds[conds.length - 1].active;
      if (pl.directive) {
        const wasActive = active;
        const name = pl.toks[1]?.t ?? '';
        const isCond = name === 'if' || name === 'ifdef' || name === 'ifndef' || name === 'elif' || name === 'elifdef' || name === 'elifndef' || name === 'else' || name === 'endif';
        if (!active && !isCond) continue;
        if (isCond) {
          this.conditional(pl, ctx, conds);
          const nowActive = conds.length === 0 || conds[conds.length - 1].active;
          if (wasActive && !nowActive) inactiveFrom = pl.el + 1;
          else if (!wasActive && nowActive && inactiveFrom >= 0) {
            const prev = lines[li - 1];
            if (pl.sl - 1 >= inactiveFrom) markInactive(inactiveFrom, pl.sl - 1, prev && prev.el === pl.sl - 1 ? prev.ec : 0);
            inactiveFrom = -1;
          }
          continue;
        }
        this.directive(pl, ctx);
        continue;
      }
      if (!active) continue;
      if (pl.toks.length === 0) continue;
      const consumed = this.textLine(pl, ctx, lines, li);
      li += consumed;
    }
    for (const c of conds) {
      this.diag(c.loc, `unterminated #if started at line ${c.loc.range.start.line + 1}: expected '#endif'`);
    }
    if (inactiveFrom >= 0 && lines.length) {
      const last = lines[lines.length - 1];
      markInactive(inactiveFrom, last.el, last.ec);
    }
  }

  private lineRange(pl: PPLine): Range {
    return { start: { line: pl.sl, character: 0 }, end: { line: pl.el, character: pl.ec } };
  }

  private tokRange(t: PPTok, last?: PPTok): Range {
    const e = last ?? t;
    return { start: { line: t.line, character: t.col }, end: { line: e.line, character: e.col + e.t.length } };
  }

  // ---- conditionals --------------------------------------------------------------------------

  private conditional(pl: PPLine, ctx: Ctx, conds: Cond[]): void {
    const name = pl.toks[1].t;
    const loc = this.userLoc(ctx, this.lineRange(pl));
    const top = conds[conds.length - 1];
    const outer = conds.length === 0 || top.active;
    const args = pl.toks.slice(2);
    // which configuration options the file (not the prelude) tests, for "configuration assumed"
    if (ctx.kind !== 'prelude') for (const t of args) if (t.k === 'id' && t.t.startsWith('CONFIG_')) this.configTested.add(t.t);
    const evalIf = (): boolean => {
      if (name === 'ifdef' || name === 'ifndef' || name === 'elifdef' || name === 'elifndef') {
        const t = args[0];
        if (!t || t.k !== 'id') {
          this.diag(loc, `expected a macro name after '#${name}'`);
          return false;
        }
        const d = this.macros.has(t.t);
        return name === 'ifdef' || name === 'elifdef' ? d : !d;
      }
      return this.evalIf(args, ctx, pl, name);
    };
    if (name === 'if' || name === 'ifdef' || name === 'ifndef') {
      const c: Cond = { active: false, taken: true, outer, elseSeen: false, loc };
      if (outer) {
        c.active = evalIf();
        c.taken = c.active;
      }
      conds.push(c);
      return;
    }
    if (!top) {
      this.diag(loc, `'#${name}' without a matching '#if'`);
      return;
    }
    if (name === 'endif') {
      conds.pop();
      return;
    }
    if (top.elseSeen) {
      this.diag(loc, `'#${name}' after '#else' (the #if at line ${top.loc.range.start.line + 1} already has its '#else')`);
      return;
    }
    if (name === 'else') {
      top.elseSeen = true;
      top.active = top.outer && !top.taken;
      top.taken = true;
      return;
    }
    if (top.outer && !top.taken) {
      top.active = evalIf();
      top.taken = top.active;
    } else top.active = false;
  }

  private evalIf(args: PPTok[], ctx: Ctx, pl: PPLine, name: string): boolean {
    const loc = this.userLoc(ctx, this.lineRange(pl));
    if (args.length === 0) {
      this.diag(loc, `expected an expression after '#${name}'`);
      return false;
    }
    const pre = this.replaceDefined(args);
    const expanded = this.expandTokens(pre, ctx, undefined, true);
    const final = this.replaceDefined(expanded);
    const e = new CExpr(final.filter((t) => t.k !== 'other' || t.t !== ''));
    const v = e.parse();
    if (e.error) {
      this.diag(loc, `invalid '#${name}' expression: ${e.error}`);
      return false;
    }
    return v.v !== 0n;
  }

  private replaceDefined(toks: PPTok[]): PPTok[] {
    const out: PPTok[] = [];
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      if (t.k === 'id' && (t.t === 'defined' || t.t === '__has_include' || t.t === '__has_include_next')) {
        let name: string | undefined;
        let j = i + 1;
        if (t.t === 'defined') {
          if (toks[j]?.t === '(') {
            name = toks[j + 1]?.t;
            j += 2;
            if (toks[j]?.t === ')') j++;
          } else {
            name = toks[j]?.t;
            j++;
          }
          out.push({ ...t, t: name !== undefined && this.macros.has(name) ? '1' : '0', k: 'num' });
        } else {
          // __has_include("x") / __has_include(<x>)
          let k = j;
          if (toks[k]?.t === '(') k++;
          let spec = '';
          let angled = false;
          if (toks[k]?.k === 'str') {
            spec = toks[k].t.slice(1, -1);
            k++;
          } else if (toks[k]?.t === '<') {
            angled = true;
            k++;
            while (k < toks.length && toks[k].t !== '>') spec += (toks[k].ws && spec ? ' ' : '') + toks[k++].t;
            k++;
          }
          if (toks[k]?.t === ')') k++;
          j = k;
          const found = spec ? this.host.resolve(spec, angled, this.includeStack[this.includeStack.length - 1] ?? this.mainFile, t.t === '__has_include_next') : undefined;
          out.push({ ...t, t: found ? '1' : '0', k: 'num' });
        }
        i = j - 1;
        continue;
      }
      out.push(t);
    }
    return out;
  }

  // ---- other directives ----------------------------------------------------------------------

  private directive(pl: PPLine, ctx: Ctx): void {
    const toks = pl.toks;
    const nameTok = toks[1];
    if (!nameTok) return; // a lone '#'
    const name = nameTok.t;
    const loc = this.userLoc(ctx, this.lineRange(pl));
    if (nameTok.k === 'num') return; // '# 12 "file"' line markers
    if (!DIRECTIVES.has(name)) return; // assembler-with-cpp passes unknown directives through as comments
    switch (name) {
      case 'define':
        this.defineDirective(pl, ctx);
        return;
      case 'undef': {
        const t = toks[2];
        if (!t || t.k !== 'id') {
          this.diag(loc, "expected a macro name after '#undef'");
          return;
        }
        const m = this.macros.get(t.t);
        if (m && m.locked && !this.definingPrelude) return;
        if (this.macros.delete(t.t)) this.generation++;
        return;
      }
      case 'include':
      case 'include_next':
        this.include(pl, ctx, name === 'include_next');
        return;
      case 'error':
      case 'warning': {
        const first = toks[2];
        const last = toks[toks.length - 1];
        const msg = first ? this.joinRaw(toks.slice(2)) : `#${name}`;
        this.diag(ctx.isMain ? { file: ctx.file, range: first ? this.tokRange(toks[0], last) : this.lineRange(pl) } : loc,
          first ? `#${name} ${msg}` : `#${name}`, name === 'error' ? 'error' : 'warning');
        return;
      }
      case 'pragma':
        if (toks[2]?.t === 'once') this.onceFiles.add(ctx.file);
        return;
      default:
        return;
    }
  }

  private joinRaw(toks: PPTok[]): string {
    let s = '';
    for (const t of toks) s += (s && t.ws ? ' ' : '') + t.t;
    return s;
  }

  private defineDirective(pl: PPLine, ctx: Ctx): void {
    const toks = pl.toks;
    const nt = toks[2];
    const loc = this.userLoc(ctx, this.lineRange(pl));
    if (!nt || nt.k !== 'id') {
      this.diag(loc, "expected a macro name after '#define'");
      return;
    }
    const defLoc: Location = { file: ctx.file, range: this.tokRange(nt) };
    let i = 3;
    let fn = false;
    const params: string[] = [];
    let variadic = false;
    if (toks[3] && toks[3].t === '(' && !toks[3].ws) {
      fn = true;
      i = 4;
      let ok = false;
      while (i < toks.length) {
        const t = toks[i];
        if (t.t === ')') {
          ok = true;
          i++;
          break;
        }
        if (t.t === '...') {
          variadic = true;
          params.push('__VA_ARGS__');
        } else if (t.k === 'id') {
          if (toks[i + 1]?.t === '...') {
            variadic = true;
            i++;
          }
          params.push(t.t);
        } else {
          this.diag(loc, `expected a parameter name in '#define ${nt.t}(', found '${t.t}'`);
          return;
        }
        i++;
        if (toks[i]?.t === ',') i++;
        else if (toks[i]?.t !== ')') {
          this.diag(loc, `expected ',' or ')' in the parameter list of '${nt.t}'`);
          return;
        }
      }
      if (!ok) {
        this.diag(loc, `expected ')' to close the parameter list of '${nt.t}'`);
        return;
      }
    }
    const body = toks.slice(i).map((t) => ({ ...t }));
    if (body.length) body[0].ws = false;
    if (fn) {
      for (let k = 0; k < body.length; k++) {
        if (body[k].t === '#' && (k + 1 >= body.length || !params.includes(body[k + 1].t))) {
          // In assembler-with-cpp mode a stray '#' is kept as text; GCC only warns.
        }
      }
    }
    if (body.length && (body[0].t === '##' || body[body.length - 1].t === '##')) {
      this.diag(loc, `'##' cannot appear at either end of the definition of '${nt.t}'`);
      return;
    }
    this.setMacro({
      name: nt.t, fn, params, variadic, body, loc: defLoc, weak: this.definingPrelude, locked: false,
      text: `#define ${nt.t}${fn ? '(' + params.map((p, k) => (variadic && k === params.length - 1 ? (p === '__VA_ARGS__' ? '...' : p + '...') : p)).join(', ') + ')' : ''} ${this.joinRaw(body)}`,
    });
  }

  private include(pl: PPLine, ctx: Ctx, next: boolean): void {
    const toks = pl.toks;
    const loc = this.userLoc(ctx, this.lineRange(pl));
    let args = toks.slice(2);
    if (args.length && args[0].k !== 'str' && args[0].t !== '<') args = this.expandTokens(args, ctx, undefined, true);
    let spec = '';
    let angled = false;
    if (args[0]?.k === 'str') spec = args[0].t.slice(1, -1);
    else if (args[0]?.t === '<') {
      angled = true;
      let k = 1;
      while (k < args.length && args[k].t !== '>') spec += (args[k].ws && spec ? ' ' : '') + args[k++].t;
      if (k >= args.length) spec = '';
    }
    if (!spec) {
      this.diag(loc, `expected "FILE" or <FILE> after '#${next ? 'include_next' : 'include'}'`);
      return;
    }
    const fromFile = ctx.file;
    let found = this.host.resolve(spec, angled, fromFile, next);
    let builtin = false;
    const here: Origin = { loc: { file: ctx.file, range: this.lineRange(pl) }, kind: ctx.kind };
    if (ctx.parent) here.parent = ctx.parent;
    if (!found) {
      const covered = this.host.missing(spec, loc);
      if (!covered) this.diag(loc, `cannot find include file ${angled ? '<' + spec + '>' : '"' + spec + '"'}; its definitions are unknown (add its directory with -I / entryReview.includePaths)`, 'warning');
      if (typeof covered !== 'object') return;
      // a built-in stand-in: read in the header's place, but it is no file of the workspace
      found = covered;
      builtin = true;
    }
    if (this.onceFiles.has(found.path)) return;
    if (this.includeStack.length >= INCLUDE_DEPTH) {
      const cyc = this.includeStack.includes(found.path);
      this.diag(loc, `#include nested more than ${INCLUDE_DEPTH} deep${cyc ? `: '${spec}' includes itself (include cycle)` : ''}`);
      return;
    }
    if (++this.inclusions > MAX_INCLUDES) {
      if (!this.includeBudgetReported) this.diag(loc, `#include stopped: more than ${MAX_INCLUDES} files included in one file (headers that include each other without guards?)`);
      this.includeBudgetReported = true;
      return;
    }
    if (!builtin && !this.included.includes(found.path)) this.included.push(found.path);
    this.run(found.path, found.text, 'include', here);
  }

  // ---- text lines ----------------------------------------------------------------------------

  /** Expands one text line and hands it on; returns how many following lines it consumed. */
  private textLine(pl: PPLine, ctx: Ctx, lines: PPLine[], li: number): number {
    // A GNU as `.macro NAME` written in the file or a header wins over a prelude #define of NAME
    // (the prelude stands in for a header; the file's own definition is the one its build sees).
    const t0 = pl.toks[0];
    if (!this.definingPrelude && t0 && t0.t === '.' && pl.toks[1]?.t === 'macro' && !pl.toks[1].ws && pl.toks[2]?.k === 'id') {
      const m = this.macros.get(pl.toks[2].t);
      if (m && m.weak && !m.locked && this.macros.delete(pl.toks[2].t)) this.generation++;
    }
    let consumed = 0;
    let lastLine = pl;
    const more = (): PPTok[] | undefined => {
      const nx = lines[li + consumed + 1];
      if (!nx || nx.directive) return undefined;
      consumed++;
      lastLine = nx;
      return nx.toks;
    };
    const invs: Inv[] = [];
    const out = this.expandTokens(pl.toks, ctx, more, false, invs);
    const { text, segs } = this.render(out);
    const range: Range = { start: { line: pl.sl, character: 0 }, end: { line: lastLine.el, character: lastLine.ec } };
    const origin: Origin = { loc: { file: ctx.file, range }, kind: ctx.kind };
    if (ctx.parent) origin.parent = ctx.parent;
    if (ctx.isMain) {
      for (const inv of invs) {
        const toks = out.filter((t) => t.inv === inv);
        this.expansions.push({
          loc: { file: ctx.file, range: { start: { line: inv.sl, character: inv.sc }, end: { line: inv.el, character: inv.ec } } },
          name: inv.macro,
          text: this.joinRaw(toks),
        });
      }
    }
    this.sink({ text, segs, origin, file: ctx.file });
    return consumed;
  }

  private render(toks: PPTok[]): { text: string; segs: Seg[] } {
    let text = '';
    const segs: Seg[] = [];
    let prev: PPTok | undefined;
    for (const t of toks) {
      const last = segs[segs.length - 1];
      if (!t.inv && prev && !prev.inv && last && last.exact && last.line === t.line) {
        // Source text on the same line: keep its spacing so one exact piece covers the run.
        const gap = t.col - (prev.col + prev.t.length);
        if (gap >= 0 && gap <= 64 && last.col + (text.length - last.out) + gap === t.col) {
          text += gap > 0 ? ' '.repeat(gap) : '';
          text += t.t;
          last.len = text.length - last.out;
          last.endCol = last.col + last.len;
          prev = t;
          continue;
        }
      }
      if (prev && (t.ws || (needsSpace(prev, t) && (prev.inv !== t.inv || prev.inv !== undefined)))) text += ' ';
      const out = text.length;
      text += t.t;
      if (t.inv) {
        if (last && !last.exact && last.macro === t.inv.macro && last.line === t.inv.sl && last.col === t.inv.sc) {
          last.len = text.length - last.out;
        } else {
          segs.push({ out, len: t.t.length, line: t.inv.sl, col: t.inv.sc, exact: false, endLine: t.inv.el, endCol: t.inv.ec, macro: t.inv.macro, def: t.inv.def });
        }
      } else {
        segs.push({ out, len: t.t.length, line: t.line, col: t.col, exact: true, endLine: t.line, endCol: t.col + t.t.length });
      }
      prev = t;
    }
    return { text, segs };
  }

  /**
   * Macro-expands a token list (Prosser's algorithm with hide sets). `more` pulls the next
   * line's tokens when an argument list continues past the end of the line.
   */
  private expandDepth = 0;
  private counter = 0;

  expandTokens(input: PPTok[], ctx: Ctx | undefined, more?: () => PPTok[] | undefined, inIf = false, invs?: Inv[], limit = MAX_LINE_TOKENS): PPTok[] {
    // Arguments are expanded recursively; nested invocations F(F(F(...))) are bounded here.
    if (this.expandDepth >= MAX_ARG_NESTING) {
      if (ctx && input.length) this.diag(this.userLoc(ctx, this.tokRange(input[0])), `macro arguments nested more than ${MAX_ARG_NESTING} deep`);
      return input;
    }
    this.expandDepth++;
    try {
      return this.expandTokensInner(input, ctx, more, inIf, invs, limit);
    } finally {
      this.expandDepth--;
    }
  }

  private expandTokensInner(input: PPTok[], ctx: Ctx | undefined, more: (() => PPTok[] | undefined) | undefined, inIf: boolean, invs: Inv[] | undefined, limit: number): PPTok[] {
    const out: PPTok[] = [];
    const stack: PPTok[] = [];
    for (let k = input.length - 1; k >= 0; k--) stack.push(input[k]);
    let produced = 0;
    while (stack.length) {
      const t = stack.pop()!;
      if (t.k !== 'id') {
        out.push(t);
        continue;
      }
      const m = this.macros.get(t.t);
      if (!m && (t.t === '__LINE__' || t.t === '__FILE__' || t.t === '__COUNTER__')) {
        // The preprocessor's own dynamic macros.
        const v = t.t === '__LINE__' ? String(t.line + 1) : t.t === '__FILE__' ? JSON.stringify(ctx?.file ?? this.mainFile) : String((this.generation++, this.counter++));
        out.push({ ...t, t: v, k: t.t === '__FILE__' ? 'str' : 'num' });
        continue;
      }
      if (!m || (t.hs && t.hs.has(t.t))) {
        out.push(t);
        continue;
      }
      if (m.weak && !m.locked && !inIf && !this.definingPrelude && definesSymbol(out, stack)) {
        // `.equ NAME, v` / `.set NAME, v` / `NAME = v` in the file or a header (even with NAME
        // made by ##, as in Xen's XEN_CPUFEATURE): the assembler symbol replaces the prelude's
        // #define of that name, which would otherwise turn the line into `.equ 42, v`.
        this.macros.delete(t.t);
        this.generation++;
        out.push(t);
        continue;
      }
      if (inIf && t.t === 'defined') {
        out.push(t);
        continue;
      }
      let args: PPTok[][] | undefined;
      let rparen: PPTok | undefined;
      if (m.fn) {
        // Needs '(' next.
        if (stack.length === 0 || stack[stack.length - 1].t !== '(') {
          out.push(t);
          continue;
        }
        const consumed: PPTok[] = [stack.pop()!];
        args = [[]];
        let depth = 0;
        let closed = false;
        for (;;) {
          if (stack.length === 0) {
            const nx = more?.();
            if (!nx) break;
            for (let k = nx.length - 1; k >= 0; k--) stack.push(k === 0 && nx.length ? { ...nx[0], ws: true } : nx[k]);
            continue;
          }
          const a = stack.pop()!;
          consumed.push(a);
          if (a.t === '(') depth++;
          else if (a.t === ')') {
            if (depth === 0) {
              closed = true;
              rparen = a;
              break;
            }
            depth--;
          } else if (a.t === ',' && depth === 0 && !(m.variadic && args.length === m.params.length)) {
            args.push([]);
            continue;
          }
          args[args.length - 1].push(a);
        }
        if (!closed) {
          if (ctx) this.diag(this.userLoc(ctx, this.tokRange(t)), `unterminated argument list invoking macro '${t.t}': expected ')'`);
          out.push(t, ...consumed);
          continue;
        }
        if (args.length === 1 && args[0].length === 0 && m.params.length === 0) args = [];
        if (m.variadic && args.length === m.params.length - 1) args.push([]);
        if (args.length !== m.params.length && !(m.params.length === 1 && args.length === 0)) {
          if (ctx) this.diag(this.userLoc(ctx, this.tokRange(t, rparen)),
            `macro '${t.t}' expects ${m.params.length} argument${m.params.length === 1 ? '' : 's'}, got ${args.length}`);
          out.push(t, ...consumed);
          continue;
        }
        if (m.params.length === 1 && args.length === 0) args = [[]];
      }
      // The invocation site: the outermost one in the file being read.
      let inv = t.inv;
      if (!inv) {
        const endTok = rparen && !rparen.inv ? rparen : t;
        inv = { sl: t.line, sc: t.col, el: endTok.line, ec: endTok.col + endTok.t.length, macro: t.t, def: m.loc };
        invs?.push(inv);
      }
      let hs: ReadonlySet<string>;
      if (m.fn) {
        let base: ReadonlySet<string> | undefined;
        if (t.hs && rparen?.hs) {
          const both = new Set<string>();
          for (const h of t.hs) if (rparen.hs.has(h)) both.add(h);
          base = both.size ? both : undefined;
        }
        hs = hsAdd(base, t.t);
      } else hs = hsAdd(t.hs, t.t);
      const rep = this.subst(m, args ?? [], hs, inv, t.ws, ctx);
      produced += rep.length;
      if (produced > limit) {
        if (ctx) this.diag(this.userLoc(ctx, this.tokRange(t)), `macro expansion stopped: more than ${limit} tokens from one line (runaway expansion?)`);
        return out;
      }
      for (let k = rep.length - 1; k >= 0; k--) stack.push(rep[k]);
    }
    return out;
  }

  private subst(m: CppMacro, args: PPTok[][], hs: ReadonlySet<string>, inv: Inv, ws: boolean, ctx: Ctx | undefined): PPTok[] {
    const out: PPTok[] = [];
    const body = m.body;
    const expandedArgs = new Map<number, PPTok[]>();
    const paramIndex = (t: PPTok | undefined): number => (t && t.k === 'id' && m.fn ? m.params.indexOf(t.t) : -1);
    const expArg = (i: number): PPTok[] => {
      let e = expandedArgs.get(i);
      if (!e) {
        e = this.expandTokens(args[i], ctx);
        expandedArgs.set(i, e);
      }
      return e;
    };
    let pasteNext = false;
    for (let i = 0; i < body.length; i++) {
      const t = body[i];
      if (m.fn && t.t === '#' && paramIndex(body[i + 1]) >= 0) {
        const a = args[paramIndex(body[i + 1])];
        // C 6.10.3.2: a \ or " is escaped only inside string and character literals.
        let lit = '';
        for (const x of a) {
          const tx = x.k === 'str' || x.k === 'chr' ? x.t.replace(/\\/g, '\\\\').replace(/"/g, '\\"') : x.t;
          lit += (lit && x.ws ? ' ' : '') + tx;
        }
        const s = '"' + lit + '"';
        this.emit(out, { ...t, t: s, k: 'str' }, pasteNext, t.ws);
        pasteNext = false;
        i++;
        continue;
      }
      if (t.t === '##') {
        pasteNext = true;
        continue;
      }
      const pi = paramIndex(t);
      if (pi >= 0) {
        const nextIsPaste = body[i + 1]?.t === '##';
        // GNU: `, ## __VA_ARGS__` drops the comma when the variable arguments are empty.
        if (pasteNext && m.variadic && pi === m.params.length - 1 && out.length && out[out.length - 1].t === ',') {
          if (args[pi].length === 0) out.pop();
          // With variable arguments present the ## pastes nothing: the comma stays a token.
          else for (let k = 0; k < args[pi].length; k++) this.emit(out, args[pi][k], false, k === 0 ? t.ws : args[pi][k].ws);
          pasteNext = false;
          continue;
        }
        const a = pasteNext || nextIsPaste ? args[pi] : expArg(pi);
        if (a.length === 0) {
          if (pasteNext) pasteNext = false;
          continue;
        }
        for (let k = 0; k < a.length; k++) {
          this.emit(out, a[k], k === 0 && pasteNext, k === 0 ? t.ws : a[k].ws);
        }
        pasteNext = false;
        continue;
      }
      this.emit(out, t, pasteNext, t.ws);
      pasteNext = false;
    }
    for (let k = 0; k < out.length; k++) {
      const o = out[k];
      const h = o.hs && o.hs !== hs ? hsUnion(o.hs, hs) : hs;
      out[k] = { t: o.t, k: o.k, ws: k === 0 ? ws : o.ws, line: inv.sl, col: inv.sc, inv, hs: h };
    }
    return out;
  }

  private emit(out: PPTok[], t: PPTok, paste: boolean, ws: boolean): void {
    if (paste && out.length) {
      const prev = out[out.length - 1];
      const text = prev.t + t.t;
      // In assembler-with-cpp mode an invalid paste is allowed: the text is simply joined.
      const k: PPKind = /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? 'id' : /^[0-9][A-Za-z0-9_.]*$/.test(text) ? 'num' : 'other';
      out[out.length - 1] = { ...prev, t: text, k, hs: undefined };
      return;
    }
    out.push(t.ws === ws ? t : { ...t, ws });
  }

  /**
   * Changes whenever what an expansion gives may change: a macro defined or removed, __COUNTER__
   * read. expandText's answers hold while it stays.
   */
  private generation = 0;
  /** Moves on whenever what a name expands to may have changed (a definition, a removal, __COUNTER__). */
  get macroGeneration(): number {
    return this.generation;
  }
  private expanded = new Map<string, { generation: number; limit: number; text: string }>();

  /** Expands `text` (one line) with the current macros; used for text that builtins assemble. */
  expandText(text: string, limit = MAX_LINE_TOKENS): string {
    if (!/[A-Za-z_]/.test(text)) return text;
    // (the built-in macros' lines are expanded at every invocation: the same text, the same
    // macros, the same answer — unless the expansion itself said something or changed a macro)
    const hit = this.expanded.get(text);
    if (hit && hit.generation === this.generation && hit.limit === limit) return hit.text;
    const generation = this.generation;
    const said = this.diagnostics.length;
    const out = this.expandTextAfresh(text, limit);
    if (this.generation === generation && this.diagnostics.length === said) this.expanded.set(text, { generation, limit, text: out });
    return out;
  }

  private expandTextAfresh(text: string, limit: number): string {
    const toks = tokenizeFile(text).flatMap((l) => l.toks);
    const out = this.expandTokens(toks, undefined, undefined, false, undefined, limit);
    let s = '';
    let prev: PPTok | undefined;
    for (const t of out) {
      if (prev && (t.ws || needsSpace(prev, t))) s += ' ';
      s += t.t;
      prev = t;
    }
    return s;
  }
}

const SYMBOL_DIRECTIVES = new Set(['equ', 'set', 'equiv', 'eqv']);

/** The next identifier is the symbol a `.equ`/`.set`/`.equiv`/`.eqv` or `NAME =` statement defines. */
function definesSymbol(out: PPTok[], stack: PPTok[]): boolean {
  const n = out.length;
  const atStart = (i: number) => i < 0 || out[i].t === ';';
  if (n >= 2 && SYMBOL_DIRECTIVES.has(out[n - 1].t) && !out[n - 1].ws && out[n - 2].t === '.' && atStart(n - 3)) return true;
  const next = stack[stack.length - 1];
  const after = stack[stack.length - 2];
  return atStart(n - 1) && next !== undefined && next.t === '=' && !(after && after.t === '=' && !after.ws);
}

// Hide sets are shared: one Set object per (parent set, added name), so deep or repeated
// expansions do not copy them.
const hsChildren = new WeakMap<ReadonlySet<string>, Map<string, ReadonlySet<string>>>();
const hsRoots = new Map<string, ReadonlySet<string>>();

function hsAdd(base: ReadonlySet<string> | undefined, name: string): ReadonlySet<string> {
  if (base?.has(name)) return base;
  if (hsRoots.size > 50_000) hsRoots.clear(); // keep a long-running server bounded
  const children = base ? hsChildren.get(base) ?? new Map<string, ReadonlySet<string>>() : hsRoots;
  let s = children.get(name);
  if (!s) {
    const n = new Set(base ?? []);
    n.add(name);
    s = n;
    children.set(name, s);
    if (base) hsChildren.set(base, children);
  }
  return s;
}

function hsUnion(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  let r = b;
  for (const x of a) r = hsAdd(r, x);
  return r;
}

/** Two adjacent tokens that would lex as one need a space between them. */
function needsSpace(a: PPTok, b: PPTok): boolean {
  const x = a.t.charCodeAt(a.t.length - 1);
  const y = b.t.charCodeAt(0);
  if (isIdChar(x) && isIdChar(y)) return true;
  if (a.k === 'punct' && b.k === 'punct') {
    const two = a.t.slice(-1) + b.t[0];
    return PUNCT2.has(two) || two === '//' || two === '/*';
  }
  return false;
}
