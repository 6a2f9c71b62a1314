// Logical lines: text the assembler stage reads, with a map from each character back to the
// file it was written in, and the origin chain of the line.
import type { LexError, Tok } from './lexer';
import type { Location, Origin, Pos, Range } from './types';

/**
 * A piece of a logical line. Exact pieces map character for character onto one line of the
 * file (`line`, `col` + offset); inexact pieces (macro expansions) map as a whole onto the
 * invocation range `line:col`–`endLine:endCol`.
 */
export interface Seg {
  out: number;
  len: number;
  line: number;
  col: number;
  exact: boolean;
  endLine: number;
  endCol: number;
  /** For inexact pieces: the cpp macro that produced it and where that macro was defined. */
  macro?: string;
  def?: Location;
}

export interface LogicalLine {
  text: string;
  segs: Seg[];
  /** Origin of the line as a whole: loc = the line's range in its file. */
  origin: Origin;
  /** File whose positions `segs` describe. */
  file: string;
  /**
   * The tokens of this text's statements by span, when the line is one of a macro or repeat
   * body's (shared by every expansion that gives the body line the same text).
   */
  lexed?: Map<number, { toks: Tok[]; errors: LexError[] }>;
}

export function pos(line: number, character: number): Pos {
  return { line, character };
}
export function range(sl: number, sc: number, el: number, ec: number): Range {
  return { start: { line: sl, character: sc }, end: { line: el, character: ec } };
}

function segAt(segs: Seg[], off: number, preferEnd: boolean): Seg | undefined {
  // Segments are sorted by `out`; lines are short, a linear scan is cheapest.
  let best: Seg | undefined;
  for (const s of segs) {
    if (s.out <= off && (off < s.out + s.len || (preferEnd && off === s.out + s.len))) {
      best = s;
      if (!preferEnd) break;
    } else if (s.out > off) break;
  }
  return best;
}

/** Maps text offsets [start, end) of a logical line to a range in `line.file`. */
export function mapRange(line: LogicalLine, start: number, end: number): Range {
  const segs = line.segs;
  if (segs.length === 0) return line.origin.loc.range;
  let a = segAt(segs, start, false);
  if (!a) {
    // In whitespace between pieces: take the next piece.
    a = segs.find((s) => s.out >= start) ?? segs[segs.length - 1];
  }
  const lastOff = Math.max(start, end - 1);
  let b = segAt(segs, lastOff, false);
  if (!b) {
    b = [...segs].reverse().find((s) => s.out <= lastOff) ?? a;
  }
  const sp = a.exact ? pos(a.line, a.col + Math.max(0, Math.min(start, a.out + a.len) - a.out)) : pos(a.line, a.col);
  const ep = b.exact ? pos(b.line, b.col + Math.min(b.len, Math.max(0, end - b.out))) : pos(b.endLine, b.endCol);
  if (ep.line < sp.line || (ep.line === sp.line && ep.character < sp.character)) return { start: sp, end: sp };
  return { start: sp, end: ep };
}

/** The cpp macros whose expansions overlap [start, end) of the line. */
export function macrosIn(line: LogicalLine, start: number, end: number): Seg[] {
  const out: Seg[] = [];
  for (const s of line.segs) {
    if (s.out >= end) break;
    if (!s.exact && s.macro && s.out + s.len > start && !out.some((o) => o.macro === s.macro && o.line === s.line && o.col === s.col)) {
      out.push(s);
    }
  }
  return out;
}

/** The outermost origin (the one in the main file). */
export function outermost(o: Origin): Origin {
  let cur = o;
  while (cur.parent) cur = cur.parent;
  return cur;
}

export function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character &&
    a.end.line === b.end.line && a.end.character === b.end.character;
}
