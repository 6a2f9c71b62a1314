// Options shared by every caller of analyze(): the command line, the language server and tests.

export type Vendor = 'intel' | 'amd';
export type VendorOption = Vendor | 'both';
export type VaBits = 48 | 57;
export type VaBitsOption = VaBits | 'both';

export interface AnalyzeOptions {
  /** CPU vendor whose SYSRET/IRET semantics apply; 'both' reports what faults on either. */
  vendor: VendorOption;
  /** Virtual-address width for canonical checks; 'both' checks 48 and 57. */
  vaBits: VaBitsOption;
  /** Preprocessor symbols (-D NAME[=VALUE]); a bare NAME has the value '1'. */
  defines: Record<string, string>;
  /** Symbols removed from the configuration (-U NAME), e.g. a CONFIG_ option the default sets. */
  undefines?: string[];
  /** Extra include directories (-I), absolute. */
  includePaths: string[];
  /** Entry labels to analyse; empty means every entry the analysis recognises. */
  entries: string[];
  /**
   * The project file: a path (`--config FILE`), '' for none (an untrusted workspace), undefined to
   * look for `.entry-review.json` in the document's directory and above.
   */
  projectFile?: string;
  /**
   * C files to read contract functions from (`--c FILE`); when empty, the kernel tree beside the
   * entry file is searched (arch/x86/entry/syscall_64.c / syscall_32.c, then common.c).
   */
  cSources?: string[];
  /**
   * Run the C preprocessor over the file: by default every file but `*.s` ones (as gcc does); the
   * project file's `preprocess` applies when this is unset.
   */
  preprocess?: boolean;
}

export const defaultOptions: AnalyzeOptions = {
  vendor: 'both',
  vaBits: 'both',
  defines: {},
  includePaths: [],
  entries: [],
};

/** Parses `NAME` or `NAME=VALUE` (as given to -D); returns undefined for a malformed one. */
export function parseDefine(text: string): [string, string] | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(text);
  if (!m) return undefined;
  return [m[1], m[2] ?? '1'];
}

export function parseVendor(text: string): VendorOption | undefined {
  return text === 'intel' || text === 'amd' || text === 'both' ? text : undefined;
}

export function parseVaBits(text: string): VaBitsOption | undefined {
  if (text === 'both') return 'both';
  if (text === '48') return 48;
  if (text === '57') return 57;
  return undefined;
}
