// Finding and reading the C source of the contracts whose promise decides a fast return
// (`do_syscall_64`'s bool since 2023): the kernel tree beside the entry file
// (arch/x86/entry/syscall_64.c since 6.19, common.c before), or files named with `--c FILE` /
// `AnalyzeOptions.cSources`. A contract read from its C is run by the walk (cverify.ts) instead of
// being trusted; one whose C cannot be found or read stays assumed, and the log says why.
import * as p from 'node:path';
import type { FileReader, Program } from '../syntax';
import { readCFunction } from '../csrc/reader';
import { contractFor, type Contract } from './contracts';
import type { AnalyzeOptions } from './options';
import type { Project } from './project';

/** Functions whose C is looked for, and the files beside the entry file that define them. */
const C_CONTRACTS: { name: string; files: string[] }[] = [{ name: 'do_syscall_64', files: ['syscall_64.c', 'common.c'] }];

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
  for (const want of C_CONTRACTS) {
    if (!calls.has(want.name)) continue;
    const base = contractFor(want.name, project?.contracts);
    if (base === 'transparent' || !base.returnsSysretSafe) continue;
    if (project?.contracts.has(want.name)) continue; // the project file's word on it wins
    const dir = p.dirname(program.file);
    const named = options.cSources?.length ? options.cSources : (project?.cSources ?? []);
    const candidates = named.length ? named : want.files.map((f) => p.join(dir, f));
    let done = false;
    for (const file of candidates) {
      const text = files.exists && !files.exists(file) ? undefined : files.read(file);
      if (text === undefined || !text.includes(want.name)) continue;
      const r = await readCFunction(file, text, want.name, program.configuration.defines);
      if ('error' in r) {
        if (named.includes(file)) log.push(`${want.name}: ${r.error}; its contract is assumed`);
        continue;
      }
      const at = `${file}:${r.fn.line + 1}`;
      if (/^void$/.test(r.fn.returnType.trim())) {
        // Linux 4.x–6.4: the function returns nothing; the assembly decides SYSRET itself
        log.push(`${want.name}: ${at} returns void (the assembly makes the SYSRET decision); the built-in contract applies`);
        done = true;
        break;
      }
      contracts ??= new Map(project?.contracts ?? []);
      contracts.set(want.name, { ...base, source: { fn: r.fn, file }, describe: `${want.name}: read from ${at}; what its C tests decides the fast return`, builtin: base.builtin });
      read.set(want.name, at);
      log.push(`${want.name}: read from ${at}`);
      done = true;
      break;
    }
    if (!done && named.length) log.push(`${want.name}: not defined in ${named.join(', ')}; its contract is assumed`);
  }
  // a project's flag contracts (FreeBSD's amd64_syscall and PCB_FULL_IRET): their C, when found
  for (const c of project?.contracts.values() ?? []) {
    if (!calls.has(c.name) || typeof c.frame !== 'object' || !('onlyWith' in c.frame)) continue;
    const named = options.cSources?.length ? options.cSources : (project?.cSources ?? []);
    const dir = p.dirname(program.file);
    const candidates = named.length ? named : ['trap.c', 'machdep.c', 'vm_machdep.c'].map((f) => p.join(dir, f));
    for (const file of candidates) {
      const text = files.exists && !files.exists(file) ? undefined : files.read(file);
      if (text === undefined || !text.includes(c.name)) continue;
      const r = await readCFunction(file, text, c.name, program.configuration.defines);
      if ('error' in r) continue;
      contracts ??= new Map(project?.contracts ?? []);
      const at = `${file}:${r.fn.line + 1}`;
      contracts.set(c.name, { ...c, flagSource: { fn: r.fn, file }, describe: `${c.describe}; its C read from ${at}` });
      read.set(c.name, at);
      log.push(`${c.name}: read from ${at}`);
      break;
    }
  }
  if (!contracts) return { project, log, read };
  const pr: Project = project ? { ...project, contracts } : { file: '', entries: [], contracts, errors: [] };
  return { project: pr, log, read };
}
