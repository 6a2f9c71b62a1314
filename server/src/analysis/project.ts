// The project file `.entry-review.json`: what Linux has built in, said as data for any other
// kernel — entries and their frame layouts, the work-flags words, contracts of called functions.
// Names (`TF_RIP`, `PCB_FULL_IRET`) resolve through the analysed file's own constants. A mistake
// is reported with the JSON path where it is; nothing in the file is ever executed.
import * as nodePath from 'node:path';
import { evalText, type FileReader, type Program } from '../syntax';
import { cellName } from '../x86';
import { CALLER_SAVED, type Contract, type FrameChange, type IfOnReturn } from './contracts';
import type { CellRef, Entry, EntryKind, ExitEvent, FrameLayout } from './walk';

export const PROJECT_FILE = '.entry-review.json';

/** A project's `accept` item: the code, optionally only at one entry's returns or one kind of return, and why. */
export interface Accept {
  code: string;
  entry?: string;
  /** `sysret`, `sysretl`, `iret`, `sysexit`. */
  ret?: string;
  why: string;
  /** As the verdict's assumes list shows it. */
  describe: string;
}

export interface ProjectEntry {
  label: string;
  kind: EntryKind;
  layout?: FrameLayout;
}

export interface Project {
  file: string;
  entries: ProjectEntry[];
  work?: { cells: CellRef[]; mask: bigint };
  selectors?: { userCs: bigint; userSs: bigint };
  /**
   * Where the user %cr3 lives when the kernel keeps its user page tables apart (FreeBSD's
   * per-CPU UCR3), and the value that says there is none (page-table isolation off: one %cr3).
   */
  userCr3?: CellRef & { none: bigint; name: string; stackEnd?: bigint }; // (base 'gs:': the per-CPU area; with stackEnd: at the stack's end)
  /**
   * Conditions the kernel's design answers otherwise than the checker's rules (Xen's SYSRET of a
   * frame that asked for it): such a broken condition holds by the project's word, said with the
   * verdict, and its finding is a note.
   */
  accept: Accept[];
  contracts: Map<string, Contract>;
  /** C files to read contract functions from (`"cSources"`, resolved against the project file). */
  cSources?: string[];
  /** Frame fields by their C member names (`tf_rip` → `ip`), from the frame's constant names. */
  cFields?: Record<string, string>;
  errors: { path: string; message: string }[];
}

/** The nearest `.entry-review.json` at or above the file's directory, read through the reader. */
export function findProjectFile(file: string, files: FileReader): { path: string; text: string } | undefined {
  let dir = file.replace(/\/[^/]*$/, '') || '/';
  for (let i = 0; i < 64; i++) {
    const p = (dir === '/' ? '' : dir) + '/' + PROJECT_FILE;
    const text = files.exists && !files.exists(p) ? undefined : files.read(p);
    if (text !== undefined) return { path: p, text };
    if (dir === '/' || dir === '') return undefined;
    dir = dir.replace(/\/[^/]*$/, '') || '/';
  }
  return undefined;
}

/**
 * The project file's `preprocess` (true: run the C preprocessor over every file, `.s` ones too, as
 * illumos's build does; false: over none), read before the file is parsed; undefined when the
 * file does not say (or is not JSON: readProject reports that).
 */
export function projectPreprocess(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  try {
    const j: unknown = JSON.parse(text);
    return isObject(j) && typeof j.preprocess === 'boolean' ? j.preprocess : undefined;
  } catch {
    return undefined;
  }
}

/** A list of file paths, each a non-empty string (`cSources`, `companions`). */
function isPathList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((f) => typeof f === 'string' && f !== '');
}

/**
 * The files a project file names (`companions`, relative to it) where the code an entry file jumps
 * into may live; read before the file, which is linked with the first that defines its targets.
 */
export function projectCompanions(path: string | undefined, text: string | undefined): string[] | undefined {
  if (path === undefined || text === undefined) return undefined;
  try {
    const j: unknown = JSON.parse(text);
    if (!isObject(j) || !isPathList(j.companions)) return undefined;
    return j.companions.map((f) => nodePath.resolve(nodePath.dirname(path), f));
  } catch {
    return undefined;
  }
}

/**
 * The keys the reader knows, by where they stand (every other key is reported). The editor's
 * schema, schemas/entry-review.schema.json, says the same (a test holds them together).
 */
export const PROJECT_KEYS = {
  top: ['entries', 'workFlags', 'selectors', 'userCr3', 'contracts', 'cSources', 'companions', 'preprocess', 'accept'],
  entry: ['label', 'kind', 'frame'],
  frame: ['offset', 'size', 'fields', 'returnFlags'],
  returnFlags: ['clear', 'set'],
  selectors: ['userCs', 'userSs'],
  userCr3: ['percpu', 'none'],
  userCr3AtStackEnd: ['stackEnd', 'offset', 'none'],
  cell: ['percpu', 'offset', 'mask'],
  accept: ['code', 'entry', 'return', 'why'],
  contract: ['frame', 'interrupts', 'exitWorkDone', 'setsWork', 'clobbers'],
  contractFrame: ['onlyWith'],
};

export const KINDS: EntryKind[] = ['syscall', 'compat', 'sysenter', 'interrupt', 'exception', 'int80', 'frame'];
export const IFS: IfOnReturn[] = ['off', 'on', 'unchanged', 'unknown'];
/** What `accept` may name: how the user state after a return differs from the frame, exit work, a register's value — a design may answer those otherwise; never a fault in ring 0, the GS base or CR3 (say where the user %cr3 lives instead: userCr3). */
export const ACCEPTABLE = new Set(['sysret-rcx-not-rip', 'sysret-r11-not-rflags', 'sysret-rf-tf', 'sysret-selectors', 'return-rsp-not-user', 'exit-work-unchecked', 'kernel-value-leak']);
export const RETURN_KINDS = ['sysret', 'sysretl', 'iret', 'sysexit'];
const REGS = new Set(CALLER_SAVED.concat(['rbx', 'rbp', 'r12', 'r13', 'r14', 'r15']));

/** Parses and checks a project file against the program whose constants its names refer to. */
export function readProject(path: string, text: string, program: Program): Project {
  const project: Project = { file: path, entries: [], contracts: new Map(), accept: [], errors: [] };
  const err = (p: string, message: string): void => void project.errors.push({ path: p, message });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    err('$', `not JSON: ${e instanceof Error ? e.message : String(e)}`);
    return project;
  }
  if (!isObject(json)) {
    err('$', 'expected an object with "entries", "workFlags" and/or "contracts"');
    return project;
  }
  // a key this reader does not know is a mistake, not a choice: a misspelt "workflags" or
  // "onlywith" would otherwise leave the checks on their defaults without a word
  // ("$schema" names the editor's schema; a key starting with "//" is a comment)
  const known = (o: unknown, p: string, keys: string[]): void => {
    if (!isObject(o)) return;
    for (const k of Object.keys(o)) if (!keys.includes(k) && k !== '$schema' && !k.startsWith('//')) err(`${p}.${k}`, `unknown key (expected ${keys.map((x) => `"${x}"`).join(', ')})`);
  };
  known(json, '$', PROJECT_KEYS.top);
  if (Array.isArray(json.entries))
    json.entries.forEach((e, i) => {
      known(e, `$.entries[${i}]`, PROJECT_KEYS.entry);
      if (isObject(e)) known(e.frame, `$.entries[${i}].frame`, PROJECT_KEYS.frame);
      if (isObject(e) && isObject(e.frame)) known(e.frame.returnFlags, `$.entries[${i}].frame.returnFlags`, PROJECT_KEYS.returnFlags);
    });
  known(json.selectors, '$.selectors', PROJECT_KEYS.selectors);
  known(json.userCr3, '$.userCr3', isObject(json.userCr3) && json.userCr3.stackEnd !== undefined ? PROJECT_KEYS.userCr3AtStackEnd : PROJECT_KEYS.userCr3);
  if (Array.isArray(json.workFlags)) json.workFlags.forEach((w, i) => known(w, `$.workFlags[${i}]`, PROJECT_KEYS.cell));
  if (Array.isArray(json.accept)) json.accept.forEach((a, i) => known(a, `$.accept[${i}]`, PROJECT_KEYS.accept));
  if (isObject(json.contracts))
    for (const [name, c] of Object.entries(json.contracts)) {
      known(c, `$.contracts.${name}`, PROJECT_KEYS.contract);
      if (isObject(c) && isObject(c.frame)) {
        known(c.frame, `$.contracts.${name}.frame`, PROJECT_KEYS.contractFrame);
        known(c.frame.onlyWith, `$.contracts.${name}.frame.onlyWith`, PROJECT_KEYS.cell);
      }
    }
  const value = (v: unknown, p: string): bigint | undefined => {
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    if (typeof v !== 'string') return void err(p, 'expected a number or the name of a constant of the file (e.g. "TF_RIP", "A|B", "1 - CPUINFO_sizeof + CPUINFO_pv_cr3")');
    // names and numbers ORed ("A|B"); anything else is an expression over the file's constants
    if (/^\s*[\w.]+\s*(\|\s*[\w.]+\s*)*$/.test(v)) {
      let acc = 0n;
      for (const part of v.split('|')) {
        const t = part.trim();
        const n = /^(0x[0-9a-f]+|\d+)$/i.test(t) ? BigInt(t) : program.constants.get(t);
        if (n === undefined) return void err(p, `'${t}' is not a constant of this file (its headers define no such value)`);
        acc |= n;
      }
      return acc;
    }
    const r = evalText(v, (n) => program.constants.get(n));
    if (r.unknown.length) return void err(p, `'${r.unknown[0]}' is not a constant of this file (its headers define no such value)`);
    if (r.value === undefined) return void err(p, `'${v}': ${r.error ?? 'not an expression'}`);
    return r.value;
  };
  const percpuCell = (v: unknown, p: string): (CellRef & { mask: bigint; name: string }) | undefined => {
    if (!isObject(v)) return void err(p, 'expected { "percpu": SYMBOL, "offset": ..., "mask": ... }');
    if (typeof v.percpu !== 'string') return void err(p + '.percpu', 'expected the per-CPU pointer the code loads (e.g. "PC_CURTHREAD")');
    const at = program.constants.get(v.percpu);
    const base = `percpu.${at === undefined ? v.percpu : cellName('', at)}`;
    const offset = value(v.offset ?? 0, p + '.offset');
    const mask = value(v.mask, p + '.mask');
    if (offset === undefined || mask === undefined) return undefined;
    return { base, offset, mask, name: typeof v.mask === 'string' ? v.mask : v.percpu };
  };

  if (json.entries !== undefined) {
    if (!Array.isArray(json.entries)) err('$.entries', 'expected an array of entries');
    else
      json.entries.forEach((e, i) => {
        const p = `$.entries[${i}]`;
        if (!isObject(e)) return err(p, 'expected { "label": ..., "kind": ..., "frame": ... }');
        if (typeof e.label !== 'string' || !e.label) return err(p + '.label', 'expected the entry label');
        const kind = (e.kind ?? 'syscall') as EntryKind;
        if (!KINDS.includes(kind)) return err(p + '.kind', `expected one of ${KINDS.join(', ')}`);
        if (!program.labels.has(e.label)) err(p + '.label', `no label '${e.label}' in this file`);
        let layout: FrameLayout | undefined;
        if (e.frame !== undefined) {
          if (!isObject(e.frame) || !isObject(e.frame.fields)) return err(p + '.frame', 'expected { "size": ..., "fields": { "ip": ..., "flags": ..., "cs": ..., "ss": ..., "sp": ... } }');
          // a frame entry's frame is where RSP points at the label (plus `offset`); the others'
          // sits `size` below the top of the stack the entry switches to
          const size = kind === 'frame' ? (e.frame.offset === undefined ? 0n : value(e.frame.offset, p + '.frame.offset')) : value(e.frame.size, p + '.frame.size');
          const fields: Record<string, bigint> = {};
          for (const [k, v] of Object.entries(e.frame.fields)) {
            const o = value(v, `${p}.frame.fields.${k}`);
            if (o !== undefined) fields[k] = o;
            // the C name of a field given by its constant (TF_RIP → tf_rip), for the C reader
            if (typeof v === 'string' && /^[A-Za-z_]\w*$/.test(v)) (project.cFields ??= {})[v.toLowerCase()] = k;
          }
          for (const need of ['ip', 'flags', 'cs', 'ss', 'sp']) if (!(need in e.frame.fields)) err(`${p}.frame.fields`, `missing "${need}": the checks compare the return with it`);
          if (size !== undefined) layout = { size, fields };
          if (e.frame.returnFlags !== undefined) {
            const rf = e.frame.returnFlags;
            if (!isObject(rf) || (rf.clear === undefined && rf.set === undefined)) err(p + '.frame.returnFlags', 'expected { "clear": ..., "set": ... } (the flag bits the kernel clears and sets in what it gives back)');
            else {
              const clear = rf.clear === undefined ? 0n : value(rf.clear, p + '.frame.returnFlags.clear');
              const set = rf.set === undefined ? 0n : value(rf.set, p + '.frame.returnFlags.set');
              const said = [rf.clear !== undefined ? `${String(rf.clear)} clear` : '', rf.set !== undefined ? `${String(rf.set)} set` : ''].filter(Boolean).join(', ');
              if (layout && clear !== undefined && set !== undefined) layout.returnFlags = { clear, set, text: `with ${said}` };
            }
          }
          if (layout && kind === 'frame' && e.frame.size !== undefined) {
            const length = value(e.frame.size, p + '.frame.size');
            if (length !== undefined) layout.length = length;
          }
        }
        if (kind === 'frame' && !layout) return err(p + '.frame', 'a frame entry needs its frame: { "offset": ..., "fields": { ... } }');
        project.entries.push({ label: e.label, kind, layout });
      });
  }
  if (json.preprocess !== undefined && typeof json.preprocess !== 'boolean') {
    err('$.preprocess', 'expected true (run the C preprocessor over every file, .s too) or false (over none)');
  }
  if (json.userCr3 !== undefined) {
    const u = json.userCr3;
    if (isObject(u) && u.stackEnd !== undefined) {
      // a frame entry's per-CPU word at the end of the stack it runs on (Xen's cpu_info)
      const stack = value(u.stackEnd, '$.userCr3.stackEnd');
      const offset = value(u.offset ?? 0, '$.userCr3.offset');
      const none = u.none === undefined ? 0n : value(u.none, '$.userCr3.none');
      if (stack !== undefined && (stack <= 0n || (stack & (stack - 1n)) !== 0n)) err('$.userCr3.stackEnd', 'expected the stack size, a power of two (its end is RSP with the low bits set)');
      else if (stack !== undefined && offset !== undefined && none !== undefined) project.userCr3 = { base: 'stack-end', offset, none, stackEnd: stack, name: typeof u.offset === 'string' ? u.offset : 'the word at the stack\'s end' };
    } else if (!isObject(u) || typeof u.percpu !== 'string') err('$.userCr3', 'expected { "percpu": SYMBOL, "none": ... } (the per-CPU word holding the user %cr3, e.g. "PC_UCR3"), or { "stackEnd": STACK_SIZE, "offset": ..., "none": ... } (a word at the end of the stack a frame entry runs on)');
    else {
      const at = program.constants.get(u.percpu);
      const none = u.none === undefined ? (1n << 64n) - 1n : value(u.none, '$.userCr3.none');
      if (at === undefined) err('$.userCr3.percpu', `'${u.percpu}' is not a constant of this file`);
      else if (none !== undefined) project.userCr3 = { base: 'gs:', offset: at, none, name: u.percpu };
    }
  }
  if (json.selectors !== undefined) {
    if (!isObject(json.selectors)) err('$.selectors', 'expected { "userCs": ..., "userSs": ... } (the selectors SYSRET loads)');
    else {
      const userCs = value(json.selectors.userCs, '$.selectors.userCs');
      const userSs = value(json.selectors.userSs, '$.selectors.userSs');
      if (userCs !== undefined && userSs !== undefined) project.selectors = { userCs, userSs };
    }
  }
  if (json.workFlags !== undefined) {
    if (!Array.isArray(json.workFlags)) err('$.workFlags', 'expected an array of { "percpu", "offset", "mask" }');
    else {
      const cells: CellRef[] = [];
      let mask = 0n;
      json.workFlags.forEach((w, i) => {
        const c = percpuCell(w, `$.workFlags[${i}]`);
        if (c) {
          cells.push({ base: c.base, offset: c.offset });
          mask |= c.mask;
        }
      });
      if (cells.length) project.work = { cells, mask };
    }
  }
  if (json.accept !== undefined) {
    if (!Array.isArray(json.accept)) err('$.accept', 'expected an array of { "code": ..., "why": ... }');
    else
      json.accept.forEach((a, i) => {
        const p = `$.accept[${i}]`;
        if (!isObject(a)) return err(p, 'expected { "code": ..., "entry": ..., "return": ..., "why": ... }');
        if (typeof a.code !== 'string' || !ACCEPTABLE.has(a.code)) return err(p + '.code', `expected one of ${[...ACCEPTABLE].join(', ')}`);
        if (typeof a.why !== 'string' || !a.why.trim()) return err(p + '.why', 'expected the reason, as the verdict will show it');
        if (a.entry !== undefined && (typeof a.entry !== 'string' || !program.labels.has(a.entry))) return err(p + '.entry', `no label '${String(a.entry)}' in this file`);
        if (a.return !== undefined && (typeof a.return !== 'string' || !RETURN_KINDS.includes(a.return))) return err(p + '.return', `expected one of ${RETURN_KINDS.join(', ')}`);
        const where = [a.entry ? `at ${a.entry}` : '', a.return ? `on ${String(a.return).toUpperCase()}` : ''].filter(Boolean).join(' ');
        project.accept.push({ code: a.code, ...(a.entry ? { entry: a.entry as string } : {}), ...(a.return ? { ret: a.return as string } : {}), why: a.why.trim(), describe: `${a.code}${where ? ' ' + where : ''} accepted (${PROJECT_FILE}): ${a.why.trim()}` });
      });
  }
  if (json.companions !== undefined && !isPathList(json.companions)) {
    err('$.companions', 'expected an array of assembly file paths (relative to the project file) where the code the file jumps into lives');
  }
  if (json.cSources !== undefined) {
    if (!isPathList(json.cSources)) err('$.cSources', 'expected an array of C file paths (relative to the project file)');
    else project.cSources = json.cSources.map((f) => nodePath.resolve(nodePath.dirname(path), f));
  }
  if (json.contracts !== undefined) {
    if (!isObject(json.contracts)) err('$.contracts', 'expected an object: function name → contract');
    else
      for (const [name, c] of Object.entries(json.contracts)) {
        const p = `$.contracts.${name}`;
        if (!isObject(c)) {
          err(p, 'expected { "frame": ..., "interrupts": ..., "exitWorkDone": ... }');
          continue;
        }
        let frame: FrameChange = 'always';
        if (c.frame === 'never' || c.frame === 'always') frame = c.frame;
        else if (isObject(c.frame) && c.frame.onlyWith !== undefined) {
          const w = percpuCell(c.frame.onlyWith, p + '.frame.onlyWith');
          if (w) frame = { onlyWith: w };
        } else if (c.frame !== undefined) err(p + '.frame', 'expected "never", "always" or { "onlyWith": { "percpu", "offset", "mask" } }');
        const interrupts = (c.interrupts ?? 'unknown') as IfOnReturn;
        if (!IFS.includes(interrupts)) err(p + '.interrupts', `expected one of ${IFS.join(', ')}`);
        if (c.exitWorkDone !== undefined && typeof c.exitWorkDone !== 'boolean') err(p + '.exitWorkDone', 'expected true or false');
        if (c.setsWork !== undefined && typeof c.setsWork !== 'boolean') err(p + '.setsWork', 'expected true or false (false: the function never sets a work flag)');
        let clobbers = CALLER_SAVED;
        if (c.clobbers !== undefined) {
          if (!Array.isArray(c.clobbers) || c.clobbers.some((r) => typeof r !== 'string' || !REGS.has(r as never))) err(p + '.clobbers', 'expected an array of 64-bit register names ("rax", "r11", ...)');
          else clobbers = c.clobbers as typeof CALLER_SAVED;
        }
        const how = frame === 'never' ? 'never rewrites the saved frame' : frame === 'always' ? 'may rewrite every field of the saved frame' : `rewrites the saved frame only together with ${frame.onlyWith.name}`;
        project.contracts.set(name, {
          name,
          clobbers,
          frame,
          interrupts,
          exitWorkDone: c.exitWorkDone === true,
          ...(c.setsWork === false ? { setsWork: false } : {}),
          describe: `${name} (${PROJECT_FILE}): ${how}; interrupts ${interrupts} on return${c.exitWorkDone === true ? '; exit work done' : ''}${c.setsWork === false ? '; sets no work flag' : ''}`,
          builtin: false,
        });
      }
  }
  return project;
}

/** The project's `accept` item that covers this condition at this return of this entry, if any. */
export function acceptFor(project: Project | undefined, code: string, entry: Entry, ev: ExitEvent): Accept | undefined {
  const kind = ev.rec.kind === 'sysret' && ev.rec.operandSize !== 64 ? 'sysretl' : ev.rec.kind;
  return project?.accept.find((a) => a.code === code && (a.entry === undefined || a.entry === entry.name) && (a.ret === undefined || a.ret === kind));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
