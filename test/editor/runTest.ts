// `npm run test:vscode`: the same extension tests in VS Code desktop, downloaded by
// @vscode/test-electron (needs the internet and a display or xvfb; on these machines the same
// suite runs in code-server instead: `npm run test:editor`).
// Env: ENTRY_REVIEW_VSCODE_VERSION (default 1.100.3, the VS Code inside code-server 4.100.3).
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  // Compiled to out/test/editor/: three levels up is the repository.
  const repo = path.resolve(__dirname, '../../..');
  const extensionTestsPath = path.resolve(__dirname, 'suite', 'index');
  const workspace = path.join(repo, 'test', 'fixtures', 'editor');
  try {
    const code = await runTests({
      version: process.env.ENTRY_REVIEW_VSCODE_VERSION ?? '1.100.3',
      extensionDevelopmentPath: repo,
      extensionTestsPath,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
    process.exit(code);
  } catch (err) {
    console.error(`test:vscode: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

void main();
