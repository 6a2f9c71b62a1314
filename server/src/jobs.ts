// `check --jobs N`: many files analysed at once in worker threads (node:worker_threads). Each
// worker runs the same analyze() on one file at a time and sends back the plain-data report
// (features/report.ts ReportAnalysis); results are put back in the order the files were given,
// so the output is the one `--jobs 1` prints, whichever worker finished first.
//
// This module is also the worker's program: a worker is started on this very file (the bundle
// dist/cli.js, or the compiled module under test), and the guard at the bottom serves jobs when
// it runs in a worker that was started for them.
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { analyze, type AnalyzeOptions } from './analysis';
import { reportOf, type ReportAnalysis } from './features/report';
import { confinedReader, type Confinement } from './files';

export interface CheckJob {
  /** Absolute path of the file (includes resolve against it). */
  file: string;
  /** Its text, read by the main thread (which reports an unreadable file before any work starts). */
  text: string;
  options: AnalyzeOptions;
  /** Where the analysis may read (workspace and include paths). */
  confinement: Confinement;
}

const WORKER_TAG = 'entry-review-check-worker';
let started = 0;

/** How many workers this process has started (for tests: --jobs N really runs in threads). */
export function workersStarted(): number {
  return started;
}

type ToWorker = { index: number; job: CheckJob } | { stop: true };
type FromWorker = { index: number; report: ReportAnalysis } | { index: number; error: string };

/** The default of --jobs: as many workers as the machine can run at once. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** One file, in this thread. */
export async function runJob(job: CheckJob): Promise<ReportAnalysis> {
  return reportOf(await analyze({ file: job.file, text: job.text }, job.options, confinedReader(job.confinement)));
}

/**
 * Analyses every job and returns the reports in the jobs' order. `jobs` workers at most (never
 * more than there are files); one job, or one file, runs in this thread without a worker.
 */
export async function runJobs(list: CheckJob[], jobs: number): Promise<ReportAnalysis[]> {
  const n = Math.min(Math.max(1, Math.floor(jobs)), list.length);
  const out: ReportAnalysis[] = new Array(list.length);
  if (n <= 1) {
    for (let i = 0; i < list.length; i++) out[i] = await runJob(list[i]);
    return out;
  }
  let next = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let failed = false;
      const give = (w: Worker): void => {
        if (next >= list.length) {
          w.postMessage({ stop: true } satisfies ToWorker);
          return;
        }
        const index = next++;
        w.postMessage({ index, job: list[index] } satisfies ToWorker);
      };
      for (let k = 0; k < n; k++) {
        const w = new Worker(__filename, { workerData: { tag: WORKER_TAG } });
        started++;
        workers.push(w);
        w.on('message', (m: FromWorker) => {
          if (failed) return;
          if ('error' in m) {
            failed = true;
            reject(new Error(`analysis of ${list[m.index].file} failed in a worker: ${m.error}`));
            return;
          }
          out[m.index] = m.report;
          if (++done === list.length) resolve();
          else give(w);
        });
        w.on('error', (err) => {
          if (failed) return;
          failed = true;
          reject(err);
        });
        w.on('exit', (code) => {
          if (!failed && done < list.length && code !== 0) {
            failed = true;
            reject(new Error(`a worker exited with code ${code}`));
          }
        });
        give(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}

/** The worker side: analyse each job sent, answer with its report. */
function serve(): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', (m: ToWorker) => {
    if ('stop' in m) {
      port.close();
      return;
    }
    runJob(m.job).then(
      (report) => port.postMessage({ index: m.index, report } satisfies FromWorker),
      (err: unknown) => port.postMessage({ index: m.index, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromWorker),
    );
  });
}

export function isJobWorker(): boolean {
  return !isMainThread && (workerData as { tag?: string } | null)?.tag === WORKER_TAG;
}

if (isJobWorker()) serve();
