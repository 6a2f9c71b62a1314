// Outline (document symbols) and go-to-definition: lookups in the analysed Program.
import { SymbolKind, type DocumentSymbol, type Location as LspLocation } from 'vscode-languageserver';
import type { Analysis } from '../analysis';
import type { Pos, Range, SymbolInfo } from '../syntax';
import { pathToFileURL } from 'node:url';
import { contains, lineReader, wordAt, type Word } from './text';

const kinds: Record<SymbolInfo['kind'], SymbolKind> = {
  label: SymbolKind.Function,
  macro: SymbolKind.Method,
  define: SymbolKind.Constant,
  constant: SymbolKind.Constant,
};

/**
 * Labels, macros, #defines and constants defined in the analysed file, in source order. A label
 * that an END / SYM_CODE_END / SYM_FUNC_END closes (a `.size NAME, .-NAME` in the same file) spans
 * to there and holds the labels inside it (ENTRY(entry_SYSCALL_64) over entry_SYSCALL_64_fastpath,
 * syscall_return_via_sysret, ...). Given the document's text, a symbol's selection range is its
 * name alone (`demo_entry`, not `demo_entry:`; `entry_SYSCALL_64` inside `ENTRY(entry_SYSCALL_64)`).
 */
export function documentSymbols(analysis: Analysis, text?: string): DocumentSymbol[] {
  const flat: DocumentSymbol[] = [];
  const seen = new Set<string>();
  const lineAt = text === undefined ? undefined : lineReader(text);
  for (const s of analysis.program.symbols) {
    if (s.loc.file !== analysis.file) continue;
    const key = `${s.kind}:${s.name}:${s.loc.range.start.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    flat.push({
      name: s.name,
      detail: s.detail ?? (s.value !== undefined ? `= ${formatValue(s.value)}` : s.kind),
      kind: kinds[s.kind],
      range: s.loc.range,
      selectionRange: lineAt === undefined ? s.loc.range : nameRange(lineAt, s.loc.range, s.name),
    });
  }
  flat.sort(byStart);
  // where each closed label ends: its `.size` in this file, after it
  const ends = new Map<string, Range>();
  for (const st of analysis.program.statements) {
    if (st.kind !== 'directive' || st.name !== '.size' || st.loc.file !== analysis.file) continue;
    const name = st.operands[0]?.text?.trim();
    if (name) ends.set(name, st.loc.range);
  }
  const out: DocumentSymbol[] = [];
  let open: DocumentSymbol | undefined;
  for (const sym of flat) {
    if (open && before(sym.range.start, open.range.end)) {
      (open.children ??= []).push(sym);
      continue;
    }
    out.push(sym);
    open = undefined;
    const end = sym.kind === SymbolKind.Function ? ends.get(sym.name) : undefined;
    if (end && before(sym.range.start, end.start)) {
      sym.range = { start: sym.range.start, end: end.end };
      open = sym;
    }
  }
  return out;
}

function byStart(a: DocumentSymbol, b: DocumentSymbol): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

function before(a: Pos, b: Pos): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** The name where it is written within `range` on its first line; the whole range when it is not (a name a macro made). */
function nameRange(lineAt: (line: number) => string | undefined, range: Range, name: string): Range {
  const line = lineAt(range.start.line);
  if (line === undefined) return range;
  const stop = range.end.line === range.start.line ? range.end.character : line.length;
  const word = new RegExp(`(^|[^A-Za-z0-9_.$])${name.replace(/[.$]/g, '\\$&')}(?![A-Za-z0-9_.$])`, 'g');
  for (let m = word.exec(line); m; m = word.exec(line)) {
    const at = m.index + m[1].length;
    if (at < range.start.character) continue;
    if (at + name.length > stop) break;
    return { start: { line: range.start.line, character: at }, end: { line: range.start.line, character: at + name.length } };
  }
  return range;
}

export function formatValue(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)} (${v})` : `0x${v.toString(16)} (${v})`;
}

/** The symbol a name refers to, preferring labels, then macros, then constants and #defines. */
export function findSymbol(analysis: Analysis, name: string): SymbolInfo | undefined {
  const order: SymbolInfo['kind'][] = ['label', 'macro', 'define', 'constant'];
  for (const kind of order) {
    const s = analysis.program.symbols.find((x) => x.kind === kind && x.name === name);
    if (s) return s;
  }
  return undefined;
}

/**
 * The label a numeric reference (`1f`, `1b`) under the cursor names, as the parser resolved it
 * (GNU as: the nearest definition after or before the referring statement).
 */
export function resolveNumericLabel(analysis: Analysis, ref: string, pos: Pos): SymbolInfo | undefined {
  if (!/^\d+[fb]$/.test(ref)) return undefined;
  for (const st of analysis.program.statements) {
    if (st.origin.kind !== 'source' || st.loc.file !== analysis.file) continue;
    for (const op of st.operands) {
      if (op.kind !== 'sym' || op.expr.kind !== 'sym' || op.text !== ref || !contains(op.range, pos)) continue;
      const index = analysis.program.labels.get(op.expr.name);
      const target = index === undefined ? undefined : analysis.program.statements[index];
      if (!target) return undefined;
      return { name: target.written ?? target.name, kind: 'label', loc: target.loc };
    }
  }
  return undefined;
}

/** What the word under the cursor names: a numeric label reference, else a symbol by name. */
export function symbolUnder(analysis: Analysis, word: Word, pos: Pos): SymbolInfo | undefined {
  return resolveNumericLabel(analysis, word.text, pos) ?? findSymbol(analysis, word.text);
}

export function definition(analysis: Analysis, text: string, pos: Pos): LspLocation | undefined {
  const word = wordAt(text, pos);
  const sym = word && symbolUnder(analysis, word, pos);
  if (!sym) return undefined;
  return { uri: locationUri(sym.loc.file), range: sym.loc.range };
}

/** The scheme of the built-in files (the prelude, header stand-ins): the editor shows them read-only. */
export const BUILTIN_SCHEME = 'entry-review';
/** The request an editor sends for a built-in file's text: { uri } → string | null. */
export const BUILTIN_TEXT_REQUEST = 'entryReview/builtinText';

/** A file's URI: `file:` for files on disk, `entry-review:/prelude.S` for the built-in ones. */
export function locationUri(file: string): string {
  if (file.startsWith(BUILTIN_SCHEME + ':')) return `${BUILTIN_SCHEME}:/${file.slice(BUILTIN_SCHEME.length + 1)}`;
  return pathToFileURL(file).href;
}

/** The built-in file a `entry-review:/…` URI names (its text comes from syntax's builtinText). */
export function builtinFileOf(uri: string): string | undefined {
  const m = new RegExp(`^${BUILTIN_SCHEME}:/(.+)$`).exec(uri);
  return m ? `${BUILTIN_SCHEME}:${m[1]}` : undefined;
}
