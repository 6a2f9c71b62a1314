// Tokenizer for assembler statement text (after preprocessing): identifiers, numbers, strings,
// character constants, registers and punctuation, each with its offsets in the text.

export type TokKind = 'id' | 'num' | 'str' | 'chr' | 'reg' | 'op';

export interface Tok {
  k: TokKind;
  /** The token text as written (registers include the `%`). */
  s: string;
  start: number;
  end: number;
}

function isIdStartCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 64;
}
function isIdCharCode(c: number): boolean {
  return isIdStartCode(c) || (c >= 48 && c <= 57) || c === 36;
}
function isAlnumCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57);
}

const TWO_CHAR_OPS = new Set(['<<', '>>', '==', '!=', '<>', '<=', '>=', '&&', '||', '##']);

export interface LexError {
  offset: number;
  end: number;
  message: string;
}

/** Splits `text` [from, to) into tokens; whitespace separates. Errors for unterminated strings. */
export function lex(text: string, from = 0, to = text.length, errors?: LexError[]): Tok[] {
  const toks: Tok[] = [];
  let i = from;
  while (i < to) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\n') {
      i++;
      continue;
    }
    const start = i;
    const code = text.charCodeAt(i);
    if (isIdStartCode(code)) {
      i++;
      while (i < to && isIdCharCode(text.charCodeAt(i))) i++;
      toks.push({ k: 'id', s: text.slice(start, i), start, end: i });
    } else if (code >= 48 && code <= 57) {
      i++;
      while (i < to && isAlnumCode(text.charCodeAt(i))) i++;
      toks.push({ k: 'num', s: text.slice(start, i), start, end: i });
    } else if (c === '"') {
      i++;
      while (i < to && text[i] !== '"') {
        if (text[i] === '\\') i++;
        i++;
      }
      if (i >= to) {
        errors?.push({ offset: start, end: to, message: 'unterminated string: expected a closing \'"\'' });
        i = to;
      } else i++;
      toks.push({ k: 'str', s: text.slice(start, i), start, end: i });
    } else if (c === "'") {
      // GAS 'c (and C-style 'c'), with backslash escapes.
      i++;
      if (i < to && text[i] === '\\') i += 2;
      else i++;
      if (i < to && text[i] === "'") i++;
      if (i > to) i = to;
      toks.push({ k: 'chr', s: text.slice(start, i), start, end: i });
    } else if (c === '%' && i + 1 < to && isAlnumCode(text.charCodeAt(i + 1)) && !(text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 57)) {
      i++;
      while (i < to && (isAlnumCode(text.charCodeAt(i)) || text[i] === '(' || text[i] === ')')) {
        // %st(1): the x87 form; only take the parenthesis after "st".
        if (text[i] === '(') {
          if (text.slice(start + 1, i).toLowerCase() !== 'st') break;
          const m = /^\(\s*[0-7]\s*\)/.exec(text.slice(i, to));
          if (!m) break;
          i += m[0].length;
          break;
        }
        if (text[i] === ')') break;
        i++;
      }
      toks.push({ k: 'reg', s: text.slice(start, i), start, end: i });
    } else {
      const n = text.charCodeAt(i + 1);
      // Second characters of two-character operators: < > = & | #
      const two = i + 1 < to && (n === 60 || n === 62 || n === 61 || n === 38 || n === 124 || n === 35) ? text.slice(i, i + 2) : '';
      if (two && TWO_CHAR_OPS.has(two)) {
        i += 2;
        toks.push({ k: 'op', s: two, start, end: i });
      } else {
        i++;
        toks.push({ k: 'op', s: c, start, end: i });
      }
    }
  }
  return toks;
}

/** Decodes a GAS/C string literal (with quotes) to its characters. */
export function decodeString(lit: string): string {
  const body = lit.endsWith('"') && lit.length >= 2 ? lit.slice(1, -1) : lit.slice(1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === undefined) break;
    switch (n) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'x': {
        const m = /^[0-9a-fA-F]+/.exec(body.slice(i + 1));
        if (m) {
          out += String.fromCharCode(parseInt(m[0], 16) & 0xff);
          i += m[0].length;
        } else out += 'x';
        break;
      }
      default:
        if (n >= '0' && n <= '7') {
          const m = /^[0-7]{1,3}/.exec(body.slice(i));
          const digits = m ? m[0] : n;
          out += String.fromCharCode(parseInt(digits, 8) & 0xff);
          i += digits.length - 1;
        } else out += n;
    }
  }
  return out;
}

/** Value of a character constant token ('a, 'a', '\n). */
export function charValue(tok: string): bigint {
  let body = tok.slice(1);
  if (body.endsWith("'") && body.length > 1) body = body.slice(0, -1);
  if (body.startsWith('\\')) {
    const d = decodeString('"' + body + '"');
    return BigInt(d.length ? d.charCodeAt(0) : 0);
  }
  return BigInt(body.length ? body.charCodeAt(0) : 0);
}
