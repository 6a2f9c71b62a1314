// Quick fixes for the fast return's missing tests: insert the test a `sysret-*` finding says is
// missing, in the file's own style (its frame operands and constants, the way its other checks
// are written), branching to the file's own way out through IRET — the target of a check already
// on the finding's path whose target the control flow leads to an IRET (found from the analysis,
// not from names) — and SWAPGS for `gs-not-user`. A fix is offered only when the file re-analysed
// with it no longer has the finding and has no finding it did not have before.
import type { Analysis, Finding } from '../analysis';
import { Cfg } from '../analysis/cfg';

export const FIXABLE = new Set(['sysret-noncanonical-rip', 'sysret-rf-tf', 'sysret-selectors', 'sysret-rcx-not-rip', 'sysret-r11-not-rflags', 'gs-not-user']);

export interface QuickFix {
  title: string;
  /** 0-based line before which `text` is inserted (or which is deleted). */
  line: number;
  text: string;
  /** Delete `line` instead of inserting. */
  remove?: boolean;
}

/** Whether the control flow from `label` reaches an IRET before any SYSRET (within a bound). */
function leadsToIret(cfg: Cfg, label: string): boolean {
  const start = cfg.label(label);
  if (start === undefined) return false;
  const seen = new Set<number>();
  const todo = [start];
  while (todo.length && seen.size < 2000) {
    const pos = todo.pop()!;
    if (seen.has(pos)) continue;
    seen.add(pos);
    const m = cfg.instruction[pos]?.mnemonic ?? '';
    if (/^iret/.test(m)) return true;
    if (/^sysret/.test(m)) continue;
    todo.push(...cfg.successors(pos));
  }
  return false;
}

/** The instructions of a path step (a macro's expansion is joined with '; '). */
const insnsOf = (text: string): string[] => text.split(/;\s+/).map((s) => s.trim());

/** The source text of a path step's line, comments dropped (the file's own spelling). */
const sourceOf = (lines: string[], line: number): string => (lines[line] ?? '').replace(/\/\*.*?\*\//g, '').replace(/#.*$/, '').trim();

/** A frame operand the file itself writes on this path, e.g. `EFLAGS(%rsp)`. */
function operand(f: Finding, lines: string[], name: RegExp): string | undefined {
  for (const step of [...(f.path ?? [])].reverse()) {
    for (const insn of insnsOf(sourceOf(lines, step.loc.range.start.line))) {
      for (const op of insn.replace(/^\S+\s+/, '').split(/,\s*(?![^()]*\))/)) {
        const t = op.trim();
        if (/\(%rsp\)$/.test(t) && name.test(t.replace(/\(%rsp\)$/, ''))) return t;
      }
    }
  }
  return undefined;
}

/** The candidate fixes for one finding (not yet checked by re-analysis). */
export function candidateFixes(a: Analysis, text: string, f: Finding): QuickFix[] {
  if (!FIXABLE.has(f.code) || !f.path?.length) return [];
  const lines = text.split('\n');
  const has = (n: string): boolean => a.program.constants.has(n);
  const at = f.loc.range.start.line;
  const indent = (l: number): string => /^\s*/.exec(lines[l] ?? '')?.[0] || '\t';
  if (f.code === 'gs-not-user') {
    const swapgs = /\bSWAPGS\b/.test(text) ? 'SWAPGS' : 'swapgs';
    const out: QuickFix[] = [];
    // a SWAPGS of its own on the path after the entry's: maybe the one too many
    const own = f.path.slice(1).filter((st) => /^(SWAPGS|swapgs)$/.test(sourceOf(lines, st.loc.range.start.line)));
    if (own.length) {
      const l = own[own.length - 1].loc.range.start.line;
      out.push({ title: `Remove the ${sourceOf(lines, l)} at line ${l + 1} (run twice on this path)`, line: l, text: '', remove: true });
    }
    out.push({ title: `Insert ${swapgs} before the return to user mode`, line: at, text: `${indent(at)}${swapgs}\n` });
    return out;
  }
  // the way out through IRET: a branch already on the path (the latest) whose target leads there
  const cfg = new Cfg(a.program);
  let branch: { line: number; mnemonic: string; label: string } | undefined;
  for (const step of f.path) {
    for (const insn of insnsOf(sourceOf(lines, step.loc.range.start.line))) {
      const m = /^(j(?!mp\b)[a-z]+)\s+([A-Za-z_.$][\w.$]*)$/.exec(insn.replace(/^[\w.$]+:\s*/, ''));
      if (m && step.loc.range.start.line < at && leadsToIret(cfg, m[2])) branch = { line: step.loc.range.start.line, mnemonic: m[1], label: m[2] };
    }
  }
  if (!branch) return [];
  const L = branch.label;
  const ind = indent(branch.line);
  // a frame slot as the file writes it, or as it writes its neighbours (`SS(%rsp)` → `CS(%rsp)`)
  const plain = operand(f, lines, /^(RIP|CS|EFLAGS|RSP|SS|RCX|R11|RAX|ORIG_RAX)$/);
  const slot = (re: RegExp, name: string): string | undefined => operand(f, lines, re) ?? (plain && has(name) ? `${name}(%rsp)` : undefined);
  const ip = slot(/^\w*RIP\w*$/, 'RIP');
  const flags = slot(/FLAGS/, 'EFLAGS');
  const cs = slot(/^\w*CS\w*$/, 'CS');
  const ss = slot(/^\w*SS\w*$/, 'SS');
  const cx = slot(/^\w*RCX\w*$/, 'RCX');
  const r11 = slot(/^\w*R11\w*$/, 'R11');
  const rfTf = has('X86_EFLAGS_RF') && has('X86_EFLAGS_TF') ? '$(X86_EFLAGS_RF | X86_EFLAGS_TF)' : '$0x10100';
  const shift = has('__VIRTUAL_MASK_SHIFT') ? '$(64 - (__VIRTUAL_MASK_SHIFT + 1))' : '$16';
  const body: string[] = [];
  let what = '';
  switch (f.code) {
    case 'sysret-rf-tf':
      if (!flags) return [];
      body.push(`testq\t${rfTf}, ${flags}`, `jnz\t${L}`);
      what = 'the RF/TF test';
      break;
    case 'sysret-noncanonical-rip':
      if (!ip) return [];
      body.push(`movq\t${ip}, %rcx`, `shlq\t${shift}, %rcx`, `sarq\t${shift}, %rcx`, `cmpq\t%rcx, ${ip}`, `jne\t${L}`);
      what = 'the canonical-address test';
      break;
    case 'sysret-selectors':
      if (!cs || !ss) return [];
      body.push(`cmpq\t$${has('__USER_CS') ? '__USER_CS' : '0x33'}, ${cs}`, `jne\t${L}`, `cmpq\t$${has('__USER_DS') ? '__USER_DS' : '0x2b'}, ${ss}`, `jne\t${L}`);
      what = 'the CS/SS tests';
      break;
    case 'sysret-rcx-not-rip':
      if (!ip || !cx) return [];
      body.push(`movq\t${cx}, %rcx`, `cmpq\t%rcx, ${ip}`, `jne\t${L}`);
      what = 'the RCX == RIP test';
      break;
    case 'sysret-r11-not-rflags':
      if (!flags || !r11) return [];
      body.push(`movq\t${r11}, %r11`, `cmpq\t%r11, ${flags}`, `jne\t${L}`);
      what = 'the R11 == RFLAGS test';
      break;
  }
  return [{ title: `Insert ${what} (to ${L}, the IRET path)`, line: branch.line + 1, text: body.map((b) => `${ind}${b}\n`).join('') }];
}

/** `text` with a fix applied. */
export function applyFix(text: string, fix: QuickFix): string {
  const lines = text.split('\n');
  if (fix.remove) return [...lines.slice(0, fix.line), ...lines.slice(fix.line + 1)].join('\n');
  const head = lines.slice(0, fix.line).join('\n');
  return (fix.line > 0 ? head + '\n' : '') + fix.text + lines.slice(fix.line).join('\n');
}

const severe = (a: Analysis): Finding[] => a.findings.filter((x) => x.severity !== 'info');

/**
 * The fixes for `f` that work: re-analysed with the fix, the file has neither this finding (at
 * its return, which the insertion may have moved) nor any finding it did not have.
 */
export async function quickFixes(a: Analysis, text: string, f: Finding, reanalyse: (text: string) => Promise<Analysis>): Promise<QuickFix[]> {
  const out: QuickFix[] = [];
  for (const fix of candidateFixes(a, text, f)) {
    const added = fix.remove ? -1 : fix.text.split('\n').length - 1;
    const shift = (line: number): number => (line > fix.line || (line === fix.line && !fix.remove) ? line + added : line);
    const after = await reanalyse(applyFix(text, fix));
    const before = new Set(severe(a).filter((x) => x !== f).map((x) => `${x.code}@${shift(x.loc.range.start.line)}`));
    const now = severe(after).map((x) => `${x.code}@${x.loc.range.start.line}`);
    if (now.includes(`${f.code}@${shift(f.loc.range.start.line)}`)) continue;
    if (now.some((k) => !before.has(k))) continue;
    out.push(fix);
    break; // the first that works (they are in order of preference)
  }
  return out;
}
