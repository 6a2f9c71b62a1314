// Compact, stable text forms of parser output, used by the data-driven fixture tests.
import type { Operand, Program, Range, Statement, SyntaxDiagnostic } from '../../../server/src/syntax';
import { exprText } from '../../../server/src/syntax';

function rng(r: Range): string {
  return r.start.line === r.end.line
    ? `${r.start.line + 1}:${r.start.character + 1}-${r.end.character + 1}`
    : `${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1}`;
}

export function describeOperand(o: Operand): string {
  const star = o.indirect ? '*' : '';
  switch (o.kind) {
    case 'reg': return `${star}%${o.reg}`;
    case 'imm': return `${star}$${o.value !== undefined ? o.value.toString() : exprText(o.expr)}`;
    case 'sym': return `${star}sym(${o.string !== undefined ? JSON.stringify(o.string) : o.value !== undefined ? o.value.toString() : exprText(o.expr)})`;
    case 'mem': {
      const parts: string[] = [];
      if (o.seg) parts.push(`seg=${o.seg}`);
      if (o.disp) parts.push(`disp=${o.dispValue !== undefined ? o.dispValue.toString() : exprText(o.disp)}`);
      if (o.base) parts.push(`base=${o.base}`);
      if (o.index) parts.push(`index=${o.index}`);
      if (o.scale !== 1) parts.push(`scale=${o.scale}`);
      return `${star}mem(${parts.join(' ')})`;
    }
  }
}

export function describeStatement(s: Statement): string {
  let out = `${rng(s.loc.range)} ${s.kind === 'label' ? 'label' : s.kind === 'directive' ? 'dir' : 'insn'} `;
  out += s.kind === 'label' && s.written !== undefined ? `${s.name}(${s.written})` : s.name;
  if (s.prefixes?.length) out += ` [${s.prefixes.join(' ')}]`;
  if (s.operands.length) out += ' ' + s.operands.map(describeOperand).join(', ');
  if (s.alternative) out += ` {alt ${s.alternative.group}/${s.alternative.arm}${s.alternative.feature ? ' ' + s.alternative.feature : ''}}`;
  if (s.section && s.section !== '.text') out += ` @${s.section}`;
  return out;
}

export function describeDiagnostic(d: SyntaxDiagnostic, mainFile: string): string {
  const where = d.loc.file === mainFile ? rng(d.loc.range) : `${d.loc.file}:${rng(d.loc.range)}`;
  return `${where} ${d.severity} ${d.message}`;
}

export function describeRange(r: Range): string {
  return rng(r);
}

export function describeProgram(p: Program): {
  statements: string[]; diagnostics: string[]; inactive: string[]; constants: Record<string, string>;
} {
  const constants: Record<string, string> = {};
  for (const [k, v] of p.constants) constants[k] = v.toString();
  return {
    statements: p.statements.map(describeStatement),
    diagnostics: p.diagnostics.map((d) => describeDiagnostic(d, p.file)),
    inactive: p.inactiveRanges.map(rng),
    constants,
  };
}
