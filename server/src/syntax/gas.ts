// The assembler stage: GNU as statements in AT&T syntax, after the C preprocessor.
// Labels, instructions with operands, directives, .macro/.irp/.rept, .if family, .set/.equ/=,
// sections, .error/.warning; numeric labels resolved per statement.
//
// Limits (each reported as a `parse` error at the invocation the user wrote):
//   - macro nesting depth (a macro expanding itself, directly or not): MAX_MACRO_DEPTH
//   - one .rept count: MAX_REPT
//   - statements produced by expansion in one program: MAX_EXPANDED
//   - .include nesting: MAX_INCLUDE_DEPTH; .includes in all: MAX_INCLUDES
import type {
  AlternativeGroup, AlternativeTag, ExceptionTableEntry, Expr, Location, MacroExpansion, Operand, Origin,
  Range, Statement, SymbolInfo, SyntaxDiagnostic,
} from './types';
import { decodeString, lex, type LexError, type Tok } from './lexer';
import { evalExpr, exprText, parseExprTokens, registerValue } from './expr';
import { isBranchMnemonic, parseOperand, type OperandContext } from './operands';
import { macrosIn, mapRange, outermost, type LogicalLine } from './source';
import { PRELUDE_FILE } from './prelude';

export const MAX_MACRO_DEPTH = 100;
export const MAX_REPT = 100_000;
export const MAX_EXPANDED = 100_000;
export const MAX_INCLUDE_DEPTH = 100;
/** `.include`s in one file, all together (a file that includes itself twice doubles per level). */
export const MAX_INCLUDES = 2000;

export interface MacroParam {
  name: string;
  def?: string;
  req?: boolean;
  vararg?: boolean;
}
export interface MacroDef {
  name: string;
  params: MacroParam[];
  body: LogicalLine[];
  loc: Location;
  /** Defined by the built-in prelude: a later definition replaces it silently. */
  weak: boolean;
}

export interface MacroCall {
  name: string;
  /** Positional arguments, quotes removed. */
  args: string[];
  /** name=value arguments. */
  named: Map<string, string>;
  /** The argument text as written. */
  argText: string;
  origin: Origin;
  loc: Location;
  line: LogicalLine;
}

/** A macro implemented by the model itself (ALTERNATIVE family, static branches, ...). */
export type BuiltinMacro = (asm: Assembler, call: MacroCall) => void;

const PREFIXES = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'data16', 'data32', 'addr32', 'addr16', 'rex64', 'notrack', 'xacquire', 'xrelease', 'bnd', 'cs', 'ds', 'es', 'fs', 'gs', 'ss']);
const PURE_PREFIXES = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'data16', 'data32', 'addr32', 'addr16', 'rex64', 'notrack', 'xacquire', 'xrelease', 'bnd']);

const COND_START = new Set(['.if', '.ifdef', '.ifndef', '.ifnotdef', '.ifb', '.ifnb', '.ifc', '.ifnc', '.ifeq', '.ifne', '.ifgt', '.ifge', '.iflt', '.ifle', '.ifeqs', '.ifnes']);
const DATA_DIRECTIVES = new Set(['.byte', '.word', '.short', '.hword', '.value', '.long', '.int', '.quad', '.octa', '.2byte', '.4byte', '.8byte', '.dc.b', '.dc.w', '.dc.l', '.dc.a']);
const EXPR_DIRECTIVES = new Set(['.align', '.balign', '.p2align', '.balignw', '.balignl', '.p2alignw', '.p2alignl', '.skip', '.space', '.org', '.fill', '.zero']);
const STRING_DIRECTIVES = new Set(['.ascii', '.asciz', '.string', '.string8']);

interface Cond {
  /** This branch is being assembled. */
  active: boolean;
  /** Some branch of this .if has been taken. */
  taken: boolean;
  /** The enclosing context is active. */
  outer: boolean;
  elseSeen: boolean;
  loc: Location;
  /** Main-file line where the current inactive stretch began (for inactiveRanges). */
  inactiveFrom?: number;
}

interface Capture {
  kind: 'macro' | 'rept' | 'irp' | 'irpc';
  depth: number;
  body: LogicalLine[];
  loc: Location;
  origin: Origin;
  line: LogicalLine;
  // macro
  def?: MacroDef;
  // rept/irp
  count?: number;
  param?: string;
  values?: string[];
}

/**
 * A use of a numeric local label (`1f`, `2b`): its node in the statement is named when the
 * statement is kept, `1#k` for the k-th definition of `1:` it means (the last before, or the next),
 * and never changed after (a parse may share the statement with the next: incremental.ts).
 */
interface NumericRef {
  node: { kind: 'sym'; name: string };
  label: string;
  dir: 'f' | 'b';
  stmt: number;
  /** The definition meant (its ordinal), 0 for a `b` with none before. */
  k: number;
  /** The name as written, kept when no such definition exists. */
  written: string;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 12 || c === 11;
}

function trimSlice(text: string, start: number, end: number): [number, number] {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return [start, end];
}

/** Splits a line's text at `;` outside strings and character constants. */
export function splitStatements(text: string): [number, number][] {
  if (text.indexOf(';') < 0) return [[0, text.length]];
  const out: [number, number][] = [];
  let s = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        i++;
      }
    } else if (c === "'") {
      if (text[i + 1] === '\\') i += 2;
      else i += 1;
      if (text[i + 1] === "'") i++;
    } else if (c === ';') {
      out.push([s, i]);
      s = i + 1;
    }
  }
  out.push([s, text.length]);
  return out;
}

/** Operators whose neighbouring blanks GNU as removes before it reads macro arguments. */
const JOINING = new Set(['+', '|', '&', '^', '<', '>', '!', '~', '=']);
const SQUEEZE = /\s+(?=[+|&^<>!~=])|(?<=[+|&^<>!~=])\s+/g;

/** Splits GAS macro arguments: separated by commas and/or blanks; quotes and parentheses group. */
export function splitMacroArgs(text: string): { raw: string; value: string; quoted: boolean }[] {
  const args: { raw: string; value: string; quoted: boolean }[] = [];
  let i = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  skipWs();
  while (i < n) {
    const start = i;
    let depth = 0;
    let quoted = false;
    if (text[i] === ',') {
      // An empty argument.
      args.push({ raw: '', value: '', quoted: false });
      i++;
      skipWs();
      continue;
    }
    while (i < n) {
      const c = text[i];
      if (c === '"') {
        quoted = true;
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\') i++;
          i++;
        }
        i++;
        continue;
      }
      if (c === '(' || c === '[') depth++;
      else if ((c === ')' || c === ']') && depth > 0) depth--;
      else if (depth === 0 && (c === ',' || /\s/.test(c))) {
        // GNU as squeezes blanks next to most operators before it splits arguments, so
        // `1 + 2`, `a = 5`, `1 << 2` stay one argument (but `1 - 1` and `a * b` are three).
        if (/\s/.test(c)) {
          let k = i;
          while (k < n && /\s/.test(text[k])) k++;
          const prev = text[i - 1];
          const next = text[k];
          if (k < n && next !== ',' && (JOINING.has(next) || (i > start && JOINING.has(prev)) || prev === ')')) {
            i = k;
            continue;
          }
        }
        break;
      }
      i++;
    }
    if (i > n) i = n;
    const raw = text.slice(start, i);
    let value = raw.indexOf('"') < 0 ? raw.replace(SQUEEZE, '').replace(/\)\s+/g, ')').replace(/\s+\)/g, ')') : raw;
    const eq = /^([A-Za-z_.$][\w.$]*)\s*=\s*/.exec(raw);
    const valPart = eq ? raw.slice(eq[0].length) : raw;
    if (/^"(?:[^"\\]|\\.)*"$/.test(valPart)) {
      value = (eq ? raw.slice(0, eq[0].length) : '') + decodeMacroString(valPart);
    }
    args.push({ raw, value, quoted: quoted && /^"/.test(valPart) });
    skipWs();
    if (text[i] === ',') {
      i++;
      skipWs();
      if (i >= n) args.push({ raw: '', value: '', quoted: false });
    }
  }
  return args;
}

/** GAS removes the quotes of a quoted macro argument; `\"` stands for a quote. */
function decodeMacroString(s: string): string {
  return s.slice(1, -1).replace(/\\"/g, '"');
}

export class Assembler {
  statements: Statement[] = [];
  diagnostics: SyntaxDiagnostic[] = [];
  symbols: SymbolInfo[] = [];
  labels = new Map<string, number>();
  constants = new Map<string, bigint>();
  /** .set symbols whose value is not constant (aliases), by name → expression. */
  symbolExprs = new Map<string, Expr>();
  inactiveRanges: Range[] = [];
  macroExpansions: MacroExpansion[] = [];
  alternatives: AlternativeGroup[] = [];
  exceptionTable: ExceptionTableEntry[] = [];
  macros = new Map<string, MacroDef>();
  builtins = new Map<string, BuiltinMacro>();
  /** The main file names the 3.x-4.0 per-CPU `kernel_stack` (see ER_GET_THREAD_INFO). */
  usesKernelStackVar = false;
  /** Applies the C preprocessor's object-like macros to text made by builtins (may be unset). */
  cppExpand?: (text: string) => string;
  /** Resolves `.include "file"`; returns the file's lines or undefined. */
  includeFile?: (name: string, from: Origin) => LogicalLine[] | undefined;

  mainFile: string;
  private conds: Cond[] = [];
  private capture?: Capture;
  private macroDepth = 0;
  private includeDepth = 0;
  private includes = 0;
  private expansionCounter = 0;
  private expanded = 0;
  private expansionLimitHit = false;
  private exitMacro = false;
  private section = '.text';
  private prevSection = '.text';
  private sectionStack: [string, string][] = [];
  private pendingPrefixes: string[] = [];
  private numericDefs = new Map<string, number[]>();
  private numericCount = new Map<string, number>();
  private numericRefs: NumericRef[] = [];
  /** The numeric-label uses of the statement being read, named when it is kept (push). */
  private stagedRefs: Omit<NumericRef, 'k' | 'written'>[] = [];
  private altTag?: AlternativeTag;
  private nextGroup = 0;
  private labelSites = new Map<string, Location>();

  constructor(mainFile: string) {
    this.mainFile = mainFile;
  }

  /**
   * Nothing emitted (statements, labels, ALTERNATIVE sites, exception-table entries) and nothing
   * open that a later line continues (a macro body, an .if, an ALTERNATIVE): a state a saved copy
   * may stand for (parse.ts, the preamble cache), since what it holds is never changed later.
   */
  get quiescent(): boolean {
    return (
      this.statements.length === 0 && this.labels.size === 0 && this.alternatives.length === 0 && this.exceptionTable.length === 0 && this.pendingExtable.length === 0 &&
      this.numericRefs.length === 0 && !this.capture && this.conds.length === 0 && this.macroDepth === 0 && this.includeDepth === 0 && !this.altTag
    );
  }

  /**
   * Nothing open that the next line continues (a macro or repeat body, an .if, an ALTERNATIVE, a
   * macro or an include being read, a prefix waiting for its instruction): a main-file line here
   * may be a checkpoint of an incremental parse (incremental.ts).
   */
  get idle(): boolean {
    return !this.capture && this.conds.length === 0 && this.macroDepth === 0 && this.includeDepth === 0 && !this.altTag && this.pendingPrefixes.length === 0 && !this.exitMacro;
  }

  // ---- diagnostics and locations -------------------------------------------------------------

  private isMainLine(line: LogicalLine): boolean {
    return !line.origin.parent && line.origin.kind === 'source';
  }

  /** Origin of text [start, end) of a line. */
  originOf(line: LogicalLine, start: number, end: number): Origin {
    // An expanded line maps as a whole: its own origin is the statement's.
    if (line.segs.length === 0 && line.origin.parent) return line.origin;
    const range = mapRange(line, start, end);
    const here: Origin = { ...line.origin, loc: { file: line.file, range } };
    if (this.isMainLine(line)) {
      const macros = macrosIn(line, start, end);
      if (macros.length > 0 && macros[0].def) {
        return { loc: macros[0].def, kind: 'macro', name: macros[0].macro, parent: here };
      }
    }
    return here;
  }

  locOf(line: LogicalLine, start: number, end: number): Location {
    if (this.isMainLine(line)) return { file: line.file, range: mapRange(line, start, end) };
    return outermost(line.origin).loc;
  }

  error(loc: Location, message: string, severity: SyntaxDiagnostic['severity'] = 'error'): void {
    // One diagnostic per location and message (a macro body error repeats per invocation).
    if (this.diagnostics.length < 2000 && !this.diagnostics.some((d) => d.message === message && d.loc.file === loc.file &&
      d.loc.range.start.line === loc.range.start.line && d.loc.range.start.character === loc.range.start.character)) {
      this.diagnostics.push({ code: 'parse', severity, message, loc });
    }
  }

  // ---- driving -------------------------------------------------------------------------------

  /** Feeds one logical line. */
  feed(line: LogicalLine): void {
    for (const [s, e] of splitStatements(line.text)) {
      if (this.exitMacro) return;
      const [a, b] = trimSlice(line.text, s, e);
      this.statement(line, a, b);
    }
    if (this.isMainLine(line)) this.noteInactiveLine(line);
  }

  /** Marks main-file lines inside a false GAS conditional. */
  private noteInactiveLine(line: LogicalLine): void {
    const active = this.conds.every((c) => c.active);
    const l = line.origin.loc.range.start.line;
    if (!active) {
      const last = this.inactiveRanges[this.inactiveRanges.length - 1];
      const endL = line.origin.loc.range.end.line;
      const endC = line.origin.loc.range.end.character;
      if (last && last.end.line >= l - 1 && last.end.line <= l) {
        last.end = { line: endL, character: endC };
      } else if (!line.text.trim().startsWith('.if') || this.conds.length > 1) {
        this.inactiveRanges.push({ start: { line: l, character: 0 }, end: { line: endL, character: endC } });
      }
    }
  }

  /** Checks that everything opened was closed; resolves numeric labels. */
  finish(): void {
    if (this.capture) {
      const c = this.capture;
      const what = c.kind === 'macro' ? '.macro' : '.' + c.kind;
      const close = c.kind === 'macro' ? '.endm' : '.endr';
      this.error(c.loc, `unterminated ${what} started at line ${c.loc.range.start.line + 1}: expected '${close}'`);
      this.capture = undefined;
    }
    for (const c of this.conds) {
      this.error(c.loc, `unterminated .if started at line ${c.loc.range.start.line + 1}: expected '.endif'`);
    }
    this.conds = [];
    this.resolveNumeric();
  }

  private resolveNumeric(): void {
    let copied = false;
    for (const r of this.numericRefs) {
      if (r.k >= 1 && (this.numericCount.get(r.label) ?? 0) >= r.k) continue;
      const st = this.statements[r.stmt];
      this.error(st.loc, r.dir === 'b'
        ? `undefined local label '${r.label}b': expected a '${r.label}:' before this statement`
        : `undefined local label '${r.label}f': expected a '${r.label}:' after this statement`);
      // the use keeps its written name, in a copy of the statement (the node may be shared), in a
      // copy of the list (an incremental parse keeps the statements as they were before the end)
      if (r.node.name === r.written) continue;
      if (!copied) this.statements = this.statements.slice();
      copied = true;
      this.statements[r.stmt] = { ...st, operands: replaceNode(st.operands, r.node, { ...r.node, name: r.written }) };
    }
  }

  // ---- one statement -------------------------------------------------------------------------

  private statement(line: LogicalLine, start: number, end: number): void {
    const text = line.text;
    if (start >= end) return;
    if (this.stagedRefs.length) this.stagedRefs = [];
    if (this.capture) {
      this.captureStatement(line, start, end);
      return;
    }
    // a body line expanded to the same text as before (every round of a .rept, a macro invoked
    // with the same arguments) has its tokens already; any other text is lexed
    const span = start * 0x100000 + end;
    const hit = line.lexed?.get(span);
    const lexErrors: LexError[] = hit ? hit.errors : [];
    const toks: Tok[] = hit ? hit.toks : lex(text, start, end, lexErrors);
    if (!hit) line.lexed?.set(span, { toks, errors: lexErrors });
    if (toks.length === 0) return;
    const active = this.conds.length === 0 || this.conds[this.conds.length - 1].active;
    // Labels.
    let i = 0;
    if (active) {
      while (i + 1 < toks.length && (toks[i].k === 'id' || (toks[i].k === 'num' && /^\d+$/.test(toks[i].s))) && toks[i + 1].s === ':' && toks[i + 1].k === 'op') {
        this.defineLabel(toks[i], line);
        i += 2;
      }
    } else {
      while (i + 1 < toks.length && (toks[i].k === 'id' || toks[i].k === 'num') && toks[i + 1].s === ':') i += 2;
    }
    if (i >= toks.length) return;
    const first = toks[i];
    const stmtStart = first.start;
    if (first.k !== 'id') {
      if (!active) return;
      if (first.k === 'num' && i + 1 < toks.length && toks[i + 1].s === ':') return;
      this.error(this.locOf(line, first.start, first.end), `expected an instruction, directive or label, found '${printable(first.s)}'`);
      return;
    }
    const name = first.s;
    const lname = name.toLowerCase();
    if (lname.startsWith('.') && (COND_START.has(lname) || lname === '.else' || lname === '.elseif' || lname === '.endif')) {
      this.conditional(lname, toks, i, line, stmtStart, end);
      return;
    }
    if (!active) return;
    if (lexErrors.length) {
      const e = lexErrors[0];
      this.error(this.locOf(line, e.offset, Math.max(e.end, e.offset + 1)), e.message);
      return;
    }
    // Assignment: sym = expr
    if (i + 1 < toks.length && toks[i + 1].k === 'op' && toks[i + 1].s === '=') {
      this.assign(name, toks, i + 2, line, stmtStart, end, first);
      return;
    }
    const macro = this.macros.get(lname);
    if (macro) {
      this.invokeMacro(macro, line, stmtStart, end, first.end);
      return;
    }
    const builtin = this.builtins.get(name);
    if (builtin) {
      this.invokeBuiltin(name, builtin, line, stmtStart, end, first.end);
      return;
    }
    if (lname.startsWith('.')) {
      this.directive(lname, toks, i, line, stmtStart, end);
      return;
    }
    this.instruction(toks, i, line, stmtStart, end);
  }

  private defineLabel(t: Tok, line: LogicalLine): void {
    const loc = this.locOf(line, t.start, t.end + 1);
    const origin = this.originOf(line, t.start, t.end + 1);
    let name = t.s;
    let written: string | undefined;
    if (t.k === 'num') {
      written = t.s;
      const k = (this.numericCount.get(t.s) ?? 0) + 1;
      this.numericCount.set(t.s, k);
      name = `${t.s}#${k}`;
      const defs = this.numericDefs.get(t.s) ?? [];
      defs.push(this.statements.length);
      this.numericDefs.set(t.s, defs);
    } else if (this.labels.has(name)) {
      const prev = this.labelSites.get(name);
      this.error(loc, `symbol '${name}' is already defined${prev && prev.file === this.mainFile ? ` at line ${prev.range.start.line + 1}` : ''}`);
      return;
    }
    const st: Statement = { kind: 'label', name, operands: [], loc, origin, section: this.section, text: `${t.s}:` };
    if (written !== undefined) st.written = written;
    if (this.altTag) st.alternative = { ...this.altTag };
    this.labels.set(name, this.statements.length);
    this.labelSites.set(name, origin.loc);
    if (t.k !== 'num') this.symbols.push({ name, kind: 'label', loc: definitionSite(origin) });
    this.push(st);
  }

  private push(st: Statement): void {
    for (const r of this.stagedRefs) {
      const count = this.numericCount.get(r.label) ?? 0;
      const k = r.dir === 'b' ? count : count + 1;
      const written = r.node.name;
      if (k >= 1) r.node.name = `${r.label}#${k}`;
      this.numericRefs.push({ ...r, k, written });
    }
    if (this.stagedRefs.length) this.stagedRefs = [];
    this.statements.push(st);
    this.track(st);
  }

  // ---- location counter ------------------------------------------------------------------------
  // `.` as GNU as knows it while assembling: an offset within the current fragment of a section.
  // A fragment ends at an alignment (its padding depends on the final address), so differences
  // are exact between points of one fragment, as in GNU as. Instruction encodings are not
  // modelled, so after an instruction `.` is unknown until the next fragment starts (GNU as would
  // know it): enough for `.rept NR - ((. - table) / 8)` and `.if . - table != PAGE_SIZE` over
  // the data tables real entry files pad and check.

  /** Section → current fragment and offset of `.` in it (undefined once unknown). */
  private dot = new Map<string, { frag: number; off: bigint | undefined }>();
  private fragCount = 0;
  /** Label → fragment and offset, for labels defined where `.` was known. */
  private labelOffsets = new Map<string, { frag: number; off: bigint }>();

  private sectionKey(): string {
    // (asked for every statement: split once per section name)
    if (this.sectionKeyOf !== this.section) {
      this.sectionKeyOf = this.section;
      this.sectionKeyText = this.section.split(',')[0].trim();
    }
    return this.sectionKeyText;
  }
  private sectionKeyOf = '';
  private sectionKeyText = '';
  /** The last text each macro or repeat body line expanded to, and its statements' tokens. */
  private bodyTokens = new WeakMap<LogicalLine, { text: string; lexed: Map<number, { toks: Tok[]; errors: LexError[] }> }>();

  private dotOf(sec: string): { frag: number; off: bigint | undefined } {
    let d = this.dot.get(sec);
    if (!d) {
      d = { frag: ++this.fragCount, off: 0n };
      this.dot.set(sec, d);
    }
    return d;
  }

  private track(st: Statement): void {
    if (st.alternative && st.alternative.arm !== 0) return; // other arms are patched in at boot
    const d = this.dotOf(this.sectionKey());
    if (st.kind === 'label') {
      if (d.off !== undefined) this.labelOffsets.set(st.name, { frag: d.frag, off: d.off });
      return;
    }
    if (st.kind === 'instruction') {
      d.off = undefined;
      return;
    }
    if (ALIGN_DIRECTIVES.has(st.name)) {
      d.frag = ++this.fragCount;
      d.off = 0n;
      return;
    }
    if (d.off === undefined) return;
    const size = directiveSize(st);
    if (size === null) return; // no bytes
    d.off = size === undefined ? undefined : d.off + size;
  }

  /** Evaluates with `.` and labels as fragment offsets: differences within one fragment are exact. */
  evaluateWithDot(e: Expr): bigint | undefined {
    const base = (frag: number): bigint => BigInt(frag) << 40n;
    const seen = new Set<string>();
    const lookup = (n: string): bigint | undefined => {
      const v = this.constants.get(n);
      if (v !== undefined) return v;
      if (n === '.') {
        const d = this.dotOf(this.sectionKey());
        return d.off === undefined ? undefined : base(d.frag) + d.off;
      }
      const l = this.labelOffsets.get(n);
      if (l) return base(l.frag) + l.off;
      if (n.charCodeAt(0) === 37 /* % */) return registerValue(n);
      const alias = this.symbolExprs.get(n);
      if (alias && !seen.has(n) && seen.size < 256) {
        seen.add(n);
        return evalExpr(alias, lookup);
      }
      return undefined;
    };
    return evalExpr(e, lookup);
  }

  private opContext(line: LogicalLine): OperandContext {
    return {
      text: line.text,
      range: this.isMainLine(line) ? (s, e) => mapRange(line, s, e) : () => outermost(line.origin).loc.range,
      lookup: (n) => this.constants.get(n),
      evaluate: (e) => this.evaluate(e),
    };
  }

  evaluate(e: Expr): bigint | undefined {
    const seen = new Set<string>();
    const lookup = (n: string): bigint | undefined => {
      const v = this.constants.get(n);
      if (v !== undefined) return v;
      if (n.charCodeAt(0) === 37 /* % */) return registerValue(n);
      const alias = this.symbolExprs.get(n);
      if (alias && !seen.has(n) && seen.size < 256) {
        seen.add(n);
        return evalExpr(alias, lookup);
      }
      return undefined;
    };
    return evalExpr(e, lookup);
  }

  /** Splits toks[a..b) at top-level commas. */
  private splitCommas(toks: Tok[], a: number, b: number): [number, number][] {
    const parts: [number, number][] = [];
    let depth = 0;
    let s = a;
    for (let j = a; j < b; j++) {
      const t = toks[j];
      if (t.k !== 'op') continue;
      if (t.s === '(') depth++;
      else if (t.s === ')') depth--;
      else if (t.s === ',' && depth === 0) {
        parts.push([s, j]);
        s = j + 1;
      }
    }
    parts.push([s, b]);
    return parts;
  }

  private operands(toks: Tok[], a: number, b: number, line: LogicalLine, mode: 'branch' | 'insn' | 'directive', stmtEnd: number): Operand[] | undefined {
    if (a >= b) return [];
    const ctx = this.opContext(line);
    const out: Operand[] = [];
    const refs: Omit<NumericRef, 'k' | 'written'>[] = [];
    const parts = this.splitCommas(toks, a, b);
    for (let p = 0; p < parts.length; p++) {
      const [s, e] = parts[p];
      if (s >= e) {
        const at = s < toks.length ? toks[s] : undefined;
        const prev = toks[s - 1];
        const msg = p === 0 ? "expected an operand before ','" : "expected an operand after ','";
        const off = prev ? prev.start : at ? at.start : stmtEnd;
        this.error(this.locOf(line, off, (prev ?? at)?.end ?? stmtEnd), msg);
        return undefined;
      }
      const r = parseOperand(toks, s, e, ctx, mode);
      if (!r.op) {
        const er = r.error ?? { message: 'expected an operand', start: toks[s].start, end: toks[e - 1].end };
        this.error(this.locOf(line, er.start, Math.max(er.end, er.start + 1)), er.message);
        return undefined;
      }
      for (const ref of r.refs) refs.push({ ...ref, stmt: this.statements.length });
      out.push(r.op);
    }
    // Only a statement that is kept refers to labels.
    this.stagedRefs.push(...refs);
    return out;
  }

  private instruction(toks: Tok[], i: number, line: LogicalLine, start: number, end: number): void {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(toks[i].s)) {
      this.error(this.locOf(line, toks[i].start, toks[i].end), `expected an instruction, directive or label, found '${toks[i].s}'`);
      return;
    }
    const prefixes = this.pendingPrefixes;
    this.pendingPrefixes = [];
    let mn = toks[i].s.toLowerCase();
    let j = i + 1;
    while (PREFIXES.has(mn) && j < toks.length && toks[j].k === 'id' && (PURE_PREFIXES.has(mn) || j + 1 >= toks.length || toks[j + 1].s !== ':')) {
      prefixes.push(mn);
      mn = toks[j].s.toLowerCase();
      j++;
    }
    if (PURE_PREFIXES.has(mn) && j >= toks.length) {
      // A prefix on its own (`lock; incl (%rax)`): it applies to the next instruction.
      this.pendingPrefixes = [...prefixes, mn];
      return;
    }
    if (j < toks.length && toks[j].k === 'op' && toks[j].s === ':' ) {
      this.error(this.locOf(line, toks[j].start, toks[j].end), `expected an operand after '${toks[j - 1].s}', found ':'`);
      return;
    }
    const written = toks[j - 1].s;
    if (/[A-Z]/.test(written) && toks.slice(j).some((t) => t.k === 'op' && t.s === '=')) {
      // `NAME arg=value` is a macro invocation; no macro of that name is defined.
      this.error(this.locOf(line, toks[j - 1].start, toks[j - 1].end), `unknown macro '${written}': no .macro or #define of that name (is its header missing?)`);
      return;
    }
    const mode = isBranchMnemonic(mn) ? 'branch' : 'insn';
    const ops = this.operands(toks, j, toks.length, line, mode, end);
    if (!ops) return;
    const origin = this.originOf(line, start, end);
    const st: Statement = { kind: 'instruction', name: mn, operands: ops, loc: outermost(origin).loc, origin, section: this.section, text: line.text.slice(start, end) };
    if (prefixes.length) st.prefixes = prefixes;
    if (this.altTag) st.alternative = { ...this.altTag };
    this.push(st);
  }

  // ---- directives ----------------------------------------------------------------------------

  private directive(name: string, toks: Tok[], i: number, line: LogicalLine, start: number, end: number): void {
    const argStart = i + 1 < toks.length ? toks[i + 1].start : end;
    const argText = line.text.slice(argStart, end);
    const loc = () => this.locOf(line, start, end);
    switch (name) {
      case '.macro':
        this.beginMacro(toks, i, line, start, end);
        return;
      case '.endm':
      case '.endmacro':
        this.error(loc(), `'${name}' without a matching '.macro'`);
        return;
      case '.exitm':
        if (this.macroDepth > 0) this.exitMacro = true;
        else this.error(loc(), "'.exitm' outside a macro");
        return;
      case '.purgem': {
        const n = argText.trim().replace(/^"|"$/g, '').toLowerCase();
        if (!this.macros.delete(n)) this.error(loc(), `'.purgem': no macro named '${argText.trim()}'`);
        return;
      }
      case '.rept':
      case '.irp':
      case '.irpc':
        this.beginRepeat(name, toks, i, line, start, end);
        return;
      case '.endr':
        this.error(loc(), "'.endr' without a matching '.rept', '.irp' or '.irpc'");
        return;
      case '.set':
      case '.equ':
      case '.equiv':
      case '.eqv': {
        const nt = toks[i + 1];
        if (!nt || nt.k !== 'id') {
          this.error(loc(), `expected a symbol name after '${name}'`);
          return;
        }
        const comma = toks[i + 2];
        if (!comma || comma.s !== ',') {
          this.error(this.locOf(line, nt.start, nt.end), `expected ',' after '${nt.s}' in '${name}'`);
          return;
        }
        if (name === '.equiv' && (this.constants.has(nt.s) || this.symbolExprs.has(nt.s) || this.labels.has(nt.s))) {
          this.error(loc(), `symbol '${nt.s}' is already defined ('.equiv' does not redefine)`);
          return;
        }
        this.assign(nt.s, toks, i + 3, line, start, end, nt);
        return;
      }
      case '.error':
      case '.err':
      case '.warning': {
        const msg = argText.trim() === '' ? (name === '.warning' ? '.warning directive invoked' : '.error directive invoked')
          : /^".*"$/s.test(argText.trim()) ? decodeString(argText.trim()) : argText.trim();
        this.error(loc(), msg, name === '.warning' ? 'warning' : 'error');
        return;
      }
      case '.print':
      case '.end':
        return;
      case '.include': {
        const m = /^\s*"([^"]*)"\s*$/.exec(argText);
        if (!m) {
          this.error(loc(), "expected a quoted file name after '.include'");
          return;
        }
        if (this.includeDepth >= MAX_INCLUDE_DEPTH) {
          this.error(loc(), `'.include' nested more than ${MAX_INCLUDE_DEPTH} deep (include cycle?)`);
          return;
        }
        if (++this.includes > MAX_INCLUDES) {
          if (this.includes === MAX_INCLUDES + 1) this.error(loc(), `'.include' stopped: more than ${MAX_INCLUDES} files included in one file (files that include each other?)`);
          return;
        }
        const origin = this.originOf(line, start, end);
        const lines = this.includeFile?.(m[1], origin);
        if (!lines) {
          this.error(loc(), `cannot find '.include' file "${m[1]}"`, 'warning');
          return;
        }
        this.includeDepth++;
        try {
          for (const l of lines) this.feed(l);
        } finally {
          this.includeDepth--;
        }
        return;
      }
      case '.text':
      case '.data':
      case '.bss':
        this.setSection(name + (argText.trim() ? ' ' + argText.trim() : ''));
        break;
      case '.section':
      case '.pushsection': {
        const sec = /^\s*("[^"]*"|[^\s,]+)/.exec(argText);
        if (!sec) {
          this.error(loc(), `expected a section name after '${name}'`);
          return;
        }
        if (name === '.pushsection') this.sectionStack.push([this.section, this.prevSection]);
        this.setSection(sec[1].replace(/^"|"$/g, ''));
        break;
      }
      case '.popsection': {
        const top = this.sectionStack.pop();
        if (!top) {
          this.error(loc(), "'.popsection' without a matching '.pushsection'");
          return;
        }
        [this.section, this.prevSection] = top;
        break;
      }
      case '.previous': {
        const cur = this.section;
        this.section = this.prevSection;
        this.prevSection = cur;
        break;
      }
      case '.subsection': {
        // `.subsection N`: GNU as places the code after the section's subsection 0 (Xen keeps
        // debug checks out of line this way); Statement.section says which, as `.text N` does.
        const r = parseExprTokens(toks, i + 1, toks.length);
        const n = r.expr ? this.evaluate(r.expr) : undefined;
        if (n === undefined) {
          this.error(loc(), "expected a constant subsection number after '.subsection'");
          return;
        }
        const base = this.section.replace(/\s+-?\d+$/, '');
        this.section = n === 0n ? base : `${base} ${n}`;
        break;
      }
    }
    // Emitted directives: arguments as operands.
    let ops: Operand[] | undefined = [];
    const strict = DATA_DIRECTIVES.has(name) || EXPR_DIRECTIVES.has(name) || STRING_DIRECTIVES.has(name);
    if (strict) {
      ops = this.operands(toks, i + 1, toks.length, line, 'directive', end);
      if (!ops) return;
      if (STRING_DIRECTIVES.has(name)) {
        for (const o of ops) {
          if (o.kind !== 'sym' || o.string === undefined) {
            this.error(this.locOf(line, argStart, end), `expected a string after '${name}'`);
            return;
          }
        }
      }
    } else {
      ops = this.looseOperands(toks, i + 1, line);
    }
    const origin = this.originOf(line, start, end);
    const st: Statement = { kind: 'directive', name, operands: ops, loc: outermost(origin).loc, origin, section: this.section, text: line.text.slice(start, end) };
    if (this.altTag) st.alternative = { ...this.altTag };
    this.push(st);
  }

  /** Directive arguments that need not be expressions (`.type foo, @function`, `.cfi_offset %rax, 8`). */
  private looseOperands(toks: Tok[], a: number, line: LogicalLine): Operand[] {
    const ops: Operand[] = [];
    const ctx = this.opContext(line);
    for (const [s, e] of this.splitCommas(toks, a, toks.length)) {
      if (s >= e) continue;
      const r = parseOperand(toks, s, e, ctx, 'directive');
      if (r.op) {
        ops.push(r.op);
        for (const ref of r.refs) this.stagedRefs.push({ ...ref, stmt: this.statements.length });
      } else {
        const text = line.text.slice(toks[s].start, toks[e - 1].end);
        ops.push({ kind: 'sym', expr: { kind: 'sym', name: text }, text, range: ctx.range(toks[s].start, toks[e - 1].end) });
      }
    }
    return ops;
  }

  private setSection(s: string): void {
    if (s !== this.section) {
      this.prevSection = this.section;
      this.section = s;
    }
  }

  private assign(name: string, toks: Tok[], a: number, line: LogicalLine, start: number, end: number, nameTok: Tok): void {
    if (a >= toks.length) {
      this.error(this.locOf(line, start, end), `expected an expression after '${name} ='`);
      return;
    }
    const r = parseExprTokens(toks, a, toks.length);
    if (!r.expr) {
      const er = r.error!;
      this.error(this.locOf(line, er.start, Math.max(er.end, er.start + 1)), er.message);
      return;
    }
    const origin = this.originOf(line, nameTok.start, nameTok.end);
    const v = this.evaluate(r.expr);
    if (v !== undefined) {
      this.constants.set(name, v);
      this.symbolExprs.delete(name);
    } else {
      this.constants.delete(name);
      this.symbolExprs.set(name, r.expr);
    }
    const info: SymbolInfo = { name, kind: 'constant', loc: definitionSite(origin), detail: exprText(r.expr) };
    if (v !== undefined) info.value = v;
    if (origin.kind === 'prelude' || (origin.parent && outermost(origin).kind === 'prelude')) info.builtin = true;
    this.symbols.push(info);
  }

  // ---- conditionals --------------------------------------------------------------------------

  private conditional(name: string, toks: Tok[], i: number, line: LogicalLine, start: number, end: number): void {
    const loc = this.locOf(line, start, end);
    const top = this.conds[this.conds.length - 1];
    const outerActive = this.conds.length === 0 || top.active;
    const argStart = i + 1 < toks.length ? toks[i + 1].start : end;
    const argText = line.text.slice(argStart, end);
    if (COND_START.has(name)) {
      const cond: Cond = { active: false, taken: false, outer: outerActive, elseSeen: false, loc };
      if (outerActive) {
        const v = this.evalCondition(name, toks, i + 1, argText, line, start, end);
        cond.active = v;
        cond.taken = v;
      } else {
        cond.taken = true; // never take a branch inside an inactive region
      }
      this.conds.push(cond);
      return;
    }
    if (!top) {
      this.error(loc, `'${name}' without a matching '.if'`);
      return;
    }
    if (name === '.endif') {
      this.conds.pop();
      return;
    }
    if (top.elseSeen) {
      this.error(loc, `'${name}' after '.else' (the .if at line ${top.loc.range.start.line + 1} already has its '.else')`);
      return;
    }
    if (name === '.else') {
      top.elseSeen = true;
      top.active = top.outer && !top.taken;
      top.taken = true;
      return;
    }
    // .elseif
    if (top.outer && !top.taken) {
      const v = this.evalCondition('.if', toks, i + 1, argText, line, start, end);
      top.active = v;
      top.taken = v;
    } else top.active = false;
  }

  private evalCondition(name: string, toks: Tok[], a: number, argText: string, line: LogicalLine, start: number, end: number): boolean {
    const loc = () => this.locOf(line, start, end);
    switch (name) {
      case '.ifdef':
      case '.ifndef':
      case '.ifnotdef': {
        const t = toks[a];
        if (!t || t.k !== 'id') {
          this.error(loc(), `expected a symbol name after '${name}'`);
          return false;
        }
        const def = this.constants.has(t.s) || this.symbolExprs.has(t.s) || this.labels.has(t.s);
        return name === '.ifdef' ? def : !def;
      }
      case '.ifb':
        return argText.trim() === '';
      case '.ifnb':
        return argText.trim() !== '';
      case '.ifc':
      case '.ifnc':
      case '.ifeqs':
      case '.ifnes': {
        const parts = splitCompareStrings(argText);
        if (!parts) {
          this.error(loc(), `expected two strings separated by ',' after '${name}'`);
          return false;
        }
        const eq = parts[0] === parts[1];
        return name === '.ifc' || name === '.ifeqs' ? eq : !eq;
      }
      default: {
        if (a >= toks.length) {
          this.error(loc(), `expected an expression after '${name}'`);
          return false;
        }
        const r = parseExprTokens(toks, a, toks.length, true);
        if (!r.expr) {
          const er = r.error!;
          this.error(this.locOf(line, er.start, Math.max(er.end, er.start + 1)), er.message);
          return false;
        }
        const v = this.evaluateWithDot(r.expr);
        if (v === undefined) {
          const unknown = firstUnknown(r.expr, (n) => this.constants.has(n) || this.symbolExprs.has(n));
          this.error(loc(), `non-constant expression in '${name}'${unknown ? `: '${unknown}' has no known value` : ''}`);
          return false;
        }
        switch (name) {
          case '.if': case '.ifne': return v !== 0n;
          case '.ifeq': return v === 0n;
          case '.ifgt': return v > 0n;
          case '.ifge': return v >= 0n;
          case '.iflt': return v < 0n;
          case '.ifle': return v <= 0n;
        }
        return false;
      }
    }
  }

  // ---- macros --------------------------------------------------------------------------------

  private beginMacro(toks: Tok[], i: number, line: LogicalLine, start: number, end: number): void {
    const nt = toks[i + 1];
    const loc = this.locOf(line, start, end);
    if (!nt || nt.k !== 'id') {
      this.error(loc, "expected a macro name after '.macro'");
      // Still swallow the body so its lines are not read as code.
      this.capture = { kind: 'macro', depth: 1, body: [], loc, origin: this.originOf(line, start, end), line };
      return;
    }
    let rest = line.text.slice(nt.end, end).trim();
    if (rest.startsWith(',')) rest = rest.slice(1);
    const params: MacroParam[] = [];
    // name[:req|:vararg][=default], separated by commas and/or blanks. An unquoted default runs to
    // the next comma outside parentheses/brackets, or to a blank there that follows a symbol
    // character: GNU as's input scrubber drops blanks inside brackets and after a closing one, so
    // `ftr2=ALT_NOT(X86_FEATURE_ALWAYS)` (after cpp `ftr2=((3*32+21) | (1 << 15))`) is one default,
    // and `a=(1 | 2) b=5` gives a the default `(1|2)b=5`, as GNU as does.
    const re = /\s*([A-Za-z_.$][\w.$]*)(?::(req|vararg))?/y;
    let p = 0;
    let bad = false;
    while (p < rest.length) {
      re.lastIndex = p;
      const m = re.exec(rest);
      if (!m || m[0].length === 0) {
        bad = true;
        break;
      }
      const prm: MacroParam = { name: m[1] };
      if (m[2] === 'req') prm.req = true;
      if (m[2] === 'vararg') prm.vararg = true;
      p = re.lastIndex;
      let q = p;
      while (q < rest.length && /\s/.test(rest[q])) q++;
      if (rest[q] === '=') {
        q++;
        while (q < rest.length && /\s/.test(rest[q])) q++;
        const from = q;
        if (rest[q] === '"') {
          q++;
          while (q < rest.length && rest[q] !== '"') q += rest[q] === '\\' ? 2 : 1;
          q = Math.min(q + 1, rest.length);
          prm.def = decodeMacroString(rest.slice(from, q));
        } else {
          let depth = 0;
          let def = '';
          while (q < rest.length) {
            const c = rest[q];
            if (/\s/.test(c)) {
              let r = q;
              while (r < rest.length && /\s/.test(rest[r])) r++;
              const before = rest[q - 1] ?? '';
              const after = rest[r] ?? '';
              const sym = (x: string) => /[\w.$]/.test(x);
              if (depth === 0 && !/[)\]]/.test(before)) break;
              if (sym(before) && sym(after)) def += ' ';
              q = r;
              continue;
            }
            if (c === '(' || c === '[') depth++;
            else if ((c === ')' || c === ']') && depth > 0) depth--;
            else if (depth === 0 && c === ',') break;
            def += c;
            q++;
          }
          prm.def = def;
        }
        p = q;
      }
      params.push(prm);
      while (p < rest.length && /\s/.test(rest[p])) p++;
      if (rest[p] === ',') p++;
      while (p < rest.length && /\s/.test(rest[p])) p++;
    }
    if (bad) this.error(loc, `expected macro parameters (name, name=default, name:req, name:vararg) after '.macro ${nt.s}'`);
    const origin = this.originOf(line, nt.start, nt.end);
    const weak = outermost(origin).kind === 'prelude';
    const def: MacroDef = { name: nt.s, params, body: [], loc: definitionSite(origin), weak };
    this.capture = { kind: 'macro', depth: 1, body: def.body, loc, origin, line, def };
  }

  private beginRepeat(name: string, toks: Tok[], i: number, line: LogicalLine, start: number, end: number): void {
    const loc = this.locOf(line, start, end);
    const origin = this.originOf(line, start, end);
    const cap: Capture = { kind: name.slice(1) as Capture['kind'], depth: 1, body: [], loc, origin, line };
    if (name === '.rept') {
      const r = parseExprTokens(toks, i + 1, toks.length);
      const v = r.expr ? this.evaluateWithDot(r.expr) : undefined;
      if (v === undefined) {
        this.error(loc, r.error ? `expected a constant count after '.rept': ${r.error.message}` : "expected a constant count after '.rept'");
        cap.count = 0;
      } else if (v > BigInt(MAX_REPT)) {
        this.error(loc, `'.rept ${v}' exceeds the repeat limit of ${MAX_REPT}; the block is skipped`);
        cap.count = 0;
      } else cap.count = v < 0n ? 0 : Number(v);
    } else {
      const argText = toks.length > i + 1 ? line.text.slice(toks[i + 1].start, end) : '';
      const m = /^([A-Za-z_.$][\w.$]*)\s*(?:,\s*)?(.*)$/s.exec(argText);
      if (!m) {
        this.error(loc, `expected a parameter name after '${name}'`);
        cap.values = [];
        cap.param = '';
      } else {
        cap.param = m[1];
        if (name === '.irp') {
          cap.values = m[2].trim() === '' ? [''] : splitMacroArgs(m[2]).map((x) => x.value);
        } else {
          const s = m[2].trim();
          cap.values = s === '' ? [''] : [...decodeMaybeQuoted(s)];
        }
      }
    }
    this.capture = cap;
  }

  private captureStatement(line: LogicalLine, start: number, end: number): void {
    const c = this.capture!;
    const m = /^(?:[A-Za-z_.$][\w.$]*:\s*)*(\.[A-Za-z_.$][\w.$]*)/.exec(line.text.slice(start, end));
    const d = m ? m[1].toLowerCase() : '';
    if (c.kind === 'macro') {
      if (d === '.macro') c.depth++;
      else if (d === '.endm' || d === '.endmacro') c.depth--;
    } else {
      if (d === '.rept' || d === '.irp' || d === '.irpc') c.depth++;
      else if (d === '.endr') c.depth--;
    }
    if (c.depth > 0) {
      c.body.push(sliceLine(line, start, end));
      return;
    }
    this.capture = undefined;
    if (c.kind === 'macro') {
      if (!c.def) return;
      const key = c.def.name.toLowerCase();
      if (this.builtins.has(c.def.name) || this.builtins.has(key.toUpperCase())) {
        // The model implements this macro itself (see prelude.ts): the header's body is not used.
        return;
      }
      const prev = this.macros.get(key);
      if (prev && !prev.weak) {
        this.error(c.loc, `macro '${c.def.name}' is already defined${prev.loc.file === this.mainFile ? ` at line ${prev.loc.range.start.line + 1}` : ''}`);
        return;
      }
      if (prev && prev.weak && c.def.weak) return;
      this.macros.set(key, c.def);
      this.symbols.push({ name: c.def.name, kind: 'macro', loc: c.def.loc, detail: macroSignature(c.def), ...(c.def.weak ? { builtin: true } : {}) });
      return;
    }
    this.runRepeat(c);
  }

  private runRepeat(c: Capture): void {
    if (this.macroDepth >= MAX_MACRO_DEPTH) {
      this.error(c.loc, `'.${c.kind}' nested more than ${MAX_MACRO_DEPTH} deep`);
      return;
    }
    const iterations: Map<string, string>[] = [];
    if (c.kind === 'rept') for (let k = 0; k < (c.count ?? 0); k++) iterations.push(new Map());
    else for (const v of c.values ?? []) iterations.push(new Map([[c.param!, v]]));
    const top = !c.origin.parent && c.origin.kind === 'source';
    const before = this.statements.length;
    this.macroDepth++;
    try {
      for (const subst of iterations) {
        if (!this.feedBody(c.body, subst, c.origin, '.' + c.kind, c.loc, true)) break;
      }
    } finally {
      this.macroDepth--;
    }
    if (top) this.recordExpansion(c.loc, '.' + c.kind, before);
  }

  /** Substitutes and feeds body lines; false when the expansion limit is hit. */
  private feedBody(body: LogicalLine[], subst: Map<string, string>, parent: Origin, name: string, loc: Location, repeat = false): boolean {
    const counter = String(this.expansionCounter);
    for (const bl of body) {
      if (this.expanded++ > MAX_EXPANDED) {
        if (!this.expansionLimitHit) {
          this.expansionLimitHit = true;
          this.error(loc, `expansion stopped: more than ${MAX_EXPANDED} statements produced by macros and repeats (runaway expansion?)`);
        }
        return false;
      }
      let text = substituteBody(bl.text, subst, counter);
      // A prelude macro stands in for a header the file includes after its own first headers
      // (FreeBSD's machine/asmacros.h after assym.inc): names defined since the prelude was read
      // get their values where it is invoked, as the header's body would have had them.
      if (bl.file === PRELUDE_FILE && this.cppExpand) text = this.cppExpand(text);
      let kept = this.bodyTokens.get(bl);
      if (!kept || kept.text !== text) this.bodyTokens.set(bl, (kept = { text, lexed: new Map() }));
      if (repeat && this.isMainLine(bl)) {
        // A .rept/.irp body written in the main file: its statements stay on the lines the
        // user wrote (exactly, when substitution left the text unchanged).
        this.feed({ text, segs: text === bl.text ? bl.segs : [], origin: bl.origin, file: bl.file, lexed: kept.lexed });
      } else {
        const origin: Origin = { loc: bl.origin.loc, kind: 'macro', name, parent };
        this.feed({ text, segs: [], origin, file: bl.file, lexed: kept.lexed });
      }
      if (this.exitMacro) break;
    }
    return true;
  }

  private invokeMacro(m: MacroDef, line: LogicalLine, start: number, end: number, nameEnd: number): void {
    const origin = this.originOf(line, start, end);
    const loc = outermost(origin).loc;
    if (this.macroDepth >= MAX_MACRO_DEPTH) {
      this.error(loc, `macro '${m.name}' nested more than ${MAX_MACRO_DEPTH} deep (recursive macro?)`);
      return;
    }
    const argText = line.text.slice(nameEnd, end);
    const subst = new Map<string, string>();
    const args = splitMacroArgs(argText);
    let pi = 0;
    const named = new Set<string>();
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      const eq = /^([A-Za-z_.$][\w.$]*)\s*=(?!=)\s*/.exec(a.raw);
      if (eq) {
        // A keyword argument (GNU as: NAME=VALUE always names a parameter).
        if (!m.params.some((p) => p.name === eq[1])) {
          this.error(loc, `macro '${m.name}' has no parameter named '${eq[1]}'${m.params.length ? ` (its parameters: ${m.params.map((p) => p.name).join(', ')})` : ''}`);
          return;
        }
        subst.set(eq[1], a.value.slice(a.value.indexOf('=') + 1).trimStart());
        named.add(eq[1]);
        continue;
      }
      while (pi < m.params.length && named.has(m.params[pi].name)) pi++;
      const p = m.params[pi];
      if (!p) {
        this.error(loc, `too many arguments to macro '${m.name}': expected at most ${m.params.length}`);
        return;
      }
      if (p.vararg) {
        subst.set(p.name, args.slice(k).map((x) => x.raw).join(', '));
        pi++;
        break;
      }
      subst.set(p.name, a.value);
      pi++;
    }
    for (const p of m.params) {
      if (!subst.has(p.name) || (subst.get(p.name) === '' && p.def !== undefined)) {
        if (p.req && !subst.has(p.name)) {
          this.error(loc, `missing value for required parameter '${p.name}' of macro '${m.name}'`);
          return;
        }
        subst.set(p.name, p.def ?? '');
      }
    }
    const top = this.isMainLine(line);
    const before = this.statements.length;
    const condDepth = this.conds.length;
    this.expansionCounter++;
    this.macroDepth++;
    let exited = false;
    try {
      this.feedBody(m.body, subst, origin, m.name, loc);
    } finally {
      this.macroDepth--;
      exited = this.exitMacro;
      this.exitMacro = false;
    }
    if (this.conds.length > condDepth) {
      // .exitm leaves the macro's open conditionals behind; otherwise the body lacks an .endif.
      if (!exited) this.error(loc, `unterminated .if inside macro '${m.name}': expected '.endif' before '.endm'`);
      this.conds.length = condDepth;
    }
    if (top) this.recordExpansion(loc, m.name, before);
  }

  private invokeBuiltin(name: string, fn: BuiltinMacro, line: LogicalLine, start: number, end: number, nameEnd: number): void {
    const origin = this.originOf(line, start, end);
    const loc = outermost(origin).loc;
    const argText = line.text.slice(nameEnd, end);
    const args: string[] = [];
    const named = new Map<string, string>();
    for (const a of splitMacroArgs(argText)) {
      const eq = /^([A-Za-z_.$][\w.$]*)\s*=\s*/.exec(a.raw);
      if (eq) named.set(eq[1], a.value.slice(a.value.indexOf('=') + 1).trimStart());
      else args.push(a.value);
    }
    const before = this.statements.length;
    this.expansionCounter++;
    fn(this, { name, args, named, argText, origin, loc, line });
    if (this.isMainLine(line)) this.recordExpansion(loc, name, before);
  }

  private recordExpansion(loc: Location, name: string, before: number): void {
    const text = this.statements.slice(before).map((s) => (s.kind === 'label' ? s.text ?? s.name + ':' : '\t' + (s.text ?? s.name))).join('\n');
    this.macroExpansions.push({ loc, name, text });
  }

  // ---- services for builtin macros -----------------------------------------------------------

  /** Opens an ALTERNATIVE-style group; returns its number. */
  beginAlternative(call: MacroCall, arms: { feature: string; text: string }[]): number {
    const group = this.nextGroup++;
    this.alternatives.push({ group, loc: call.loc, name: call.name, arms: arms.map((a, k) => ({ arm: k, feature: a.feature, text: a.text })) });
    return group;
  }

  /**
   * Assembles `text` (statements separated by ';' or newlines) as the expansion of a builtin,
   * tagged with `tag` when given. Object-like cpp macros in it are expanded first.
   */
  emitText(call: MacroCall, text: string, tag?: AlternativeTag): void {
    const saved = this.altTag;
    if (tag) this.altTag = tag;
    const depthOk = this.macroDepth < MAX_MACRO_DEPTH;
    if (!depthOk) {
      this.error(call.loc, `macro '${call.name}' nested more than ${MAX_MACRO_DEPTH} deep (recursive macro?)`);
      return;
    }
    this.macroDepth++;
    try {
      for (const raw of text.split('\n')) {
        const t = this.cppExpand ? this.cppExpand(raw) : raw;
        const origin: Origin = { loc: call.origin.loc, kind: 'macro', name: call.name, parent: call.origin };
        this.feed({ text: t, segs: [], origin, file: call.origin.loc.file });
      }
    } finally {
      this.macroDepth--;
      this.altTag = saved;
    }
  }

  /** Adds an exception-table entry (from → fixup). */
  addExtable(call: MacroCall, from: string, to: string): void {
    const entry = { from: from.trim(), to: to.trim(), kind: call.name, loc: call.loc };
    this.pendingExtable.push({ entry, stmt: this.statements.length, index: this.exceptionTable.length });
    this.exceptionTable.push(entry);
  }
  /** Each entry as written, with where it stands (its numeric labels are resolved at the end). */
  private pendingExtable: { entry: ExceptionTableEntry; stmt: number; index: number }[] = [];

  /** Resolves numeric label names in exception-table entries (after finish()), in new entries of a new list (an entry may be shared, the list kept). */
  resolveExtable(): void {
    if (this.pendingExtable.length) this.exceptionTable = this.exceptionTable.slice();
    for (const { entry, stmt, index } of this.pendingExtable) {
      const from = this.resolveLabelText(entry.from, stmt);
      const to = this.resolveLabelText(entry.to, stmt);
      this.exceptionTable[index] = from === entry.from && to === entry.to ? entry : { ...entry, from, to };
    }
  }

  private resolveLabelText(t: string, stmt: number): string {
    const m = /^(\d+)([bf])$/.exec(t);
    if (!m) return t;
    const defs = this.numericDefs.get(m[1]) ?? [];
    if (m[2] === 'b') {
      for (let i = defs.length - 1; i >= 0; i--) if (defs[i] < stmt) return this.statements[defs[i]].name;
    } else for (const d of defs) if (d >= stmt) return this.statements[d].name;
    return t;
  }

}

/**
 * Where go-to-definition should land for a symbol defined by text with this origin: the line in
 * a header or the prelude when it is written there directly, otherwise the place in the main
 * file the user wrote (the macro invocation, for a label made by ENTRY() or by a .macro).
 */
function definitionSite(origin: Origin): Location {
  if (origin.kind === 'include' || origin.kind === 'prelude') return origin.loc;
  return outermost(origin).loc;
}

/** Shows control characters as \xNN in messages. */
function printable(s: string): string {
  let out = '';
  for (const c of s) {
    const n = c.charCodeAt(0);
    out += n < 0x20 || n === 0x7f ? '\\x' + n.toString(16).padStart(2, '0') : c;
  }
  return out;
}

function sliceLine(line: LogicalLine, start: number, end: number): LogicalLine {
  if (line.segs.length === 0) {
    // An expanded line: it maps as a whole; keep its origin as it is.
    return start === 0 && end === line.text.length ? line : { text: line.text.slice(start, end), segs: [], origin: line.origin, file: line.file };
  }
  const segs = line.segs
    .filter((s) => s.out + s.len > start && s.out < end)
    .map((s) => {
      const cut = Math.max(0, start - s.out);
      return s.exact
        ? { ...s, out: Math.max(0, s.out - start), len: s.len - cut - Math.max(0, s.out + s.len - end), col: s.col + cut }
        : { ...s, out: Math.max(0, s.out - start), len: Math.min(s.out + s.len, end) - Math.max(s.out, start) };
    });
  const range = mapRange(line, start, end);
  return { text: line.text.slice(start, end), segs, origin: { ...line.origin, loc: { file: line.file, range } }, file: line.file };
}

/** Replaces \name, \() and \@ in a macro body line (inside strings too, as GNU as does). */
function substituteBody(text: string, subst: Map<string, string>, counter: string): string {
  let bs = text.indexOf('\\');
  if (bs < 0) return text;
  let out = '';
  let from = 0;
  while (bs >= 0) {
    out += text.slice(from, bs);
    const n = text[bs + 1];
    if (n === '(' && text[bs + 2] === ')') {
      from = bs + 3;
    } else if (n === '@') {
      out += counter;
      from = bs + 2;
    } else {
      let e = bs + 1;
      while (e < text.length && /[\w.$]/.test(text[e])) e++;
      // Longest parameter name that prefixes the identifier (GNU as takes the whole identifier).
      let name = /^[A-Za-z_.$]/.test(n ?? '') ? text.slice(bs + 1, e) : '';
      while (name.length > 0 && !subst.has(name)) name = name.slice(0, -1);
      if (name.length > 0) {
        out += subst.get(name);
        from = bs + 1 + name.length;
      } else {
        out += '\\';
        from = bs + 1;
      }
    }
    bs = text.indexOf('\\', from);
  }
  return out + text.slice(from);
}

function splitCompareStrings(s: string): [string, string] | undefined {
  const t = s.trim();
  const one = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^,]*?)\s*,\s*("(?:[^"\\]|\\.)*"|'[^']*'|.*?)$/s.exec(t);
  if (!one) return undefined;
  const norm = (x: string) => (x.startsWith('"') || x.startsWith("'") ? x.slice(1, -1) : x.trim());
  return [norm(one[1]), norm(one[2])];
}

function decodeMaybeQuoted(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s;
}

const DATA_SIZES: Record<string, number> = {
  '.byte': 1, '.dc.b': 1, '.word': 2, '.short': 2, '.hword': 2, '.value': 2, '.2byte': 2, '.dc.w': 2,
  '.long': 4, '.int': 4, '.4byte': 4, '.dc.l': 4, '.quad': 8, '.8byte': 8, '.dc.a': 8, '.octa': 16,
};
const ALIGN_DIRECTIVES = new Set(['.align', '.balign', '.p2align', '.balignw', '.balignl', '.p2alignw', '.p2alignl']);
/** Directives that place no bytes in the current section. */
const NO_BYTES = new Set([
  '.globl', '.global', '.local', '.weak', '.hidden', '.protected', '.internal', '.type', '.size', '.set', '.equ', '.equiv', '.eqv',
  '.text', '.data', '.bss', '.section', '.pushsection', '.popsection', '.previous', '.file', '.loc', '.ident', '.print',
  '.error', '.warning', '.code64', '.code32', '.intel_syntax', '.att_syntax', '.att_mnemonic', '.nops',
]);

function operandValue(o: Operand | undefined): bigint | undefined {
  return o && (o.kind === 'imm' || o.kind === 'sym') ? o.value : undefined;
}

/**
 * Bytes a (non-alignment) directive places: a number, null for none, undefined when not known
 * (which makes `.` unknown from there on).
 */
function directiveSize(st: Statement): bigint | null | undefined {
  const n = st.name;
  if (NO_BYTES.has(n) || n.startsWith('.cfi_')) return null;
  const unit = DATA_SIZES[n];
  if (unit !== undefined) return BigInt(unit * st.operands.length);
  if (n === '.ascii' || n === '.asciz' || n === '.string' || n === '.string8') {
    let total = 0n;
    for (const o of st.operands) {
      if (o.kind !== 'sym' || o.string === undefined) return undefined;
      total += BigInt(Buffer.byteLength(o.string, 'latin1')) + (n === '.ascii' ? 0n : 1n);
    }
    return total;
  }
  if (n === '.skip' || n === '.space' || n === '.zero') return operandValue(st.operands[0]);
  if (n === '.fill') {
    const count = operandValue(st.operands[0]);
    const size = st.operands.length > 1 ? operandValue(st.operands[1]) : 1n;
    return count === undefined || size === undefined ? undefined : count * (size > 8n ? 8n : size);
  }
  return undefined;
}

function firstUnknown(e: Expr, known: (n: string) => boolean): string | undefined {
  switch (e.kind) {
    case 'num': return undefined;
    case 'sym': return known(e.name) ? undefined : e.name;
    case 'unary': return firstUnknown(e.arg, known);
    case 'binary': return firstUnknown(e.left, known) ?? firstUnknown(e.right, known);
  }
}

function macroSignature(m: MacroDef): string {
  return `.macro ${m.name} ${m.params.map((p) => p.name + (p.req ? ':req' : '') + (p.vararg ? ':vararg' : '') + (p.def !== undefined ? '=' + p.def : '')).join(', ')}`.trim();
}

/** `tree` with `node` replaced by `by`: the objects on the way to it copied, the rest shared. */
function replaceNode<T>(tree: T, node: object, by: object): T {
  if ((tree as unknown) === node) return by as T;
  if (!tree || typeof tree !== 'object') return tree;
  if (Array.isArray(tree)) {
    let out: unknown[] | undefined;
    tree.forEach((x, i) => {
      const y = replaceNode(x, node, by);
      if (y !== x) (out ??= tree.slice())[i] = y;
    });
    return (out ?? tree) as T;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(tree)) {
    const y = replaceNode(x, node, by);
    if (y !== x) (out ??= { ...(tree as Record<string, unknown>) })[k] = y;
  }
  return (out ?? tree) as T;
}
