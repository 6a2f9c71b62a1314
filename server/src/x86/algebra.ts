// The bit-vector algebra every instruction's semantics is written against.
// Bit-vectors are 1..64 bits wide (a few internal values are wider, e.g. the
// 65-bit sums used for carries); booleans are a separate sort.

/** Where an address points: a region (empty for absolute addresses) and a byte offset in it. */
export interface AddressKey {
  /** Canonical name of the non-constant part of the address ('' when the address is a plain number). */
  base: string;
  offset: bigint;
}

export interface Algebra<V, B> {
  readonly kind: 'concrete' | 'symbolic';

  // --- constants and inspection -------------------------------------------
  const(width: number, value: bigint): V;
  width(v: V): number;
  /** The value when it is a known constant (unsigned, masked to the width). */
  asConst(v: V): bigint | undefined;
  bool(b: boolean): B;
  /** The truth value when it is known. */
  asBool(b: B): boolean | undefined;
  /** A fresh unknown value (the concrete algebra refuses: it has no unknowns). */
  fresh(name: string, width: number): V;

  // --- arithmetic and logic (operands of equal width) ----------------------
  add(a: V, b: V): V;
  sub(a: V, b: V): V;
  and(a: V, b: V): V;
  or(a: V, b: V): V;
  xor(a: V, b: V): V;
  not(a: V): V;
  neg(a: V): V;
  /** Shifts by a value of the same width; amounts >= width give 0 (shl, lshr) or all sign bits (ashr). */
  shl(a: V, n: V): V;
  lshr(a: V, n: V): V;
  ashr(a: V, n: V): V;

  // --- width changes -------------------------------------------------------
  extract(a: V, hi: number, lo: number): V;
  zext(a: V, width: number): V;
  sext(a: V, width: number): V;
  /** hi bits above lo bits. */
  concat(hi: V, lo: V): V;

  // --- comparisons -----------------------------------------------------------
  eq(a: V, b: V): B;
  ult(a: V, b: V): B;
  ule(a: V, b: V): B;
  slt(a: V, b: V): B;
  sle(a: V, b: V): B;

  // --- choice and booleans ---------------------------------------------------
  ite(c: B, a: V, b: V): V;
  andB(a: B, b: B): B;
  orB(a: B, b: B): B;
  notB(a: B): B;
  iteB(c: B, a: B, b: B): B;
  /** A 1-bit vector from a boolean. */
  bit(b: B): V;

  /** Splits an address into region and offset (constant terms summed into the offset). */
  addressKey(a: V): AddressKey;
  /** Readable text of a value. */
  show(v: V): string;
  showB(b: B): string;
}

// ---------------------------------------------------------------------------
// Helpers written once against the interface.

const MASKS: bigint[] = [];
for (let w = 0; w <= 130; w++) MASKS.push((1n << BigInt(w)) - 1n);

export function mask(width: number): bigint {
  return width <= 130 ? MASKS[width] : (1n << BigInt(width)) - 1n;
}

export function toSigned(v: bigint, width: number): bigint {
  const m = mask(width);
  v &= m;
  return v >> BigInt(width - 1) ? v - (1n << BigInt(width)) : v;
}

/** True when `a` is 1 (for 1-bit values). */
export function isSet<V, B>(A: Algebra<V, B>, a: V): B {
  return A.eq(a, A.const(A.width(a), 1n));
}

export function isZero<V, B>(A: Algebra<V, B>, a: V): B {
  return A.eq(a, A.const(A.width(a), 0n));
}

export function ne<V, B>(A: Algebra<V, B>, a: V, b: V): B {
  return A.notB(A.eq(a, b));
}

/** Bit `i` of `a` as a 1-bit value. */
export function bitOf<V, B>(A: Algebra<V, B>, a: V, i: number): V {
  return A.extract(a, i, i);
}

/** Resizes to `width` by truncation or zero extension. */
export function resize<V, B>(A: Algebra<V, B>, a: V, width: number): V {
  const w = A.width(a);
  if (w === width) return a;
  return w > width ? A.extract(a, width - 1, 0) : A.zext(a, width);
}

/** Canonical address test: bits 63..(vaBits-1) all equal. */
export function isCanonical<V, B>(A: Algebra<V, B>, a: V, vaBits: 48 | 57): B {
  const top = A.extract(a, vaBits - 1, 0);
  return A.eq(A.sext(top, 64), a);
}

// ---------------------------------------------------------------------------
// The concrete algebra: BigInt masked to the width.

export class CV {
  constructor(
    readonly width: number,
    readonly value: bigint,
  ) {}
  toString(): string {
    return '0x' + this.value.toString(16);
  }
}

function cv(width: number, value: bigint): CV {
  return new CV(width, value & mask(width));
}

function sameWidth(a: CV, b: CV, op: string): void {
  if (a.width !== b.width) throw new Error(`concrete ${op}: width mismatch ${a.width} vs ${b.width}`);
}

export class ConcreteAlgebra implements Algebra<CV, boolean> {
  readonly kind = 'concrete' as const;
  const(width: number, value: bigint): CV {
    return cv(width, value);
  }
  width(v: CV): number {
    return v.width;
  }
  asConst(v: CV): bigint {
    return v.value;
  }
  bool(b: boolean): boolean {
    return b;
  }
  asBool(b: boolean): boolean {
    return b;
  }
  fresh(name: string, width: number): CV {
    throw new Error(`concrete algebra has no unknown values (asked for ${name}:${width})`);
  }
  add(a: CV, b: CV): CV {
    sameWidth(a, b, 'add');
    return cv(a.width, a.value + b.value);
  }
  sub(a: CV, b: CV): CV {
    sameWidth(a, b, 'sub');
    return cv(a.width, a.value - b.value);
  }
  and(a: CV, b: CV): CV {
    sameWidth(a, b, 'and');
    return cv(a.width, a.value & b.value);
  }
  or(a: CV, b: CV): CV {
    sameWidth(a, b, 'or');
    return cv(a.width, a.value | b.value);
  }
  xor(a: CV, b: CV): CV {
    sameWidth(a, b, 'xor');
    return cv(a.width, a.value ^ b.value);
  }
  not(a: CV): CV {
    return cv(a.width, ~a.value);
  }
  neg(a: CV): CV {
    return cv(a.width, -a.value);
  }
  shl(a: CV, n: CV): CV {
    sameWidth(a, n, 'shl');
    return n.value >= BigInt(a.width) ? cv(a.width, 0n) : cv(a.width, a.value << n.value);
  }
  lshr(a: CV, n: CV): CV {
    sameWidth(a, n, 'lshr');
    return n.value >= BigInt(a.width) ? cv(a.width, 0n) : cv(a.width, a.value >> n.value);
  }
  ashr(a: CV, n: CV): CV {
    sameWidth(a, n, 'ashr');
    const s = toSigned(a.value, a.width);
    const k = n.value >= BigInt(a.width) ? BigInt(a.width - 1) : n.value;
    return cv(a.width, s >> k);
  }
  extract(a: CV, hi: number, lo: number): CV {
    if (hi < lo || hi >= a.width || lo < 0) throw new Error(`concrete extract [${hi}:${lo}] of ${a.width} bits`);
    return cv(hi - lo + 1, a.value >> BigInt(lo));
  }
  zext(a: CV, width: number): CV {
    if (width < a.width) throw new Error('zext to a narrower width');
    return cv(width, a.value);
  }
  sext(a: CV, width: number): CV {
    if (width < a.width) throw new Error('sext to a narrower width');
    return cv(width, toSigned(a.value, a.width));
  }
  concat(hi: CV, lo: CV): CV {
    return cv(hi.width + lo.width, (hi.value << BigInt(lo.width)) | lo.value);
  }
  eq(a: CV, b: CV): boolean {
    sameWidth(a, b, 'eq');
    return a.value === b.value;
  }
  ult(a: CV, b: CV): boolean {
    sameWidth(a, b, 'ult');
    return a.value < b.value;
  }
  ule(a: CV, b: CV): boolean {
    sameWidth(a, b, 'ule');
    return a.value <= b.value;
  }
  slt(a: CV, b: CV): boolean {
    sameWidth(a, b, 'slt');
    return toSigned(a.value, a.width) < toSigned(b.value, b.width);
  }
  sle(a: CV, b: CV): boolean {
    sameWidth(a, b, 'sle');
    return toSigned(a.value, a.width) <= toSigned(b.value, b.width);
  }
  ite(c: boolean, a: CV, b: CV): CV {
    sameWidth(a, b, 'ite');
    return c ? a : b;
  }
  andB(a: boolean, b: boolean): boolean {
    return a && b;
  }
  orB(a: boolean, b: boolean): boolean {
    return a || b;
  }
  notB(a: boolean): boolean {
    return !a;
  }
  iteB(c: boolean, a: boolean, b: boolean): boolean {
    return c ? a : b;
  }
  bit(b: boolean): CV {
    return cv(1, b ? 1n : 0n);
  }
  addressKey(a: CV): { base: string; offset: bigint } {
    return { base: '', offset: a.value };
  }
  show(v: CV): string {
    return '0x' + v.value.toString(16);
  }
  showB(b: boolean): string {
    return b ? 'true' : 'false';
  }
}

export const concrete = new ConcreteAlgebra();
