// A tiny test registry for the extension host: `test(name, fn)` collects, `runTests()` runs them
// in order, each with a timeout, prints one line per test and a closing `N passed, N failed`.
// No framework: the extension host (VS Code desktop under @vscode/test-electron, or code-server's
// remote extension host) gives us a plain Node process, and this is all the suites need.
//
// When ENTRY_REVIEW_EDITOR_RESULTS names a file, every line is also appended to it (JSON lines),
// which is how the code-server runner (scripts/test-editor.mjs) reports progress: the extension
// host's console goes to the browser, not to the terminal.
import { appendFileSync } from 'node:fs';

export interface TestCase {
  name: string;
  fn: () => Promise<void> | void;
  timeoutMs: number;
}

export interface TestOutcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

const registry: TestCase[] = [];

/** Registers a test; tests run in registration order (file order, then order within a file). */
export function test(name: string, fn: () => Promise<void> | void, timeoutMs = 20000): void {
  registry.push({ name, fn, timeoutMs });
}

/** One progress record for the runner (also printed to the extension host's console). */
export function report(record: Record<string, unknown>): void {
  const file = process.env.ENTRY_REVIEW_EDITOR_RESULTS;
  if (file) appendFileSync(file, JSON.stringify(record) + '\n');
}

function log(line: string): void {
  console.log(line);
  report({ kind: 'line', line });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    // The message (an assertion's diff included) and where it was thrown.
    const where = (err.stack ?? '').split('\n').find((l) => /^\s+at /.test(l) && !l.includes('node:'));
    return `${err.message}${where ? `\n${where.trim()}` : ''}`;
  }
  return String(err);
}

/** Runs every registered test (or those whose name contains `filter`); never throws. */
export async function runTests(suiteName: string, filter = process.env.ENTRY_REVIEW_EDITOR_FILTER ?? ''): Promise<TestOutcome[]> {
  const selected = registry.filter((t) => t.name.includes(filter));
  const outcomes: TestOutcome[] = [];
  for (const t of selected) {
    const started = Date.now();
    try {
      await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs, t.name);
      const ms = Date.now() - started;
      outcomes.push({ name: t.name, ok: true, ms });
      log(`ok   ${t.name} (${ms} ms)`);
    } catch (err) {
      const ms = Date.now() - started;
      const error = describeError(err);
      outcomes.push({ name: t.name, ok: false, ms, error });
      log(`FAIL ${t.name} (${ms} ms)`);
      for (const l of error.split('\n')) log(`     ${l}`);
    }
  }
  const passed = outcomes.filter((o) => o.ok).length;
  const failed = outcomes.length - passed;
  log(`${suiteName}: ${passed} passed, ${failed} failed`);
  report({ kind: 'summary', suite: suiteName, passed, failed });
  return outcomes;
}
