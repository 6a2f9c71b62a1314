// Plain line reading (no preprocessing): comments removed, columns kept. Used for text the
// assembler reads without the C preprocessor: `*.s` files and GNU as `.include` files.
import type { Origin } from './types';
import type { LogicalLine } from './source';

/**
 * Splits `text` into logical lines with `/* *\/`, `//` and `#` comments blanked out (columns
 * are preserved; strings are kept as they are).
 */
export function plainLines(file: string, text: string, kind: Origin['kind'], parent: Origin | undefined): LogicalLine[] {
  const out: LogicalLine[] = [];
  const lines = text.split('\n');
  let inComment = false;
  for (let ln = 0; ln < lines.length; ln++) {
    let src = lines[ln];
    if (src.endsWith('\r')) src = src.slice(0, -1);
    let t = '';
    for (let i = 0; i < src.length; i++) {
      const c = src[i];
      if (inComment) {
        if (c === '*' && src[i + 1] === '/') {
          inComment = false;
          t += '  ';
          i++;
        } else t += ' ';
        continue;
      }
      if (c === '/' && src[i + 1] === '*') {
        inComment = true;
        t += '  ';
        i++;
        continue;
      }
      if ((c === '/' && src[i + 1] === '/') || c === '#') {
        t += ' '.repeat(src.length - i);
        break;
      }
      if (c === '"') {
        let j = i + 1;
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\\') j++;
          j++;
        }
        t += src.slice(i, j + 1);
        i = j;
        continue;
      }
      t += c;
    }
    const origin: Origin = { loc: { file, range: { start: { line: ln, character: 0 }, end: { line: ln, character: src.length } } }, kind };
    if (parent) origin.parent = parent;
    out.push({ text: t, segs: [{ out: 0, len: t.length, line: ln, col: 0, exact: true, endLine: ln, endCol: t.length }], origin, file });
  }
  return out;
}
