// Small text helpers shared by the editor features.
import type { Pos, Range } from '../syntax';

export interface Word {
  text: string;
  range: Range;
}

/** Identifier characters; `$` is left out: in AT&T it marks an immediate (`$SCRATCH_CS`). */
const WORD = /[A-Za-z0-9_.]/;

/** The identifier-like word under a position (labels, mnemonics, macro and constant names, `1f`). */
export function wordAt(text: string, pos: Pos): Word | undefined {
  const line = lineText(text, pos.line);
  if (line === undefined) return undefined;
  let start = Math.min(pos.character, line.length);
  let end = start;
  while (start > 0 && WORD.test(line[start - 1])) start--;
  while (end < line.length && WORD.test(line[end])) end++;
  if (start === end) return undefined;
  return { text: line.slice(start, end), range: { start: { line: pos.line, character: start }, end: { line: pos.line, character: end } } };
}

/** The text of a 0-based line (without its line break), or undefined past the end. */
export function lineText(text: string, line: number): string | undefined {
  let offset = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return undefined;
    offset = nl + 1;
  }
  const nl = text.indexOf('\n', offset);
  return text.slice(offset, nl < 0 ? text.length : nl).replace(/\r$/, '');
}

/**
 * Every line of `text` by number, from one pass over it: for callers that read many lines
 * (lineText scans from the top each time, which for the outline of a large file cost seconds).
 */
export function lineReader(text: string): (line: number) => string | undefined {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (line: number) => {
    if (!(line >= 0 && line < starts.length)) return undefined;
    const end = line + 1 < starts.length ? starts[line + 1] - 1 : text.length;
    return text.slice(starts[line], end).replace(/\r$/, '');
  };
}

export function contains(range: Range, pos: Pos): boolean {
  const afterStart = pos.line > range.start.line || (pos.line === range.start.line && pos.character >= range.start.character);
  const beforeEnd = pos.line < range.end.line || (pos.line === range.end.line && pos.character <= range.end.character);
  return afterStart && beforeEnd;
}
