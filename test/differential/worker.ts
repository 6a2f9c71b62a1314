// Worker thread for the parallel differential run: runs the batches it is sent.

import { parentPort } from 'node:worker_threads';
import { runOneBatch } from './run';

export interface BatchJob {
  seed: number;
  batchIndex: number;
  firstId: number;
  count: number;
}

parentPort?.on('message', (job: BatchJob) => {
  try {
    parentPort?.postMessage({ ok: true, job, ...runOneBatch(job.seed, job.batchIndex, job.firstId, job.count) });
  } catch (e) {
    parentPort?.postMessage({ ok: false, job, error: e instanceof Error ? e.message : String(e) });
  }
});
