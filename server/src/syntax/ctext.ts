// The C preprocessor for C source files (not assembly): the same Preprocessor the front end runs
// over .S files, used by the C reader (server/src/csrc) on the C function a contract names.
//
// #include is not followed: a kernel C file's headers reach across the whole tree, and what the
// contract checks need from them is a handful of constants and helpers, which the caller supplies
// as `prelude` text (see csrc/prelude.ts). The configuration is the entry file's.
import type { Location, SyntaxDiagnostic } from './types';
import { Preprocessor } from './cpp';

export interface PreprocessedC {
  /** The text after preprocessing: one line per logical line the preprocessor emitted. */
  text: string;
  /** 0-based line in the source file of each output line. */
  lines: number[];
  diagnostics: SyntaxDiagnostic[];
}

export function preprocessC(file: string, text: string, prelude: string, defines: Readonly<Record<string, string>>): PreprocessedC {
  const out: string[] = [];
  const lines: number[] = [];
  const pp = new Preprocessor(file, { resolve: () => undefined, missing: () => true }, (line) => {
    if (line.file !== file) return;
    out.push(line.text);
    lines.push(line.origin.loc.range.start.line);
  });
  const loc: Location = { file: '<C prelude>', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  for (const [k, v] of Object.entries(defines)) if (/^[A-Za-z_]\w*$/.test(k)) pp.define(k, v === '' ? '1' : v, loc);
  pp.definingPrelude = true;
  pp.run('<C prelude>', prelude, 'include');
  pp.definingPrelude = false;
  pp.run(file, text, 'source');
  return { text: out.join('\n'), lines, diagnostics: pp.diagnostics.filter((d) => d.loc.file === file) };
}
