// Assembler expressions: parsing (GAS operator precedence) and 64-bit evaluation.
import type { Expr } from './types';
import { charValue, lex, type Tok } from './lexer';

/**
 * GAS binary operator ranks (higher binds tighter), as GNU as ranks them: multiplicative and
 * shifts, then the bitwise operators (all one rank, left to right), then + -, then the
 * comparisons, then &&, then ||.
 */
const GAS_RANK: Record<string, number> = {
  '*': 9, '/': 9, '%': 9, '<<': 9, '>>': 9,
  '|': 8, '&': 8, '^': 8, '!': 8,
  '+': 7, '-': 7,
  '==': 5, '!=': 5, '<>': 5, '<': 5, '>': 5, '<=': 5, '>=': 5,
  '&&': 3, '||': 2,
};

/** Parenthesis / unary-operator nesting accepted in one expression. */
export const MAX_NESTING = 500;

export interface ExprError {
  message: string;
  start: number;
  end: number;
}

export type NumParse = { value: bigint } | { label: string; dir: 'f' | 'b' } | { error: string };

/** Interprets a number token: 0x.., 0b.., 0.. (octal), decimal, or a numeric label reference Nf/Nb. */
export function parseNumber(s: string, allowCSuffix = false): NumParse {
  // Fast path: plain decimal.
  let plain = s.length < 16 && s.charCodeAt(0) !== 48;
  for (let i = 0; plain && i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) plain = false;
  }
  if (plain) return { value: BigInt(s) };
  let t = s;
  if (allowCSuffix) t = t.replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return { value: BigInt(t) };
  if (/^0[bB][01]+$/.test(t)) return { value: BigInt(t) };
  if (/^[0-9]+[bf]$/.test(t)) return { label: t.slice(0, -1), dir: t.endsWith('f') ? 'f' : 'b' };
  if (/^0[0-7]*$/.test(t)) return { value: t.length > 1 ? BigInt('0o' + t.slice(1)) : 0n };
  if (/^[1-9][0-9]*$/.test(t)) return { value: BigInt(t) };
  if (!allowCSuffix && /^[0-9]+[uUlL]+$/.test(t)) {
    return { error: `bad number '${s}': C suffixes (U, L) are not valid in assembler expressions` };
  }
  return { error: `bad number '${s}'` };
}

/** Parses an assembler expression from toks[pos..end). */
export class ExprParser {
  pos: number;
  error?: ExprError;
  /** Numeric label references met: the Expr nodes to patch once labels are resolved. */
  numericRefs: { node: { kind: 'sym'; name: string }; label: string; dir: 'f' | 'b' }[] = [];

  /** Registers are values (`.if \base == %rsp`): a `sym` named `%reg` (see registerValue). */
  registers = false;

  constructor(private toks: Tok[], start: number, private end: number) {
    this.pos = start;
  }

  private peek(): Tok | undefined {
    return this.pos < this.end ? this.toks[this.pos] : undefined;
  }

  private fail(message: string, tok?: Tok): undefined {
    if (!this.error) {
      const t = tok ?? this.peek() ?? this.toks[this.end - 1];
      const at = t ? (tok || this.peek() ? t.start : t.end) : 0;
      this.error = { message, start: at, end: t ? (tok || this.peek() ? t.end : t.end) : 0 };
    }
    return undefined;
  }

  private operators = 0;

  parse(minRank = 0): Expr | undefined {
    let left = this.unary();
    if (!left) return undefined;
    for (;;) {
      const t = this.peek();
      if (!t || t.k !== 'op') break;
      const rank = GAS_RANK[t.s];
      if (rank === undefined || rank <= minRank) break;
      // Operator chains make deep trees; keep them within what tree walkers can recurse over.
      if (++this.operators > MAX_NESTING) return this.fail(`expression has more than ${MAX_NESTING} operators`, t);
      this.pos++;
      if (this.pos >= this.end) return this.fail(`expected an operand after '${t.s}'`, t);
      const right = this.parse(rank);
      if (!right) return this.fail(`expected an operand after '${t.s}'`);
      left = { kind: 'binary', op: t.s === '<>' ? '!=' : t.s, left, right };
    }
    return left;
  }

  private depth = 0;

  private unary(): Expr | undefined {
    if (++this.depth > MAX_NESTING) return this.fail(`expression nested more than ${MAX_NESTING} deep`);
    try {
      return this.unaryInner();
    } finally {
      this.depth--;
    }
  }

  private unaryInner(): Expr | undefined {
    const t = this.peek();
    if (!t) return this.fail('expected an expression');
    if (t.k === 'op' && (t.s === '-' || t.s === '~' || t.s === '!' || t.s === '+')) {
      this.pos++;
      const arg = this.unary();
      if (!arg) return undefined;
      return t.s === '+' ? arg : { kind: 'unary', op: t.s, arg };
    }
    if (t.k === 'op' && t.s === '(') {
      this.pos++;
      const e = this.parse(0);
      if (!e) return undefined;
      const c = this.peek();
      if (!c || c.s !== ')') return this.fail("expected ')'");
      this.pos++;
      return e;
    }
    if (t.k === 'num') {
      this.pos++;
      const n = parseNumber(t.s);
      if ('value' in n) return { kind: 'num', value: n.value };
      if ('label' in n) {
        const node: { kind: 'sym'; name: string } = { kind: 'sym', name: t.s };
        this.numericRefs.push({ node, label: n.label, dir: n.dir });
        return node;
      }
      return this.fail(n.error, t);
    }
    if (t.k === 'chr') {
      this.pos++;
      return { kind: 'num', value: charValue(t.s) };
    }
    if (t.k === 'id') {
      this.pos++;
      return { kind: 'sym', name: t.s };
    }
    if (t.k === 'reg' && this.registers) {
      this.pos++;
      return { kind: 'sym', name: t.s.toLowerCase() };
    }
    if (t.k === 'reg') return this.fail(`expected an expression, found register '${t.s}'`, t);
    if (t.k === 'str') return this.fail('expected an expression, found a string', t);
    return this.fail(`expected an expression, found '${t.s}'`, t);
  }
}

/** Parses toks[start..end) as exactly one expression. */
export function parseExprTokens(toks: Tok[], start: number, end: number, registers = false): { expr?: Expr; error?: ExprError; refs: ExprParser['numericRefs'] } {
  const p = new ExprParser(toks, start, end);
  p.registers = registers;
  const expr = p.parse(0);
  if (expr && !p.error && p.pos < end) {
    const t = toks[p.pos];
    const prev = toks[p.pos - 1];
    if (t.s === '(' && t.k === 'op' && prev?.k === 'id' && prev.end === t.start) {
      // NAME(...) where NAME is not a defined function-like macro.
      return { error: { message: `unknown macro '${prev.s}': no #define ${prev.s}(...) (is its header missing?)`, start: prev.start, end: prev.end }, refs: p.numericRefs };
    }
    return { error: { message: `unexpected '${t.s}' in expression`, start: t.start, end: t.end }, refs: p.numericRefs };
  }
  return { expr: p.error ? undefined : expr, error: p.error, refs: p.numericRefs };
}

/**
 * The value GNU as gives a register in a conditional (`.if \base == %rsp`): registers compare
 * equal exactly when they are the same register. Modelled as a distinct 64-bit value per name.
 */
export function registerValue(name: string): bigint {
  let v = 0x52n; // 'R', so no register equals a small constant
  for (const c of name.slice(1, 8)) v = (v << 8n) | BigInt(c.charCodeAt(0) & 0xff);
  return wrap64(v);
}

const MASK64 = (1n << 64n) - 1n;
export function wrap64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/**
 * Evaluates with GAS semantics on 64-bit values: comparisons yield -1 (true) or 0, arithmetic
 * wraps; `lookup` gives symbol values (undefined = not constant). Division by zero → undefined.
 */
export function evalExpr(e: Expr, lookup: (name: string) => bigint | undefined): bigint | undefined {
  switch (e.kind) {
    case 'num':
      return wrap64(e.value);
    case 'sym':
      return lookup(e.name);
    case 'unary': {
      const a = evalExpr(e.arg, lookup);
      if (a === undefined) return undefined;
      switch (e.op) {
        case '-': return wrap64(-a);
        case '~': return wrap64(~a);
        case '!': return a === 0n ? 1n : 0n;
        default: return undefined;
      }
    }
    case 'binary': {
      const a = evalExpr(e.left, lookup);
      if (a === undefined) return undefined;
      if (e.op === '&&' && a === 0n) return 0n;
      if (e.op === '||' && a !== 0n) return 1n;
      const b = evalExpr(e.right, lookup);
      if (b === undefined) return undefined;
      const ua = a & MASK64;
      switch (e.op) {
        case '+': return wrap64(a + b);
        case '-': return wrap64(a - b);
        case '*': return wrap64(a * b);
        case '/': return b === 0n ? undefined : wrap64(a / b);
        case '%': return b === 0n ? undefined : wrap64(a % b);
        case '<<': return b < 0n || b > 63n ? 0n : wrap64(a << b);
        case '>>': return b < 0n || b > 63n ? (a < 0n ? -1n : 0n) : wrap64(a >> b);
        case '&': return wrap64(a & b);
        case '|': return wrap64(a | b);
        case '^': return wrap64(a ^ b);
        case '!': return wrap64(ua | ~b);
        case '==': return a === b ? -1n : 0n;
        case '!=': return a !== b ? -1n : 0n;
        case '<': return a < b ? -1n : 0n;
        case '>': return a > b ? -1n : 0n;
        case '<=': return a <= b ? -1n : 0n;
        case '>=': return a >= b ? -1n : 0n;
        case '&&': return b !== 0n ? 1n : 0n;
        case '||': return b !== 0n ? 1n : 0n;
        default: return undefined;
      }
    }
  }
}

/** Renders an expression back to text (fully parenthesised where needed). */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'num': return e.value < 0n ? `(${e.value})` : e.value > 9n ? '0x' + e.value.toString(16) : e.value.toString();
    case 'sym': return e.name;
    case 'unary': return e.op + (e.arg.kind === 'binary' ? `(${exprText(e.arg)})` : exprText(e.arg));
    case 'binary': {
      const l = e.left.kind === 'binary' ? `(${exprText(e.left)})` : exprText(e.left);
      const r = e.right.kind === 'binary' ? `(${exprText(e.right)})` : exprText(e.right);
      return `${l} ${e.op} ${r}`;
    }
  }
}

/**
 * The value of an expression written as text outside the file (a project file's
 * `"1 - CPUINFO_sizeof + CPUINFO_pv_cr3"`), with GAS's operators; names read through `lookup`.
 * The names it needs and `lookup` does not know are in `unknown`.
 */
export function evalText(text: string, lookup: (name: string) => bigint | undefined): { value?: bigint; unknown: string[]; error?: string } {
  const toks = lex(text);
  if (!toks.length) return { unknown: [], error: 'empty expression' };
  const { expr, error } = parseExprTokens(toks, 0, toks.length);
  if (!expr || error) return { unknown: [], error: error?.message ?? 'not an expression' };
  const unknown: string[] = [];
  const value = evalExpr(expr, (n) => {
    const v = lookup(n);
    if (v === undefined) unknown.push(n);
    return v;
  });
  return value === undefined ? { unknown, ...(unknown.length ? {} : { error: 'no constant value' }) } : { value, unknown };
}
