// Hovers: instruction semantics from the x86 model, the machine state at register and memory
// operands, values of constants, macro and label facts.
import { MarkupKind, type Hover } from 'vscode-languageserver';
import type { Analysis } from '../analysis';
import type { Location, Pos, Range } from '../syntax';
import { describeInstruction, lookupRegister, type InstructionInfo } from '../x86';
import { returnAt, returnMarkdown } from './returns';
import { memoryHover, registerHover } from './state';
import { findSymbol, formatValue, symbolUnder } from './symbols';
import { contains, lineText, wordAt, type Word } from './text';

/** Said where the machine state would be while the checks of this version still run. */
export const STILL_RUNNING = '_The analysis of this version is still running: the verdict and the machine state here follow when it is done._';

/**
 * What a hover at `pos` needs: `instruction` (a mnemonic the x86 model knows: the text alone
 * answers it), `register` (a register operand: the machine state, from the checks), `syntax`
 * (macros, constants, labels: the parsed program), or nothing at all.
 */
export function hoverNeeds(text: string, pos: Pos): 'instruction' | 'register' | 'syntax' | undefined {
  const word = wordAt(text, pos);
  const line = lineText(text, pos.line) ?? '';
  // (a memory operand, anywhere in it: its cell's value is machine state too)
  if (inMemoryOperand(line, pos.character)) return 'register';
  if (!word) return undefined;
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

/**
 * Whether `column` is inside a memory operand of the statement written there: the comma-separated
 * operand under it (commas inside parentheses do not separate) has an address part `(…)`, a
 * segment prefix or a PER_CPU_VAR(…).
 */
function inMemoryOperand(line: string, column: number): boolean {
  const code = line.replace(/(?:#|\/\/).*$/, '');
  if (column >= code.length) return false;
  // the statement under the column (`;` separates statements)
  const start = code.lastIndexOf(';', column - 1) + 1;
  const endSemi = code.indexOf(';', column);
  const stmt = code.slice(start, endSemi < 0 ? code.length : endSemi);
  const at = column - start;
  // past the mnemonic (and a label before it)
  const m = /^\s*(?:[\w.$]+:\s*)*[A-Za-z][\w.]*\s+/.exec(stmt);
  if (!m || at < m[0].length) return false;
  let depth = 0;
  let from = m[0].length;
  for (let i = m[0].length; i <= stmt.length; i++) {
    const ch = stmt[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (i === stmt.length || (ch === ',' && depth === 0)) {
      if (at >= from && at <= i) {
        const operand = stmt.slice(from, i);
        return /\(|%[gf]s:|PER_CPU_VAR/.test(operand) && !/^\s*\$/.test(operand);
      }
      from = i + 1;
    }
  }
  return false;
}

export function hover(analysis: Analysis, text: string, pos: Pos): Hover | undefined {
  const word = wordAt(text, pos);
  // a memory operand: its cell and value before and after the instruction (anywhere in the operand)
  const mem = memoryHover(analysis, text, pos);
  if (!word) return mem ? markdown(mem.value, mem.range) : undefined;
  const insn = instructionHover(text, pos, analysis);
  if (insn) return insn;
  // a register operand: its symbolic value before and after this line (then the memory operand it addresses)
  if ((lineText(text, pos.line) ?? '')[word.range.start.character - 1] === '%') {
    const h = registerHover(analysis, word.text, pos);
    if (h) return markdown(mem ? `${h}\n\n---\n\n${mem.value}` : h, word.range);
  }
  // the macro or constant the word names, after the memory operand's state when it is in one
  const named = wordMarkdown(analysis, word, pos);
  if (mem) return markdown(named ? `${mem.value}\n\n---\n\n${named}` : mem.value, mem.range);
  return named === undefined ? undefined : markdown(named, word.range);
}

/** A macro invocation (its expansion), a symbol (its definition) or a built-in constant (its value) under the cursor. */
function wordMarkdown(analysis: Analysis, word: Word, pos: Pos): string | undefined {
  const ret = returnAt(analysis, pos);
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
    return lines.join('\n');
  }
  const sym = symbolUnder(analysis, word, pos);
  if (sym) {
    const lines = [`**${sym.name}** — ${sym.kind}`];
    if (sym.value !== undefined) lines.push('', `value: \`${formatValue(sym.value)}\``);
    if (sym.detail) lines.push('', '```', sym.detail, '```');
    lines.push('', sym.builtin ? 'built in (no kernel header found)' : `defined at ${site(sym.loc, analysis.file)}`);
    return lines.join('\n');
  }
  const value = analysis.program.constants.get(word.text);
  if (value !== undefined) return `**${word.text}** — constant (built in)\n\nvalue: \`${formatValue(value)}\``;
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
