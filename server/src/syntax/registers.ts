// The x86-64 register names the parser accepts after `%` (lower-case).

const names: string[] = [];
for (const r of ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp']) names.push('r' + r, 'e' + r, r);
names.push('al', 'bl', 'cl', 'dl', 'ah', 'bh', 'ch', 'dh', 'sil', 'dil', 'bpl', 'spl');
for (let i = 8; i <= 15; i++) names.push(`r${i}`, `r${i}d`, `r${i}w`, `r${i}b`, `r${i}l`);
names.push('rip', 'eip', 'ip');
names.push('cs', 'ds', 'es', 'fs', 'gs', 'ss');
for (let i = 0; i <= 15; i++) names.push(`cr${i}`, `dr${i}`);
for (let i = 0; i <= 7; i++) names.push(`mm${i}`, `st(${i})`, `k${i}`, `tr${i}`);
names.push('st');
for (let i = 0; i <= 31; i++) names.push(`xmm${i}`, `ymm${i}`, `zmm${i}`);
for (let i = 0; i <= 3; i++) names.push(`bnd${i}`);

export const REGISTERS: ReadonlySet<string> = new Set(names);

export const SEGMENT_REGISTERS: ReadonlySet<string> = new Set(['cs', 'ds', 'es', 'fs', 'gs', 'ss']);

/** Normalises a register token (`%RAX`, `%st(1)`) to the API form, or undefined if unknown. */
export function registerName(tok: string): string | undefined {
  let r = (tok.charCodeAt(0) === 37 ? tok.slice(1) : tok).toLowerCase();
  if (r.indexOf(' ') >= 0 || r.indexOf('\t') >= 0) r = r.replace(/\s+/g, '');
  return REGISTERS.has(r) ? r : undefined;
}
