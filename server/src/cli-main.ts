// Entry point of the bundled command line (dist/cli.js, the `entry-review` bin).
import { main, type CliIO } from './cli';
import { isJobWorker } from './jobs';
import { isAnalysisThread } from './analysis-thread';

const io: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
};

// a worker of `check --jobs N` runs this same bundle: it serves jobs (jobs.ts), it runs no command;
// so does the language server's analysis thread (analysis-thread.ts, for `entry-review lsp`)
if (!isJobWorker() && !isAnalysisThread()) main(process.argv.slice(2), io).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`entry-review: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
