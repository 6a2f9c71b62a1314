// A C contract function (csrc/reader.ts's CFunction) run symbolically over a saved frame: each
// path to a `return` with its condition, its return value and the frame as it is there. The walk
// uses it in place of a contract's promise (a `do_syscall_64` read from its C source decides the
// SYSRET/IRET choice by what its C really tests), so the checks at the SYSRET that follows hold
// exactly when the C establishes them, and a witness that breaks one replays like any other.
//
// Semantics, kept sound where the C reaches beyond what is read:
//   - `regs->F` of the pt_regs parameter reads the frame; an assignment writes it;
//   - a call the translation does not know may rewrite every frame field (ptrace, signals) and
//     returns an unknown; the order matters: a test before such a call says nothing of the frame
//     after it; a callee whose contract says it never rewrites the frame (`"frame": "never"` in
//     the project file) keeps it, and the verdict names that contract among what it assumes;
//   - cpu_feature_enabled()/static_cpu_has()/boot_cpu_has() are unknown booleans named by the
//     feature (the same `feature.X86_FEATURE_*` the ALTERNATIVE arms use), pgtable_l5_enabled()
//     the paging mode (`cpu.la57`), array_index_nospec(x, n) is x, IS_ENABLED(CONFIG_x) the
//     configuration;
//   - what is not translated (loops, switch, pointer arithmetic) is an unknown value and, when it
//     is a statement, may also rewrite the frame and every local;
//   - a whole-kernel value the function relies on is one named unknown, recorded as a fact the
//     verdict must state as assumed: the 32-bit vDSO's landing pad
//     (`current->mm->context.vdso + vdso_image_32.sym_int80_landing_pad`) is `landing_pad`, a
//     32-bit address (the vDSO of a 32-bit task is mapped below 4 GiB);
//   - `return g(regs);` with g one of the function's `callees` (another contract function of the
//     same file, read with it) runs g's paths in place, on the frame as it is there.
import type { Expr, SymbolicAlgebra } from '../x86';
import type { CExpr, CFunction, CStmt } from '../csrc/reader';

export interface CRunEnv {
  S: SymbolicAlgebra;
  /** The frame field at the call (before the function runs). */
  field(name: string): Expr;
  /**
   * A value the C makes that the translation cannot know: `ptregs.<field>` (a frame field a call
   * may have rewritten), `call.<name>` (a call's result), `value.<text>` (an untranslated read).
   * `line` is the C line (0-based); `current` the value before, when there is one.
   */
  unknown(what: string, width: number, line: number, current?: Expr): Expr;
  /** A CPU feature or paging-mode bit as a boolean. */
  feature(name: string): Expr;
  /**
   * Another kernel's frame: the expressions that point at it (`td->td_frame`) and its C member
   * names (`tf_rip` → `ip`). Linux's is the pt_regs parameter with pt_regs' own names.
   */
  frame?: { bases: string[]; fields: Readonly<Record<string, string>> };
  /** A "must IRET" flag the C sets with set_pcb_flags(…, NAME) and clears with clear_pcb_flags(…, NAME). */
  flag?: string;
  /**
   * A callee whose contract (the project file's, or a built-in one) says it never rewrites the
   * frame: its call does not rewrite it here either. Returns the contract's description (the
   * verdict lists it in what it assumes), undefined for a callee with no such contract.
   */
  keepsFrame?: (name: string) => string | undefined;
}

export interface CTest {
  line: number;
  /** The branch's condition as the path takes it. */
  cond: Expr;
  /** Frame fields the condition reads. */
  fields: string[];
}

export interface CPath {
  cond: Expr;
  /** The returned value (64 bits; 0 for a void function). */
  ret: Expr;
  frame: Map<string, Expr>;
  line: number;
  tests: CTest[];
  /** C lines of the calls that may have rewritten the frame, in order. */
  havocLines: number[];
  /** The flag (CRunEnv.flag) as the path leaves it. */
  flag?: Expr;
}

/** A whole-kernel value the function's paths rely on, taken as an unknown with an assumed range. */
export interface CFact {
  /** The unknown's name (`landing_pad`). */
  name: string;
  /** The C expression it stands for, and its line (0-based). */
  text: string;
  line: number;
  /** What is assumed of it, and on what that rests. */
  assumed: string;
}

/** `relied`: the contracts of callees taken as keeping the frame (CRunEnv.keepsFrame), by description. */
export type CRunResult = { paths: CPath[]; facts: CFact[]; relied: string[] } | { error: string };

/**
 * Whole-kernel values recognised in a sum of two member reads (either order, casts aside): the
 * compat vDSO's int $0x80 landing pad, where the vDSO's SYSCALL/SYSENTER sequence resumes. Its
 * range is a fact of where the vDSO is mapped, which the function does not show.
 */
const KERNEL_VALUES: { name: string; bits: number; base: (e: Extract<CExpr, { k: 'field' }>) => boolean; offset: (e: Extract<CExpr, { k: 'field' }>) => boolean; assumed: string }[] = [
  {
    name: 'landing_pad',
    bits: 32,
    base: (e) => e.field === 'vdso' && /(^|->|\.)context$/.test(e.base.replace(/\s+/g, '')),
    offset: (e) => e.field === 'sym_int80_landing_pad',
    assumed: 'a 32-bit address — that the 32-bit vDSO is mapped below 4 GiB is a whole-kernel fact, outside this function: assumed',
  },
];

/** The pt_regs fields the frame model knows (the names the walk's FrameRef uses). */
export const PT_REGS_FIELDS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];

const MAX_PATHS = 256;

/**
 * The variable name of an unknown the C makes (CRunEnv.unknown's `what`), at `where` (the call
 * site and C file, `L104:common.c`) and C line: `ptregs.ip@L104:common.c:117` for a frame field,
 * `c.call.x64_sys_call@L104:common.c:61` otherwise — names a witness pin can spell.
 */
export function cUnknownName(what: string, where: string, line: number): string {
  return `${what.startsWith('ptregs.') ? '' : 'c.'}${what.replace(/[^\w.]+/g, '_')}@${where}:${line + 1}`;
}

type Val = { e: Expr; signed: boolean };

interface State {
  pc: Expr;
  locals: Map<string, Val>;
  frame: Map<string, Expr>;
  tests: CTest[];
  havocLines: number[];
  epoch: number;
  flag: Expr;
}

type Outcome = { done: false; st: State } | { done: true; st: State; ret: Expr; line: number };

const KNOWN_PURE = new Set(['array_index_nospec', 'cpu_feature_enabled', 'static_cpu_has', 'boot_cpu_has', 'cpu_has', 'pgtable_l5_enabled', '__er_is_enabled', '__is_canonical_address']);

export function runCFunction(fn: CFunction, env: CRunEnv): CRunResult {
  const { S } = env;
  const regsParam = env.frame ? undefined : fn.params.find((p) => /\bpt_regs\s*\*/.test(p.type))?.name;
  if (!regsParam && !env.frame) return { error: `${fn.name}() takes no struct pt_regs * parameter` };
  /** The frame field an expression `base->member` names, if it names one. */
  const frameField = (base: string, member: string): string | undefined => {
    if (regsParam !== undefined) return base === regsParam && PT_REGS_FIELDS.includes(member) ? member : undefined;
    if (!env.frame || !env.frame.bases.includes(base.replace(/\s+/g, ''))) return undefined;
    const f = env.frame.fields[member];
    return f && PT_REGS_FIELDS.includes(f) ? f : undefined;
  };
  const K = (v: bigint): Expr => S.const(64, BigInt.asUintN(64, v));
  const ZERO = K(0n);
  const ONE = K(1n);
  const bool = (b: Expr): Val => ({ e: S.ite(b, ONE, ZERO), signed: true });
  const truth = (v: Val): Expr => S.notB(S.eq(v.e, ZERO));
  let tooMany = false;
  let count = 0;
  const facts: CFact[] = [];
  const relied = new Set<string>();
  /** True when the call of `name` keeps the frame by its contract (recorded as relied on). */
  const keeps = (name: string): boolean => {
    const d = env.keepsFrame?.(name);
    if (d !== undefined) relied.add(d);
    return d !== undefined;
  };
  const strip = (e: CExpr): CExpr => (e.k === 'cast' ? strip(e.a) : e);
  /** `a + b` as one of KERNEL_VALUES, when it is one. */
  const kernelValue = (ae: CExpr, be: CExpr, line: number): Val | undefined => {
    const [a, b] = [strip(ae), strip(be)];
    if (a.k !== 'field' || b.k !== 'field') return undefined;
    for (const kv of KERNEL_VALUES) {
      const pair = kv.base(a) && kv.offset(b) ? [a, b] : kv.base(b) && kv.offset(a) ? [b, a] : undefined;
      if (!pair) continue;
      if (!facts.some((f) => f.name === kv.name && f.line === line)) facts.push({ name: kv.name, text: `${pair[0].text} + ${pair[1].text}`, line, assumed: kv.assumed });
      return { e: S.zext(env.unknown(kv.name, kv.bits, line), 64), signed: false };
    }
    return undefined;
  };
  /** The callee a `return g(regs);` runs inline, when g is one of the function's callees. */
  const inlineCallee = (e: CExpr): CFunction | undefined => {
    const c = strip(e);
    if (c.k !== 'call' || !fn.callees || c.name === fn.name || regsParam === undefined) return undefined;
    const g = fn.callees.get(c.name);
    const a0 = c.args[0];
    return g && c.args.length === 1 && a0.k === 'id' && a0.name === regsParam ? g : undefined;
  };

  const clone = (st: State): State => ({ pc: st.pc, locals: new Map(st.locals), frame: new Map(st.frame), tests: [...st.tests], havocLines: [...st.havocLines], epoch: st.epoch, flag: st.flag });
  const flagVar = (line: number): Expr => S.eq(env.unknown(`flag.${env.flag}`, 1, line), S.const(1, 1n));
  const initial: State = { pc: S.T, locals: new Map(), frame: new Map(PT_REGS_FIELDS.map((f) => [f, env.field(f)])), tests: [], havocLines: [], epoch: 0, flag: env.flag ? flagVar(fn.line) : S.F };

  /** A call that may do anything to the frame. */
  const havoc = (st: State, line: number): void => {
    for (const f of PT_REGS_FIELDS) st.frame.set(f, env.unknown(`ptregs.${f}`, 64, line, st.frame.get(f)));
    if (env.flag) st.flag = flagVar(line);
    st.havocLines.push(line);
    st.epoch++;
  };

  const fieldsOf = (e: CExpr, out: Set<string> = new Set()): Set<string> => {
    switch (e.k) {
      case 'field': {
        const f = frameField(e.base, e.field);
        if (f) out.add(f);
        break;
      }
      case 'call':
        e.args.forEach((a) => fieldsOf(a, out));
        break;
      case 'un':
      case 'cast':
        fieldsOf(e.a, out);
        break;
      case 'bin':
        fieldsOf(e.a, out);
        fieldsOf(e.b, out);
        break;
      case 'cond':
        [e.c, e.a, e.b].forEach((x) => fieldsOf(x, out));
        break;
      case 'assign':
        fieldsOf(e.value, out);
        break;
      default:
        break;
    }
    return out;
  };

  // Expressions: evaluated in order, side effects (calls, assignments) on `st`.
  const ev = (e: CExpr, st: State, line: number): Val => {
    switch (e.k) {
      case 'num':
        return { e: K(e.v), signed: !e.unsigned };
      case 'id': {
        const l = st.locals.get(e.name);
        if (l) return l;
        return { e: env.unknown(`value.${e.name}`, 64, line), signed: true };
      }
      case 'field': {
        const f = frameField(e.base, e.field);
        if (f) return { e: st.frame.get(f)!, signed: false };
        return { e: env.unknown(`value.${e.text}#${st.epoch}`, 64, line), signed: false };
      }
      case 'call':
        return call(e, st, line);
      case 'un': {
        const a = ev(e.a, st, line);
        switch (e.op) {
          case '!':
            return bool(S.notB(truth(a)));
          case '~':
            return { e: S.not(a.e), signed: a.signed };
          case '-':
            return { e: S.neg(a.e), signed: a.signed };
          case '+':
            return a;
          default:
            return { e: env.unknown(`value.${e.op}(…)`, 64, line), signed: true };
        }
      }
      case 'bin':
        return binary(e.op, e.a, e.b, st, line);
      case 'cond': {
        const c = truth(ev(e.c, st, line));
        const a = ev(e.a, st, line);
        const b = ev(e.b, st, line);
        return { e: S.ite(c, a.e, b.e), signed: a.signed && b.signed };
      }
      case 'cast': {
        const a = ev(e.a, st, line);
        if (e.bits === 1) return bool(truth(a));
        if (e.bits >= 64) return { e: a.e, signed: !e.unsigned };
        const low = S.extract(a.e, e.bits - 1, 0);
        return { e: e.unsigned ? S.zext(low, 64) : S.sext(low, 64), signed: !e.unsigned };
      }
      case 'assign':
        return assign(e, st, line);
      case 'opaque':
        if (e.calls.some((c) => !KNOWN_PURE.has(c) && !keeps(c))) havoc(st, line);
        if (/^-\s*\d/.test(e.text)) {
          try {
            return { e: K(BigInt(e.text.replace(/\s+/g, '').replace(/[uUlL]+$/, ''))), signed: true };
          } catch {
            /* not a plain number */
          }
        }
        return { e: env.unknown(`value.${e.text.slice(0, 40)}#${st.epoch}`, 64, line), signed: true };
    }
  };

  const binary = (op: string, ae: CExpr, be: CExpr, st: State, line: number): Val => {
    if (op === '+') {
      const kv = kernelValue(ae, be, line);
      if (kv) return kv;
    }
    if (op === '&&' || op === '||') {
      // both sides' effects happen (an over-approximation: a call on the right may not run)
      const a = truth(ev(ae, st, line));
      const b = truth(ev(be, st, line));
      return bool(op === '&&' ? S.andB(a, b) : S.orB(a, b));
    }
    const a = ev(ae, st, line);
    const b = ev(be, st, line);
    const signed = a.signed && b.signed;
    switch (op) {
      case '==':
        return bool(S.eq(a.e, b.e));
      case '!=':
        return bool(S.notB(S.eq(a.e, b.e)));
      case '<':
        return bool(signed ? S.slt(a.e, b.e) : S.ult(a.e, b.e));
      case '<=':
        return bool(signed ? S.sle(a.e, b.e) : S.ule(a.e, b.e));
      case '>':
        return bool(signed ? S.slt(b.e, a.e) : S.ult(b.e, a.e));
      case '>=':
        return bool(signed ? S.sle(b.e, a.e) : S.ule(b.e, a.e));
      default:
        return binaryVals(op, a, b, line);
    }
  };

  const call = (e: Extract<CExpr, { k: 'call' }>, st: State, line: number): Val => {
    const arg0 = e.args[0];
    switch (e.name) {
      case 'cpu_feature_enabled':
      case 'static_cpu_has':
      case 'boot_cpu_has':
      case 'cpu_has':
        return bool(env.feature(arg0 && arg0.k === 'id' ? arg0.name : (arg0 && 'text' in arg0 ? String(arg0.text) : '?')));
      case 'pgtable_l5_enabled':
        return bool(env.feature('la57'));
      case '__er_is_enabled':
        return { e: arg0 && arg0.k === 'num' && arg0.v !== 0n ? ONE : ZERO, signed: true };
      case 'set_pcb_flags':
      case 'clear_pcb_flags':
        if (env.flag && e.args.some((a) => a.k === 'id' && a.name === env.flag)) {
          st.flag = e.name === 'set_pcb_flags' ? S.T : S.F;
          return { e: ZERO, signed: true };
        }
        for (const a of e.args) ev(a, st, line);
        havoc(st, line);
        return { e: env.unknown(`call.${e.name}`, 64, line), signed: true };
      case 'array_index_nospec':
        return arg0 ? ev(arg0, st, line) : { e: ZERO, signed: true };
      case '__is_canonical_address': {
        const v = arg0 ? ev(arg0, st, line) : { e: ZERO, signed: false };
        const bits = e.args[1] ? ev(e.args[1], st, line) : { e: K(48n), signed: true };
        const sh = S.sub(K(64n), bits.e);
        return bool(S.eq(S.ashr(S.shl(v.e, sh), sh), v.e));
      }
      default: {
        for (const a of e.args) ev(a, st, line);
        if (!keeps(e.name)) havoc(st, line);
        return { e: env.unknown(`call.${e.name}`, 64, line), signed: true };
      }
    }
  };

  const assign = (e: Extract<CExpr, { k: 'assign' }>, st: State, line: number): Val => {
    let v = ev(e.value, st, line);
    const t = e.target;
    const tf = t.k === 'field' ? frameField(t.base, t.field) : undefined;
    const old = (): Val | undefined => {
      if (t.k === 'id') return st.locals.get(t.name);
      if (tf) return { e: st.frame.get(tf) ?? ZERO, signed: false };
      return undefined;
    };
    if (e.op !== '=') {
      const o = old() ?? { e: env.unknown(`value.${e.op}`, 64, line), signed: true };
      const op = e.op.slice(0, -1);
      v = binaryVals(op, o, v, line);
    }
    if (t.k === 'id') {
      const prev = st.locals.get(t.name);
      st.locals.set(t.name, { e: v.e, signed: prev ? prev.signed : v.signed });
    } else if (tf) st.frame.set(tf, v.e);
    else if (t.k === 'un' && t.a.k === 'field') {
      // *(u32 *)&regs->bp = ...: the field changes to something unknown
      const f = frameField(t.a.base, t.a.field);
      if (f) st.frame.set(f, env.unknown(`ptregs.${f}`, 64, line, st.frame.get(f)));
    }
    return v;
  };

  /** The arithmetic operators (for `a op b` and `a op= b`). */
  const binaryVals = (op: string, a: Val, b: Val, line: number): Val => {
    const signed = a.signed && b.signed;
    switch (op) {
      case '+':
        return { e: S.add(a.e, b.e), signed };
      case '-':
        return { e: S.sub(a.e, b.e), signed };
      case '&':
        return { e: S.and(a.e, b.e), signed };
      case '|':
        return { e: S.or(a.e, b.e), signed };
      case '^':
        return { e: S.xor(a.e, b.e), signed };
      case '<<':
        return { e: S.shl(a.e, b.e), signed: a.signed };
      case '>>':
        return { e: a.signed ? S.ashr(a.e, b.e) : S.lshr(a.e, b.e), signed: a.signed };
      default:
        return { e: env.unknown(`value.(${op})`, 64, line), signed };
    }
  };

  const declare = (s: Extract<CStmt, { k: 'decl' }>, st: State): void => {
    let v: Val = s.init ? ev(s.init, st, s.line) : { e: env.unknown(`value.${s.name}`, 64, s.line), signed: !s.unsigned };
    if (s.bits === 1) v = bool(truth(v));
    else if (s.bits < 64) {
      const low = S.extract(v.e, s.bits - 1, 0);
      v = { e: s.unsigned ? S.zext(low, 64) : S.sext(low, 64), signed: !s.unsigned };
    } else v = { e: v.e, signed: !s.unsigned };
    st.locals.set(s.name, v);
  };

  const exec = (body: CStmt[], st: State): Outcome[] => {
    let live: State[] = [st];
    const done: Outcome[] = [];
    for (const s of body) {
      const next: State[] = [];
      for (const cur of live) {
        switch (s.k) {
          case 'decl':
            declare(s, cur);
            next.push(cur);
            break;
          case 'expr':
            ev(s.e, cur, s.line);
            next.push(cur);
            break;
          case 'opaque':
            havoc(cur, s.line);
            for (const k of cur.locals.keys()) cur.locals.set(k, { e: env.unknown(`value.${k}`, 64, s.line), signed: cur.locals.get(k)!.signed });
            next.push(cur);
            break;
          case 'return': {
            const isBool = /^(bool|_Bool)$/.test(fn.returnType.trim());
            const callee = s.value ? inlineCallee(s.value) : undefined;
            const sub = callee ? runCFunction({ ...callee, callees: undefined }, { ...env, field: (f) => cur.frame.get(f) ?? env.field(f) }) : undefined;
            if (sub && !('error' in sub)) {
              // the callee's paths, each on from this one's state
              for (const f of sub.facts) if (!facts.some((x) => x.name === f.name && x.line === f.line)) facts.push(f);
              for (const d of sub.relied) relied.add(d);
              for (const p of sub.paths) {
                const st2 = clone(cur);
                st2.pc = S.andB(cur.pc, p.cond);
                st2.frame = new Map(p.frame);
                st2.tests.push(...p.tests);
                st2.havocLines.push(...p.havocLines);
                st2.epoch += p.havocLines.length;
                done.push({ done: true, st: st2, ret: isBool ? S.ite(S.notB(S.eq(p.ret, ZERO)), ONE, ZERO) : p.ret, line: p.line });
              }
              break;
            }
            const v = s.value ? ev(s.value, cur, s.line) : { e: ZERO, signed: true };
            // a returned condition (`return regs->cs == __USER32_CS && …;`) is the path's last test
            const fields = s.value ? [...fieldsOf(s.value)] : [];
            if (fields.length && S.asConst(v.e) === undefined) cur.tests.push({ line: s.line, cond: truth(v), fields });
            done.push({ done: true, st: cur, ret: isBool ? S.ite(truth(v), ONE, ZERO) : v.e, line: s.line });
            break;
          }
          case 'if': {
            const c = truth(ev(s.cond, cur, s.line));
            const fields = [...fieldsOf(s.cond)];
            for (const [taken, body2] of [[c, s.then], [S.notB(c), s.else]] as const) {
              if (S.asBool(taken) === false) continue;
              const st2 = clone(cur);
              st2.pc = S.andB(cur.pc, taken);
              st2.tests.push({ line: s.line, cond: taken, fields });
              if (++count > MAX_PATHS) {
                tooMany = true;
                continue;
              }
              for (const o of exec(body2, st2)) {
                if (o.done) done.push(o);
                else next.push(o.st);
              }
            }
            break;
          }
        }
      }
      live = next;
      if (tooMany) break;
    }
    for (const l of live) done.push({ done: false, st: l });
    return done;
  };

  const outcomes = exec(fn.body, initial);
  if (tooMany) return { error: `${fn.name}() has more than ${MAX_PATHS} paths` };
  const paths: CPath[] = outcomes.map((o) => ({
    cond: o.st.pc,
    ret: o.done ? o.ret : ZERO,
    frame: o.st.frame,
    line: o.done ? o.line : fn.line,
    tests: o.st.tests,
    havocLines: o.st.havocLines,
    flag: env.flag ? o.st.flag : undefined,
  }));
  return { paths, facts, relied: [...relied] };
}

/**
 * Where a C function's promise is weakest for `field`: the last test of it on a path that returns
 * true, whether that test comes before a call that may rewrite the frame, or that there is none.
 */
export function weakTest(fn: CFunction, path: CPath, fields: readonly string[]): string {
  const file = fn.file.replace(/^.*\//, '');
  const lastHavoc = path.havocLines.length ? path.havocLines[path.havocLines.length - 1] : -1;
  // a test of the condition reads every field it relates (cx and ip for RCX == RIP)
  const tests = path.tests.filter((t) => fields.every((f) => t.fields.includes(f)));
  const after = tests.filter((t) => t.line > lastHavoc);
  const what = fields.map((f) => `regs->${f}`).join('/');
  if (after.length) return `the test at ${file}:${after[after.length - 1].line + 1} lets it through`;
  if (tests.length) return `the test of ${what} at ${file}:${tests[tests.length - 1].line + 1} runs before the call at ${file}:${lastHavoc + 1}, which may rewrite the frame`;
  return `no test of ${what} on the path to the return at ${file}:${path.line + 1}`;
}
