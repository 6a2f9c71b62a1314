// The embedded x86-64 machine: public API.

export { Algebra, AddressKey, ConcreteAlgebra, CV, concrete, mask, toSigned, isSet, isZero, ne, bitOf, resize, isCanonical } from './algebra';
export { SymbolicAlgebra, Expr, Op, show, evaluate, variables } from './symbolic';
export { CheckResult, CheckOptions, check, quickCheck, z3Check, z3IsLoaded, toSmtLib, edgeValues, Rng } from './solver';
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
  StateInit,
  MachineState,
  mergeStates,
} from './state';
export { Operand, RegOperand, ImmOperand, MemOperand, LabelOperand, IndirectOperand, Instruction, reg, imm, mem, label, insn } from './insn';
export { InstructionInfo, ParsedMnemonic, describeInstruction, parseMnemonic, canonicalMnemonics, conditionCodes, CONDITIONS } from './describe';
export { Fault, UserState, ExitRecord, ExitSummary, Selectors, LINUX_SELECTORS, SYSRET_RFLAGS_MASK, applySyscall, sysret, iret, faultsFor, faultCondition, concreteOutcome, summarizeExit } from './exits';
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
