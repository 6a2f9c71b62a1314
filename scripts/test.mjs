// `npm test`: every check the project has, in order, each step's output streamed as it runs:
//   host packages (installed with apt-get when missing and root) → build (esbuild) → compile-tests (tsc, type checking) → lint (eslint) → unit + integration +
//   differential tests (node's test runner) → editor tests in code-server → Neovim client test.
// Each test step ends with a line `NAME: N passed, N failed`; the last line of the run adds
// them up. Exits non-zero when any step fails. Outside CI a missing host tool fails loudly.
import { spawn } from 'node:child_process';

const steps = [
  { name: 'host-packages', cmd: ['node', 'scripts/host-packages.mjs'] },
  { name: 'build', cmd: ['node', 'scripts/build.mjs'] },
  { name: 'compile-tests', cmd: ['npx', '--no-install', 'tsc', '-p', '.'] },
  { name: 'lint', cmd: ['npx', '--no-install', 'eslint', '.'] },
  { name: 'unit', cmd: ['node', 'scripts/run-tests.mjs'] },
  { name: 'editor', cmd: ['node', 'scripts/test-editor.mjs'] },
  { name: 'nvim', cmd: ['node', 'scripts/test-nvim.mjs'] },
];

function run(step) {
  return new Promise((resolve) => {
    const child = spawn(step.cmd[0], step.cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d.toString()).slice(-4000);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), tail }));
  });
}

let passed = 0;
let failed = 0;
const failedSteps = [];
for (const step of steps) {
  console.log(`\n=== ${step.name}: ${step.cmd.join(' ')}`);
  const { code, tail } = await run(step);
  const counts = [...tail.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed/gm)].pop();
  if (counts) {
    passed += Number(counts[1]);
    failed += Number(counts[2]);
  }
  if (code !== 0) {
    failedSteps.push(step.name);
    if (!counts) failed++;
    // Later steps still run after a failing test step, so one run shows every problem;
    // nothing can be tested after a failed build or compile.
    if (step.name === 'host-packages' || step.name === 'build' || step.name === 'compile-tests') break;
  }
}
console.log(failedSteps.length ? `\nfailed steps: ${failedSteps.join(', ')}` : '\nall steps passed');
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failedSteps.length ? 1 : 0);
