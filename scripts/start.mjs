// `npm start`: builds if needed, then analyses the bundled samples the way a user would:
//   npx entry-review check samples/entry_64.S; npx entry-review check test/fixtures/kernels/bugs/no-canonical-check.S
// Exits 0 when the analysis ran (findings are the point of the demo), 2 when it could not.
import { existsSync, statSync } from 'node:fs';
import { newestMtime } from './mtimes.mjs';
import { spawnSync } from 'node:child_process';

const cli = 'dist/cli.js';
if (!existsSync(cli) || statSync(cli).mtimeMs < newestMtime('server/src')) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(2);
}
// The 1,456-line sample (clean: every return proven), then the team's bug fixture with one
// historic bug: a SYSRET path without the canonical check (the CVE-2012-0217 shape).
let worst = 0;
for (const sample of ['samples/entry_64.S', 'test/fixtures/kernels/bugs/no-canonical-check.S']) {
  const args = ['check', sample, ...process.argv.slice(2)];
  console.log(`\n$ entry-review ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0 && r.status !== 1) worst = 2;
}
process.exit(worst);
