// Hovers: instruction semantics from the x86 model, values of constants, macro and label facts.
import { MarkupKind, type Hover } from 'vscode-languageserver';
import type { Analysis } from '../analysis';
import type { Location, Pos, Range } from '../syntax';
import { describeInstruction, lookupRegister, type InstructionInfo } from '../x86';
import { returnAt, returnMarkdown } from './returns';
import { registerHover } from './state';
import { findSymbol, formatValue, symbolUnder } from './symbols';
import { contains, lineText, wordAt } from './text';

/** Said where the machine state would be while the checks of this version still run. */
export const STILL_RUNNING = '_The analysis of this version is still running: the verdict and the machine state here follow when it is done._';

/**
 * What a hover at `pos` needs: `instruction` (a mnemonic the x86 model knows: the text alone
 * answers it), `register` (a register operand: the machine state, from the checks), `syntax`
 * (macros, constants, labels: the parsed program), or nothing at all.
 */
export function hoverNeeds(text: string, pos: Pos): 'instruction' | 'register' | 'syntax' | undefined {
  const word = wordAt(text, pos);
  if (!word) return undefined;
  const line = lineText(text, pos.line) ?? '';
  if (isMnemonicPosition(line, word.range.start.character) && describeInstruction(word.text.toLowerCase())) return 'instruction';
  if (line[word.range.start.character - 1] === '%' && lookupRegister(word.text)) return 'register';
  return 'syntax';
}

/**
 * An instruction's hover from the text alone; with an analysis, a return's verdict below it (or,
 * while the analysis is pending or not there at all, a word that it is still running).
 */
export function instructionHover(text: string, pos: Pos, analysis?: Pick<Analysis, 'returns' | 'file' | 'pending'>): Hover | undefined {
  const word = wordAt(text, pos);
  // Instructions are explained wherever they are written: in code, in .macro bodies, in
  // ALTERNATIVE strings and in inactive #if branches alike.
  if (!word || !isMnemonicPosition(lineText(text, pos.line) ?? '', word.range.start.character)) return undefined;
  const info = describeInstruction(word.text.toLowerCase());
  if (!info) return undefined;
  const ret = analysis && returnAt(analysis, pos);
  if (ret) return markdown(instructionMarkdown(info) + '\n\n---\n\n' + returnMarkdown(ret), word.range);
  if ((!analysis || analysis.pending) && RETURNS.test(info.mnemonic)) return markdown(instructionMarkdown(info) + '\n\n---\n\n' + STILL_RUNNING, word.range);
  return markdown(instructionMarkdown(info), word.range);
}

const RETURNS = /^(?:sysret|iret|sysexit)/;

export function hover(analysis: Analysis, text: string, pos: Pos): Hover | undefined {
  const word = wordAt(text, pos);
  if (!word) return undefined;
  const insn = instructionHover(text, pos, analysis);
  if (insn) return insn;
  const ret = returnAt(analysis, pos);
  // a register operand: its symbolic value before and after this line
  if ((lineText(text, pos.line) ?? '')[word.range.start.character - 1] === '%') {
    const h = registerHover(analysis, word.text, pos);
    if (h) return markdown(h, word.range);
  }
  const expansion = analysis.program.macroExpansions.find(
    (m) => m.loc.file === analysis.file && m.name === word.text && contains(m.loc.range, pos),
  );
  if (expansion) {
    const def = findSymbol(analysis, expansion.name);
    const where = def ? (def.builtin ? 'built-in kernel macro' : `defined at ${site(def.loc, analysis.file)}`) : 'macro';
    const lines = [`**${expansion.name}** — ${where}`];
    const constant = analysis.program.constants.get(expansion.name);
    if (constant !== undefined) lines.push('', `value: \`${formatValue(constant)}\``);
    lines.push('', 'Expands to:', '```x86-entry-asm', expansion.text.trimEnd(), '```');
    if (ret) lines.push('', '---', '', returnMarkdown(ret));
    return markdown(lines.join('\n'), word.range);
  }
  const sym = symbolUnder(analysis, word, pos);
  if (sym) {
    const lines = [`**${sym.name}** — ${sym.kind}`];
    if (sym.value !== undefined) lines.push('', `value: \`${formatValue(sym.value)}\``);
    if (sym.detail) lines.push('', '```', sym.detail, '```');
    lines.push('', sym.builtin ? 'built in (no kernel header found)' : `defined at ${site(sym.loc, analysis.file)}`);
    return markdown(lines.join('\n'), word.range);
  }
  const value = analysis.program.constants.get(word.text);
  if (value !== undefined) {
    return markdown(`**${word.text}** — constant (built in)\n\nvalue: \`${formatValue(value)}\``, word.range);
  }
  return undefined;
}

function markdown(value: string, range: Range): Hover {
  return { contents: { kind: MarkupKind.Markdown, value }, range };
}

const PREFIX = /^(?:lock|rep|repe|repz|repne|repnz)$/i;

/**
 * True when the word starting at `column` stands where a mnemonic does: first on the line,
 * or after a label (`1:`), a `;` statement separator, a prefix (`lock`), or the opening quote
 * of an ALTERNATIVE string.
 */
export function isMnemonicPosition(line: string, column: number): boolean {
  let before = line.slice(0, column).trimEnd();
  const prefix = /([A-Za-z]+)$/.exec(before);
  if (prefix && PREFIX.test(prefix[1])) before = before.slice(0, -prefix[1].length).trimEnd();
  return before === '' || /(?:^|[\s;])[\w.$]+:$/.test(before) || before.endsWith(';') || before.endsWith('"');
}

export function instructionMarkdown(info: InstructionInfo): string {
  const lines = [`**${info.mnemonic}** — ${info.title}`, '', info.summary];
  const flags: string[] = [];
  if (info.flagsRead.length) flags.push(`reads ${info.flagsRead.join(' ')}`);
  if (info.flagsWritten.length) flags.push(`writes ${info.flagsWritten.join(' ')}`);
  if (info.flagsUndefined.length) flags.push(`leaves ${info.flagsUndefined.join(' ')} undefined`);
  if (flags.length) lines.push('', `Flags: ${flags.join('; ')}.`);
  if (info.privileged) lines.push('', 'Privileged: ring 0 only.');
  return lines.join('\n');
}

/** `line 12` in the analysed file, `path/to/header.h:12` elsewhere. */
function site(loc: Location, main: string): string {
  const line = loc.range.start.line + 1;
  return loc.file === main ? `line ${line}` : `${loc.file}:${line}`;
}
