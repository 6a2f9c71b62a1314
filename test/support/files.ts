// A FileReader over the real file system for tests (reads only: no exists(), so the front end's
// kernel-tree search is exercised through read() the way an in-memory reader would see it).
import { readFileSync } from 'node:fs';
import type { FileReader } from '../../server/src/syntax';

export const diskReader: FileReader = {
  read(p: string): string | undefined {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};
