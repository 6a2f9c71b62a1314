// The contract question for a contract function read from its C source (csource.ts): does
// "returns true" imply the fast return's conditions on the frame it leaves, for each address
// width? For do_syscall_64: RCX == RIP and R11 == RFLAGS in pt_regs, CS/SS the SYSRET selectors,
// RIP below TASK_SIZE_MAX, RF and TF clear. For the compat do_fast_syscall_32 / do_SYSENTER_32:
// what the SYSRETL (or SYSEXIT) the entry reaches needs of the frame (compatConditions). Holds → `verified from FILE:LINE`; fails → a
// `contract-unproven` finding at the call, with the frame the C lets through (pins that replay it)
// and the C line of the weak test; undecided → the contract stays assumed, and says why.
import type { Finding } from './analyze';
import type { Cfg } from './cfg';
import type { Contract } from './contracts';
import { decide } from './decide';
import { cUnknownName, runCFunction, weakTest, type CFact, type CPath, type CRunEnv } from './cverify';

type KeepsFrame = NonNullable<CRunEnv['keepsFrame']>;

/** The callee contracts a verdict rests on (CRunResult.relied), as the tail of its `assumes`. */
function reliedOn(relied: Iterable<string>): string {
  const all = [...new Set(relied)].sort();
  return all.length ? `; relies on ${all.join('; ')}` : '';
}
import { type Expr, RFLAGS, SymbolicAlgebra, evaluate } from '../x86';
import { sysretConditions, type Entry, type SysretCondition } from './walk';
import { pinsFromModel, replayCommandArgs } from './witness';

export interface ContractVerdict {
  contract: Contract;
  /** `verified`, `unproven` or `unknown`, with the sentence that replaces the contract's in `assumes`. */
  status: 'verified' | 'unproven' | 'unknown';
  assumes: string;
  findings: Finding[];
  /**
   * Codes of the return's own checks that an unproven verdict accounts for besides the SYSRET
   * ones (a SYSEXIT's `return-rsp-not-user` when the C lets a 64-bit regs->sp through).
   */
  covers?: string[];
}

/** A CPU feature as the walk names it (the same unknown the ALTERNATIVE arms test). */
const featureBit = (S: SymbolicAlgebra, name: string): Expr => S.eq(S.fresh('feature.' + name, 1), S.const(1, 1n));

/** The call sites of `name` the walks reached, with their site names. */
function callSites(cfg: Cfg, name: string, reached: (pos: number) => boolean): number[] {
  const out: number[] = [];
  for (let pos = 0; pos < cfg.insns.length; pos++) {
    const insn = cfg.instruction[pos];
    if (!insn || !/^call/.test(insn.mnemonic) || !reached(pos)) continue;
    const t = insn.operands[0];
    if (t && t.kind === 'label' && t.name === name) out.push(pos);
  }
  return out;
}

/**
 * A flag contract's C (FreeBSD's amd64_syscall with PCB_FULL_IRET): at its return, is the flag
 * set whenever the frame's RIP is not a user address SYSRET can go back to? That part is decided
 * from the function alone, since its test comes after its last call; that every other rewrite of
 * the frame (ptrace, sigreturn) sets the flag too lies outside it and stays assumed.
 */
async function checkFlagContract(cfg: Cfg, c: Contract, cFields: Readonly<Record<string, string>>, vaBits: (48 | 57)[], keepsFrame?: KeepsFrame): Promise<ContractVerdict | undefined> {
  const src = c.flagSource;
  if (!src || typeof c.frame !== 'object' || !('onlyWith' in c.frame)) return undefined;
  const flag = c.frame.onlyWith.name;
  const base = src.file.replace(/^.*\//, '');
  const at = `${src.file}:${src.fn.line + 1}`;
  const S = new SymbolicAlgebra();
  const bases = ['td->td_frame', ...src.fn.params.filter((p) => /\btrapframe\s*\*/.test(p.type)).map((p) => p.name)];
  const res = runCFunction(src.fn, {
    S,
    field: (f) => S.fresh(`c.in.${f}`, 64),
    unknown: (what, width, line) => S.fresh(cUnknownName(what, base, line), width),
    feature: (name) => featureBit(S, name),
    frame: { bases, fields: cFields },
    flag,
    keepsFrame,
  });
  const findings: Finding[] = [];
  if ('error' in res) return { contract: c, status: 'unknown', assumes: `${c.describe}; its C could not be run (${res.error})`, findings };
  let unknown = false;
  for (const width of vaBits) {
    for (const p of res.paths) {
      const ip = p.frame.get('ip')!;
      const q = [p.cond, S.notB(p.flag ?? S.F), S.notB(S.ult(ip, S.const(64, 1n << BigInt(width - 1))))].reduce((a, b) => S.andB(a, b));
      const r = await decide(S, q, 4000);
      if (r.status === 'unknown') unknown = true;
      if (r.status !== 'sat') continue;
      const v = evaluate(ip, r.model);
      const call = callSites(cfg, c.name, () => true)[0];
      if (call === undefined) continue;
      const stmt = cfg.stmt(call);
      findings.push({
        code: 'contract-unproven',
        severity: 'warning',
        message: `${c.name}() (${base}:${src.fn.line + 1}) can return with ${flag} clear and a frame RIP of 0x${v.toString(16)}, which SYSRET cannot take (${width}-bit addresses): ${weakTest(src.fn, p, ['ip'])}`,
        loc: stmt.loc,
        witness: { 'ptregs.ip': '0x' + v.toString(16).padStart(16, '0') },
        path: [{ loc: stmt.loc, text: (stmt.text ?? stmt.name).trim() }],
        vaBits: width,
        assumes: [],
      });
      break;
    }
    if (findings.length) break;
  }
  const status = findings.length ? 'unproven' : unknown ? 'unknown' : 'verified';
  const assumes =
    (status === 'verified'
      ? `${c.name}: ${flag} set at its return whenever the frame's RIP is not a user address — verified from ${at}; that every other rewrite of the frame sets it too rests on code outside it (ptrace, sigreturn): assumed`
      : status === 'unproven'
        ? `${c.name}: read from ${at}; it can leave ${flag} clear with a RIP SYSRET cannot take (contract-unproven)`
        : `${c.name}: read from ${at}; not decided`) + reliedOn(res.relied);
  return { contract: c, status, assumes, findings };
}

/** A compat fast return: SYSRETL (`sysret32_from_system_call`) or SYSEXIT (`sysexitl`). */
export type CompatReturn = 'sysretl' | 'sysexit';

/**
 * What a compat fast return needs of the frame for the user to get what IRET from it would give.
 * SYSRETL takes EIP from ECX and SYSEXIT from EDX, 32 bits each, so the frame's ip must fit in 32
 * bits (the assembly loads the register from regs->ip); SYSEXIT also takes ESP from ECX (from
 * regs->sp). Both load CS __USER32_CS and SS __USER_DS (MSR_STAR's selectors; SYSENTER_CS + 16
 * and + 24). Neither can restore RF, and a TF traps at once (SYSRETL loads it from R11; before a
 * SYSEXIT the POPF of the saved flags would trap in the kernel). VM is no condition on x86-64:
 * IRETQ in IA-32e mode does not load it, SYSRETL clears it and POPF never sets it — so the VM
 * test the kernel's C keeps (from the 32-bit kernel's SYSEXIT) is not asked for.
 */
export function compatConditions(S: SymbolicAlgebra, kinds: ReadonlySet<CompatReturn>): SysretCondition[] {
  const K = (v: bigint): Expr => S.const(64, v);
  const low = (f: string, why: string): SysretCondition => ({ name: `regs->${f} < 2^32 (${why})`, fields: [f], holds: (r) => S.ult(r(f), K(1n << 32n)) });
  const eip = [kinds.has('sysretl') ? 'SYSRETL takes EIP from ECX' : '', kinds.has('sysexit') ? 'SYSEXIT takes EIP from EDX' : ''].filter(Boolean).join(', ');
  return [
    low('ip', eip),
    ...(kinds.has('sysexit') ? [low('sp', 'SYSEXIT takes ESP from ECX')] : []),
    { name: 'regs->cs == __USER32_CS', fields: ['cs'], holds: (r) => S.eq(r('cs'), K(0x23n)) },
    { name: 'regs->ss == __USER_DS', fields: ['ss'], holds: (r) => S.eq(r('ss'), K(0x2bn)) },
    { name: 'RF and TF clear in regs->flags', fields: ['flags'], holds: (r) => S.eq(S.and(r('flags'), K(RFLAGS.RF | RFLAGS.TF)), K(0n)) },
  ];
}

/** The compat fast returns among the instructions a walk reached (SYSRETL when it reached none). */
function compatReturns(cfg: Cfg, reached: ReadonlySet<number>): Set<CompatReturn> {
  const out = new Set<CompatReturn>();
  for (const pos of reached) {
    const m = cfg.instruction[pos]?.mnemonic ?? '';
    if (m === 'sysretl') out.add('sysretl');
    else if (m === 'sysexit' || m === 'sysexitl') out.add('sysexit');
  }
  if (!out.size) out.add('sysretl');
  return out;
}

const returnNames = (kinds: ReadonlySet<CompatReturn>): string => [...kinds].sort().map((k) => k.toUpperCase()).join(' and ');

/**
 * The compat contract (do_fast_syscall_32, do_SYSENTER_32): does returning true imply every
 * condition of the fast returns the entries reach after the call? Whole-kernel values the C
 * compares with (the vDSO's landing pad) are unknowns with the range the verdict says it assumes.
 */
async function checkCompatContract(cfg: Cfg, c: Contract, entries: { entry: Entry; reached: Set<number> }[], keepsFrame?: KeepsFrame): Promise<ContractVerdict> {
  const src = c.source!;
  const base = src.file.replace(/^.*\//, '');
  const at = `${base}:${src.fn.line + 1}`;
  const findings: Finding[] = [];
  let unknown: string | undefined;
  let facts: CFact[] = [];
  const relied: string[] = [];
  const kindsSeen = new Set<CompatReturn>();
  const seen = new Set<number>();
  for (const { entry, reached } of entries) {
    const kinds = compatReturns(cfg, reached);
    for (const pos of callSites(cfg, c.name, (p) => reached.has(p))) {
      if (seen.has(pos)) continue;
      seen.add(pos);
      kinds.forEach((k) => kindsSeen.add(k));
      const site = cfg.site[pos];
      const S = new SymbolicAlgebra();
      // the frame as the call finds it: any frame (`c.in.F@<site>:<file>:<definition line>`, a
      // name a replay pins it by, for a C that tests it before its first call)
      const input = (f: string): Expr => S.fresh(cUnknownName(`in.${f}`, `${site}:${base}`, src.fn.line), 64);
      const res = runCFunction(src.fn, {
        S,
        field: input,
        // the same names the walk gives these unknowns, so the witness pins replay there
        unknown: (what, width, line) => S.fresh(cUnknownName(what, `${site}:${base}`, line), width),
        feature: (name) => (name === 'la57' ? S.eq(S.fresh('cpu.la57', 1), S.const(1, 1n)) : featureBit(S, name)),
        keepsFrame,
      });
      if ('error' in res) {
        unknown = res.error;
        continue;
      }
      relied.push(...res.relied);
      facts = res.facts;
      const conds = compatConditions(S, kinds);
      for (const p of res.paths.filter((x) => S.asConst(x.ret) !== 0n)) {
        const frame = (n: string): Expr => p.frame.get(n) ?? input(n);
        const bad = conds.map((x) => S.notB(x.holds(frame))).reduce((a, b) => S.orB(a, b));
        const r = await decide(S, [p.cond, S.notB(S.eq(p.ret, S.const(64, 0n))), bad].reduce((a, b) => S.andB(a, b)), 4000);
        if (r.status === 'unknown') {
          unknown = 'the solver did not decide the question';
          continue;
        }
        if (r.status !== 'sat') continue;
        const model = r.model;
        const broken = conds.filter((x) => evaluate(x.holds(frame), model) === 0n);
        const fields = [...new Set(broken.flatMap((b) => b.fields))];
        const shown = fields.map((f) => `${f} = 0x${evaluate(frame(f), model).toString(16)}`).join(', ');
        const pins = pinsFromModel(model);
        const stmt = cfg.stmt(pos);
        findings.push({
          code: 'contract-unproven',
          severity: 'warning',
          message: `${c.name}() (${at}) can return true for a frame ${returnNames(kinds)} must not take: ${broken.map((b) => b.name).join(', ')} fails with ${shown}; ${weakTest(src.fn, p, broken[0].fields)}`,
          loc: stmt.loc,
          witness: pins,
          path: [{ loc: stmt.loc, text: (stmt.text ?? stmt.name).trim() }],
          assumes: [],
          replay: replayCommandArgs(entry.name, pins),
        });
        break;
      }
    }
  }
  const status = findings.length ? 'unproven' : unknown ? 'unknown' : 'verified';
  const where = `${src.file}:${src.fn.line + 1}`;
  const inline = [...(src.fn.callees?.values() ?? [])].map((g) => `; ${g.name} (${base}:${g.line + 1}) run inline`).join('');
  const rests = facts.map((f) => `; ${f.name} (${f.text}, ${base}:${f.line + 1}) is ${f.assumed}`).join('');
  const names = returnNames(kindsSeen.size ? kindsSeen : new Set<CompatReturn>(['sysretl']));
  const assumes =
    (status === 'verified'
      ? `${c.name}: verified from ${where} (returning true implies every ${names} condition on the frame it leaves${inline})${rests}`
      : status === 'unproven'
        ? `${c.name}: read from ${where}; its promise does not hold (contract-unproven): the return follows what its C tests`
        : `${c.name}: read from ${where}; not decided (${unknown}): the return follows what its C tests`) + reliedOn(relied);
  return { contract: c, status, assumes, findings, covers: kindsSeen.has('sysexit') ? ['return-rsp-not-user'] : undefined };
}

/**
 * `keepsFrame`: the contract of a callee the C calls, when it says the callee never rewrites the
 * frame (its description; CRunEnv.keepsFrame).
 */
export async function checkCContracts(cfg: Cfg, contracts: Iterable<Contract>, entries: { entry: Entry; reached: Set<number> }[], vaBits: (48 | 57)[], cFields: Readonly<Record<string, string>> = {}, keepsFrame?: KeepsFrame): Promise<ContractVerdict[]> {
  const out: ContractVerdict[] = [];
  for (const c of contracts) {
    if (c.flagSource) {
      const v = await checkFlagContract(cfg, c, cFields, vaBits, keepsFrame);
      if (v) out.push(v);
      continue;
    }
    const src = c.source;
    if (src && c.returnsSysretSafe === 'sysretl') {
      out.push(await checkCompatContract(cfg, c, entries, keepsFrame));
      continue;
    }
    if (!src || c.returnsSysretSafe !== 'sysret') continue;
    const base = src.file.replace(/^.*\//, '');
    const at = `${base}:${src.fn.line + 1}`;
    const findings: Finding[] = [];
    let unknown: string | undefined;
    const relied: string[] = [];
    const seen = new Set<number>();
    for (const { entry, reached } of entries) {
      for (const pos of callSites(cfg, c.name, (p) => reached.has(p))) {
        if (seen.has(pos)) continue;
        seen.add(pos);
        const site = cfg.site[pos];
        const S = new SymbolicAlgebra();
        const la57 = S.eq(S.fresh('cpu.la57', 1), S.const(1, 1n));
        const res = runCFunction(src.fn, {
          S,
          field: (f) => S.fresh(`c.in.${f}`, 64),
          // the same names the walk gives these unknowns, so the witness pins replay there
          unknown: (what, width, line) => S.fresh(cUnknownName(what, `${site}:${base}`, line), width),
          feature: (name) => (name === 'la57' ? la57 : featureBit(S, name)),
          keepsFrame,
        });
        if ('error' in res) {
          unknown = res.error;
          continue;
        }
        relied.push(...res.relied);
        const trueish = res.paths.filter((p) => S.asConst(p.ret) !== 0n);
        for (const width of vaBits) {
          const tie = width === 57 ? la57 : S.notB(la57);
          let reported = false;
          for (const p of trueish) {
            if (reported) break;
            const frame = (n: string): Expr => p.frame.get(n) ?? S.fresh(`c.in.${n}`, 64);
            const conds = sysretConditions(S, width);
            const bad = conds.map((x) => S.notB(x.holds(frame))).reduce((a, b) => S.orB(a, b));
            const q = [p.cond, S.notB(S.eq(p.ret, S.const(64, 0n))), tie, bad].reduce((a, b) => S.andB(a, b));
            const r = await decide(S, q, 4000);
            if (r.status === 'unknown') {
              unknown = `the solver did not decide the ${width}-bit question`;
              continue;
            }
            if (r.status !== 'sat') continue;
            const model = r.model;
            const broken = conds.filter((x) => evaluate(x.holds(frame), model) === 0n);
            const first = broken[0];
            const fields = [...new Set(broken.flatMap((b) => b.fields))];
            const shown = fields.map((f) => `${f} = 0x${evaluate(frame(f), model).toString(16)}`).join(', ');
            const pinsModel = new Map([...model].filter(([k]) => !k.startsWith('c.in.')));
            if (width === 57) pinsModel.set('cpu.la57', 1n);
            const pins = pinsFromModel(pinsModel);
            const stmt = cfg.stmt(pos);
            findings.push({
              code: 'contract-unproven',
              severity: 'warning',
              message: `${c.name}() (${at}) can return true for a frame SYSRET must not take (${width}-bit addresses): ${broken.map((b) => b.name).join(', ')} fails with ${shown}; ${weakTest(src.fn, p, first.fields)}`,
              loc: stmt.loc,
              witness: pins,
              path: [{ loc: stmt.loc, text: (stmt.text ?? stmt.name).trim() }],
              vaBits: width,
              assumes: [],
              replay: replayCommandArgs(entry.spec ?? entry.name, pins),
            });
            reported = true;
          }
        }
      }
    }
    const status = findings.length ? 'unproven' : unknown ? 'unknown' : 'verified';
    const assumes =
      (status === 'verified'
        ? `${c.name}: verified from ${src.file}:${src.fn.line + 1} (returning true implies every SYSRET condition on the frame it leaves)`
        : status === 'unproven'
          ? `${c.name}: read from ${src.file}:${src.fn.line + 1}; its promise does not hold (contract-unproven): the return follows what its C tests`
          : `${c.name}: read from ${src.file}:${src.fn.line + 1}; not decided (${unknown}): the return follows what its C tests`) + reliedOn(relied);
    out.push({ contract: c, status, assumes, findings: dedupe(findings) });
  }
  return out;
}

/** One finding per call site and broken condition set (both widths may give the same). */
function dedupe(fs: Finding[]): Finding[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = `${f.loc.range.start.line}:${f.message.replace(/\(\d\d-bit addresses\)/, '').replace(/TASK_SIZE_MAX \(\d\d-bit: 0x[0-9a-f]+\)/, 'TASK_SIZE_MAX').replace(/with .*?;/, ';')}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export type { CPath };
