// What each modelled instruction is, in plain words, and which flags it reads,
// writes and leaves undefined. Hover text comes from here. Also the mapping
// from AT&T spellings (suffixes, aliases) to canonical mnemonics.

export interface InstructionInfo {
  /** Canonical mnemonic (Intel name, lower case): `shl`, `movzx`, `jne`, `sysret`. */
  mnemonic: string;
  title: string;
  summary: string;
  /** Operand size in bits when the spelling fixes it (`shlq` → 64). */
  operandSize?: number;
  flagsRead: string[];
  flagsWritten: string[];
  flagsUndefined: string[];
  privileged: boolean;
}

interface Entry {
  title: string;
  summary: string;
  read?: string[];
  written?: string[];
  undef?: string[];
  privileged?: boolean;
  /** Accepts a b/w/l/q size suffix. */
  sized?: boolean;
}

const ST = ['CF', 'PF', 'AF', 'ZF', 'SF', 'OF'];
const LOGIC_W = ['CF', 'PF', 'ZF', 'SF', 'OF'];
const ALL_FLAGS = ['CF', 'PF', 'AF', 'ZF', 'SF', 'TF', 'IF', 'DF', 'OF', 'IOPL', 'NT', 'RF', 'AC', 'ID'];

const TABLE: Record<string, Entry> = {
  mov: { title: 'Move', summary: 'Copies the source operand to the destination (general, segment or control registers, memory). A 32-bit register destination zero-extends into the full 64-bit register; 8- and 16-bit destinations keep the other bits.', sized: true },
  movabs: { title: 'Move (64-bit immediate or absolute address)', summary: 'Copies a full 64-bit immediate into a register, or moves between the accumulator and a 64-bit absolute address.', sized: true },
  movzx: { title: 'Move with zero extension', summary: 'Copies an 8- or 16-bit source into a wider destination, filling the upper bits with zeros.' },
  movsx: { title: 'Move with sign extension', summary: 'Copies an 8- or 16-bit source into a wider destination, filling the upper bits with copies of the source sign bit.' },
  movsxd: { title: 'Move doubleword with sign extension', summary: 'Sign-extends a 32-bit source into a 64-bit register (AT&T: movslq).' },
  lea: { title: 'Load effective address', summary: 'Computes the address of the memory operand (base + index*scale + displacement) and stores it without accessing memory.', sized: true },
  push: { title: 'Push', summary: 'Decrements RSP by the operand size (8 by default) and stores the operand at the new top of stack. Immediates are sign-extended to 64 bits.', sized: true },
  pop: { title: 'Pop', summary: 'Loads the value at the top of stack into the operand and increments RSP by the operand size.', sized: true },
  pushf: { title: 'Push RFLAGS', summary: 'Pushes RFLAGS onto the stack; the pushed image has VM and RF cleared.', read: ALL_FLAGS, sized: true },
  popf: { title: 'Pop RFLAGS', summary: 'Pops a value into RFLAGS. Which bits change depends on privilege: IOPL only at CPL 0, IF only when CPL <= IOPL; VM, VIF and VIP never; RF is cleared.', written: ALL_FLAGS, sized: true },
  add: { title: 'Add', summary: 'Adds the source to the destination and sets the status flags from the result.', written: ST, sized: true },
  sub: { title: 'Subtract', summary: 'Subtracts the source from the destination and sets the status flags from the result (CF is the borrow).', written: ST, sized: true },
  adc: { title: 'Add with carry', summary: 'Adds the source and CF to the destination and sets the status flags.', read: ['CF'], written: ST, sized: true },
  sbb: { title: 'Subtract with borrow', summary: 'Subtracts the source and CF from the destination and sets the status flags.', read: ['CF'], written: ST, sized: true },
  inc: { title: 'Increment', summary: 'Adds 1 to the operand. CF is left unchanged; the other status flags are set from the result.', written: ['PF', 'AF', 'ZF', 'SF', 'OF'], sized: true },
  dec: { title: 'Decrement', summary: 'Subtracts 1 from the operand. CF is left unchanged; the other status flags are set from the result.', written: ['PF', 'AF', 'ZF', 'SF', 'OF'], sized: true },
  neg: { title: 'Negate', summary: "Replaces the operand with its two's complement negation. CF is set unless the operand was zero.", written: ST, sized: true },
  not: { title: 'One\'s complement', summary: 'Inverts every bit of the operand. No flags change.', sized: true },
  and: { title: 'Logical AND', summary: 'Bitwise AND of source and destination into the destination; CF and OF are cleared, AF is undefined.', written: LOGIC_W, undef: ['AF'], sized: true },
  or: { title: 'Logical OR', summary: 'Bitwise OR of source and destination into the destination; CF and OF are cleared, AF is undefined.', written: LOGIC_W, undef: ['AF'], sized: true },
  xor: { title: 'Logical exclusive OR', summary: 'Bitwise XOR of source and destination into the destination; CF and OF are cleared, AF is undefined.', written: LOGIC_W, undef: ['AF'], sized: true },
  test: { title: 'Logical compare', summary: 'Computes the bitwise AND of the operands only to set flags: ZF when no common bit is set. CF and OF are cleared, AF is undefined.', written: LOGIC_W, undef: ['AF'], sized: true },
  cmp: { title: 'Compare', summary: 'Subtracts the source from the destination only to set the status flags; neither operand changes.', written: ST, sized: true },
  shl: { title: 'Shift left', summary: 'Shifts the destination left by the count (masked to 5 bits, or 6 for 64-bit operands), filling with zeros; CF receives the last bit shifted out. A masked count of 0 changes no flags; OF is defined only for a count of 1.', written: ST, undef: ['AF', 'OF'], sized: true },
  shr: { title: 'Shift logical right', summary: 'Shifts the destination right by the count (masked to 5 bits, or 6 for 64-bit operands), filling with zeros; CF receives the last bit shifted out. A masked count of 0 changes no flags; OF is defined only for a count of 1.', written: ST, undef: ['AF', 'OF'], sized: true },
  sar: { title: 'Shift arithmetic right', summary: 'Shifts the destination right by the count (masked to 5 bits, or 6 for 64-bit operands), filling with copies of the sign bit. A masked count of 0 changes no flags; OF is cleared for a count of 1 and undefined otherwise.', written: ST, undef: ['AF', 'OF'], sized: true },
  rol: { title: 'Rotate left', summary: 'Rotates the destination left by the masked count; CF receives the bit rotated into bit 0. Only CF and OF change, and OF is defined only for a count of 1.', written: ['CF', 'OF'], undef: ['OF'], sized: true },
  ror: { title: 'Rotate right', summary: 'Rotates the destination right by the masked count; CF receives the bit rotated into the top. Only CF and OF change, and OF is defined only for a count of 1.', written: ['CF', 'OF'], undef: ['OF'], sized: true },
  rcl: { title: 'Rotate through carry left', summary: 'Rotates the destination and CF together left by the masked count (modulo 9 or 17 for 8- and 16-bit operands): CF enters at bit 0 and receives the bit rotated out of the top. Only CF and OF change, and OF is defined only for a count of 1.', read: ['CF'], written: ['CF', 'OF'], undef: ['OF'], sized: true },
  rcr: { title: 'Rotate through carry right', summary: 'Rotates the destination and CF together right by the masked count (modulo 9 or 17 for 8- and 16-bit operands): CF enters at the top and receives the bit rotated out of bit 0. Only CF and OF change, and OF is defined only for a count of 1.', read: ['CF'], written: ['CF', 'OF'], undef: ['OF'], sized: true },
  bt: { title: 'Bit test', summary: 'Copies the selected bit of the first operand (bit offset taken modulo the operand size for registers and immediates) into CF.', written: ['CF'], undef: ['PF', 'AF', 'SF', 'OF'], sized: true },
  bts: { title: 'Bit test and set', summary: 'Copies the selected bit into CF, then sets it.', written: ['CF'], undef: ['PF', 'AF', 'SF', 'OF'], sized: true },
  btr: { title: 'Bit test and reset', summary: 'Copies the selected bit into CF, then clears it.', written: ['CF'], undef: ['PF', 'AF', 'SF', 'OF'], sized: true },
  btc: { title: 'Bit test and complement', summary: 'Copies the selected bit into CF, then inverts it.', written: ['CF'], undef: ['PF', 'AF', 'SF', 'OF'], sized: true },
  xchg: { title: 'Exchange', summary: 'Swaps the two operands. With a memory operand it is locked implicitly.', sized: true },
  jmp: { title: 'Jump', summary: 'Continues execution at the target: a label, a register (`*%rax`) or a value loaded from memory (`*table(,%rax,8)`).', sized: true },
  call: { title: 'Call', summary: 'Pushes the address of the next instruction and jumps to the target.', sized: true },
  ret: { title: 'Return', summary: 'Pops the return address from the stack and jumps to it.', sized: true },
  cli: { title: 'Clear interrupt flag', summary: 'Disables maskable interrupts (IF = 0). Requires CPL <= IOPL.', written: ['IF'], privileged: true },
  sti: { title: 'Set interrupt flag', summary: 'Enables maskable interrupts (IF = 1) after the next instruction. Requires CPL <= IOPL.', written: ['IF'], privileged: true },
  cld: { title: 'Clear direction flag', summary: 'Clears DF so string instructions count upwards.', written: ['DF'] },
  std: { title: 'Set direction flag', summary: 'Sets DF so string instructions count downwards.', written: ['DF'] },
  clc: { title: 'Clear carry flag', summary: 'Clears the carry flag (CF = 0).', written: ['CF'] },
  stc: { title: 'Set carry flag', summary: 'Sets the carry flag (CF = 1).', written: ['CF'] },
  cmc: { title: 'Complement carry flag', summary: 'Inverts the carry flag.', read: ['CF'], written: ['CF'] },
  clac: { title: 'Clear AC flag', summary: 'Clears RFLAGS.AC, re-enabling SMAP protection against kernel access to user pages.', written: ['AC'], privileged: true },
  stac: { title: 'Set AC flag', summary: 'Sets RFLAGS.AC, allowing the kernel to access user pages under SMAP.', written: ['AC'], privileged: true },
  swapgs: { title: 'Swap GS base', summary: 'Exchanges the current GS base with the IA32_KERNEL_GS_BASE MSR: on entry it switches to the per-CPU kernel GS, on exit back to the user GS.', privileged: true },
  syscall: { title: 'Fast system call', summary: 'Enters the kernel: RCX gets the next RIP, R11 gets RFLAGS, RFLAGS is masked with ~FMASK, CS/SS come from STAR[47:32] and CPL becomes 0. RSP and GS are not changed.', read: ALL_FLAGS, written: ALL_FLAGS, sized: false },
  sysexit: { title: 'Fast return from a SYSENTER', summary: 'Returns to user mode: RIP from RDX (EDX for sysexitl), RSP from RCX (ECX), CS from IA32_SYSENTER_CS + 16 (32-bit) or + 32 (64-bit) and SS + 8 from that, with RPL 3, CPL 3; RFLAGS unchanged. #GP(0) in ring 0 outside ring 0 or with a zero SYSENTER_CS, and (64-bit) with a non-canonical RCX or RDX.', written: [], privileged: true },
  sysret: { title: 'Return from fast system call', summary: 'Returns to user mode: RIP from RCX (sysretq) or ECX (sysretl), RFLAGS from (R11 & 0x3C7FD7) | 2, CS and SS from STAR[63:48] with RPL 3, CPL 3. Intel raises #GP(0) still in ring 0 when RCX is not canonical; AMD faults only after the switch to ring 3.', written: ALL_FLAGS, privileged: true },
  iret: { title: 'Interrupt return', summary: 'Pops RIP, CS, RFLAGS, RSP and SS from the stack and returns to the privilege level in CS. Bad values (non-canonical RIP, invalid selectors) fault in the kernel, before the return.', written: ALL_FLAGS, privileged: true },
  rdmsr: { title: 'Read MSR', summary: 'Loads the model-specific register selected by ECX into EDX:EAX.', privileged: true },
  wrmsr: { title: 'Write MSR', summary: 'Writes EDX:EAX to the model-specific register selected by ECX.', privileged: true },
  rdfsbase: { title: 'Read FS base', summary: 'Copies the FS segment base into the register (needs CR4.FSGSBASE).', sized: true },
  rdgsbase: { title: 'Read GS base', summary: 'Copies the current GS segment base (the user\'s or the kernel\'s, depending on SWAPGS) into the register (needs CR4.FSGSBASE).', sized: true },
  wrfsbase: { title: 'Write FS base', summary: 'Loads the FS segment base from the register (needs CR4.FSGSBASE).', sized: true },
  wrgsbase: { title: 'Write GS base', summary: 'Loads the current GS segment base from the register; it does not switch between the user and kernel GS as SWAPGS does (needs CR4.FSGSBASE).', sized: true },
  lfence: { title: 'Load fence', summary: 'Orders loads and stops speculative execution past this point until earlier instructions complete; no architectural state changes.' },
  mfence: { title: 'Memory fence', summary: 'Orders all earlier loads and stores before later ones; no architectural state changes.' },
  sfence: { title: 'Store fence', summary: 'Orders earlier stores before later ones; no architectural state changes.' },
  verw: { title: 'Verify segment for writing', summary: 'Sets ZF when the selector names a writable segment. With the MD_CLEAR microcode it also flushes CPU buffers (the MDS mitigation before returning to user mode).', written: ['ZF'], sized: true },
  endbr64: { title: 'End branch (64-bit)', summary: 'Marks a valid target of an indirect jump or call for indirect-branch tracking (CET IBT); no other effect.' },
  endbr32: { title: 'End branch (32-bit)', summary: 'Marks a valid target of an indirect jump or call in 32-bit code (CET IBT); no other effect.' },
  rdssp: { title: 'Read shadow-stack pointer', summary: 'Copies the shadow-stack pointer into the register; a no-op when shadow stacks are off (so code zeroes the register first and tests it). The model does not track the shadow stack: the register becomes unknown.', sized: true },
  incssp: { title: 'Increment shadow-stack pointer', summary: 'Pops the given number of entries (the low 8 bits of the register) off the shadow stack. Only the shadow-stack pointer changes, which the model does not track.', sized: true },
  setssbsy: { title: 'Mark shadow-stack token busy', summary: 'Marks the supervisor shadow-stack token busy and loads the shadow-stack pointer from IA32_PL0_SSP. No general register or flag changes.' },
  clrssbsy: { title: 'Clear shadow-stack token busy', summary: 'Clears the busy bit of the supervisor shadow-stack token at the memory operand; CF reports an invalid token. The shadow-stack pointer becomes 0.', written: ['CF'] },
  saveprevssp: { title: 'Save previous shadow-stack pointer', summary: 'Pushes a restore token for the previous shadow stack. No general register or flag changes.' },
  rstorssp: { title: 'Restore shadow-stack pointer', summary: 'Switches to the shadow stack whose restore token is at the memory operand; CF reports a token from 32-bit mode.', written: ['CF'] },
  wrss: { title: 'Write to shadow stack', summary: 'Stores the register to the shadow-stack memory operand (kernel use only).', sized: true },
  movs: { title: 'Move string', summary: 'Copies the element at (%rsi) to (%rdi) and steps both by the element size (forward when DF is clear). With rep, repeats %rcx times and leaves %rcx zero. The model runs it when DF is known clear and the count is a known constant.', read: ['DF'], sized: true },
  stos: { title: 'Store string', summary: 'Stores AL/AX/EAX/RAX at (%rdi) and steps %rdi by the element size (forward when DF is clear). With rep, repeats %rcx times and leaves %rcx zero. The model runs it when DF is known clear and the count is a known constant.', read: ['DF'], sized: true },
  hlt: { title: 'Halt', summary: 'Stops the CPU until the next interrupt (ring 0 only); execution then continues after it. No state changes.', privileged: true },
  bsr: { title: 'Bit scan reverse', summary: 'Stores the index of the highest set bit of the source in the destination register and clears ZF; a zero source sets ZF and leaves the destination unchanged. Other status flags are undefined.', written: ST, sized: true },
  bsf: { title: 'Bit scan forward', summary: 'Stores the index of the lowest set bit of the source in the destination register and clears ZF; a zero source sets ZF and leaves the destination unchanged. Other status flags are undefined.', written: ST, sized: true },
  div: { title: 'Unsigned divide', summary: 'Divides AH:AL (byte operand) or rDX:rAX by the operand: quotient to AL/AX/EAX/RAX, remainder to AH/DX/EDX/RDX. Raises #DE (vector 0) when the divisor is zero or the quotient does not fit. Status flags are undefined. Xen divides on its exits to guests to flush the divider (DO_SPEC_CTRL_DIV).', written: ST, sized: true },
  idiv: { title: 'Signed divide', summary: 'Signed division of AH:AL or rDX:rAX by the operand; the quotient truncates toward zero and the remainder has the sign of the dividend. Raises #DE when the divisor is zero or the quotient does not fit. Status flags are undefined.', written: ST, sized: true },
  lsl: { title: 'Load segment limit', summary: 'Loads the limit of the segment the selector names into the register and sets ZF when the selector is valid and visible at this privilege level (ZF clear: the register is unchanged). Linux reads the CPU and node numbers from a GDT entry this way. The model does not know the descriptor tables: the register and ZF become unknown.', written: ['ZF'], sized: true },
  nop: { title: 'No operation', summary: 'Does nothing (multi-byte forms take an ignored memory operand).', sized: true },
  pause: { title: 'Spin-loop hint', summary: 'Does nothing architecturally; hints that the code is a spin-wait loop.' },
  ud2: { title: 'Undefined instruction', summary: 'Always raises the invalid-opcode exception (#UD, vector 6).' },
  int3: { title: 'Breakpoint', summary: 'Raises the breakpoint exception (#BP, vector 3).' },
  cdqe: { title: 'Sign-extend EAX into RAX', summary: 'RAX gets EAX sign-extended to 64 bits (AT&T: cltq).' },
  cwde: { title: 'Sign-extend AX into EAX', summary: 'EAX gets AX sign-extended to 32 bits, zero-extended into RAX (AT&T: cwtl).' },
  cdq: { title: 'Sign-extend EAX into EDX:EAX', summary: 'EDX gets 32 copies of the sign bit of EAX (AT&T: cltd).' },
  cqo: { title: 'Sign-extend RAX into RDX:RAX', summary: 'RDX gets 64 copies of the sign bit of RAX (AT&T: cqto).' },
  leave: { title: 'Leave stack frame', summary: 'Copies RBP to RSP, then pops RBP.', sized: true },
};

const CC_NAMES: Record<string, string> = {
  o: 'o', no: 'no', b: 'b', c: 'b', nae: 'b', ae: 'ae', nb: 'ae', nc: 'ae', e: 'e', z: 'e', ne: 'ne', nz: 'ne',
  be: 'be', na: 'be', a: 'a', nbe: 'a', s: 's', ns: 'ns', p: 'p', pe: 'p', np: 'np', po: 'np',
  l: 'l', nge: 'l', ge: 'ge', nl: 'ge', le: 'le', ng: 'le', g: 'g', nle: 'g',
};

export const CONDITIONS: Record<string, { text: string; flags: string[] }> = {
  o: { text: 'overflow (OF = 1)', flags: ['OF'] },
  no: { text: 'not overflow (OF = 0)', flags: ['OF'] },
  b: { text: 'below, unsigned (CF = 1)', flags: ['CF'] },
  ae: { text: 'above or equal, unsigned (CF = 0)', flags: ['CF'] },
  e: { text: 'equal (ZF = 1)', flags: ['ZF'] },
  ne: { text: 'not equal (ZF = 0)', flags: ['ZF'] },
  be: { text: 'below or equal, unsigned (CF = 1 or ZF = 1)', flags: ['CF', 'ZF'] },
  a: { text: 'above, unsigned (CF = 0 and ZF = 0)', flags: ['CF', 'ZF'] },
  s: { text: 'sign (SF = 1)', flags: ['SF'] },
  ns: { text: 'not sign (SF = 0)', flags: ['SF'] },
  p: { text: 'parity even (PF = 1)', flags: ['PF'] },
  np: { text: 'parity odd (PF = 0)', flags: ['PF'] },
  l: { text: 'less, signed (SF != OF)', flags: ['SF', 'OF'] },
  ge: { text: 'greater or equal, signed (SF = OF)', flags: ['SF', 'OF'] },
  le: { text: 'less or equal, signed (ZF = 1 or SF != OF)', flags: ['ZF', 'SF', 'OF'] },
  g: { text: 'greater, signed (ZF = 0 and SF = OF)', flags: ['ZF', 'SF', 'OF'] },
};

const SUFFIX: Record<string, number> = { b: 8, w: 16, l: 32, q: 64 };

/** Fixed spellings: AT&T names whose letters are not a plain size suffix. */
const SPECIAL: Record<string, { canonical: string; size?: number; srcSize?: number }> = {
  movzbw: { canonical: 'movzx', srcSize: 8, size: 16 },
  movzbl: { canonical: 'movzx', srcSize: 8, size: 32 },
  movzbq: { canonical: 'movzx', srcSize: 8, size: 64 },
  movzwl: { canonical: 'movzx', srcSize: 16, size: 32 },
  movzwq: { canonical: 'movzx', srcSize: 16, size: 64 },
  movzb: { canonical: 'movzx', srcSize: 8 },
  movzw: { canonical: 'movzx', srcSize: 16 },
  movsbw: { canonical: 'movsx', srcSize: 8, size: 16 },
  movsbl: { canonical: 'movsx', srcSize: 8, size: 32 },
  movsbq: { canonical: 'movsx', srcSize: 8, size: 64 },
  movswl: { canonical: 'movsx', srcSize: 16, size: 32 },
  movswq: { canonical: 'movsx', srcSize: 16, size: 64 },
  movslq: { canonical: 'movsxd', srcSize: 32, size: 64 },
  movsxd: { canonical: 'movsxd', srcSize: 32, size: 64 },
  cltq: { canonical: 'cdqe' },
  ud2a: { canonical: 'ud2' },
  rdsspd: { canonical: 'rdssp', size: 32 },
  rdsspq: { canonical: 'rdssp', size: 64 },
  incsspd: { canonical: 'incssp', size: 32 },
  incsspq: { canonical: 'incssp', size: 64 },
  wrssd: { canonical: 'wrss', size: 32 },
  wrssq: { canonical: 'wrss', size: 64 },
  cwtl: { canonical: 'cwde' },
  cltd: { canonical: 'cdq' },
  cqto: { canonical: 'cqo' },
  sal: { canonical: 'shl' },
  salb: { canonical: 'shl', size: 8 },
  salw: { canonical: 'shl', size: 16 },
  sall: { canonical: 'shl', size: 32 },
  salq: { canonical: 'shl', size: 64 },
  sysexitl: { canonical: 'sysexit', size: 32 },
  sysexitq: { canonical: 'sysexit', size: 64 },
  sysretq: { canonical: 'sysret', size: 64 },
  sysretl: { canonical: 'sysret', size: 32 },
  sysret: { canonical: 'sysret', size: 32 },
  iretq: { canonical: 'iret', size: 64 },
  iretl: { canonical: 'iret', size: 32 },
  iret: { canonical: 'iret', size: 32 },
  iretd: { canonical: 'iret', size: 32 },
  pushf: { canonical: 'pushf', size: 64 },
  popf: { canonical: 'popf', size: 64 },
  pushfq: { canonical: 'pushf', size: 64 },
  popfq: { canonical: 'popf', size: 64 },
  pushfw: { canonical: 'pushf', size: 16 },
  popfw: { canonical: 'popf', size: 16 },
};

export interface ParsedMnemonic {
  canonical: string;
  size?: number;
  srcSize?: number;
  /** Canonical condition code of jcc/setcc/cmovcc. */
  cc?: string;
  /** 'j' | 'set' | 'cmov' for conditional forms. */
  ccKind?: 'j' | 'set' | 'cmov';
}

const parsedMnemonics = new Map<string, ParsedMnemonic | undefined>();

/** Maps an AT&T spelling to its canonical mnemonic, size and condition; undefined when unknown. */
export function parseMnemonic(mnemonic: string): ParsedMnemonic | undefined {
  // (the walk asks for every instruction it steps: worked out once per spelling; a copy out, as
  // callers may change what they get)
  let p = parsedMnemonics.get(mnemonic);
  if (p === undefined && !parsedMnemonics.has(mnemonic)) {
    p = parseMnemonicText(mnemonic);
    if (parsedMnemonics.size < 4096) parsedMnemonics.set(mnemonic, p);
  }
  return p && { ...p };
}

function parseMnemonicText(mnemonic: string): ParsedMnemonic | undefined {
  const m = mnemonic.trim().toLowerCase();
  const sp = SPECIAL[m];
  if (sp) return { ...sp };
  if (TABLE[m]) return { canonical: m };
  // conditional families
  for (const kind of ['cmov', 'set', 'j'] as const) {
    if (!m.startsWith(kind)) continue;
    const rest = m.slice(kind.length);
    if (CC_NAMES[rest]) return { canonical: kind + CC_NAMES[rest], cc: CC_NAMES[rest], ccKind: kind };
    const suf = rest.slice(-1);
    const base = rest.slice(0, -1);
    if (kind !== 'j' && SUFFIX[suf] && CC_NAMES[base]) {
      if (kind === 'set' && suf !== 'b') continue;
      return { canonical: kind + CC_NAMES[base], cc: CC_NAMES[base], ccKind: kind, size: SUFFIX[suf] };
    }
  }
  const suf = m.slice(-1);
  const base = m.slice(0, -1);
  if (SUFFIX[suf] && TABLE[base]?.sized) return { canonical: base, size: SUFFIX[suf] };
  return undefined;
}

function ccInfo(p: ParsedMnemonic): InstructionInfo {
  const c = CONDITIONS[p.cc as string];
  const kind = p.ccKind;
  const title = kind === 'j' ? `Jump if ${c.text}` : kind === 'set' ? `Set byte if ${c.text}` : `Conditional move if ${c.text}`;
  const summary =
    kind === 'j'
      ? `Jumps to the target when the condition holds (${c.text}); otherwise continues with the next instruction.`
      : kind === 'set'
        ? `Writes 1 to the byte operand when the condition holds (${c.text}), else 0.`
        : `Copies the source to the destination register when the condition holds (${c.text}). A 32-bit destination is zero-extended even when the condition fails.`;
  return { mnemonic: p.canonical, title, summary, operandSize: p.size, flagsRead: [...c.flags], flagsWritten: [], flagsUndefined: [], privileged: false };
}

/** Hover information for a mnemonic in any accepted spelling (`shlq` → shl, size 64). */
export function describeInstruction(mnemonic: string): InstructionInfo | undefined {
  const p = parseMnemonic(mnemonic);
  if (!p) return undefined;
  if (p.cc) return ccInfo(p);
  const e = TABLE[p.canonical];
  if (!e) return undefined;
  return {
    mnemonic: p.canonical,
    title: e.title,
    summary: e.summary,
    operandSize: p.size,
    flagsRead: [...(e.read ?? [])],
    flagsWritten: [...(e.written ?? [])],
    flagsUndefined: [...(e.undef ?? [])],
    privileged: e.privileged ?? false,
  };
}

/** Every canonical mnemonic without a condition code (for tests and completion). */
export function canonicalMnemonics(): string[] {
  return Object.keys(TABLE);
}

/** Every canonical condition code. */
export function conditionCodes(): string[] {
  return Object.keys(CONDITIONS);
}
