// `entry-review`: the same analysis the editor shows, for terminals and CI.
//   entry-review check FILE... [--vendor intel|amd|both] [--va-bits 48|57|both] [-D NAME[=VALUE]]...
//                              [-I DIR]... [--entry LABEL]... [--format text|json|sarif]
//   entry-review lsp --stdio
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { analyze, defaultOptions, envFromPins, heldBy, findProjectFile, projectCompanions, projectPreprocess, readProject, parseDefine, parseVaBits, parseVendor, simulate, withCSources, type AnalyzeOptions, type SimPath, type Simulation } from './analysis';
import { parseProgram } from './syntax';
import { diffAnalyses, formatDiffText } from './features/diff';
import { formatJson, formatSarif, formatText, shownOther } from './features/report';
import { execFileSync } from 'node:child_process';
import { cliConfinement, confinedReader, diskReader } from './files';
import { defaultJobs, runJobs, type CheckJob } from './jobs';

const VERSION = '0.1.0';

const USAGE = `usage: entry-review check FILE... [--vendor intel|amd|both] [--va-bits 48|57|both]
                          [-D NAME[=VALUE]]... [-U NAME]... [-I DIR]... [--entry LABEL[:KIND]]... [--config FILE] [--c FILE]...
                          [--format text|json|sarif] [--jobs N]
         --jobs N: analyse N files at once in worker threads (default: the CPUs available,
                   os.availableParallelism()); the output is the same as with --jobs 1,
                   in the order the files were given
       entry-review simulate FILE --entry LABEL [--set REG=VALUE]... [--format text|json]
       entry-review diff OLD NEW | diff --git REV FILE  [check's flags] [--format text|json]
       entry-review lsp --stdio
       entry-review --help | --version`;

export class UsageError extends Error {}

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
}

export { diskReader };

interface CheckArgs {
  files: string[];
  options: AnalyzeOptions;
  format: 'text' | 'json' | 'sarif';
}

export function parseCheckArgs(args: string[], cwd: string, extra: Record<string, { type: 'string'; multiple?: boolean }> = {}): CheckArgs & { values: Record<string, unknown> } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...extra,
        vendor: { type: 'string' },
        'va-bits': { type: 'string' },
        define: { type: 'string', short: 'D', multiple: true },
        undefine: { type: 'string', short: 'U', multiple: true },
        include: { type: 'string', short: 'I', multiple: true },
        entry: { type: 'string', multiple: true },
        config: { type: 'string' },
        c: { type: 'string', multiple: true },
        format: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  const vendor = v.vendor === undefined ? defaultOptions.vendor : parseVendor(v.vendor);
  if (vendor === undefined) throw new UsageError(`--vendor must be intel, amd or both, not '${v.vendor}'`);
  const vaBits = v['va-bits'] === undefined ? defaultOptions.vaBits : parseVaBits(v['va-bits']);
  if (vaBits === undefined) throw new UsageError(`--va-bits must be 48, 57 or both, not '${v['va-bits']}'`);
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') {
    throw new UsageError(`--format must be text, json or sarif, not '${format}'`);
  }
  const defines: Record<string, string> = {};
  for (const d of v.define ?? []) {
    const kv = parseDefine(d);
    if (!kv) throw new UsageError(`-D expects NAME or NAME=VALUE, not '${d}'`);
    defines[kv[0]] = kv[1];
  }
  if (parsed.positionals.length === 0) throw new UsageError('at least one FILE is needed');
  return {
    values: v,
    files: parsed.positionals,
    format,
    options: {
      vendor,
      vaBits,
      defines,
      undefines: v.undefine ?? [],
      includePaths: (v.include ?? []).map((d) => path.resolve(cwd, d)),
      entries: v.entry ?? [],
      ...(v.config !== undefined ? { projectFile: path.resolve(cwd, v.config) } : {}),
      ...(v.c?.length ? { cSources: v.c.map((f) => path.resolve(cwd, f)) } : {}),
    },
  };
}

/** `--jobs N`: a positive integer (the default: the CPUs available). */
export function parseJobs(v: unknown): number {
  if (v === undefined) return defaultJobs();
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--jobs must be a positive integer, not '${String(v)}'`);
  return n;
}

/** Runs `check`; returns the exit code (0 clean, 1 findings of severity warning or error, 2 usage/unreadable). */
export async function runCheck(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCheckArgs(args, io.cwd, { jobs: { type: 'string' } });
  const jobs = parseJobs(parsed.values.jobs);
  // every file is read first, in order: an unreadable one stops the run before any analysis
  const list: CheckJob[] = [];
  for (const shown of parsed.files) {
    const abs = path.resolve(io.cwd, shown);
    const text = diskReader.read(abs);
    if (text === undefined) {
      io.stderr(`entry-review: cannot read '${shown}': ${describeReadError(abs)}\n`);
      return 2;
    }
    list.push({ file: abs, text, options: parsed.options, confinement: cliConfinement(io.cwd, abs, parsed.options.includePaths, parsed.options.projectFile, parsed.options.cSources) });
  }
  const reports = await runJobs(list, jobs);
  const results = reports.map((analysis, i) => ({ shown: parsed.files[i], analysis }));
  const out =
    parsed.format === 'json' ? formatJson(results) : parsed.format === 'sarif' ? formatSarif(results, VERSION) : formatText(results);
  io.stdout(out);
  const severe = results.some((r) => r.analysis.findings.some((f) => f.severity !== 'info'));
  return severe ? 1 : 0;
}

/** Runs `simulate`; exit code 0 when the run reached a verdict of ok, 1 for a finding, 2 on a usage error. */
export async function runSimulate(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCheckArgs(args, io.cwd, { set: { type: 'string', multiple: true } });
  if (parsed.files.length !== 1) throw new UsageError('simulate takes exactly one FILE');
  if (parsed.options.entries.length !== 1) throw new UsageError('simulate needs exactly one --entry LABEL');
  if (parsed.format === 'sarif') throw new UsageError('simulate prints text or json');
  let env: Map<string, bigint>;
  try {
    env = envFromPins((parsed.values.set as string[] | undefined) ?? []);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const shown = parsed.files[0];
  const abs = path.resolve(io.cwd, shown);
  const text = diskReader.read(abs);
  if (text === undefined) {
    io.stderr(`entry-review: cannot read '${shown}': ${describeReadError(abs)}\n`);
    return 2;
  }
  const o = parsed.options;
  const files = confinedReader(cliConfinement(io.cwd, abs, o.includePaths, o.projectFile, o.cSources));
  const pf = o.projectFile ? { path: o.projectFile, text: files.read(o.projectFile) } : findProjectFile(abs, files);
  const program = parseProgram(abs, text, { defines: o.defines, undefines: o.undefines, includePaths: o.includePaths, preprocess: projectPreprocess(pf?.text), companions: projectCompanions(pf?.path, pf?.text) }, files);
  let sim: Simulation;
  try {
    const project = (await withCSources(program, o, files, pf?.text !== undefined ? readProject(pf.path, pf.text, program) : undefined)).project;
    sim = await simulate(program, o, o.entries[0], env, project);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  io.stdout(parsed.format === 'json' ? JSON.stringify(sim, null, 2) + '\n' : formatSimulation(shown, abs, sim));
  return sim.paths.some((p) => p.verdict === 'finding') ? 1 : 0;
}

/** Runs `diff`: exit 1 when something got worse, 0 otherwise, 2 on a usage error. */
export async function runDiff(args: string[], io: CliIO): Promise<number> {
  // check's flags, --jobs included (accepted and checked; the two versions are analysed in turn)
  const parsed = parseCheckArgs(args, io.cwd, { git: { type: 'string' }, jobs: { type: 'string' } });
  parseJobs(parsed.values.jobs);
  if (parsed.format === 'sarif') throw new UsageError('diff prints text or json');
  const rev = parsed.values.git as string | undefined;
  let oldShown: string;
  let newShown: string;
  let oldText: string | undefined;
  if (rev !== undefined) {
    if (parsed.files.length !== 1) throw new UsageError('diff --git REV takes exactly one FILE (compared with its version at REV)');
    newShown = parsed.files[0];
    oldShown = `${rev}:${newShown}`;
    const abs = path.resolve(io.cwd, newShown);
    try {
      // git is asked for the old text only; nothing from the repository is run
      oldText = execFileSync('git', ['show', `${rev}:./${path.basename(abs)}`], { cwd: path.dirname(abs), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    } catch (e) {
      io.stderr(`entry-review: cannot read '${oldShown}' from git: ${(e as { stderr?: string }).stderr?.trim() || (e instanceof Error ? e.message : String(e))}\n`);
      return 2;
    }
  } else {
    if (parsed.files.length !== 2) throw new UsageError('diff takes OLD and NEW (or --git REV FILE)');
    [oldShown, newShown] = parsed.files;
  }
  const newAbs = path.resolve(io.cwd, newShown);
  const oldAbs = rev !== undefined ? newAbs : path.resolve(io.cwd, oldShown);
  oldText ??= diskReader.read(oldAbs);
  const newText = diskReader.read(newAbs);
  for (const [shown, text, abs] of [[oldShown, oldText, oldAbs], [newShown, newText, newAbs]] as const) {
    if (text === undefined) {
      io.stderr(`entry-review: cannot read '${shown}': ${describeReadError(abs)}\n`);
      return 2;
    }
  }
  const o = parsed.options;
  const oldA = await analyze({ file: oldAbs, text: oldText as string }, o, confinedReader(cliConfinement(io.cwd, oldAbs, o.includePaths, o.projectFile, o.cSources)));
  const newA = await analyze({ file: newAbs, text: newText as string }, o, confinedReader(cliConfinement(io.cwd, newAbs, o.includePaths, o.projectFile, o.cSources)));
  const d = diffAnalyses(oldA, newA);
  io.stdout(parsed.format === 'json' ? JSON.stringify({ old: oldShown, new: newShown, ...d }, null, 2) + '\n' : formatDiffText(oldShown, newShown, d));
  return d.worse ? 1 : 0;
}

function formatSimulation(file: string, abs: string, sim: Simulation): string {
  const out: string[] = [];
  for (const p of sim.paths) {
    if (p.steps.length && p === sim.paths[0]) {
      out.push(`${file}: ${sim.entry}, one path:`);
      for (const s of p.steps) {
        const ch = Object.entries(s.changed).map(([k, v]) => `${k}=${v.length > 40 ? v.slice(0, 40) + '…' : v}`).join(' ');
        // (a step in a linked companion file: its name before the line)
        const at = s.file ? `${shownOther(s.file, file, abs)}:${s.line}` : String(s.line).padStart(5);
        out.push(`  ${at}  ${s.text.length > 60 ? s.text.slice(0, 60) + '…' : s.text.padEnd(60)}${ch ? '  ' + ch : ''}`);
      }
    }
    const e = p.exit;
    const where = e.file ? shownOther(e.file, file, abs) : file;
    if (e.kind === 'unknown' && 'reason' in e) {
      out.push(`${where}:${e.line}: ${p.verdict}: ${e.reason}${e.missing.length ? ` (pin ${e.missing.join(', ')} with --set)` : ''}${p.codes.length ? ` [${p.codes.join(', ')}]` : ''}`);
      if (p.exitCondition) out.push(`    taken when: ${p.exitCondition}${p.paths ? ` (${p.paths} paths)` : ''}`);
      continue;
    }
    const x = e as Exclude<SimPath['exit'], { reason: string }>;
    const how = x.fault ? `fault #${x.fault.vector === 13 ? 'GP' : x.fault.vector} (vector ${x.fault.vector}) in ring ${x.fault.ring}` : `${x.kind.toUpperCase()} to user mode`;
    out.push(`${where}:${x.line}: ${x.vendor}: ${how} — ${p.verdict}${p.codes.length ? ` [${p.codes.join(', ')}]` : ''}${heldBy(p)}`);
    const u = x.user;
    out.push(`    rip=${u.rip} rsp=${u.rsp} rflags=${u.rflags} cs=${u.cs} ss=${u.ss} gs=${u.gsBase} cr3=${u.cr3}`);
  }
  return out.join('\n') + '\n';
}

function describeReadError(p: string): string {
  try {
    const st = statSync(p);
    if (st.isDirectory()) return 'is a directory';
    readFileSync(p);
    return 'unreadable';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    return err instanceof Error ? err.message : String(err);
  }
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await runCheck(rest, io);
      case 'simulate':
        return await runSimulate(rest, io);
      case 'diff':
        return await runDiff(rest, io);
      case 'lsp': {
        if (rest.length !== 1 || rest[0] !== '--stdio') throw new UsageError('lsp takes exactly --stdio');
        const { startServer } = await import('./server');
        startServer();
        return -1; // keeps running until the client exits it
      }
      case '--version':
      case '-v':
        io.stdout(`entry-review ${VERSION}\n`);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        io.stdout(USAGE + '\n');
        return 0;
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`entry-review: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}
