// The one entry point of the analysis: text in, Analysis out. No I/O of its own: every file it
// needs beyond the document comes through the `files` reader, so every layer is testable with
// plain strings, and the language server and the command line share exactly this code.
import { parseProgram, type FileReader, type Location, type Program, type Statement } from '../syntax';
import { isModelled } from '../x86';
import type { AnalyzeOptions } from './options';

export type Severity = 'error' | 'warning' | 'info';

export interface SourceDocument {
  /** Absolute file-system path of the document (for includes and messages). */
  file: string;
  text: string;
  /** Editor version; the language server caches one Analysis per version. */
  version?: number;
}

/** One step of the path from an entry to a finding, as the user sees it. */
export interface PathStep {
  loc: Location;
  text: string;
}

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  /** Where the finding lands in the analysed file (a macro invocation when it came from one). */
  loc: Location;
  /** Concrete register values that reach the finding, as hex strings. */
  witness?: Record<string, string>;
  path?: PathStep[];
  vendor?: 'intel' | 'amd' | 'both';
  vaBits?: 48 | 57;
  /** What the verdict depends on beyond the file itself (contracts, built-ins). */
  assumes?: string[];
}

export interface AnalysisStats {
  paths: number;
  instructions: number;
  millis: number;
}

export interface Analysis {
  file: string;
  version: number | undefined;
  program: Program;
  findings: Finding[];
  stats: AnalysisStats;
}

/**
 * Analyses one document. Never throws: parseProgram turns any internal failure of its own into a
 * `parse` diagnostic at the top of the file and an empty Program.
 */
export function analyze(doc: SourceDocument, options: AnalyzeOptions, files: FileReader): Analysis {
  const started = performance.now();
  const findings: Finding[] = [];
  const program = parseProgram(doc.file, doc.text, { defines: options.defines, includePaths: options.includePaths }, files);
  for (const d of program.diagnostics) {
    findings.push({ code: d.code, severity: d.severity, message: d.message, loc: d.loc });
  }
  let instructions = 0;
  const unmodeled = new Set<string>();
  for (const s of program.statements) {
    if (s.kind !== 'instruction') continue;
    instructions++;
    if (isModelled(s.name)) continue;
    const key = `${s.loc.file}:${s.loc.range.start.line}:${s.loc.range.start.character}:${s.name}`;
    if (unmodeled.has(key)) continue;
    unmodeled.add(key);
    findings.push({
      code: 'unmodeled',
      severity: 'info',
      message: `'${writtenMnemonic(s)}' is neither an instruction the x86 model knows nor a macro defined here; the analysis goes on with its outputs unknown`,
      loc: s.loc,
    });
  }
  findings.sort(compareFindings);
  return {
    file: doc.file,
    version: doc.version,
    program,
    findings,
    stats: { paths: 0, instructions, millis: Math.round(performance.now() - started) },
  };
}

/** The mnemonic as the user wrote it (the parser lower-cases `name`). */
function writtenMnemonic(s: Statement): string {
  const words = (s.text ?? '').trim().split(/[\s(]+/);
  const w = words.find((x) => x.toLowerCase() === s.name);
  return w ?? s.name;
}

export function compareFindings(a: Finding, b: Finding): number {
  const ra = a.loc.range.start;
  const rb = b.loc.range.start;
  return ra.line - rb.line || ra.character - rb.character || a.code.localeCompare(b.code);
}
