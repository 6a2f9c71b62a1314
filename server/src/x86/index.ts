// The embedded x86-64 machine: public API.
//
// Semantics are written once against `Algebra<V, B>`; two implementations:
//   concrete            — `concrete` (values are `CV` {width, value: bigint}, booleans are `boolean`)
//   new SymbolicAlgebra() — hash-consed `Expr` DAG with local simplification
//                          (create one per analysis run: the node table grows with it)
//
// Typical symbolic use (what the analysis layer does):
//   const S = new SymbolicAlgebra();
//   const s = syscallEntryState(S, freshUser(S));          // rcx = user.rip, r11 = user.rflags, ...
//   const out = step(s, { mnemonic: 'movq', operands: [...] }, S, { vaBits: 48, resolveSymbol, onAccess });
//   switch (out.kind) {
//     case 'next': ...                                      // fall through
//     case 'branch': ... out.cond (taken) / S.notB(out.cond) (fall through)
//     case 'jump' | 'call' | 'ret': ...                     // call has pushed, ret has popped
//     case 'exit': faultCondition(S, out.exit, 'intel', 0); out.exit.user.rip; summarizeExit(...)
//     case 'fault' | 'syscall' | 'unknown': ...             // unknown: emit `unmodeled`, outputs unknown
//   }
//   await check(S.andB(pathCondition, bad))                 // sat + model / unsat / unknown (z3 only if needed)
//
// Memory is typed cells keyed by (region, offset): `A.addressKey(addr)` splits an
// address into its symbolic part and a constant offset, so `0x80(%rsp)` with
// rsp = kstack_top - 168 is cell (kstack_top, -40). `%gs:x` cells live in region
// `gs:x`; an unresolved displacement symbol is part of the region name.
// `mergeStates(S, cond, a, b)` joins two paths with ite.

export { Algebra, AddressKey, ConcreteAlgebra, CV, concrete, mask, toSigned, isSet, isZero, ne, bitOf, resize, isCanonical } from './algebra';
export { SymbolicAlgebra, Expr, Op, show, evaluate, variables } from './symbolic';
export { CheckResult, CheckOptions, check, conjunctsOf, quickCheck, z3Check, z3IsLoaded, toSmtLib, edgeValues, Rng } from './solver';
export {
  Vendor,
  VaBits,
  GPRS,
  Gpr,
  RegRef,
  lookupRegister,
  SEGMENTS,
  Segment,
  CONTROL_REGS,
  ControlReg,
  FLAG_BITS,
  Flag,
  FLAGS,
  STATUS_FLAGS,
  RFLAGS,
  MSR_NAMES,
  LINUX_STAR,
  LINUX_FMASK,
  Cell,
  MemoryInit,
  Memory,
  cellName,
  StateInit,
  MachineState,
  mergeStates,
  kernelGsBase,
  userGsBase,
} from './state';
export { Operand, RegOperand, ImmOperand, MemOperand, LabelOperand, IndirectOperand, Instruction, reg, imm, mem, label, insn } from './insn';
export { InstructionInfo, ParsedMnemonic, describeInstruction, parseMnemonic, canonicalMnemonics, conditionCodes, CONDITIONS } from './describe';
export { Fault, UserState, ExitRecord, ExitSummary, Selectors, LINUX_SELECTORS, SYSRET_RFLAGS_MASK, applySyscall, sysret, sysexit, iret, faultsFor, faultCondition, concreteOutcome, summarizeExit } from './exits';
export { MemoryAccess, StepContext, JumpTarget, StepOutcome, step, isModelled, modelledMnemonics, flagsReadBy } from './semantics';
export {
  LINUX_PT_REGS,
  PtRegsField,
  PT_REGS_SIZE,
  ptregsOffset,
  ptregsFieldAt,
  ptregsFieldOf,
  frameMemInit,
  USER_RFLAGS_MASK,
  SyscallEntryOptions,
  syscallEntryState,
  freshUser,
  pinnedUser,
} from './entry';
