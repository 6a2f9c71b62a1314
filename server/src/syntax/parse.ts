// parseProgram: text → Program (C preprocessor, then the assembler stage).
import type { FileReader, ParseOptions, Program } from './types';
import { Assembler } from './gas';
import { plainLines } from './lines';

export function parseProgram(file: string, text: string, options: ParseOptions, files: FileReader): Program {
  try {
    return parseUnsafe(file, text, options, files);
  } catch (e) {
    // Never let an internal error escape: report it on the first line and return what we have.
    const message = e instanceof Error ? e.message : String(e);
    return {
      file, statements: [], symbols: [], labels: new Map(), constants: new Map(),
      diagnostics: [{ code: 'parse', severity: 'error', message: `internal parser error: ${message}`, loc: { file, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } } }],
      inactiveRanges: [], includes: [], macroExpansions: [], alternatives: [], exceptionTable: [], missingIncludes: [],
    };
  }
}

function parseUnsafe(file: string, text: string, _options: ParseOptions, _files: FileReader): Program {
  const asm = new Assembler(file);
  for (const line of plainLines(file, text, 'source', undefined)) asm.feed(line);
  asm.finish();
  asm.resolveExtable();
  return {
    file,
    statements: asm.statements,
    symbols: asm.symbols,
    labels: asm.labels,
    constants: asm.constants,
    diagnostics: asm.diagnostics,
    inactiveRanges: asm.inactiveRanges,
    includes: [],
    macroExpansions: asm.macroExpansions,
    alternatives: asm.alternatives,
    exceptionTable: asm.exceptionTable,
    missingIncludes: [],
  };
}
