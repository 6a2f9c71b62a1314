// `npm start`: builds if needed, then analyses the bundled sample the way a user would:
//   npx entry-review check samples/entry_64.S
// Exits 0 when the analysis ran (findings are the point of the demo), 2 when it could not.
import { existsSync, statSync } from 'node:fs';
import { newestMtime } from './mtimes.mjs';
import { spawnSync } from 'node:child_process';

const cli = 'dist/cli.js';
if (!existsSync(cli) || statSync(cli).mtimeMs < newestMtime('server/src')) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(2);
}
const args = ['check', 'samples/entry_64.S', ...process.argv.slice(2)];
console.log(`$ entry-review ${args.join(' ')}`);
const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
process.exit(r.status === 0 || r.status === 1 ? 0 : 2);
