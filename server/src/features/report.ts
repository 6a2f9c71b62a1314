// Analysis → the command line's output formats: compiler-style text, SPEC's JSON, SARIF 2.1.0.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Analysis, AnalysisStats, Finding, ReturnResult } from '../analysis';
import type { Program } from '../syntax';
import { CODES, HELP_BASE } from './codes';

/**
 * What the output formats read of an Analysis, as plain data: a worker thread of `check --jobs N`
 * sends exactly this back (structured clone), and the one-job run formats the same object, so the
 * output is the same whichever ran the file.
 */
export interface ReportAnalysis {
  file: string;
  findings: Finding[];
  returns: ReturnResult[];
  /** The entries walked (labels): none means no return was checked, which the text says. */
  entries: string[];
  stats: AnalysisStats;
  configuration: Program['configuration'];
  read: { instructions: number; labels: number; macroExpansions: number; alternatives: number; includes: number; coveredHeaders: number };
  /** A companion file linked in for the jumps to labels this file does not define (syntax/companion.ts). */
  companion?: { file: string; targets: string[] };
}

export function reportOf(a: Analysis): ReportAnalysis {
  const p = a.program;
  return {
    file: a.file,
    findings: a.findings,
    returns: a.returns,
    entries: a.entries,
    stats: a.stats,
    configuration: p.configuration,
    read: {
      instructions: a.stats.instructions,
      labels: p.statements.filter((s) => s.kind === 'label').length,
      macroExpansions: p.macroExpansions.length,
      alternatives: p.alternatives.length,
      includes: p.includes.length,
      coveredHeaders: p.missingIncludes.filter((m) => m.covered).length,
    },
    ...(p.companion ? { companion: { file: p.companion.file, targets: p.companion.targets } } : {}),
  };
}

export interface FileResult {
  /** The file name as the user gave it. */
  shown: string;
  analysis: ReportAnalysis;
}

/** 1-based line/column span of a finding, as SPEC's JSON and compilers print it. */
export function span(f: Finding) {
  const r = f.loc.range;
  return { line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
}

/** A finding's path: line and text; `file` for a step in another file than the one analysed (a linked companion's). */
function pathSteps(f: Finding, file?: string) {
  return (f.path ?? []).map((p) => ({ line: p.loc.range.start.line + 1, text: p.text, ...(file !== undefined && p.loc.file !== file ? { file: p.loc.file } : {}) }));
}

/** Another file's path as the user would write it: beside `shown` when the analysed file's is. */
/** How to show `file` beside the analysed file, shown to the user as `shown` (a companion linked in: its path from there). */
export function shownOther(file: string, shown: string, analysed: string): string {
  if (file === analysed) return shown;
  const rel = path.relative(path.dirname(analysed), file);
  return path.isAbsolute(rel) ? file : path.join(path.dirname(shown), rel);
}

export function formatText(results: FileResult[]): string {
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const { shown, analysis } of results) {
    for (const f of analysis.findings) {
      if (f.severity === 'error') errors++;
      else if (f.severity === 'warning') warnings++;
      else infos++;
      const s = span(f);
      const where = shownOther(f.loc.file, shown, analysis.file);
      const sev = f.severity === 'info' ? 'note' : f.severity;
      out.push(`${where}:${s.line}:${s.column}: ${sev}: ${f.message} [${f.code}]`);
      if (f.vendor || f.vaBits) {
        out.push(`    on: ${[f.vendor ? `vendor ${f.vendor}` : '', f.vaBits ? `${f.vaBits}-bit addresses` : ''].filter(Boolean).join(', ')}`);
      }
      if (f.witness && Object.keys(f.witness).length) {
        out.push(`    witness: ${Object.entries(f.witness).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      const steps = pathSteps(f, analysis.file);
      if (steps.length) {
        out.push('    path:');
        for (const st of steps) out.push(`      ${st.file ? `${shownOther(st.file, shown, analysis.file)}:${st.line}` : String(st.line).padStart(5)}  ${st.text}`);
      }
      if (f.assumes?.length) out.push(`    assumes: ${f.assumes.join('; ')}`);
      // the replay runs the analysed file (its entry), wherever the finding lands
      if (f.replay) out.push(`    replay: npx entry-review simulate ${shellWord(shown)} ${f.replay.map(shellWord).join(' ')}`);
    }
  }
  for (const { shown, analysis } of results) {
    for (const r of analysis.returns) {
      const proven = r.conditions.filter((c) => c.status === 'proven').length;
      const line = r.loc.range.start.line + 1;
      const where = shownOther(r.loc.file, shown, analysis.file);
      out.push(`${where}:${line}: ${r.kind.toUpperCase()} (${r.entries.join(', ')}): ${r.verdict} · ${proven}/${r.conditions.length} conditions proven · ${count(r.paths, 'path')}`);
      const bad = r.conditions.filter((c) => c.status !== 'proven');
      if (bad.length) out.push(`    ${bad.map((c) => `${c.name}: ${c.status}${c.why ? ` (${c.why})` : ''}`).join('; ')}`);
      out.push(`    taken when: ${r.exitCondition}`);
      // what the verdict rests on (the contracts of the C it calls, the built-in rules), one a line
      if (r.assumes.length) {
        out.push('    rests on:');
        for (const a of r.assumes) out.push(`      - ${a}`);
      }
    }
  }
  for (const { shown, analysis } of results) {
    // a clean count means nothing when nothing was walked: say so, and how to name an entry
    if (!analysis.returns.length && !analysis.findings.some((f) => f.message.startsWith('the checker stopped on an internal error'))) {
      out.push(
        analysis.entries.length
          ? `${shown}: no return to user mode is reached from ${analysis.entries.join(', ')}: no return was checked`
          : `${shown}: no entry from user mode found (none of the built-in names, e.g. entry_SYSCALL_64, nor a project file's): no return was checked; name one with --entry LABEL[:KIND] or in .entry-review.json`,
      );
    }
    out.push(`${shown}: ${readSummary(analysis)}`);
    out.push(`${shown}: ${configurationSummary(analysis)}`);
  }
  const files = results.length === 1 ? '1 file' : `${results.length} files`;
  out.push(`entry-review: ${errors} error(s), ${warnings} warning(s), ${infos} note(s) in ${files}`);
  return out.join('\n') + '\n';
}

/** What the front end made of a file, so a user can see the read was complete. */
export function readSummary(a: ReportAnalysis): string {
  const r = a.read;
  const covered = r.coveredHeaders;
  const parts = [
    count(r.instructions, 'instruction'),
    count(r.labels, 'label'),
    count(r.macroExpansions, 'macro expansion'),
    count(r.alternatives, 'ALTERNATIVE site'),
    count(r.includes, 'included file'),
  ];
  if (covered) parts.push(`${count(covered, 'header')} supplied by built-in kernel knowledge`);
  const linked = a.companion ? `; linked with ${a.companion.file.replace(/^.*[\\/]/, '')} for ${a.companion.targets.join(', ')} (counted in)` : '';
  return `read ${parts.join(', ')}${linked}`;
}

/** Options entry code tests, shown on or off in the configuration line. */
const KEY_OPTIONS = ['X86_64', 'SMP', 'PAGE_TABLE_ISOLATION', 'IA32_EMULATION', 'RETPOLINE', 'PARAVIRT', 'X86_5LEVEL', 'XEN_PV'];

/** Which configuration the file was read under, as the user needs to know to trust the verdicts. */
export function configurationSummary(a: ReportAnalysis): string {
  const c = a.configuration;
  const isOn = (k: string): boolean => c.defines['CONFIG_' + k] !== undefined && c.defines['CONFIG_' + k] !== '0' && c.defines['CONFIG_' + k] !== 'n';
  const on = KEY_OPTIONS.filter(isOn);
  const off = KEY_OPTIONS.filter((k) => !isOn(k));
  const n = Object.keys(c.defines).length;
  const detail = `${n} option${n === 1 ? '' : 's'}${on.length ? `; ${on.join(' ')} on` : ''}${off.length ? `; ${off.join(' ')} off` : ''}`;
  // a file that tests no option (a FreeBSD or Xen file, a small fixture) does not depend on it
  if (c.assumed && c.tested && c.tested.length === 0) return 'configuration: not used (the file tests no CONFIG_ option)';
  if (c.assumed) return `configuration assumed: built-in x86-64 defaults (${detail}); change with -D/-U, or analyse inside a kernel tree with its .config`;
  return `configuration: ${c.source ?? '-D/-U only'} (${detail})`;
}

function shellWord(w: string): string {
  return /^[\w./=@:+-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function toJson(results: FileResult[]) {
  let paths = 0;
  let instructions = 0;
  let millis = 0;
  const files = results.map(({ shown, analysis }) => {
    paths += analysis.stats.paths;
    instructions += analysis.stats.instructions;
    millis += analysis.stats.millis;
    return {
      file: shown,
      diagnostics: analysis.findings.map((f) => ({
        code: f.code,
        severity: f.severity,
        ...span(f),
        ...(f.loc.file !== analysis.file ? { inFile: f.loc.file } : {}),
        message: f.message,
        ...(f.witness ? { witness: f.witness } : {}),
        ...(f.path ? { path: pathSteps(f, analysis.file) } : {}),
        ...(f.vendor ? { vendor: f.vendor } : {}),
        ...(f.vaBits ? { vaBits: f.vaBits } : {}),
        ...(f.assumes ? { assumes: f.assumes } : {}),
        ...(f.replay ? { replay: f.replay } : {}),
      })),
      configuration: analysis.configuration,
      returns: analysis.returns.map((r) => ({
        line: r.loc.range.start.line + 1,
        ...(r.loc.file !== analysis.file ? { inFile: r.loc.file } : {}),
        kind: r.kind,
        entries: r.entries,
        verdict: r.verdict,
        paths: r.paths,
        conditions: r.conditions.map((c) => ({ name: c.name, status: c.status, ...(c.why ? { why: c.why } : {}) })),
        exitCondition: r.exitCondition,
        assumes: r.assumes,
      })),
    };
  });
  return { files, stats: { paths, instructions, millis } };
}

export function formatJson(results: FileResult[]): string {
  return JSON.stringify(toJson(results), null, 2) + '\n';
}

const sarifLevel = { error: 'error', warning: 'warning', info: 'note' } as const;

export function formatSarif(results: FileResult[], version: string): string {
  const sarif = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: 'entry-review',
            version,
            informationUri: 'https://example.invalid/entry-review',
            // every rule the tool has, so a CI dashboard can describe a code before it ever fires
            rules: CODES.map((c) => ({
              id: c.code,
              shortDescription: { text: c.summary.split(': ')[0].replace(/\.$/, '') },
              fullDescription: { text: c.summary },
              helpUri: `${HELP_BASE}${c.code}`,
              ...(c.wrong && c.right ? { help: { text: `Wrong: ${c.wrong}\nRight: ${c.right}${c.project ? `\nWhen the verdict rests on C, the project file says: ${c.project}` : ''}` } } : {}),
              ...(c.history ? { properties: { history: c.history } } : {}),
            })),
          },
        },
        results: results.flatMap(({ analysis }) =>
          analysis.findings.map((f) => {
            const s = span(f);
            return {
              ruleId: f.code,
              level: sarifLevel[f.severity],
              message: { text: f.message },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: pathToFileURL(f.loc.file).href },
                    region: { startLine: s.line, startColumn: s.column, endLine: s.endLine, endColumn: s.endColumn },
                  },
                },
              ],
              ...(f.witness ? { properties: { witness: f.witness, vendor: f.vendor, vaBits: f.vaBits, ...(f.replay ? { replay: f.replay } : {}), ...(f.assumes ? { assumes: f.assumes } : {}) } } : {}),
              ...(f.path?.length
                ? {
                    codeFlows: [
                      {
                        threadFlows: [
                          {
                            locations: f.path.map((p) => ({
                              location: {
                                physicalLocation: {
                                  artifactLocation: { uri: pathToFileURL(p.loc.file).href },
                                  region: { startLine: p.loc.range.start.line + 1 },
                                },
                                message: { text: p.text },
                              },
                            })),
                          },
                        ],
                      },
                    ],
                  }
                : {}),
            };
          }),
        ),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
