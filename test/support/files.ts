// A FileReader over the real file system for tests (reads only: no exists(), so the front end's
// kernel-tree search is exercised through read() the way an in-memory reader would see it), and
// what tests of parses compare and change.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import type { FileReader, Program } from '../../server/src/syntax';
import { fixture } from './paths';

export const diskReader: FileReader = {
  read(p: string): string | undefined {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** A program as JSON, byte for byte comparable (bigints, Maps and Sets written out). */
export const programJson = (p: Program): string => JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map || v instanceof Set ? [...v] : v));

/**
 * A copy of test/fixtures/kernel-tree in a temporary directory, removed after the suite: for
 * tests that change one of its headers. Its directory, its entry file and `asm/segment.h`.
 */
export function scratchKernelTree(prefix: string): { dir: string; entry: string; header: string } {
  const tmp = mkdtempSync(path.join(tmpdir(), prefix));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  cpSync(fixture('kernel-tree'), tmp, { recursive: true });
  return { dir: tmp, entry: path.join(tmp, 'arch', 'x86', 'entry', 'entry_64.S'), header: path.join(tmp, 'arch', 'x86', 'include', 'asm', 'segment.h') };
}
