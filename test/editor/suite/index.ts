// The extension test entry point (`extensionTestsPath`): VS Code loads this module in the
// extension host and calls run(); a rejected promise is a failed run (non-zero exit code).
// Used unchanged by @vscode/test-electron (test/editor/runTest.ts, `npm run test:vscode`) and by
// code-server in a headless browser (scripts/test-editor.mjs, `npm run test:editor`).
import './extension.test';
import './findings.test';
import './simulation.test';
import { runTests } from './harness';
import { showDiagnosticForScreenshot, showSimulationForScreenshot } from './screenshot';

export async function run(): Promise<void> {
  const outcomes = await runTests('extension tests');
  await showDiagnosticForScreenshot();
  await showSimulationForScreenshot();
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) throw new Error(`${failed.length} editor test(s) failed: ${failed.map((f) => f.name).join('; ')}`);
  if (outcomes.length === 0) throw new Error('no editor tests ran');
}
