// Findings → LSP diagnostics for the analysed document.
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic } from 'vscode-languageserver';
import type { Analysis, Finding, Severity } from '../analysis';

export const DIAGNOSTIC_SOURCE = 'entry-review';

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toDiagnostic(f: Finding): Diagnostic {
  const d: Diagnostic = {
    range: f.loc.range,
    severity: severities[f.severity],
    code: f.code,
    source: DIAGNOSTIC_SOURCE,
    message: f.message + witnessSuffix(f),
  };
  if (f.replay) d.data = { replay: f.replay };
  return d;
}

/** The shell command that replays a finding's witness (`npx entry-review simulate FILE …`). */
export function replayCommandLine(file: string, replay: readonly string[]): string {
  const word = (w: string): string => (/^[\w./=@:+-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);
  return ['npx', 'entry-review', 'simulate', file, ...replay].map(word).join(' ');
}

/** The editor command a finding's code action runs (registered by the client). */
export const COPY_REPLAY_COMMAND = 'entryReview.copyReplayCommand';

function witnessSuffix(f: Finding): string {
  if (!f.witness) return '';
  const values = Object.entries(f.witness).map(([k, v]) => `${k}=${v}`);
  return values.length ? `\nwitness: ${values.join(', ')}` : '';
}

/**
 * Diagnostics for the analysed file itself (findings located in other files are not shown
 * here), plus one faded hint per inactive #if/.if region so editors dim it.
 */
export function diagnosticsFor(analysis: Analysis): Diagnostic[] {
  const out = analysis.findings.filter((f) => f.loc.file === analysis.file).map(toDiagnostic);
  for (const range of analysis.program.inactiveRanges) {
    out.push({
      range,
      severity: DiagnosticSeverity.Hint,
      tags: [DiagnosticTag.Unnecessary],
      source: DIAGNOSTIC_SOURCE,
      message: 'inactive: excluded by a preprocessor or assembler condition',
    });
  }
  return out;
}
