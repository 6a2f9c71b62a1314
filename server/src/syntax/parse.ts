// parseProgram: text → Program. The C preprocessor feeds the assembler stage line by line;
// the built-in prelude (prelude.ts) runs first.
import * as path from 'node:path';
import type { Expr, FileReader, Location, MissingInclude, ParseOptions, Program, SymbolInfo, SyntaxDiagnostic } from './types';
import { Assembler, type MacroDef } from './gas';
import { linkCompanion } from './companion';
import { Preprocessor, preambleLength, tokenizeFile, type CppHost, type CppMacro } from './cpp';
import { restoreState, saveState, type State } from './snapshot';
import { logsOf, Recorder, restoreCheckpoint, resumePoint, type Kept } from './incremental';
import { builtinHeader, builtinMacros, isCoveredHeader, LOCKED_DEFINES, PRELUDE_FILE, PRELUDE_TEXT } from './prelude';
import { lex } from './lexer';
import { plainLines } from './lines';
import { parseExprTokens } from './expr';
import { BUILD_DEFINES, DEFAULT_CONFIG } from './config';

/** Directories of a kernel tree that a kernel build passes with -I, in the build's order. */
const TREE_DIRS = [
  'arch/x86/include', 'arch/x86/include/generated', 'include', 'arch/x86/include/uapi',
  'arch/x86/include/generated/uapi', 'include/uapi', 'include/generated/uapi',
];
/**
 * A FreeBSD source tree is its `sys/` directory (kern.pre.mk's `$S`), marked by these files. Its
 * build passes `-I. -I$S`, `.` being the object directory, where `machine` and `x86` are links to
 * `$S/amd64/include` and `$S/x86/include` and genassym writes assym.inc: an unbuilt tree has
 * neither, so `<machine/X>` and `<x86/X>` are read through the links' targets (FREEBSD_LINKS) and a
 * missing assym.inc is the prelude's stand-in.
 */
const FREEBSD_PROBES = ['amd64/include/asmacros.h', 'sys/param.h'];
const FREEBSD_LINKS: [string, string][] = [['machine/', 'amd64/include/'], ['x86/', 'x86/include/']];
/**
 * A Xen tree before 4.17 (xen/ of the Xen repository) keeps the architecture's headers in
 * include/asm-x86; its build links include/asm to them and passes -I include and the two mach-*
 * directories (arch/x86/Rules.mk). An unbuilt tree has no link: `<asm/X>` is read from asm-x86.
 */
const OLD_XEN_PROBES = ['include/asm-x86/config.h', 'include/xen/config.h'];
const OLD_XEN_DIRS = ['include', 'include/asm-x86/mach-generic', 'include/asm-x86/mach-default'];
const OLD_XEN_LINKS: [string, string][] = [['asm/', 'include/asm-x86/']];
/** Files whose presence marks a kernel tree when the reader cannot test directories. */
const TREE_PROBES = [
  'arch/x86/include/asm/segment.h', 'arch/x86/include/asm/linkage.h', 'arch/x86/include/asm/calling.h',
  'arch/x86/include/asm/percpu.h', 'arch/x86/include/uapi/asm/ptrace-abi.h', 'arch/x86/include/asm/irqflags.h',
  // a Xen tree (xen/ of the Xen repository, 4.17 and later)
  'arch/x86/include/asm/config.h',
];

const posix = path.posix;

/** What `gcc -D__ASSEMBLY__ -D__KERNEL__ -x assembler-with-cpp` defines for an x86-64 kernel .S file. */
const DRIVER_DEFINES: [string, string][] = [
  ['__ASSEMBLY__', '1'], ['__ASSEMBLER__', '1'], ['__KERNEL__', '1'], ['__x86_64__', '1'], ['__x86_64', '1'],
  ['__ELF__', '1'], ['__linux__', '1'], ['__STDC__', '1'], ['__LP64__', '1'], ['_LP64', '1'], ['__CHAR_BIT__', '8'],
  ['__SIZEOF_LONG__', '8'], ['__SIZEOF_POINTER__', '8'], ['__SIZEOF_INT__', '4'],
  ['__GNUC__', '12'], ['__GNUC_MINOR__', '2'], ['__GNUC_PATCHLEVEL__', '0'],
];

function pathApi(file: string): typeof path.posix {
  return /^[A-Za-z]:[\\/]/.test(file) || file.includes('\\') ? path.win32 : posix;
}

function hasAll(dir: string, probes: string[], files: FileReader): boolean {
  const p = pathApi(dir);
  return probes.every((f) => (files.exists ? files.exists(p.join(dir, f)) : files.read(p.join(dir, f)) !== undefined));
}

/** True when `dir` is a FreeBSD tree's `sys/` directory (FREEBSD_PROBES). */
function isFreeBsdTree(dir: string, files: FileReader): boolean {
  return hasAll(dir, FREEBSD_PROBES, files);
}

/** True when `dir` is a pre-4.17 Xen tree's `xen/` directory (OLD_XEN_PROBES). */
function isOldXenTree(dir: string, files: FileReader): boolean {
  return hasAll(dir, OLD_XEN_PROBES, files);
}

/**
 * Finds the kernel tree above `file`: a directory with arch/x86/include (Linux, or Xen's xen/ since
 * 4.17), a pre-4.17 Xen tree's xen/ directory, or a FreeBSD tree's sys/ directory.
 */
export function findKernelTree(file: string, files: FileReader): string | undefined {
  const p = pathApi(file);
  let dir = p.dirname(file);
  for (let i = 0; i < 32; i++) {
    if (files.exists) {
      if (files.exists(p.join(dir, 'arch/x86/include'))) return dir;
    } else if (TREE_PROBES.some((f) => files.read(p.join(dir, f)) !== undefined)) return dir;
    if (isFreeBsdTree(dir, files) || isOldXenTree(dir, files)) return dir;
    const up = p.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Reads a kernel .config: CONFIG_X=y → 1, =m → CONFIG_X_MODULE 1, =n / "is not set" → nothing. */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, name, v] = m;
    if (v === 'y') out.set(name, '1');
    else if (v === 'm') out.set(name + '_MODULE', '1');
    else if (v === 'n' || v === '') continue;
    else out.set(name, v);
  }
  return out;
}

function emptyProgram(file: string, message: string): Program {
  return {
    file, statements: [], symbols: [], labels: new Map(), constants: new Map(),
    diagnostics: [{ code: 'parse', severity: 'error', message, loc: { file, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } } }],
    inactiveRanges: [], includes: [], macroExpansions: [], alternatives: [], exceptionTable: [], missingIncludes: [],
    configuration: { assumed: false, defines: {} },
  };
}

export function parseProgram(file: string, text: string, options: ParseOptions, files: FileReader): Program {
  try {
    const o = options ?? {};
    const program = parseUnsafe(file, typeof text === 'string' ? text : String(text ?? ''), o, files);
    return o.companion === false ? program : linkCompanion(program, files, (f, t) => parseUnsafe(f, t, { ...o, companion: false }, files), o.companions);
  } catch (e) {
    // Never let an internal error escape: report it and return an empty program.
    const message = e instanceof Error ? e.message : String(e);
    return emptyProgram(file, `internal parser error: ${message}`);
  }
}

function parseUnsafe(file: string, text: string, options: ParseOptions, files: FileReader): Program {
  const p = pathApi(file);
  const asm = new Assembler(file);
  const readCache = new Map<string, string | undefined>();
  // what the preamble read, while it runs (the preamble cache checks it all again on its next use)
  let reads: [string, string | undefined][] | undefined;
  // what the whole parse read (an incremental parse checks it all again before it resumes)
  const allReads = new Map<string, string | undefined>();
  const read = (f: string): string | undefined => {
    const t = readCached(f);
    allReads.set(f, t);
    if (reads) reads.push([f, t]);
    return t;
  };
  const readCached = (f: string): string | undefined => {
    if (readCache.has(f)) return readCache.get(f);
    let t: string | undefined;
    try {
      t = files.read(f);
    } catch {
      t = undefined;
    }
    readCache.set(f, t);
    return t;
  };
  const tree = options.findKernelTree === false ? undefined : findKernelTree(file, { read, exists: files.exists?.bind(files) });
  const searchDirs = [...(options.includePaths ?? [])];
  const treeReader: FileReader = { read, exists: files.exists?.bind(files) };
  // the build's links that an unbuilt tree lacks, read through their targets at the directory that holds them
  let links: { at: string; map: [string, string][] } | undefined;
  if (tree && isFreeBsdTree(tree, treeReader)) {
    searchDirs.push(tree);
    links = { at: tree, map: FREEBSD_LINKS };
  } else if (tree && !files.exists?.(p.join(tree, 'arch/x86/include')) && isOldXenTree(tree, treeReader)) {
    for (const d of OLD_XEN_DIRS) searchDirs.push(p.join(tree, d));
    links = { at: p.join(tree, 'include'), map: OLD_XEN_LINKS };
  } else if (tree) for (const d of TREE_DIRS) searchDirs.push(p.join(tree, d));
  const missingIncludes: MissingInclude[] = [];

  const host: CppHost = {
    resolve(name, angled, fromFile, next) {
      if (p.isAbsolute(name)) {
        const t = read(name);
        return t === undefined ? undefined : { path: name, text: t };
      }
      const dirs = angled ? [...searchDirs] : [p.dirname(fromFile), ...searchDirs];
      let start = 0;
      if (next) {
        const fromDir = p.dirname(fromFile);
        const idx = dirs.findIndex((d) => fromDir === d || fromFile.startsWith(d + p.sep) && p.dirname(p.join(d, name)) === fromDir);
        start = idx >= 0 ? idx + 1 : 0;
      }
      for (let i = start; i < dirs.length; i++) {
        // FreeBSD: the object directory's machine/ and x86/ links come before $S (-I. -I$S);
        // old Xen: include/asm is a link to include/asm-x86
        if (links && tree && dirs[i] === links.at) {
          const link = links.map.find(([from]) => name.startsWith(from));
          const target = link && p.join(tree, link[1] + name.slice(link[0].length));
          const t = target && read(target);
          if (target && t !== undefined) return { path: target, text: t };
        }
        const f = p.join(dirs[i], name);
        if (f === fromFile && next) continue;
        const t = read(f);
        if (t !== undefined) return { path: f, text: t };
      }
      // A build generates arch/x86/include/generated/asm/X.h as a wrapper of asm-generic/X.h for
      // every header the architecture takes from asm-generic (Kbuild's generic-y / mandatory-y);
      // an unbuilt tree lacks the wrapper, so read the generic header it would include.
      if (tree && !next && name.startsWith('asm/')) {
        for (const d of searchDirs) {
          const f = p.join(d, 'asm-generic', name.slice(4));
          const t = read(f);
          if (t !== undefined) return { path: f, text: t };
        }
      }
      return undefined;
    },
    missing(name, loc) {
      const stand = builtinHeader(name);
      const covered = stand !== undefined || isCoveredHeader(name);
      missingIncludes.push({ name, loc, covered });
      return stand !== undefined ? { path: `entry-review:${name}`, text: stand } : covered;
    },
  };

  const pp = new Preprocessor(file, host, (line) => asm.feed(line));
  const builtinLoc: Location = { file: PRELUDE_FILE, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  // What the compiler driver defines for a kernel .S file.
  // (__ASSEMBLER__ is gcc's own for .S files; newer kernels test it instead of __ASSEMBLY__.)
  for (const [k, v] of DRIVER_DEFINES) {
    pp.define(k, v, builtinLoc);
  }
  // What the kernel build's command line adds (assembler probes), then the configuration: the
  // tree's .config, else its generated autoconf.h, else the built-in default (config.ts); then
  // -D and -U (later wins).
  const buildLoc: Location = { file: PRELUDE_FILE, range: builtinLoc.range };
  for (const [k, v] of BUILD_DEFINES) pp.define(k, v, buildLoc);
  let configSource: string | undefined;
  if (tree) {
    const cfgPath = p.join(tree, '.config');
    const cfg = read(cfgPath);
    if (cfg !== undefined) {
      pp.included.push(cfgPath);
      configSource = cfgPath;
      const cfgLoc: Location = { file: cfgPath, range: builtinLoc.range };
      for (const [k, v] of parseKernelConfig(cfg)) pp.define(k, v, cfgLoc);
    } else {
      // No .config: a configured tree still has the header generated from it.
      const autoconfPath = p.join(tree, 'include/generated/autoconf.h');
      const autoconf = read(autoconfPath);
      if (autoconf !== undefined) {
        pp.included.push(autoconfPath);
        configSource = autoconfPath;
        pp.run(autoconfPath, autoconf, 'include');
      }
    }
  }
  const assumed = configSource === undefined;
  if (assumed) {
    const dcLoc: Location = { file: PRELUDE_FILE, range: builtinLoc.range };
    for (const [k, v] of DEFAULT_CONFIG) pp.define(k, v, dcLoc);
  }
  const defLoc: Location = { file, range: builtinLoc.range };
  for (const [k, v] of Object.entries(options.defines ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue;
    pp.define(k, v === undefined || v === '' ? '1' : v, defLoc);
  }
  for (const k of options.undefines ?? []) pp.macros.delete(k);
  const configuration: Program['configuration'] = { assumed, defines: {}, ...(configSource ? { source: configSource } : {}) };
  for (const [name, m] of pp.macros) {
    if (name.startsWith('CONFIG_') && !m.fn) configuration.defines[name] = m.body.map((t) => t.t).join('');
  }

  // Feature arguments come to ALTERNATIVE as numbers when a header defined the name; map back,
  // with the names defined where the ALTERNATIVE is (made again when a definition changed since:
  // a parse started from a checkpoint gives the names a parse from the top does)
  let featureByValue: { generation: number; map: Map<string, string> } | undefined;
  const featureName = (t: string): string => {
    const s = t.trim();
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) return s;
    const v = evalText(s, asm);
    if (v === undefined) return s;
    if (featureByValue?.generation !== pp.macroGeneration) {
      const map = new Map<string, string>();
      for (const [name, m] of pp.macros) {
        if (m.fn || !/^X86_(FEATURE|BUG)_/.test(name)) continue;
        // a body of numbers alone has its value whatever else is defined (kept across parses: a
        // header's macro objects are the same in every parse that starts from a kept state)
        const plain = m.body.every((x) => x.k !== 'id');
        const mv = plain && featureValue.has(m) ? featureValue.get(m) : evalText(pp.expandText(name, VALUE_TOKENS), asm);
        if (plain) featureValue.set(m, mv);
        if (mv !== undefined && !map.has(mv.toString())) map.set(mv.toString(), name);
      }
      featureByValue = { generation: pp.macroGeneration, map };
    }
    return featureByValue.map.get(v.toString()) ?? s;
  };
  asm.builtins = builtinMacros(featureName);
  asm.usesKernelStackVar = /\bPER_CPU_VAR\s*\(\s*kernel_stack\s*\)/.test(text);
  asm.cppExpand = (t) => pp.expandText(t);
  asm.includeFile = (name, from) => {
    // GNU as reads .include files itself: no C preprocessor.
    const found = host.resolve(name, false, from.loc.file === PRELUDE_FILE ? file : from.loc.file, false);
    if (!found) return undefined;
    if (!pp.included.includes(found.path)) pp.included.push(found.path);
    return plainLines(found.path, found.text, 'include', from);
  };

  // The prelude: run once per distinct set of predefined macros, then restored from a snapshot.
  const key = preludeKey(pp);
  let snap = preludeCache.get(key);
  if (!snap) {
    pp.definingPrelude = true;
    pp.locked = new Set(LOCKED_DEFINES);
    pp.run(PRELUDE_FILE, PRELUDE_TEXT, 'prelude');
    pp.definingPrelude = false;
    snap = {
      ppMacros: new Map(pp.macros), asmMacros: new Map(asm.macros), asmSymbols: [...asm.symbols],
      asmConstants: new Map(asm.constants), asmSymbolExprs: new Map(asm.symbolExprs),
      ppDiagnostics: [...pp.diagnostics], asmDiagnostics: [...asm.diagnostics], defineInfo: new Map(),
    };
    for (const [name, m] of pp.macros) snap.defineInfo.set(name, defineSymbol(name, m, pp, asm));
    if (preludeCache.size >= 8) preludeCache.delete(preludeCache.keys().next().value as string);
    preludeCache.set(key, snap);
  } else {
    pp.macros = new Map(snap.ppMacros);
    pp.locked = new Set(LOCKED_DEFINES);
    asm.macros = new Map(snap.asmMacros);
    asm.symbols = [...snap.asmSymbols];
    asm.constants = new Map(snap.asmConstants);
    asm.symbolExprs = new Map(snap.asmSymbolExprs);
    pp.diagnostics = [...snap.ppDiagnostics];
    asm.diagnostics = [...snap.asmDiagnostics];
  }
  const preludeSnap = snap;

  let preamble: PreambleSnapshot | undefined;
  // an incremental parse keeps what the next parse of this file may start from (incremental.ts)
  const incremental = options.incremental !== false;
  let keep: Kept | undefined;
  if (options.preprocess ?? !/\.s$/.test(file)) {
    const lines = tokenizeFile(text);
    // The preamble (the forced includes, then the file's leading directives: its #includes) is run
    // once and its end state kept: the next parse of this file whose prelude, include paths and
    // preamble text are the same, and whose every file the preamble read reads the same, starts
    // from that state (re-parsing after an edit below the #includes no longer preprocesses them).
    const pre = preambleLength(lines);
    const preKey = pre ? `${key}\u0002${JSON.stringify([searchDirs, tree, links, options.preprocess])}\u0002${text.slice(0, lineEndOffset(text, lines[pre - 1].el))}` : '';
    const kept = pre ? preambleCache.get(file) : undefined;
    const keptValid = !!kept && kept.key === preKey && kept.reads.every(([f, t]) => readCached(f) === t);
    // An earlier parse of this file with the same settings and headers: start from its last
    // checkpoint above the edit (incremental.ts); what the preamble read is read again there
    const incKey = `${key}\u0002${JSON.stringify([searchDirs, tree, links, options.preprocess, options.undefines, asm.usesKernelStackVar])}`;
    // (resumePoint reads again, through `read`, every file the earlier parse read)
    const prior = incremental ? resumePoint(keptParses.get(file), incKey, text, lines, read) : undefined;
    let startAt = pre;
    if (prior) {
      restoreCheckpoint(pp, asm, missingIncludes, prior.kept, prior.from);
      // (the kept preamble's define memo still serves the symbol table below)
      if (keptValid) preamble = kept;
      startAt = prior.from.index;
    } else if (keptValid && kept) {
      preamble = kept;
      restoreState(pp, kept.pp);
      restoreState(asm, kept.asm);
      missingIncludes.push(...kept.missing);
      preambleCounts.hits++;
    } else {
      if (pre) reads = [];
      // A kernel build force-includes linux/kconfig.h (IS_ENABLED and friends) before every file;
      // Xen's build force-includes xen/config.h (its kconfig.h, asm/config.h, NDEBUG).
      if (tree) {
        for (const forced of ['include/linux/kconfig.h', 'include/xen/config.h']) {
          const forcedPath = p.join(tree, forced);
          const forcedText = read(forcedPath);
          if (forcedText === undefined) continue;
          pp.included.push(forcedPath);
          pp.run(forcedPath, forcedText, 'include');
          break;
        }
      }
      pp.runSource(file, lines, lines.slice(0, pre));
      if (reads && asm.quiescent) {
        if (preambleCache.size >= 8 && !preambleCache.has(file)) preambleCache.delete(preambleCache.keys().next().value as string);
        const ppState = saveState(pp, PP_OWN);
        // (the saved state's own copy of the macros: restoring copies it again, so it stays as it is)
        const macros = ppState.get('macros') as ReadonlyMap<string, CppMacro>;
        preamble = { key: preKey, reads, pp: ppState, asm: saveState(asm, ASM_OWN), missing: [...missingIncludes], macros, defines: { infos: new Map() } };
        preambleCache.set(file, preamble);
        preambleCounts.misses++;
      }
      reads = undefined;
    }
    const rec = new Recorder(pp, asm, missingIncludes, lines, prior);
    if (incremental) pp.onMainLine = (i) => asm.idle && rec.atLine(i);
    pp.runSource(file, lines, lines.slice(startAt), startAt);
    pp.onMainLine = undefined;
    // the logs as the lines left them (the finish adds to them, and resolves labels in copies)
    if (incremental) keep = { key: incKey, text, checkpoints: rec.checkpoints, end: rec.end(), logs: logsOf(pp, asm, missingIncludes), reads: allReads };
  } else {
    // A .s file goes straight to the assembler, as `gcc -c x.s` does: no #include, no cpp macros;
    // a line starting with '#' is a comment.
    for (const line of plainLines(file, text, 'source', undefined)) asm.feed(line);
  }
  asm.finish();
  asm.resolveExtable();
  if (keep) {
    if (keptParses.size >= 8 && !keptParses.has(file)) keptParses.delete(keptParses.keys().next().value as string);
    keptParses.set(file, keep);
  }

  // Symbols and constants: the assembler's, then the preprocessor's object-like macros.
  const symbols: SymbolInfo[] = [...asm.symbols];
  const constants = new Map(asm.constants);
  // Prelude macros keep their snapshot values unless the file (or a header) changed one of them.
  let preludeIntact = true;
  for (const [name, m] of preludeSnap.ppMacros) {
    if (pp.macros.get(name) !== m) {
      preludeIntact = false;
      break;
    }
  }
  // A kept preamble's macros keep the values an earlier parse found for them, unless their
  // expansion reads a name this parse defined otherwise (a header included further down) or an
  // assembler symbol.
  const memo = preamble?.defines;
  const base = preamble?.macros;
  const affected = memo && base ? affectedMacros(base, pp.macros, memo) : undefined;
  for (const [name, m] of pp.macros) {
    let info = preludeIntact && preludeSnap.ppMacros.get(name) === m ? preludeSnap.defineInfo.get(name) : undefined;
    const keep = memo && affected && base?.get(name) === m && !affected.has(name);
    if (!info && keep) {
      const e = memo.infos.get(name);
      if (e?.m === m) info = e.info;
    }
    if (!info) {
      const pure = { symbols: false };
      info = defineSymbol(name, m, pp, asm, pure);
      if (keep && !pure.symbols) memo.infos.set(name, { m, info });
    }
    if (info.value !== undefined && !constants.has(name)) constants.set(name, info.value);
    symbols.push(info);
  }

  const diagnostics = sortDiagnostics([...pp.diagnostics, ...asm.diagnostics], file);
  return {
    file,
    statements: asm.statements,
    symbols,
    labels: asm.labels,
    constants,
    diagnostics,
    inactiveRanges: mergeRanges([...pp.inactiveRanges, ...asm.inactiveRanges]),
    includes: pp.included,
    macroExpansions: [...pp.expansions, ...asm.macroExpansions],
    alternatives: asm.alternatives,
    exceptionTable: asm.exceptionTable,
    missingIncludes,
    ...(tree ? { kernelTree: tree } : {}),
    configuration: { ...configuration, tested: [...pp.configTested].sort() },
  };
}

interface PreludeSnapshot {
  ppMacros: Map<string, CppMacro>;
  asmMacros: Map<string, MacroDef>;
  asmSymbols: SymbolInfo[];
  asmConstants: Map<string, bigint>;
  asmSymbolExprs: Map<string, Expr>;
  ppDiagnostics: SyntaxDiagnostic[];
  asmDiagnostics: SyntaxDiagnostic[];
  defineInfo: Map<string, SymbolInfo>;
}
const preludeCache = new Map<string, PreludeSnapshot>();

/** A file's preamble and the state after it (parseUnsafe), by file. */
interface PreambleSnapshot {
  key: string;
  reads: [string, string | undefined][];
  pp: State;
  asm: State;
  missing: MissingInclude[];
  /** The preprocessor's macros after the preamble. */
  macros: ReadonlyMap<string, CppMacro>;
  defines: DefineMemo;
}

/** The values of a kept preamble's macros as a parse found them, and which macros' bodies name each name. */
interface DefineMemo {
  infos: Map<string, { m: CppMacro; info: SymbolInfo }>;
  readers?: Map<string, string[]>;
}
const preambleCache = new Map<string, PreambleSnapshot>();
/** The value of each feature macro whose body is numbers alone (parseUnsafe's featureName). */
const featureValue = new WeakMap<CppMacro, bigint | undefined>();
/** Each file's last parse, kept for the next (incremental.ts). */
const keptParses = new Map<string, Kept>();
const preambleCounts = { hits: 0, misses: 0 };
/** Fields each parse sets for itself: the host and sink (closures of this parse), the builtins bound to its preprocessor, what it reads off the whole text. */
const PP_OWN = ['host', 'sink', 'mainFile'];
const ASM_OWN = ['builtins', 'cppExpand', 'includeFile', 'usesKernelStackVar', 'mainFile'];

/** How often a parse started from a kept preamble (hits) and kept one (misses): for tests. */
export function preambleCacheStats(): { hits: number; misses: number } {
  return { ...preambleCounts };
}

/** The offset just past line `line` (0-based) of `text`, its newline included. */
function lineEndOffset(text: string, line: number): number {
  let at = 0;
  for (let i = 0; i <= line; i++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return at;
}
/** A #define whose expansion is longer than this is not evaluated for Program.constants. */
const VALUE_TOKENS = 2000;

function preludeKey(pp: Preprocessor): string {
  let k = '';
  for (const [name, m] of pp.macros) k += name + '\u0000' + m.text + '\u0001';
  return k;
}

/** The symbol-table entry of a #define, with its value when it is a constant expression. */
function defineSymbol(name: string, m: CppMacro, pp: Preprocessor, asm: Assembler, read?: { symbols: boolean }): SymbolInfo {
  const info: SymbolInfo = { name, kind: 'define', loc: m.loc, detail: m.text };
  if (m.weak || m.loc.file === PRELUDE_FILE) info.builtin = true;
  if (!m.fn && m.body.length > 0) {
    const v = evalText(pp.expandText(name, VALUE_TOKENS), asm, read);
    if (v !== undefined) info.value = v;
  }
  return info;
}

/**
 * The names in `now` whose value may differ from what `base`'s macros give: each defined otherwise
 * than in `base` (or not at all), the ones whose expansion changes with where it happens
 * (__COUNTER__, __LINE__, __FILE__), and every macro of `base` whose body names one of them,
 * through any chain of bodies.
 */
function affectedMacros(base: ReadonlyMap<string, CppMacro>, now: ReadonlyMap<string, CppMacro>, memo: DefineMemo): Set<string> {
  if (!memo.readers) {
    const readers = new Map<string, string[]>();
    for (const [name, m] of base) {
      for (const t of m.body) {
        if (t.k !== 'id') continue;
        const list = readers.get(t.t);
        if (!list) readers.set(t.t, [name]);
        else if (list[list.length - 1] !== name) list.push(name);
      }
    }
    memo.readers = readers;
  }
  const out = new Set<string>(['__COUNTER__', '__LINE__', '__FILE__']);
  for (const [name, m] of now) if (base.get(name) !== m) out.add(name);
  for (const name of base.keys()) if (!now.has(name)) out.add(name);
  const work = [...out];
  while (work.length) {
    for (const r of memo.readers.get(work.pop() as string) ?? []) {
      if (out.has(r)) continue;
      out.add(r);
      work.push(r);
    }
  }
  return out;
}

/** Evaluates assembler expression text with the assembler's constants (`read.symbols`: it named one). */
function evalText(text: string, asm: Assembler, read?: { symbols: boolean }): bigint | undefined {
  if (!text.trim()) return undefined;
  const toks = lex(text);
  if (read && toks.some((t) => t.k === 'id')) read.symbols = true;
  const r = parseExprTokens(toks, 0, toks.length);
  return r.expr ? asm.evaluate(r.expr) : undefined;
}

function sortDiagnostics(d: SyntaxDiagnostic[], file: string): SyntaxDiagnostic[] {
  return d
    .map((x, i) => ({ x, i }))
    .sort((a, b) => {
      const fa = a.x.loc.file === file ? 0 : 1;
      const fb = b.x.loc.file === file ? 0 : 1;
      if (fa !== fb) return fa - fb;
      const la = a.x.loc.range.start;
      const lb = b.x.loc.range.start;
      return la.line - lb.line || la.character - lb.character || a.i - b.i;
    })
    .map((e) => e.x);
}

function mergeRanges(rs: import('./types').Range[]): import('./types').Range[] {
  const sorted = [...rs].sort((a, b) => a.start.line - b.start.line || a.start.character - b.start.character);
  const out: import('./types').Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start.line <= last.end.line) {
      if (r.end.line > last.end.line || (r.end.line === last.end.line && r.end.character > last.end.character)) last.end = r.end;
    } else out.push({ start: { ...r.start }, end: { ...r.end } });
  }
  return out;
}

/** Forgets every kept preamble and parse (tests compare a parse from a kept one with a parse from none). */
export function clearPreambleCache(): void {
  preambleCache.clear();
  keptParses.clear();
}
