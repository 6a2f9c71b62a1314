// The extension test entry point for the installed .vsix (scripts/test-editor.mjs, after
// `code-server --install-extension`): the development extension is an empty probe
// (test/editor/vsix-probe), so every answer comes from the packaged extension. It runs the
// installation checks and then the whole editor suite against the installed extension.
import './installed.test';
import '../suite/extension.test';
import '../suite/findings.test';
import { runTests } from '../suite/harness';

export async function run(): Promise<void> {
  const outcomes = await runTests('vsix tests');
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) throw new Error(`${failed.length} .vsix test(s) failed: ${failed.map((f) => f.name).join('; ')}`);
  if (outcomes.length === 0) throw new Error('no .vsix tests ran');
}
