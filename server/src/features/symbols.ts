// Outline (document symbols) and go-to-definition: lookups in the analysed Program.
import { SymbolKind, type DocumentSymbol, type Location as LspLocation } from 'vscode-languageserver';
import type { Analysis } from '../analysis';
import type { Pos, SymbolInfo } from '../syntax';
import { pathToFileURL } from 'node:url';
import { wordAt } from './text';

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
 * Resolves a numeric label reference (`1f`, `1b`) at a position to the label it names,
 * following GNU as: the nearest definition after (f) or before (b) the referring statement.
 */
export function resolveNumericLabel(analysis: Analysis, ref: string, pos: Pos): SymbolInfo | undefined {
  const m = /^(\d+)([fb])$/.exec(ref);
  if (!m) return undefined;
  const defs = analysis.program.symbols
    .filter((s) => s.kind === 'label' && s.name === m[1] && s.loc.file === analysis.file)
    .sort((a, b) => a.loc.range.start.line - b.loc.range.start.line || a.loc.range.start.character - b.loc.range.start.character);
  const before = (s: SymbolInfo) =>
    s.loc.range.start.line < pos.line || (s.loc.range.start.line === pos.line && s.loc.range.start.character < pos.character);
  if (m[2] === 'b') return defs.filter(before).pop();
  return defs.find((s) => !before(s));
}

export function definition(analysis: Analysis, text: string, pos: Pos): LspLocation | undefined {
  const word = wordAt(text, pos);
  if (!word) return undefined;
  const sym = resolveNumericLabel(analysis, word.text, pos) ?? findSymbol(analysis, word.text);
  if (!sym) return undefined;
  return { uri: pathToFileURL(sym.loc.file).href, range: sym.loc.range };
}
