// File times for the scripts that rebuild only what is stale (start, test-editor, test-nvim).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time of a file or of anything below a directory; 0 when absent. */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Modification time of one file; -1 when absent (older than anything). */
export function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : -1;
}
