// Locates the repository from compiled tests (out/test/...) and source tests alike.
import { existsSync } from 'node:fs';
import * as path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'server', 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`repository root not found above ${start}`);
    dir = up;
  }
  return dir;
}

export const repoRoot = findRoot(__dirname);
export const fixture = (...parts: string[]): string => path.join(repoRoot, 'test', 'fixtures', ...parts);
export const distCli = path.join(repoRoot, 'dist', 'cli.js');
