// The syntax layer's public surface: text → Program.
export * from './types';
export { parseProgram } from './parse';
export { evalExpr, exprText } from './expr';
export { MAX_MACRO_DEPTH, MAX_REPT, MAX_EXPANDED } from './gas';
