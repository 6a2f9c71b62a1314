// The file readers of the command line and the language server: the only places the analysis's
// FileReader touches the disk. A confined reader reads only files under its roots (the
// workspace, the configured include paths): a path is resolved through every symbolic link
// (realpath) before it is compared, so neither `#include "../../../etc/passwd"`, an absolute
// path, nor a link inside the workspace that points out of it can read anything else. A file
// outside reads as missing (`undefined`), exactly as a file that is not there.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { findKernelTree, type FileReader } from './syntax';

/** Reads files from disk; a missing or unreadable file is `undefined`, never an exception. */
export const diskReader: FileReader = {
  read(p: string): string | undefined {
    try {
      if (!statSync(p).isFile()) return undefined;
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: (p: string) => existsSync(p),
};

export interface Confinement {
  /** Absolute directories (or single files) whose contents may be read. */
  roots: string[];
}

/** The real path of `p` (links resolved); a path that does not exist resolves through its longest existing parent. */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync.native(abs);
  } catch {
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(realPath(parent), path.basename(abs));
  }
}

function under(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Whether `p`, links resolved, lies under one of `roots` (themselves links resolved). */
export function isInside(p: string, roots: string[]): boolean {
  const real = realPath(p);
  return roots.some((r) => under(real, realPath(r)));
}

/**
 * What a confined reader learnt of a path: the file it named (device, inode, times, size) and that
 * file's real path then. While the path still names that same file, unchanged, its real path is
 * taken from here instead of resolving every link again (one stat instead of a realpath per
 * component, on every read of every header of every parse). A path that now names another file —
 * a link or a directory swapped for one that points out, a file replaced — is resolved again.
 */
export type RealPathMemo = Map<string, { dev: number; ino: number; mtimeMs: number; ctimeMs: number; size: number; real: string }>;

/**
 * A reader over `base` (the disk by default) that sees only files under the confinement's roots.
 * `memo` may be shared between readers (the language server keeps one for its life): it holds
 * real paths, not verdicts, so readers with other roots judge each path by their own.
 */
export function confinedReader(c: Confinement, base: FileReader = diskReader, memo: RealPathMemo = new Map()): FileReader {
  const roots = [...new Set(c.roots.map((r) => realPath(r)))];
  const allowed = (p: string): boolean => {
    if (typeof p !== 'string' || p.length === 0 || p.includes('\0')) return false;
    const abs = path.resolve(p);
    let real: string;
    try {
      // (links followed: the file the path names now, wherever it is)
      const st = statSync(abs, { throwIfNoEntry: false });
      // nothing there: nothing to read, whichever side of the roots it would be
      if (!st) return false;
      const hit = memo.get(abs);
      if (hit && hit.dev === st.dev && hit.ino === st.ino && hit.mtimeMs === st.mtimeMs && hit.ctimeMs === st.ctimeMs && hit.size === st.size) real = hit.real;
      else {
        real = realPath(abs);
        memo.set(abs, { dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, size: st.size, real });
      }
    } catch {
      return false;
    }
    return roots.some((r) => under(real, r));
  };
  return {
    read: (p: string) => (allowed(p) ? base.read(path.resolve(p)) : undefined),
    exists: (p: string) => allowed(p) && (base.exists ? base.exists(path.resolve(p)) : base.read(path.resolve(p)) !== undefined),
  };
}

/**
 * Where the command line may read for one FILE: the working directory, the kernel tree FILE is
 * in (or FILE's own directory outside a tree), the -I directories and the --config file.
 */
export function cliConfinement(cwd: string, file: string, includePaths: string[], projectFile?: string, cSources: string[] = []): Confinement {
  const abs = path.resolve(cwd, file);
  const tree = findKernelTree(abs, { read: () => undefined, exists: (p) => existsSync(p) });
  // (and the C files named with --c, which the user asked for by name)
  return { roots: [cwd, tree ?? path.dirname(abs), ...includePaths, ...(projectFile ? [projectFile] : []), ...cSources] };
}
