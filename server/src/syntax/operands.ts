// AT&T operands: %reg, $imm, seg:disp(base,index,scale), bare symbols/expressions, `*` indirect.
import type { Expr, Operand, Range } from './types';
import type { Tok } from './lexer';
import { decodeString } from './lexer';
import { parseExprTokens, type ExprError, type ExprParser } from './expr';
import { registerName, SEGMENT_REGISTERS } from './registers';

export interface OperandContext {
  /** Maps text offsets to a range in the user's view. */
  range(start: number, end: number): Range;
  text: string;
  /** Value of a symbol when constant. */
  lookup(name: string): bigint | undefined;
  evaluate(e: Expr): bigint | undefined;
}

export interface OperandResult {
  op?: Operand;
  error?: ExprError;
  refs: ExprParser['numericRefs'];
}

const BRANCH = /^(j[a-z]{1,4}|jmp[lqw]?|call[lqw]?|loop[a-z]*|xbegin|ljmp[lqw]?|lcall[lqw]?)$/;

/** Instructions whose bare-expression operand is a code target, not a memory reference. */
export function isBranchMnemonic(m: string): boolean {
  return BRANCH.test(m);
}

function findMatchingOpen(toks: Tok[], start: number, closeIdx: number): number {
  let depth = 0;
  for (let i = closeIdx; i >= start; i--) {
    const s = toks[i].s;
    if (toks[i].k !== 'op') continue;
    if (s === ')') depth++;
    else if (s === '(') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function err(message: string, t: Tok | undefined, fallback: number): ExprError {
  return t ? { message, start: t.start, end: t.end } : { message, start: fallback, end: fallback };
}

/**
 * Parses toks[a..b) as one operand. `branch`: bare expressions are jump/call targets (`sym`);
 * otherwise they are memory references (`mem` with only a displacement).
 * `directive`: bare expressions and strings are `sym` operands.
 */
export function parseOperand(toks: Tok[], a: number, b: number, ctx: OperandContext, mode: 'branch' | 'insn' | 'directive'): OperandResult {
  const refs: ExprParser['numericRefs'] = [];
  if (a >= b) return { error: { message: 'expected an operand', start: 0, end: 0 }, refs };
  const textStart = toks[a].start;
  const textEnd = toks[b - 1].end;
  const text = ctx.text.slice(textStart, textEnd);
  const range = ctx.range(textStart, textEnd);
  let indirect = false;
  let i = a;
  if (toks[i].k === 'op' && toks[i].s === '*') {
    indirect = true;
    i++;
    if (i >= b) return { error: err("expected an operand after '*'", toks[a], textEnd), refs };
  }
  const base = indirect ? { text, range, indirect: true } : { text, range };
  const t = toks[i];
  // Parentheses must balance before anything else makes sense.
  let depth = 0;
  for (let j = i; j < b; j++) {
    if (toks[j].k !== 'op') continue;
    if (toks[j].s === '(') depth++;
    else if (toks[j].s === ')' && --depth < 0) return { error: err("unbalanced ')'", toks[j], textEnd), refs };
  }
  if (depth > 0) return { error: { message: "expected ')' to close the parenthesis", start: toks[b - 1].start, end: toks[b - 1].end }, refs };

  if (t.k === 'op' && t.s === '$') {
    if (i + 1 >= b) return { error: err("expected an expression after '$'", t, textEnd), refs };
    const r = parseExprTokens(toks, i + 1, b);
    if (!r.expr) return { error: r.error, refs: r.refs };
    const value = ctx.evaluate(r.expr);
    const op: Operand = { kind: 'imm', expr: r.expr, ...base };
    if (value !== undefined) op.value = value;
    return { op, refs: r.refs };
  }

  if (t.k === 'str' && mode === 'directive' && i + 1 === b) {
    return { op: { kind: 'sym', expr: { kind: 'sym', name: t.s }, string: decodeString(t.s), ...base }, refs };
  }

  if (t.k === 'reg' && i + 1 === b) {
    const reg = registerName(t.s);
    if (!reg) return { error: err(`unknown register '${t.s}'`, t, textEnd), refs };
    return { op: { kind: 'reg', reg, ...base }, refs };
  }

  if (t.k === 'reg' && toks[i + 1].s !== ':') {
    return { error: err(`expected ',' after '${t.s}'`, toks[i + 1], textEnd), refs };
  }

  // Memory: [seg:] [disp] [(base, index, scale)]
  let seg: string | undefined;
  if (t.k === 'reg' && i + 1 < b && toks[i + 1].s === ':') {
    const s = registerName(t.s);
    if (!s) return { error: err(`unknown register '${t.s}'`, t, textEnd), refs };
    if (!SEGMENT_REGISTERS.has(s)) return { error: err(`expected a segment register before ':', found '${t.s}'`, t, textEnd), refs };
    seg = s;
    i += 2;
    if (i >= b) return { error: err(`expected a memory reference after '${t.s}:'`, toks[i - 1], textEnd), refs };
  }
  let dispEnd = b;
  let baseReg: string | undefined;
  let indexReg: string | undefined;
  let scale: 1 | 2 | 4 | 8 = 1;
  let hasGroup = false;
  const last = toks[b - 1];
  if (last.k === 'op' && last.s === ')') {
    const open = findMatchingOpen(toks, i, b - 1);
    if (open >= i) {
      const first = toks[open + 1];
      if (open + 1 === b - 1 || first.k === 'reg' || first.s === ',') {
        hasGroup = true;
        dispEnd = open;
        // Inside: [base] [, index [, scale]]
        const parts: [number, number][] = [];
        let ps = open + 1;
        for (let j = open + 1; j < b - 1; j++) {
          if (toks[j].s === ',' && toks[j].k === 'op') {
            parts.push([ps, j]);
            ps = j + 1;
          }
        }
        parts.push([ps, b - 1]);
        if (parts.length > 3) return { error: err('expected at most base, index and scale inside the parentheses', toks[open], textEnd), refs };
        const [bp, ip, sp] = parts;
        if (bp[1] > bp[0]) {
          if (bp[1] - bp[0] !== 1 || toks[bp[0]].k !== 'reg') return { error: err('expected a base register', toks[bp[0]], textEnd), refs };
          baseReg = registerName(toks[bp[0]].s);
          if (!baseReg) return { error: err(`unknown register '${toks[bp[0]].s}'`, toks[bp[0]], textEnd), refs };
        }
        if (ip) {
          if (ip[1] === ip[0]) {
            if (!sp) return { error: err("expected an index register after ','", toks[ip[0] - 1], textEnd), refs };
          } else {
            if (ip[1] - ip[0] !== 1 || toks[ip[0]].k !== 'reg') return { error: err('expected an index register', toks[ip[0]], textEnd), refs };
            indexReg = registerName(toks[ip[0]].s);
            if (!indexReg) return { error: err(`unknown register '${toks[ip[0]].s}'`, toks[ip[0]], textEnd), refs };
          }
        }
        if (sp) {
          if (sp[1] === sp[0]) return { error: err("expected a scale (1, 2, 4 or 8) after ','", toks[sp[0] - 1], textEnd), refs };
          if (toks[sp[0]].k === 'reg') return { error: err(`expected a scale (1, 2, 4 or 8), found register '${toks[sp[0]].s}'`, toks[sp[0]], textEnd), refs };
          const r = parseExprTokens(toks, sp[0], sp[1]);
          if (!r.expr) return { error: r.error, refs };
          const v = ctx.evaluate(r.expr);
          if (v !== 1n && v !== 2n && v !== 4n && v !== 8n) return { error: err('expected a scale of 1, 2, 4 or 8', toks[sp[0]], textEnd), refs };
          scale = Number(v) as 1 | 2 | 4 | 8;
        }
      }
    }
  }
  let disp: Expr | undefined;
  let dispValue: bigint | undefined;
  if (dispEnd > i) {
    const r = parseExprTokens(toks, i, dispEnd);
    refs.push(...r.refs);
    if (!r.expr) return { error: r.error, refs };
    disp = r.expr;
    dispValue = ctx.evaluate(disp);
  }
  if (!hasGroup && !seg && (mode === 'branch' || mode === 'directive') && disp) {
    const op: Operand = { kind: 'sym', expr: disp, ...base };
    if (dispValue !== undefined) op.value = dispValue;
    return { op, refs };
  }
  const op: Operand = { kind: 'mem', scale, ...base };
  if (seg) op.seg = seg;
  if (disp) op.disp = disp;
  if (dispValue !== undefined) op.dispValue = dispValue;
  if (baseReg) op.base = baseReg;
  if (indexReg) op.index = indexReg;
  return { op, refs };
}
