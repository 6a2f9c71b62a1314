// Finding and reading the C source of the contracts whose promise decides a fast return
// (`do_syscall_64`'s bool since 2023; the compat `do_fast_syscall_32` and `do_SYSENTER_32` since
// 4.3): the kernel tree beside the entry file (arch/x86/entry/syscall_64.c / syscall_32.c since
// 6.19, common.c before), or files named with `--c FILE` / `AnalyzeOptions.cSources`. A contract read from its C is run by the walk (cverify.ts) instead of
// being trusted; one whose C cannot be found or read stays assumed, and the log says why.
import * as p from 'node:path';
import type { FileReader, Program } from '../syntax';
import { readCFunction, type CExpr, type CFunction, type CStmt } from '../csrc/reader';
import { contractFor, type Contract } from './contracts';
import type { AnalyzeOptions } from './options';
import type { Project } from './project';

/** Functions whose C is looked for, and the files beside the entry file that define them. */
const C_CONTRACTS: { name: string; files: string[] }[] = [
  { name: 'do_syscall_64', files: ['syscall_64.c', 'common.c'] },
  { name: 'do_fast_syscall_32', files: ['syscall_32.c', 'common.c'] },
  { name: 'do_SYSENTER_32', files: ['syscall_32.c', 'common.c'] },
];

/** The names of the functions `fn` calls. */
function callNames(fn: CFunction): Set<string> {
  const out = new Set<string>();
  const ex = (e: CExpr | undefined): void => {
    if (!e) return;
    switch (e.k) {
      case 'call':
        out.add(e.name);
        e.args.forEach(ex);
        break;
      case 'un':
      case 'cast':
        ex(e.a);
        break;
      case 'bin':
        ex(e.a);
        ex(e.b);
        break;
      case 'cond':
        [e.c, e.a, e.b].forEach(ex);
        break;
      case 'assign':
        ex(e.target);
        ex(e.value);
        break;
      default:
        break;
    }
  };
  const st = (xs: CStmt[]): void => {
    for (const s of xs) {
      if (s.k === 'if') {
        ex(s.cond);
        st(s.then);
        st(s.else);
      } else if (s.k === 'return') ex(s.value);
      else if (s.k === 'expr') ex(s.e);
      else if (s.k === 'decl') ex(s.init);
    }
  };
  st(fn.body);
  return out;
}

export interface CSourceResult {
  /** The project, with the contracts read from C in its contract map (a new object). */
  project: Project | undefined;
  /** What was read (`do_syscall_64: read from …/common.c:76`) or why not, for the log. */
  log: string[];
  /** The contracts read: function → `FILE:LINE` of the definition. */
  read: Map<string, string>;
}

export async function withCSources(program: Program, options: AnalyzeOptions, files: FileReader, project?: Project): Promise<CSourceResult> {
  const log: string[] = [];
  const read = new Map<string, string>();
  const calls = new Set(program.statements.filter((s) => s.kind === 'instruction' && /^call/.test(s.name)).map((s) => (s.text ?? '').replace(/^\s*call\w*\s+/, '').trim()));
  let contracts: Map<string, Contract> | undefined;
  // the files named (--c, else the project's cSources) or, when none are, those beside the entry file
  const named = options.cSources?.length ? options.cSources : (project?.cSources ?? []);
  const dir = p.dirname(program.file);
  /** The first of the candidate files that defines `name` (read errors of named files logged when asked). */
  const definition = async (name: string, beside: string[], logErrors: boolean): Promise<CFunction | undefined> => {
    for (const file of named.length ? named : beside.map((f) => p.join(dir, f))) {
      const text = files.exists && !files.exists(file) ? undefined : files.read(file);
      if (text === undefined || !text.includes(name)) continue;
      const r = await readCFunction(file, text, name, program.configuration.defines);
      if ('error' in r) {
        if (logErrors && named.includes(file)) log.push(`${name}: ${r.error}; its contract is assumed`);
        continue;
      }
      // another contract function it calls, defined in the same file, is run inline (do_SYSENTER_32's
      // tail call of do_fast_syscall_32): a new object, the reader's cache keeps its own
      const callees = new Map<string, CFunction>();
      for (const other of C_CONTRACTS) {
        if (other.name === name || !callNames(r.fn).has(other.name)) continue;
        const g = await readCFunction(file, text, other.name, program.configuration.defines);
        if (!('error' in g)) callees.set(other.name, g.fn);
      }
      return callees.size ? { ...r.fn, callees } : r.fn;
    }
    return undefined;
  };
  for (const want of C_CONTRACTS) {
    if (!calls.has(want.name)) continue;
    const base = contractFor(want.name, project?.contracts);
    if (base === 'transparent' || !base.returnsSysretSafe) continue;
    if (project?.contracts.has(want.name)) continue; // the project file's word on it wins
    const fn = await definition(want.name, want.files, true);
    if (!fn) {
      if (named.length) log.push(`${want.name}: not defined in ${named.join(', ')}; its contract is assumed`);
      continue;
    }
    const at = `${fn.file}:${fn.line + 1}`;
    if (/^void$/.test(fn.returnType.trim())) {
      // Linux 4.x–6.4: the function returns nothing; the assembly decides SYSRET itself
      log.push(`${want.name}: ${at} returns void (the assembly makes the SYSRET decision); the built-in contract applies`);
      continue;
    }
    contracts ??= new Map(project?.contracts ?? []);
    contracts.set(want.name, { ...base, source: { fn, file: fn.file }, describe: `${want.name}: read from ${at}; what its C tests decides the fast return`, builtin: base.builtin });
    read.set(want.name, at);
    const inline = [...(fn.callees?.values() ?? [])].map((g) => `${g.name} (${p.basename(g.file)}:${g.line + 1}) run inline`);
    log.push(`${want.name}: read from ${at}${inline.length ? ` (${inline.join(', ')})` : ''}`);
  }
  // a project's flag contracts (FreeBSD's amd64_syscall and PCB_FULL_IRET): their C, when found
  for (const c of project?.contracts.values() ?? []) {
    if (!calls.has(c.name) || typeof c.frame !== 'object' || !('onlyWith' in c.frame)) continue;
    const fn = await definition(c.name, ['trap.c', 'machdep.c', 'vm_machdep.c'], false);
    if (!fn) continue;
    contracts ??= new Map(project?.contracts ?? []);
    const at = `${fn.file}:${fn.line + 1}`;
    contracts.set(c.name, { ...c, flagSource: { fn, file: fn.file }, describe: `${c.describe}; its C read from ${at}` });
    read.set(c.name, at);
    log.push(`${c.name}: read from ${at}`);
  }
  if (!contracts) return { project, log, read };
  const pr: Project = project ? { ...project, contracts } : { file: '', entries: [], contracts, accept: [], errors: [] };
  return { project: pr, log, read };
}
