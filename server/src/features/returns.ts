// Every return to user mode as the editor shows it: a CodeLens title with its verdict and the
// condition under which it is taken, and a hover section listing each condition and assumption.
import type { CodeLens } from 'vscode-languageserver';
import type { Analysis, ReturnResult } from '../analysis';
import type { Pos } from '../syntax';
import { SIMULATE_COMMAND } from './simulation';

/** What a CodeLens click (or a finding's code action) opens the simulation view with. */
export interface SimulateArgs {
  uri: string;
  entry: string;
  /** 0-based line of the return to select. */
  line?: number;
  /** A finding's witness: the view loads its concrete run. */
  pins?: Record<string, string>;
}

const SHORT = 120;

/** `SYSRET · 9/9 conditions proven · 3 paths · taken when …` or the first finding's message. */
export function returnTitle(a: Analysis, r: ReturnResult): string {
  const proven = r.conditions.filter((c) => c.status === 'proven').length;
  // a contract read from its C source and verified: say so (`do_syscall_64 verified from common.c:76`)
  const verified = r.assumes.flatMap((s) => {
    const m = /^([\w.]+): (?:.*? — )?verified from (\S+?):(\d+)[ ;]/.exec(s);
    return m ? [`${m[1]} verified from ${m[2].replace(/^.*\//, '')}:${m[3]}`] : [];
  });
  const paths = `${r.paths} path${r.paths === 1 ? '' : 's'}${verified.map((v) => ` · ${v}`).join('')}`;
  if (r.verdict === 'finding') {
    const line = r.loc.range.start.line;
    const f = a.findings.find((x) => x.loc.range.start.line === line && x.severity !== 'info');
    const what = f ? f.message.split(':')[0] : 'a condition is broken';
    return `${r.kind.toUpperCase()} · ${what} · ${proven}/${r.conditions.length} conditions proven · ${paths}`;
  }
  const when = r.exitCondition.length > SHORT ? r.exitCondition.slice(0, SHORT) + '…' : r.exitCondition;
  const verdict = r.verdict === 'ok' ? `${proven}/${r.conditions.length} conditions proven` : `unknown: ${r.conditions.filter((c) => c.status === 'unknown').map((c) => c.name).join(', ')}`;
  return `${r.kind.toUpperCase()} · ${verdict} · ${paths} · taken when ${when}`;
}

/**
 * A lens above every return of the file. Given the document's URI, a click opens the simulation
 * view at that return (a finding's return with its witness loaded as concrete values).
 */
export function returnLenses(a: Analysis, uri?: string): CodeLens[] {
  return a.returns
    .filter((r) => r.loc.file === a.file)
    .map((r) => {
      const title = returnTitle(a, r);
      if (uri === undefined || !r.entries.length) return { range: r.loc.range, command: { title, command: '' } };
      const line = r.loc.range.start.line;
      const f = r.verdict === 'finding' ? a.findings.find((x) => x.loc.file === a.file && x.loc.range.start.line === line && x.witness && x.severity !== 'info') : undefined;
      const args: SimulateArgs = { uri, entry: r.entries[0], line, ...(f?.witness ? { pins: f.witness } : {}) };
      return { range: r.loc.range, command: { title, command: SIMULATE_COMMAND, arguments: [args] } };
    });
}

/**
 * A lens on every entry's label: how many returns to user mode it reaches and their verdicts,
 * e.g. `entry_SYSCALL_64 · 3 returns to user mode · 2 ok, 1 finding · simulate`; a click opens
 * the simulation view on that entry.
 */
export function entryLenses(a: Analysis, uri: string): CodeLens[] {
  const out: CodeLens[] = [];
  for (const name of a.entries) {
    const index = a.program.labels.get(name);
    const st = index === undefined ? undefined : a.program.statements[index];
    if (!st || st.loc.file !== a.file) continue;
    const rs = a.returns.filter((r) => r.entries.includes(name));
    const count = { ok: 0, finding: 0, unknown: 0 };
    for (const r of rs) count[r.verdict]++;
    const verdicts = (['ok', 'finding', 'unknown'] as const).filter((v) => count[v]).map((v) => `${count[v]} ${v}`).join(', ') || 'none reached';
    const args: SimulateArgs = { uri, entry: name };
    out.push({ range: st.loc.range, command: { title: `${name} · ${rs.length} return${rs.length === 1 ? '' : 's'} to user mode · ${verdicts} · simulate`, command: SIMULATE_COMMAND, arguments: [args] } });
  }
  return out;
}

/** The return whose instruction (or the invocation that produced it) covers `pos`. */
export function returnAt(a: Pick<Analysis, 'returns' | 'file'>, pos: Pos): ReturnResult | undefined {
  return a.returns.find((r) => r.loc.file === a.file && r.loc.range.start.line === pos.line && r.loc.range.start.character <= pos.character && pos.character <= r.loc.range.end.character);
}

export function returnMarkdown(r: ReturnResult): string {
  const mark = { proven: '✓', broken: '✗', unknown: '?' } as const;
  const lines = [`**${r.kind.toUpperCase()} to user mode** — ${r.verdict} (${r.paths} path${r.paths === 1 ? '' : 's'} from ${r.entries.join(', ')})`, ''];
  for (const c of r.conditions) lines.push(`- ${mark[c.status]} ${c.name} — ${c.status}${c.why ? ` (${c.why})` : ''}`);
  lines.push('', `Taken when: \`${r.exitCondition.length > 400 ? r.exitCondition.slice(0, 400) + '…' : r.exitCondition}\``);
  if (r.assumes.length) lines.push('', 'Assumes:', ...r.assumes.map((s) => `- ${s}`));
  return lines.join('\n');
}
