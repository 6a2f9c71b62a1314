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
 * here), plus one faded hint per inactive #if/.if region so editors dim it. A finding in a linked
 * companion's code (syntax/companion.ts: entry_64.S's exit, reached from a compat entry) is shown
 * at the jump its path left this file by: the return that jump leads to is this file's question.
 */
export function diagnosticsFor(analysis: Analysis): Diagnostic[] {
  const out = analysis.findings.filter((f) => f.loc.file === analysis.file).map(toDiagnostic);
  const comp = analysis.program.companion;
  if (comp) {
    const name = comp.file.replace(/^.*[\\/]/, '');
    for (const f of analysis.findings) {
      if (f.loc.file !== comp.file || f.severity === 'info') continue;
      const jump = [...(f.path ?? [])].reverse().find((s) => s.loc.file === analysis.file);
      if (jump) out.push(toDiagnostic({ ...f, loc: jump.loc, message: `${f.message} (in ${name}:${f.loc.range.start.line + 1}, reached through this jump)` }));
    }
  }
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
