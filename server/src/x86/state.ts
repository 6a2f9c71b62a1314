// Machine state, generic over the algebra: general registers with their
// sub-registers, RFLAGS bit by bit, segment selectors, GS base and CR3,
// CPL, named MSRs and memory as typed cells.

import { Algebra, AddressKey, resize } from './algebra';

export type Vendor = 'intel' | 'amd';
export type VaBits = 48 | 57;

export const GPRS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export type Gpr = (typeof GPRS)[number];

export interface RegRef {
  gpr: Gpr;
  width: 8 | 16 | 32 | 64;
  /** ah, ch, dh, bh: bits 15..8. */
  high: boolean;
}

const REGS = new Map<string, RegRef>();
{
  const legacy: [Gpr, string, string, string, string | undefined][] = [
    ['rax', 'eax', 'ax', 'al', 'ah'],
    ['rcx', 'ecx', 'cx', 'cl', 'ch'],
    ['rdx', 'edx', 'dx', 'dl', 'dh'],
    ['rbx', 'ebx', 'bx', 'bl', 'bh'],
    ['rsp', 'esp', 'sp', 'spl', undefined],
    ['rbp', 'ebp', 'bp', 'bpl', undefined],
    ['rsi', 'esi', 'si', 'sil', undefined],
    ['rdi', 'edi', 'di', 'dil', undefined],
  ];
  for (const [g, e, x, l, h] of legacy) {
    REGS.set(g, { gpr: g, width: 64, high: false });
    REGS.set(e, { gpr: g, width: 32, high: false });
    REGS.set(x, { gpr: g, width: 16, high: false });
    REGS.set(l, { gpr: g, width: 8, high: false });
    if (h) REGS.set(h, { gpr: g, width: 8, high: true });
  }
  for (let i = 8; i < 16; i++) {
    const g = ('r' + i) as Gpr;
    REGS.set(g, { gpr: g, width: 64, high: false });
    REGS.set(g + 'd', { gpr: g, width: 32, high: false });
    REGS.set(g + 'w', { gpr: g, width: 16, high: false });
    REGS.set(g + 'b', { gpr: g, width: 8, high: false });
    REGS.set(g + 'l', { gpr: g, width: 8, high: false });
  }
}

/** A general register or sub-register by name (`%` optional, case-insensitive). */
export function lookupRegister(name: string): RegRef | undefined {
  return REGS.get(name.replace(/^%/, '').toLowerCase());
}

export const SEGMENTS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const;
export type Segment = (typeof SEGMENTS)[number];
export const CONTROL_REGS = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8'] as const;
export type ControlReg = (typeof CONTROL_REGS)[number];

/** The single-bit RFLAGS fields and their bit numbers (IOPL, bits 13..12, is kept apart). */
export const FLAG_BITS = {
  CF: 0,
  PF: 2,
  AF: 4,
  ZF: 6,
  SF: 7,
  TF: 8,
  IF: 9,
  DF: 10,
  OF: 11,
  NT: 14,
  RF: 16,
  VM: 17,
  AC: 18,
  VIF: 19,
  VIP: 20,
  ID: 21,
} as const;
export type Flag = keyof typeof FLAG_BITS;
export const FLAGS = Object.keys(FLAG_BITS) as Flag[];
/** Status flags written by arithmetic. */
export const STATUS_FLAGS: readonly Flag[] = ['CF', 'PF', 'AF', 'ZF', 'SF', 'OF'];

export const RFLAGS = {
  CF: 0x1n,
  RESERVED1: 0x2n,
  PF: 0x4n,
  AF: 0x10n,
  ZF: 0x40n,
  SF: 0x80n,
  TF: 0x100n,
  IF: 0x200n,
  DF: 0x400n,
  OF: 0x800n,
  IOPL: 0x3000n,
  NT: 0x4000n,
  RF: 0x10000n,
  VM: 0x20000n,
  AC: 0x40000n,
  VIF: 0x80000n,
  VIP: 0x100000n,
  ID: 0x200000n,
} as const;

/** MSR numbers the model knows by name. */
export const MSR_NAMES: ReadonlyMap<bigint, string> = new Map([
  [0x48n, 'SPEC_CTRL'],
  [0x49n, 'PRED_CMD'],
  [0x10bn, 'FLUSH_CMD'],
  [0x174n, 'SYSENTER_CS'],
  [0x175n, 'SYSENTER_ESP'],
  [0x176n, 'SYSENTER_EIP'],
  [0xc0000080n, 'EFER'],
  [0xc0000081n, 'STAR'],
  [0xc0000082n, 'LSTAR'],
  [0xc0000083n, 'CSTAR'],
  [0xc0000084n, 'FMASK'],
  [0xc0000100n, 'FS_BASE'],
  [0xc0000101n, 'GS_BASE'],
  [0xc0000102n, 'KERNEL_GS_BASE'],
  [0xc0000103n, 'TSC_AUX'],
]);

/** Linux's values: STAR = __USER32_CS << 48 | __KERNEL_CS << 32; FMASK clears TF DF IF IOPL AC NT. */
export const LINUX_STAR = (0x23n << 48n) | (0x10n << 32n);
export const LINUX_FMASK = RFLAGS.TF | RFLAGS.DF | RFLAGS.IF | RFLAGS.IOPL | RFLAGS.AC | RFLAGS.NT;

// ---------------------------------------------------------------------------
// Memory

export interface Cell<V> {
  /** Size in bytes (1..8). */
  size: number;
  value: V;
}

/** Supplies the value of memory never written: (region, offset, size in bytes). */
export type MemoryInit<V> = (base: string, offset: bigint, size: number) => V;

/**
 * Memory as typed cells keyed by (region, offset). A region is the canonical
 * name of an address's non-constant part ('' for absolute addresses, 'gs:x'
 * for per-CPU cells, `kstack_top` for the kernel stack, ...).
 */
export class Memory<V, B> {
  readonly regions = new Map<string, Map<bigint, Cell<V>>>();
  constructor(
    private readonly A: Algebra<V, B>,
    public init: MemoryInit<V>,
  ) {}

  clone(): Memory<V, B> {
    const m = new Memory(this.A, this.init);
    for (const [k, r] of this.regions) m.regions.set(k, new Map(r));
    return m;
  }

  /** Undo log of the open transaction: (region, offset, previous cell or undefined). */
  private undo: [Map<bigint, Cell<V>>, bigint, Cell<V> | undefined][] | undefined;

  /** Starts recording writes so that `rollback` can undo them. */
  begin(): void {
    this.undo = [];
  }
  commit(): void {
    this.undo = undefined;
  }
  rollback(): void {
    const u = this.undo;
    this.undo = undefined;
    if (!u) return;
    for (let i = u.length - 1; i >= 0; i--) {
      const [r, o, c] = u[i];
      if (c) r.set(o, c);
      else r.delete(o);
    }
  }
  private set(r: Map<bigint, Cell<V>>, o: bigint, c: Cell<V>): void {
    this.undo?.push([r, o, r.get(o)]);
    r.set(o, c);
  }
  private del(r: Map<bigint, Cell<V>>, o: bigint): void {
    this.undo?.push([r, o, r.get(o)]);
    r.delete(o);
  }

  private region(base: string): Map<bigint, Cell<V>> {
    let r = this.regions.get(base);
    if (!r) {
      r = new Map();
      this.regions.set(base, r);
    }
    return r;
  }

  /** The cells overlapping [offset, offset+size). */
  private overlapping(r: Map<bigint, Cell<V>>, offset: bigint, size: number): [bigint, Cell<V>][] {
    const out: [bigint, Cell<V>][] = [];
    for (let o = offset - 7n; o < offset + BigInt(size); o++) {
      const c = r.get(o);
      if (c && o + BigInt(c.size) > offset) out.push([o, c]);
    }
    return out;
  }

  /** Reads `size` bytes (little-endian) as a value of size*8 bits. */
  read(base: string, offset: bigint, size: number): V {
    const A = this.A;
    const r = this.region(base);
    const exact = r.get(offset);
    if (exact && exact.size === size) return exact.value;
    const cells = this.overlapping(r, offset, size);
    if (cells.length === 0) {
      const v = this.init(base, offset, size);
      this.set(r, offset, { size, value: v });
      return v;
    }
    // byte by byte, materialising missing runs from the initialiser
    const bytes: V[] = [];
    let i = 0;
    while (i < size) {
      const p = offset + BigInt(i);
      const hit = cells.find(([o, c]) => o <= p && p < o + BigInt(c.size));
      if (hit) {
        const k = Number(p - hit[0]);
        bytes.push(A.extract(hit[1].value, k * 8 + 7, k * 8));
        i++;
        continue;
      }
      let j = i;
      while (j < size && !cells.some(([o, c]) => o <= offset + BigInt(j) && offset + BigInt(j) < o + BigInt(c.size))) j++;
      const v = this.init(base, p, j - i);
      this.set(r, p, { size: j - i, value: v });
      for (let k = 0; k < j - i; k++) bytes.push(A.extract(v, k * 8 + 7, k * 8));
      i = j;
    }
    let acc = bytes[0];
    for (let k = 1; k < bytes.length; k++) acc = A.concat(bytes[k], acc);
    return acc;
  }

  /** Writes a value of size*8 bits. */
  write(base: string, offset: bigint, value: V): void {
    const A = this.A;
    const size = A.width(value) / 8;
    const r = this.region(base);
    // the cell there has this size: cells never overlap, so it is the only one the write touches
    if (r.get(offset)?.size === size) {
      this.set(r, offset, { size, value });
      return;
    }
    const end = offset + BigInt(size);
    for (const [o, c] of this.overlapping(r, offset, size)) {
      this.del(r, o);
      const cend = o + BigInt(c.size);
      if (o < offset) {
        const n = Number(offset - o);
        this.set(r, o, { size: n, value: A.extract(c.value, n * 8 - 1, 0) });
      }
      if (cend > end) {
        const skip = Number(end - o);
        const n = Number(cend - end);
        this.set(r, end, { size: n, value: A.extract(c.value, c.size * 8 - 1, skip * 8) });
      }
    }
    this.set(r, offset, { size, value });
  }

  /** Every cell, for display and merging. */
  *cells(): Generator<{ base: string; offset: bigint; cell: Cell<V> }> {
    for (const [base, r] of this.regions) for (const [offset, cell] of r) yield { base, offset, cell };
  }
}

/** The kernel's per-CPU GS base in a concrete run (a direct-map address, as Linux's are). */
const KERNEL_GS_BASE_VALUE = 0xffff888000000000n;

/** The kernel's per-CPU GS base: a kernel address (bit 63 set), the same value wherever it is made. */
export function kernelGsBase<V, B>(A: Algebra<V, B>): V {
  return A.kind === 'symbolic' ? A.or(A.fresh('kernel.gs_base', 64), A.const(64, 1n << 63n)) : A.const(64, KERNEL_GS_BASE_VALUE);
}

/** The user's GS base as arch_prctl leaves it: below 2^47. */
export function userGsBase<V, B>(A: Algebra<V, B>): V {
  return A.kind === 'symbolic' ? A.and(A.fresh('user.gs_base', 64), A.const(64, (1n << 47n) - 1n)) : A.const(64, 0n);
}

/**
 * After code wrote GS_BASE (wrgsbase, wrmsr): the kernel's base is active when the value is the
 * kernel's per-CPU base (5.9+ paranoid_entry's `wrgsbase` of `__per_cpu_offset[cpu]`), the user's
 * when it is the user's (its exit's `wrgsbase` of what `rdgsbase` read); otherwise as it was.
 * (A `wrmsr` rebuilds its value from EDX:EAX, which the algebra does not fold back into the base:
 * in practice only `wrgsbase` is recognised.)
 */
export function noteGsBaseWrite<V, B>(s: MachineState<V, B>, v: V): void {
  const A = s.A;
  const kind = (x: V, depth: number): V | undefined => {
    if (A.asBool(A.eq(x, kernelGsBase(A))) === true) return A.const(1, 1n);
    if (A.asBool(A.eq(x, userGsBase(A))) === true) return A.const(1, 0n);
    // a value merged from paths (ALTERNATIVE arms): each arm's base, under its condition
    const e = x as unknown as { op?: string; args?: V[] };
    if (A.kind !== 'symbolic' || e.op !== 'ite' || !e.args || depth > 8) return undefined;
    const [c, a, b] = e.args;
    const ka = kind(a, depth + 1);
    const kb = kind(b, depth + 1);
    return ka === undefined || kb === undefined ? undefined : A.ite(c as unknown as B, ka, kb);
  };
  const k = kind(v, 0);
  if (k !== undefined) s.gsKernel = k;
}

/** `base+0x10`, `base-0x20` or `0x1000`: a readable name for a memory location. */
export function cellName(base: string, offset: bigint): string {
  const hex = (v: bigint): string => '0x' + v.toString(16);
  if (!base) return hex(BigInt.asUintN(64, offset));
  if (offset === 0n) return base;
  return offset < 0n ? `${base}-${hex(-offset)}` : `${base}+${hex(offset)}`;
}

// ---------------------------------------------------------------------------
// The state

export interface StateInit<V> {
  regs?: Partial<Record<Gpr, V>>;
  rflags?: V;
  cs?: V;
  ss?: V;
  /** 1 when the kernel's GS base is active. */
  gsKernel?: V;
  cr3?: V;
  cpl?: V;
  msrs?: Record<string, V>;
  memInit?: MemoryInit<V>;
}

export class MachineState<V, B> {
  regs: Record<Gpr, V>;
  /** Single-bit flags as 1-bit values. */
  flags: Record<Flag, V>;
  /** IOPL, 2 bits. */
  iopl: V;
  /** Flags whose value the manuals call undefined after the last instruction that wrote them. */
  undefinedFlags: Set<Flag>;
  seg: Record<Segment, V>;
  /** 1 when the kernel's GS base is active (SWAPGS toggles it). */
  gsKernel: V;
  cr: Record<ControlReg, V>;
  cpl: V;
  /**
   * The MSRs written or read so far. Shared between a state and its copies until one of them
   * writes (setMsr copies the map then): every step and branch copies a state, few write an MSR.
   */
  get msrs(): ReadonlyMap<string, V> {
    return this.msrMap;
  }
  private msrMap: Map<string, V>;
  /** Whether msrMap is this state's own (no copy shares it). */
  private msrOwned = true;
  setMsr(name: string, v: V): void {
    if (!this.msrOwned) {
      this.msrMap = new Map(this.msrMap);
      this.msrOwned = true;
    }
    this.msrMap.set(name, v);
  }
  mem: Memory<V, B>;
  /**
   * The operands of the last flag-setting subtraction (cmp/sub) and the flags it
   * produced: signed conditions read as `a <s b` while those flags are current.
   */
  lastCompare?: { a: V; b: V; zf: V; sf: V; of: V };

  constructor(
    readonly A: Algebra<V, B>,
    init: StateInit<V> = {},
  ) {
    const zero64 = A.const(64, 0n);
    const r = {} as Record<Gpr, V>;
    for (const g of GPRS) r[g] = init.regs?.[g] ?? zero64;
    this.regs = r;
    this.flags = {} as Record<Flag, V>;
    this.iopl = A.const(2, 0n);
    this.setRflags(init.rflags ?? A.const(64, 2n));
    this.undefinedFlags = new Set();
    const sel = (v: bigint): V => A.const(16, v);
    this.seg = { cs: init.cs ?? sel(0x10n), ss: init.ss ?? sel(0x18n), ds: sel(0n), es: sel(0n), fs: sel(0n), gs: sel(0n) };
    this.gsKernel = init.gsKernel ?? A.const(1, 1n);
    this.cr = { cr0: A.const(64, 0x80050033n), cr2: zero64, cr3: init.cr3 ?? zero64, cr4: zero64, cr8: zero64 };
    this.cpl = init.cpl ?? A.const(2, 0n);
    this.msrMap = new Map();
    this.setMsr('STAR', A.const(64, LINUX_STAR));
    this.setMsr('FMASK', A.const(64, LINUX_FMASK));
    this.setMsr('EFER', A.const(64, 0xd01n));
    // Linux: SYSENTER_CS = __KERNEL_CS, so SYSEXIT loads __USER32_CS (0x23) and __USER_DS (0x2b)
    this.setMsr('SYSENTER_CS', A.const(64, 0x10n));
    for (const [k, v] of Object.entries(init.msrs ?? {})) this.setMsr(k, v);
    this.mem = new Memory(
      A,
      init.memInit ??
        ((base, off, size) => {
          if (A.kind === 'symbolic') return A.fresh(`mem[${cellName(base, off)}]:${size * 8}`, size * 8);
          return A.const(size * 8, 0n);
        }),
    );
  }

  clone(): MachineState<V, B> {
    const s = this.cloneRegisters();
    s.mem = this.mem.clone();
    return s;
  }

  /** A copy that shares memory with this state (used by `step`, which undoes memory writes on failure). */
  cloneRegisters(): MachineState<V, B> {
    const s = Object.create(MachineState.prototype) as MachineState<V, B>;
    Object.assign(s, this);
    s.regs = { ...this.regs };
    s.flags = { ...this.flags };
    s.undefinedFlags = new Set(this.undefinedFlags);
    s.seg = { ...this.seg };
    s.cr = { ...this.cr };
    this.msrOwned = s.msrOwned = false;
    return s;
  }

  // --- registers -------------------------------------------------------------------
  /** Reads a general register or sub-register by name (rax, eax, ax, al, ah, r8d, sil, ...). */
  read(name: string): V {
    const ref = lookupRegister(name);
    if (!ref) throw new Error(`unknown register ${name}`);
    return this.readRef(ref);
  }
  readRef(ref: RegRef): V {
    const v = this.regs[ref.gpr];
    if (ref.width === 64) return v;
    if (ref.high) return this.A.extract(v, 15, 8);
    return this.A.extract(v, ref.width - 1, 0);
  }
  /** Writes by name: a 32-bit write zero-extends, 8/16-bit writes merge. */
  write(name: string, value: V): void {
    const ref = lookupRegister(name);
    if (!ref) throw new Error(`unknown register ${name}`);
    this.writeRef(ref, value);
  }
  writeRef(ref: RegRef, value: V): void {
    const A = this.A;
    if (A.width(value) !== ref.width) throw new Error(`write of ${A.width(value)} bits to a ${ref.width}-bit register`);
    const old = this.regs[ref.gpr];
    if (ref.width === 64) this.regs[ref.gpr] = value;
    else if (ref.width === 32) this.regs[ref.gpr] = A.zext(value, 64);
    else if (ref.high) this.regs[ref.gpr] = A.concat(A.extract(old, 63, 16), A.concat(value, A.extract(old, 7, 0)));
    else this.regs[ref.gpr] = A.concat(A.extract(old, 63, ref.width), value);
  }

  /**
   * Any named piece of state: general registers at every width, segment
   * selectors (cs, ss, ...), control registers (cr3, ...), rflags, single
   * flags (CF, ZF, IF, ...), iopl, cpl, gsKernel, and msr.<NAME>.
   * Undefined for an unknown name.
   */
  readAny(name: string): V | undefined {
    const n = name.replace(/^%/, '');
    const l = n.toLowerCase();
    if (lookupRegister(l)) return this.read(l);
    if ((SEGMENTS as readonly string[]).includes(l)) return this.seg[l as Segment];
    if ((CONTROL_REGS as readonly string[]).includes(l)) return this.cr[l as ControlReg];
    if (l === 'rflags' || l === 'eflags') return this.rflags();
    if (l === 'iopl') return this.iopl;
    if (l === 'cpl') return this.cpl;
    if (l === 'gskernel') return this.gsKernel;
    const f = n.toUpperCase();
    if (f in FLAG_BITS) return this.flags[f as Flag];
    if (l.startsWith('msr.')) return this.msr(n.slice(4).toUpperCase());
    return undefined;
  }
  /** Writes what `readAny` reads (the value must have the piece's width); false for an unknown name. */
  writeAny(name: string, value: V): boolean {
    const n = name.replace(/^%/, '');
    const l = n.toLowerCase();
    const w = this.A.width(value);
    const need = (bits: number): void => {
      if (w !== bits) throw new Error(`${name} is ${bits}-bit, got ${w} bits`);
    };
    if (lookupRegister(l)) {
      this.write(l, value);
    } else if ((SEGMENTS as readonly string[]).includes(l)) {
      need(16);
      this.seg[l as Segment] = value;
    } else if ((CONTROL_REGS as readonly string[]).includes(l)) {
      need(64);
      this.cr[l as ControlReg] = value;
    } else if (l === 'rflags' || l === 'eflags') {
      need(64);
      this.setRflags(value);
      this.undefinedFlags.clear();
    } else if (l === 'iopl' || l === 'cpl') {
      need(2);
      if (l === 'iopl') this.iopl = value;
      else this.cpl = value;
    } else if (l === 'gskernel') {
      need(1);
      this.gsKernel = value;
    } else if (n.toUpperCase() in FLAG_BITS) {
      need(1);
      this.setFlag(n.toUpperCase() as Flag, value);
    } else if (l.startsWith('msr.')) {
      need(64);
      this.setMsr(n.slice(4).toUpperCase(), value);
    } else return false;
    return true;
  }

  // --- flags ------------------------------------------------------------------------
  /** RFLAGS as a 64-bit value (bit 1 set, reserved bits clear). */
  rflags(): V {
    const A = this.A;
    const one = A.const(1, 1n);
    const zero = (n: number): V => A.const(n, 0n);
    const f = this.flags;
    // from bit 0 upwards
    const parts: V[] = [f.CF, one, f.PF, zero(1), f.AF, zero(1), f.ZF, f.SF, f.TF, f.IF, f.DF, f.OF, this.iopl, f.NT, zero(1), f.RF, f.VM, f.AC, f.VIF, f.VIP, f.ID, zero(42)];
    let acc = parts[0];
    for (let i = 1; i < parts.length; i++) acc = A.concat(parts[i], acc);
    return acc;
  }
  /** Loads every RFLAGS field from a 64-bit value (no privilege rules: see popf for those). */
  setRflags(v: V): void {
    const A = this.A;
    for (const f of FLAGS) this.flags[f] = A.extract(v, FLAG_BITS[f], FLAG_BITS[f]);
    this.iopl = A.extract(v, 13, 12);
  }
  flag(f: Flag): V {
    return this.flags[f];
  }
  setFlag(f: Flag, v: V): void {
    this.flags[f] = v;
    this.undefinedFlags.delete(f);
  }
  /** Marks a flag undefined; its value becomes `v` (a fresh value when symbolic). */
  setUndefined(f: Flag, v: V): void {
    this.flags[f] = v;
    this.undefinedFlags.add(f);
  }

  // --- GS base and CR3 --------------------------------------------------------------------
  gsBaseKind(): 'user' | 'kernel' | 'unknown' {
    const c = this.A.asConst(this.gsKernel);
    return c === undefined ? 'unknown' : c === 1n ? 'kernel' : 'user';
  }
  /** CR3 is the user's when the user page-table bit (Linux PTI: bit 12) is set. */
  cr3IsUser(userBit = 12): B {
    return this.A.eq(this.A.extract(this.cr.cr3, userBit, userBit), this.A.const(1, 1n));
  }
  cr3Kind(userBit = 12): 'user' | 'kernel' | 'unknown' {
    const b = this.A.asBool(this.cr3IsUser(userBit));
    return b === undefined ? 'unknown' : b ? 'user' : 'kernel';
  }

  msr(name: string): V {
    // The GS bases as the CPU holds them, until code writes one: the active one (GS_BASE) is the
    // kernel's per-CPU base — a kernel address, bit 63 set — when gsKernel says so, else the
    // user's, which arch_prctl keeps below 2^47; SWAPGS exchanges it with KERNEL_GS_BASE. So the
    // paranoid entries' `rdmsr MSR_GS_BASE; testl %edx,%edx; js` (3.x-5.8) tells the two apart.
    if ((name === 'GS_BASE' || name === 'KERNEL_GS_BASE') && !this.msrs.has(name)) {
      const A = this.A;
      const kernel = kernelGsBase(A);
      const user = userGsBase(A);
      const active = A.eq(this.gsKernel, A.const(1, 1n));
      return name === 'GS_BASE' ? A.ite(active, kernel, user) : A.ite(active, user, kernel);
    }
    let v = this.msrs.get(name);
    if (v === undefined) {
      v = this.A.kind === 'symbolic' ? this.A.fresh('msr.' + name, 64) : this.A.const(64, 0n);
      this.setMsr(name, v);
    }
    return v;
  }

  // --- memory --------------------------------------------------------------------------------
  /** Reads `width` bits at an address value. */
  load(addr: V, width: number): V {
    const k = this.A.addressKey(addr);
    return this.mem.read(k.base, k.offset, width / 8);
  }
  store(addr: V, value: V): void {
    const k = this.A.addressKey(addr);
    this.mem.write(k.base, k.offset, value);
  }
  loadAt(key: AddressKey, width: number): V {
    return this.mem.read(key.base, key.offset, width / 8);
  }
  storeAt(key: AddressKey, value: V): void {
    this.mem.write(key.base, key.offset, value);
  }
}

/**
 * Merges two states under a condition: where they differ the result is
 * ite(cond, a, b). Undefined flags of either side stay undefined.
 */
export function mergeStates<V, B>(A: Algebra<V, B>, cond: B, a: MachineState<V, B>, b: MachineState<V, B>): MachineState<V, B> {
  const c = A.asBool(cond);
  if (c === true) return a.clone();
  if (c === false) return b.clone();
  const out = a.cloneRegisters();
  const pick = (x: V, y: V): V => (x === y ? x : A.ite(cond, x, y));
  for (const g of GPRS) out.regs[g] = pick(a.regs[g], b.regs[g]);
  for (const f of FLAGS) out.flags[f] = pick(a.flags[f], b.flags[f]);
  out.iopl = pick(a.iopl, b.iopl);
  out.undefinedFlags = new Set([...a.undefinedFlags, ...b.undefinedFlags]);
  for (const s of SEGMENTS) out.seg[s] = pick(a.seg[s], b.seg[s]);
  out.gsKernel = pick(a.gsKernel, b.gsKernel);
  for (const k of CONTROL_REGS) out.cr[k] = pick(a.cr[k], b.cr[k]);
  out.cpl = pick(a.cpl, b.cpl);
  out.lastCompare = a.lastCompare === b.lastCompare ? a.lastCompare : undefined;
  // (reads below may fill in cells or MSRs never touched: on copies, never on the states merged)
  const names = new Set([...a.msrs.keys(), ...b.msrs.keys()]);
  const sameMsrs = a.msrs.size === b.msrs.size && [...a.msrs].every(([n, v]) => b.msrs.get(n) === v);
  let copies: [MachineState<V, B>, MachineState<V, B>] | undefined;
  const copy = (): [MachineState<V, B>, MachineState<V, B>] => (copies ??= [a.clone(), b.clone()]);
  if (!sameMsrs) {
    const [ac, bc] = copy();
    for (const n of names) out.setMsr(n, pick(ac.msr(n), bc.msr(n)));
  }
  // memory: a region laid out alike on both sides (the same cells at the same offsets: the usual
  // case, both sides grew from one state) merges cell by cell; any other, every cell of either
  // side read from both
  const mem = new Memory<V, B>(A, a.mem.init);
  const seen: { base: string; offset: bigint; size: number }[] = [];
  for (const base of new Set([...a.mem.regions.keys(), ...b.mem.regions.keys()])) {
    const ra = a.mem.regions.get(base) ?? new Map<bigint, Cell<V>>();
    const rb = b.mem.regions.get(base) ?? new Map<bigint, Cell<V>>();
    let alike = ra.size === rb.size;
    if (alike) for (const [o, c] of ra) if (rb.get(o)?.size !== c.size) { alike = false; break; }
    if (alike) {
      const r = new Map<bigint, Cell<V>>();
      for (const [o, c] of ra) {
        const d = rb.get(o)!;
        r.set(o, c === d || c.value === d.value ? c : { size: c.size, value: pick(c.value, d.value) });
      }
      mem.regions.set(base, r);
      continue;
    }
    for (const [offset, cell] of ra) seen.push({ base, offset, size: cell.size });
    for (const [offset, cell] of rb) seen.push({ base, offset, size: cell.size });
  }
  if (seen.length) {
    const [ac, bc] = copy();
    for (const { base, offset, size } of seen) {
      const x = ac.mem.read(base, offset, size);
      const y = bc.mem.read(base, offset, size);
      mem.write(base, offset, pick(x, y));
    }
  }
  out.mem = mem;
  return out;
}

/** Reads a value as a given width (truncating or zero-extending). */
export function fit<V, B>(A: Algebra<V, B>, v: V, width: number): V {
  return resize(A, v, width);
}
