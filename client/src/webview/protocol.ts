// Messages between the simulation view's page (webview/main.ts) and the extension
// (simulation.ts). The data are the server's `entryReview/simulate` answers (features/simulation.ts),
// relayed unchanged: the page never computes a path of its own.

// The data are the server's own types (a type-only import: nothing of the server is bundled).
import type { PathView, SimulationView, StepView } from '../../../server/src/features/simulation';

export type StepData = StepView;
export type PathData = PathView;
export type SimulationData = SimulationView;

/** What the page shows, kept with vscode.setState (and read back by the test-only command). */
export interface ViewState {
  uri: string;
  file: string;
  entry: string;
  /** The entry's returns, reached symbolically (empty when the view was opened with pins only). */
  paths: PathData[];
  selected: number;
  /** The concrete run: its pins and one path per vendor. */
  run?: { pins: string[]; from: string; paths: PathData[]; error?: string };
  /** Which vendor's run is shown. */
  vendor: number;
  /** The step shown (-1: none yet). */
  step: number;
  focus: 'paths' | 'steps';
  error?: string;
  busy?: string;
  /** How many times the view was brought up to date after an edit of its file. */
  refreshed?: number;
  /** The sequence number of the last message from the extension the page has handled. */
  seq: number;
}

export type ToPage = { seq?: number } & (
  | { type: 'paths'; file: string; data: SimulationData; select?: number; refresh?: boolean }
  | { type: 'run'; file: string; data: SimulationData; from: string; refresh?: boolean }
  | { type: 'busy'; what: string }
  | { type: 'step'; delta: number }
  | { type: 'key'; key: string });

export type FromPage =
  | { type: 'ready' }
  | { type: 'state'; state: ViewState }
  | { type: 'reveal'; line: number }
  | { type: 'run'; pins: Record<string, string>; from: string };
