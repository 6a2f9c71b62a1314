// The analysis state of a document, for the client's status-bar item: `entryReview/analysisState`
// (a notification the server sends when an analysis starts and when it is done or failed).
import type { Analysis } from '../analysis';

export const ANALYSIS_STATE_NOTIFICATION = 'entryReview/analysisState';

export interface AnalysisState {
  uri: string;
  version?: number;
  state: 'analysing' | 'done' | 'failed';
  /** done: the analysis' wall-clock time. */
  millis?: number;
  entries?: number;
  returns?: { ok: number; finding: number; unknown: number };
  /** done: findings of severity warning or error. */
  findings?: number;
}

export function analysisState(a: Analysis, uri: string): AnalysisState {
  const returns = { ok: 0, finding: 0, unknown: 0 };
  for (const r of a.returns) if (r.loc.file === a.file) returns[r.verdict]++;
  return {
    uri,
    version: a.version,
    state: 'done',
    millis: a.stats.millis,
    entries: a.entries.length,
    returns,
    findings: a.findings.filter((f) => f.severity !== 'info' && f.loc.file === a.file).length,
  };
}
