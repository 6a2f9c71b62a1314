// The syntax layer's public surface: text → Program.
export * from './types';
export { parseProgram } from './parse';
export { evalExpr, evalText, exprText } from './expr';
export { MAX_MACRO_DEPTH, MAX_REPT, MAX_EXPANDED } from './gas';
export { findKernelTree, parseKernelConfig } from './parse';
export { PRELUDE_FILE, COVERED_HEADERS, LOCKED_DEFINES, builtinText } from './prelude';
export { DEFAULT_CONFIG, BUILD_DEFINES } from './config';
