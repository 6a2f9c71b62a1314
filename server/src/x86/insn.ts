// The instruction representation the machine executes. It knows nothing of
// text: the syntax layer builds these from source lines.

export interface RegOperand {
  kind: 'reg';
  /** Register name without `%`: rax, eax, al, ah, r8d, cr3, cs, ... */
  name: string;
}

export interface ImmOperand {
  kind: 'imm';
  value: bigint;
  /** A symbol whose value is added to `value` (resolved through the step context). */
  symbol?: string;
}

export interface MemOperand {
  kind: 'mem';
  /** Segment override: gs, fs, ... */
  seg?: string;
  disp: bigint;
  /** A symbolic displacement (`pcpu_var`, `TASK_TI_flags`): resolved through the context, else a named region. */
  dispSymbol?: string;
  /** Base register name (rip for RIP-relative). */
  base?: string;
  index?: string;
  scale: 1 | 2 | 4 | 8;
}

export interface LabelOperand {
  kind: 'label';
  name: string;
}

/** `*%rax` or `*table(,%rax,8)`: an indirect jump or call target. */
export interface IndirectOperand {
  kind: 'indirect';
  target: RegOperand | MemOperand;
}

export type Operand = RegOperand | ImmOperand | MemOperand | LabelOperand | IndirectOperand;

export interface Instruction {
  /** AT&T mnemonic as written (movq, shlq, sysretq, jne, ...), lower or upper case. */
  mnemonic: string;
  /** Operands in AT&T order (sources first, destination last). */
  operands: Operand[];
  /** Prefixes written before the mnemonic: lock, rep, repe, repne, rex64, ... */
  prefixes?: string[];
}

export const reg = (name: string): RegOperand => ({ kind: 'reg', name: name.replace(/^%/, '').toLowerCase() });
export const imm = (value: bigint | number, symbol?: string): ImmOperand => ({ kind: 'imm', value: BigInt(value), symbol });
export const mem = (m: Partial<Omit<MemOperand, 'kind'>>): MemOperand => ({ kind: 'mem', disp: 0n, scale: 1, ...m });
export const label = (name: string): LabelOperand => ({ kind: 'label', name });
export const insn = (mnemonic: string, ...operands: Operand[]): Instruction => ({ mnemonic, operands });
