// The control-flow view of a Program: its instructions in order, each converted once to the
// machine's Instruction, label targets, and ALTERNATIVE groups as feature-guarded edges.
// Nothing here runs the machine: walk.ts does, asking this file where control can go.
import { evalExpr, type Expr as SynExpr, type Operand as SynOperand, type Program, type Statement } from '../syntax';
import type { Instruction, Operand } from '../x86';

/** One arm of an ALTERNATIVE site: its instructions (positions in Cfg.insns), empty when the arm has none. */
interface Arm {
  arm: number;
  feature: string;
  first?: number;
  last?: number;
}

export interface Group {
  group: number;
  name: string;
  arms: Arm[];
  /** First instruction position of the site (of its first non-empty arm). */
  start: number;
  /** First instruction position after every arm. */
  end: number;
}

/** A place control can go to, and the CPU features (by arm) that choose it. */
export interface Edge {
  to: number;
  /** Features that must be present (`+NAME`) or absent (`-NAME`) on this edge. */
  features: string[];
}

export class Cfg {
  /** Statement index of every instruction, in program order (a "position" is an index into this). */
  readonly insns: number[] = [];
  readonly instruction: (Instruction | undefined)[] = [];
  /** Why an instruction could not be converted (operands the machine cannot take). */
  readonly convertError: (string | undefined)[] = [];
  private readonly posOfStmt = new Map<number, number>();
  private readonly groupAt = new Map<number, Group>();
  private readonly groupOfPos = new Map<number, { g: Group; arm: number }>();
  /** Site name of a position: `L<line>` or `L<line>.<n>` when a line holds several instructions. */
  readonly site: string[] = [];
  /** Address expressions whose symbols have no value (by position): the memory they name is not tracked. */
  readonly unresolved = new Map<number, string>();
  /** The next instruction of the same section (`.pushsection .fixup` code is interleaved in the text). */
  private readonly nextSame: number[] = [];

  constructor(readonly program: Program) {
    const st = program.statements;
    const perLine = new Map<number, number>();
    for (let i = 0; i < st.length; i++) {
      if (st[i].kind !== 'instruction') continue;
      const pos = this.insns.length;
      this.insns.push(i);
      this.posOfStmt.set(i, pos);
      const conv = convert(st[i], (name) => program.constants.get(name));
      this.instruction.push(conv.insn);
      // (an unknown immediate is just an unknown value; an unknown address may alias anything —
      // but not a per-CPU one: %gs:/%fs: cells are named apart from every other memory; a symbol
      // alone, a numeric label's internal `1#k` name included, is a named address)
      const bad = conv.insn?.operands.map((o) => (o.kind === 'indirect' ? o.target : o)).find((o) => o.kind === 'mem' && !o.seg && !!o.dispSymbol && !/^[\w.$#]+$/.test(o.dispSymbol));
      if (bad && bad.kind === 'mem') this.unresolved.set(pos, bad.dispSymbol ?? '');
      this.convertError.push(conv.error);
      const line = st[i].loc.range.start.line + 1;
      const n = perLine.get(line) ?? 0;
      perLine.set(line, n + 1);
      this.site.push(n === 0 ? `L${line}` : `L${line}.${n}`);
    }
    const lastOf = new Map<string, number>();
    for (let pos = this.insns.length - 1; pos >= 0; pos--) {
      const sec = st[this.insns[pos]].section ?? '';
      this.nextSame[pos] = lastOf.get(sec) ?? this.insns.length;
      lastOf.set(sec, pos);
    }
    // ALTERNATIVE groups from the statements' tags
    const groups = new Map<number, Group>();
    for (const a of program.alternatives) {
      groups.set(a.group, { group: a.group, name: a.name, arms: a.arms.map((x) => ({ arm: x.arm, feature: x.feature })), start: -1, end: -1 });
    }
    for (let pos = 0; pos < this.insns.length; pos++) {
      const tag = st[this.insns[pos]].alternative;
      if (!tag) continue;
      let g = groups.get(tag.group);
      if (!g) {
        g = { group: tag.group, name: 'ALTERNATIVE', arms: [], start: -1, end: -1 };
        groups.set(tag.group, g);
      }
      let arm = g.arms.find((x) => x.arm === tag.arm);
      if (!arm) {
        arm = { arm: tag.arm, feature: tag.feature };
        g.arms.push(arm);
      }
      if (arm.first === undefined) arm.first = pos;
      arm.last = pos;
      this.groupOfPos.set(pos, { g, arm: tag.arm });
    }
    for (const g of groups.values()) {
      const firsts = g.arms.map((a) => a.first).filter((x): x is number => x !== undefined);
      const lasts = g.arms.map((a) => a.last).filter((x): x is number => x !== undefined);
      if (!firsts.length) continue;
      g.start = Math.min(...firsts);
      g.end = Math.max(...lasts) + 1;
      if (!g.arms.some((a) => a.arm === 0)) g.arms.push({ arm: 0, feature: '' });
      g.arms.sort((a, b) => a.arm - b.arm);
      this.groupAt.set(g.start, g);
    }
  }

  get size(): number {
    return this.insns.length;
  }

  stmt(pos: number): Statement {
    return this.program.statements[this.insns[pos]];
  }

  /** The first instruction at or after a statement index. */
  private firstAtOrAfter(stmtIndex: number): number | undefined {
    const st = this.program.statements;
    for (let i = stmtIndex; i < st.length; i++) {
      const p = this.posOfStmt.get(i);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /** The instruction a label names, when the label is defined in this program. */
  private faults?: Map<number, { to: number; name: string }>;

  /**
   * The fixup a fault at `pos` goes to (an exception-table entry whose faulting address is this
   * instruction's label): the handler resumes there with the registers as they were.
   */
  faultTarget(pos: number): number | undefined {
    if (!this.faults) {
      this.faults = new Map();
      for (const e of this.program.exceptionTable) {
        const from = this.label(e.from);
        const to = this.label(e.to);
        if (from !== undefined && to !== undefined && from < this.insns.length && to < this.insns.length) this.faults.set(from, { to, name: e.to });
      }
    }
    return this.faults.get(pos)?.to;
  }

  /** The label of the fixup a fault at `pos` goes to (as the exception table names it). */
  faultLabel(pos: number): string | undefined {
    this.faultTarget(pos);
    return this.faults?.get(pos)?.name;
  }

  label(name: string): number | undefined {
    const i = this.program.labels.get(name);
    return i === undefined ? undefined : this.firstAtOrAfter(i);
  }

  isLocal(name: string): boolean {
    return this.program.labels.has(name);
  }

  /** Where control goes after `pos` falls through (an arm's end leaves its ALTERNATIVE). */
  fallThrough(pos: number): Edge[] {
    const next = this.nextSame[pos];
    if (next >= this.insns.length) return [];
    const here = this.groupOfPos.get(pos);
    const there = this.groupOfPos.get(next);
    if (here && (!there || there.g !== here.g || there.arm !== here.arm)) {
      return this.enter(here.g.end, here.g);
    }
    return this.enter(next, here?.g);
  }

  /** Control arrives at `pos`: if that starts an ALTERNATIVE site (from outside it), one edge per arm. */
  enter(pos: number, from?: Group): Edge[] {
    if (pos >= this.insns.length) return [];
    const g = this.groupAt.get(pos);
    if (!g || g === from) return [{ to: pos, features: [] }];
    const edges: Edge[] = [];
    const later = (i: number): string[] => g.arms.slice(i + 1).filter((a) => a.feature).map((a) => negate(a.feature));
    g.arms.forEach((a, i) => {
      const features = [...(a.arm === 0 || !a.feature ? [] : [positive(a.feature)]), ...later(i)];
      const to = a.first ?? g.end;
      for (const e of to === g.end ? this.enter(g.end, g) : [{ to, features: [] }]) edges.push({ to: e.to, features: [...features, ...e.features] });
    });
    return edges;
  }

  /**
   * Where control can go from `pos`, as far as the text says (jumps, branches, fall-through,
   * local calls and their return sites; indirect jumps, returns and exits end here).
   */
  successors(pos: number): number[] {
    const insn = this.instruction[pos];
    const out: number[] = [];
    const m = insn?.mnemonic ?? '';
    const target = insn?.operands[0]?.kind === 'label' ? this.label(insn.operands[0].name) : undefined;
    const to = (p: number | undefined): void => {
      if (p !== undefined) for (const e of this.enter(p)) out.push(e.to);
    };
    if (/^(ret|sysret|iret|sysexit|ud2|hlt)/.test(m)) return out;
    // a fault of an instruction with an exception-table entry goes to its fixup (an IRET's fixup
    // is walked as an entry of its own)
    to(this.faultTarget(pos));
    if (/^jmp/.test(m)) {
      to(target);
      return out;
    }
    if (/^(j|loop|call)/.test(m)) to(target);
    for (const e of this.fallThrough(pos)) out.push(e.to);
    return out;
  }

  private orderCache?: { rank: Int32Array; cyclic: Uint8Array };

  /**
   * A topological rank of every instruction over the strongly connected components of the
   * control flow (Tarjan), and whether it lies on a cycle. Processing by rank lets every path
   * into a join arrive before the join goes on, however the code is laid out in the file; only
   * instructions on a cycle can be loop heads.
   */
  order(): { rank: Int32Array; cyclic: Uint8Array } {
    if (this.orderCache) return this.orderCache;
    const n = this.insns.length;
    const succ = Array.from({ length: n }, (_, p) => this.successors(p));
    const index = new Int32Array(n).fill(-1);
    const low = new Int32Array(n);
    const onStack = new Uint8Array(n);
    const comp = new Int32Array(n).fill(-1);
    const stack: number[] = [];
    let counter = 0;
    let comps = 0;
    const cyclic = new Uint8Array(n);
    for (let root = 0; root < n; root++) {
      if (index[root] >= 0) continue;
      // iterative Tarjan: (node, next successor to look at)
      const work: [number, number][] = [[root, 0]];
      index[root] = low[root] = counter++;
      stack.push(root);
      onStack[root] = 1;
      while (work.length) {
        const top = work[work.length - 1];
        const [v, i] = top;
        if (i < succ[v].length) {
          top[1]++;
          const w = succ[v][i];
          if (index[w] < 0) {
            index[w] = low[w] = counter++;
            stack.push(w);
            onStack[w] = 1;
            work.push([w, 0]);
          } else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
          continue;
        }
        work.pop();
        if (work.length) low[work[work.length - 1][0]] = Math.min(low[work[work.length - 1][0]], low[v]);
        if (low[v] === index[v]) {
          const members: number[] = [];
          let w: number;
          do {
            w = stack.pop() as number;
            onStack[w] = 0;
            comp[w] = comps;
            members.push(w);
          } while (w !== v);
          if (members.length > 1 || succ[v].includes(v)) for (const x of members) cyclic[x] = 1;
          comps++;
        }
      }
    }
    // Tarjan numbers components in reverse topological order
    const rank = new Int32Array(n);
    for (let p = 0; p < n; p++) rank[p] = comps - 1 - comp[p];
    this.orderCache = { rank, cyclic };
    return this.orderCache;
  }

  /** The ALTERNATIVE arm an instruction belongs to. */
  armOf(pos: number): { group: number; arm: number; feature: string } | undefined {
    const t = this.stmt(pos).alternative;
    return t ? { group: t.group, arm: t.arm, feature: t.feature } : undefined;
  }
}

/** `X86_FEATURE_PTI` → `+X86_FEATURE_PTI`; `ALT_NOT(X86_FEATURE_XENPV)` → `-X86_FEATURE_XENPV`. */
function positive(feature: string): string {
  const m = /^ALT_NOT\s*\(\s*(\w+)\s*\)$/.exec(feature.trim());
  return m ? '-' + m[1] : '+' + feature.trim();
}

function negate(feature: string): string {
  const p = positive(feature);
  return (p[0] === '+' ? '-' : '+') + p.slice(1);
}

// --- syntax operands → machine operands ------------------------------------------------------

/** A symbol and constant offset from an expression `sym`, `sym+N`, `N+sym`, `sym-N`; undefined otherwise. */
function symPlusConst(e: SynExpr): { sym: string; off: bigint } | undefined {
  if (e.kind === 'sym') return { sym: e.name, off: 0n };
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-')) {
    const l = symPlusConst(e.left);
    const rn = e.right.kind === 'num' ? e.right.value : undefined;
    if (l && rn !== undefined) return { sym: l.sym, off: e.op === '+' ? l.off + rn : l.off - rn };
    const ln = e.left.kind === 'num' ? e.left.value : undefined;
    const r = e.op === '+' ? symPlusConst(e.right) : undefined;
    if (r && ln !== undefined) return { sym: r.sym, off: r.off + ln };
  }
  return undefined;
}

/** The expression part of an operand's text (no `*`, `$`, segment or `(base,index,scale)`). */
function exprText(op: SynOperand): string {
  return op.text.replace(/^\*/, '').replace(/^\$/, '').replace(/^%\w+:/, '').replace(/\(\s*%?[\w]*\s*(,[^()]*)?\)\s*$/, '').trim();
}

type Lookup = (name: string) => bigint | undefined;

function convertOperand(op: SynOperand, branch: boolean, lookup: Lookup): Operand {
  let out: Operand;
  switch (op.kind) {
    case 'reg':
      out = { kind: 'reg', name: op.reg };
      break;
    case 'imm': {
      const v = op.value ?? evalExpr(op.expr, lookup);
      if (v !== undefined) out = { kind: 'imm', value: v };
      else {
        const sp = symPlusConst(op.expr);
        out = sp ? { kind: 'imm', value: sp.off, symbol: sp.sym } : { kind: 'imm', value: 0n, symbol: exprText(op) };
      }
      break;
    }
    case 'mem': {
      let disp = 0n;
      let dispSymbol: string | undefined;
      const dv = op.dispValue ?? (op.disp ? evalExpr(op.disp, lookup) : undefined);
      if (dv !== undefined) disp = dv;
      else if (op.disp) {
        const sp = symPlusConst(op.disp);
        if (sp) {
          disp = sp.off;
          dispSymbol = sp.sym;
        } else dispSymbol = exprText(op);
      }
      out = { kind: 'mem', seg: op.seg, disp, dispSymbol, base: op.base, index: op.index, scale: op.scale };
      break;
    }
    case 'sym': {
      if (branch && op.expr.kind === 'sym') out = { kind: 'label', name: op.expr.name };
      else if (op.value !== undefined) out = { kind: 'mem', disp: op.value, scale: 1 };
      else {
        const sp = symPlusConst(op.expr);
        out = sp ? { kind: 'mem', disp: sp.off, dispSymbol: sp.sym, scale: 1 } : { kind: 'mem', disp: 0n, dispSymbol: exprText(op), scale: 1 };
      }
      break;
    }
  }
  if (op.indirect && (out.kind === 'reg' || out.kind === 'mem')) return { kind: 'indirect', target: out };
  return out;
}

const BRANCH = /^(j[a-z]{1,4}|call[lqw]?|loop[a-z]*)$/;

function convert(s: Statement, lookup: Lookup): { insn?: Instruction; error?: string } {
  try {
    const branch = BRANCH.test(s.name);
    return { insn: { mnemonic: s.name, operands: s.operands.map((o) => convertOperand(o, branch, lookup)), prefixes: s.prefixes } };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
