// Public types of the syntax layer: text → Program. Positions are 0-based (LSP style).

/** Reads files by absolute path; undefined means missing or unreadable. */
export interface FileReader {
  read(path: string): string | undefined;
  /** Optional: whether a directory (or file) exists; used to find a kernel tree cheaply. */
  exists?(path: string): boolean;
}

export interface ParseOptions {
  /** -D NAME[=VALUE] (value '1' when omitted). */
  defines?: Record<string, string>;
  /** -U NAME: removes a symbol the default configuration (or the tree's .config) would define. */
  undefines?: string[];
  /** -I directories, absolute. */
  includePaths?: string[];
  /** Default true: walk up from the file to a directory with arch/x86/include and use that tree. */
  findKernelTree?: boolean;
  /**
   * Run the C preprocessor over the file. Default: true, except for files named `*.s`
   * (lower-case), which the assembler reads directly, as `gcc -c` does.
   */
  preprocess?: boolean;
  /**
   * Default true: when the file's jumps lead to labels it does not define and a companion file
   * defines them (entry_64.S beside a compat entry file; syntax/companion.ts), link its code in.
   */
  companion?: boolean;
  /**
   * Default true: a parse of a file parsed before starts from the earlier parse's last checkpoint
   * above the edit and takes over what follows the edit when it reads the same (incremental.ts).
   */
  incremental?: boolean;
  /**
   * Files to look for that code in first (absolute paths; the project file's `companions`): a
   * kernel whose compat entry jumps into another file than Linux's entry_64.S.
   */
  companions?: string[];
}

export interface Pos {
  line: number;
  character: number;
}
export interface Range {
  start: Pos;
  end: Pos;
}
export interface Location {
  file: string;
  range: Range;
}

/**
 * Where a piece of text came from. `loc` is where the text is written; `kind` says what kind of
 * text that is ('source': the main file, 'include': an #included file, 'macro': the body of a
 * macro named `name` (GAS or cpp), 'prelude': the built-in kernel knowledge); `parent` is the
 * place that caused it (the macro invocation, the #include line), up to the main file.
 */
export interface Origin {
  loc: Location;
  kind: 'source' | 'macro' | 'include' | 'prelude';
  name?: string;
  parent?: Origin;
}

export type Expr =
  | { kind: 'num'; value: bigint }
  | { kind: 'sym'; name: string }
  | { kind: 'unary'; op: string; arg: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr };

interface OperandBase {
  text: string;
  range: Range;
  /** The operand had a leading `*` (indirect jump/call). */
  indirect?: boolean;
}
export type Operand =
  /** reg: lower-case without %: 'rax', 'eax', 'al', 'cr3', 'gs'. */
  | (OperandBase & { kind: 'reg'; reg: string })
  /** value when the expression is constant (64-bit two's complement, signed). */
  | (OperandBase & { kind: 'imm'; expr: Expr; value?: bigint })
  | (OperandBase & {
      kind: 'mem';
      seg?: string;
      disp?: Expr;
      dispValue?: bigint;
      base?: string;
      index?: string;
      scale: 1 | 2 | 4 | 8;
    })
  /**
   * A bare symbol or expression: a jump/call target (`1f`, `syscall_return_slowpath`) or a
   * directive argument. `value` when constant. Directive string arguments are `sym` operands
   * whose expr names the literal (`"ax"`) and whose `string` holds the decoded text.
   */
  | (OperandBase & { kind: 'sym'; expr: Expr; value?: bigint; string?: string });

export interface AlternativeTag {
  /** One number per ALTERNATIVE / static-branch site, in program order. */
  group: number;
  /** 0 = the original/default code; 1.. = the replacements in written order. */
  arm: number;
  /** The CPU feature (or static key) that selects this arm; '' for arm 0. */
  feature: string;
}

export interface Statement {
  kind: 'label' | 'instruction' | 'directive';
  /**
   * Label name (numeric labels get a unique internal name `N#k`, the written one is in
   * `written`), mnemonic lower-case ('movq'), or directive ('.quad').
   */
  name: string;
  /** For labels: the name as written (`1` for `1:`). */
  written?: string;
  prefixes?: string[];
  operands: Operand[];
  loc: Location;
  origin: Origin;
  alternative?: AlternativeTag;
  section?: string;
  /** The statement's text after all expansion (as the assembler sees it). */
  text?: string;
}

export interface SymbolInfo {
  name: string;
  kind: 'label' | 'macro' | 'define' | 'constant';
  loc: Location;
  value?: bigint;
  /** Macros: parameter list / body summary; defines: replacement text; constants: expression. */
  detail?: string;
  /** True for definitions that come from the built-in prelude. */
  builtin?: boolean;
}

export interface SyntaxDiagnostic {
  code: 'parse';
  severity: 'error' | 'warning' | 'info';
  message: string;
  loc: Location;
}

export interface MacroExpansion {
  /** The invocation, in the main file. */
  loc: Location;
  /** Macro name (GAS .macro or cpp #define). */
  name: string;
  /** The text the invocation expanded to, one statement per line. */
  text: string;
}

export interface AlternativeGroup {
  group: number;
  loc: Location;
  /** Macro that produced it: 'ALTERNATIVE', 'ALTERNATIVE_2', 'STATIC_JUMP_IF_TRUE', ... */
  name: string;
  arms: { arm: number; feature: string; text: string }[];
}

export interface ExceptionTableEntry {
  /** Label (resolved internal name) or expression text of the faulting instruction. */
  from: string;
  /** Label (resolved) or expression text of the fixup. */
  to: string;
  /** Handler type / macro variant, e.g. '_ASM_EXTABLE', '_ASM_EXTABLE_UA'. */
  kind: string;
  loc: Location;
}

export interface MissingInclude {
  /** As written: `asm/calling.h`. */
  name: string;
  loc: Location;
  /** True when the built-in prelude covers what the header provides (no diagnostic). */
  covered: boolean;
}

export interface Program {
  file: string;
  statements: Statement[];
  /** Definitions with their sites (in any file, the prelude included). */
  symbols: SymbolInfo[];
  /** Label name (resolved, incl. numeric internal names) → index in statements. */
  labels: Map<string, number>;
  /** .set/.equ/= and object-like #defines with constant values, prelude ones included. */
  constants: Map<string, bigint>;
  diagnostics: SyntaxDiagnostic[];
  /** Inactive #if/.if branches in the main file. */
  inactiveRanges: Range[];
  /** Files read (absolute paths). */
  includes: string[];
  /** Macro invocations in the main file and what they expanded to (for hover). */
  macroExpansions: MacroExpansion[];
  /** ALTERNATIVE / static-branch sites; statements of each arm carry `alternative`. */
  alternatives: AlternativeGroup[];
  /** Exception-table entries recorded by _ASM_EXTABLE* . */
  exceptionTable: ExceptionTableEntry[];
  /** #include lines that could not be resolved. */
  missingIncludes: MissingInclude[];
  /**
   * Another file's code linked in (ParseOptions.companion): the statements from `from` on are
   * `file`'s, appended for the jumps to `targets`, which this file does not define.
   */
  companion?: { file: string; from: number; targets: string[] };
  /** The kernel tree root used for includes, when one was found. */
  kernelTree?: string;
  /**
   * The configuration the file was read under: `assumed` when neither the tree's .config nor its
   * include/generated/autoconf.h gave one and the built-in default x86-64 configuration was used
   * (config.ts). `defines`: every CONFIG_ symbol in force before the file's first line (-D and -U
   * applied), name → value. `source`: the .config or autoconf.h read, when there was one.
   */
  configuration: { assumed: boolean; defines: Record<string, string>; source?: string; /** CONFIG_ options the file or its headers test. */ tested?: string[] };
}
