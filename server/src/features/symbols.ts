// Outline (document symbols) and go-to-definition: lookups in the analysed Program.
import { SymbolKind, type DocumentSymbol, type Location as LspLocation } from 'vscode-languageserver';
import type { Analysis } from '../analysis';
import type { Pos, SymbolInfo } from '../syntax';
import { pathToFileURL } from 'node:url';
import { contains, wordAt, type Word } from './text';

const kinds: Record<SymbolInfo['kind'], SymbolKind> = {
  label: SymbolKind.Function,
  macro: SymbolKind.Method,
  define: SymbolKind.Constant,
  constant: SymbolKind.Constant,
};

/** Labels, macros, #defines and constants defined in the analysed file, in source order. */
export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  const seen = new Set<string>();
  for (const s of analysis.program.symbols) {
    if (s.loc.file !== analysis.file) continue;
    const key = `${s.kind}:${s.name}:${s.loc.range.start.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      name: s.name,
      detail: s.detail ?? (s.value !== undefined ? `= ${formatValue(s.value)}` : s.kind),
      kind: kinds[s.kind],
      range: s.loc.range,
      selectionRange: s.loc.range,
    });
  }
  out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return out;
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
  return { uri: pathToFileURL(sym.loc.file).href, range: sym.loc.range };
}
