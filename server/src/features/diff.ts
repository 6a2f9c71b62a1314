// `diff`: two analyses of an entry file, old and new, compared the way a reviewer of an entry
// rewrite asks — does the new code keep every property of the old? Returns to user mode are
// matched by entry, kind and order; findings by code and the instruction they point at.
import type { Analysis, Finding, ReturnResult } from '../analysis';

export interface ReturnChange {
  /** `SYSRET #2 (entry_SYSCALL_64)`. */
  name: string;
  old?: { line: number; verdict: string };
  new?: { line: number; verdict: string };
  conditions: { name: string; old: string; new: string }[];
  exitCondition?: { old: string; new: string; noLongerTests: string[]; nowAlsoTests: string[] };
  worse: boolean;
}

export interface FindingChange {
  code: string;
  severity: string;
  line: number;
  message: string;
}

export interface DiffResult {
  returns: ReturnChange[];
  introduced: FindingChange[];
  fixed: FindingChange[];
  worse: boolean;
}

const RANK: Record<string, number> = { ok: 0, proven: 0, unknown: 1, finding: 2, broken: 2 };

/** Call-site suffixes move with the lines: `ptregs.ip@L156` and `ptregs.ip@L158` are the same value. */
function normalize(text: string): string {
  return text.replace(/@L\d+(\.\d+)?/g, '');
}

function keyedReturns(a: Analysis): Map<string, ReturnResult> {
  const out = new Map<string, ReturnResult>();
  const seen = new Map<string, number>();
  for (const r of a.returns) {
    const base = `${r.kind.toUpperCase()} (${r.entries.join(', ')})`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.set(`${r.kind.toUpperCase()} #${n} (${r.entries.join(', ')})`, r);
  }
  return out;
}

function statementText(a: Analysis, f: Finding): string {
  const line = f.loc.range.start.line;
  const st = a.program.statements.find((s) => s.kind === 'instruction' && s.loc.file === f.loc.file && s.loc.range.start.line === line);
  return (st?.text ?? '').trim();
}

function keyedFindings(a: Analysis): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of a.findings) {
    if (f.severity === 'info' && f.code !== 'exit-work-unchecked') continue;
    const base = `${f.code}|${statementText(a, f)}`;
    let k = base;
    for (let i = 2; out.has(k); i++) k = `${base}#${i}`;
    out.set(k, f);
  }
  return out;
}

const change = (f: Finding): FindingChange => ({ code: f.code, severity: f.severity, line: f.loc.range.start.line + 1, message: f.message });

export function diffAnalyses(oldA: Analysis, newA: Analysis): DiffResult {
  const oldR = keyedReturns(oldA);
  const newR = keyedReturns(newA);
  const returns: ReturnChange[] = [];
  for (const name of new Set([...oldR.keys(), ...newR.keys()])) {
    const o = oldR.get(name);
    const n = newR.get(name);
    const c: ReturnChange = {
      name,
      ...(o ? { old: { line: o.loc.range.start.line + 1, verdict: o.verdict } } : {}),
      ...(n ? { new: { line: n.loc.range.start.line + 1, verdict: n.verdict } } : {}),
      conditions: [],
      worse: false,
    };
    if (o && n) {
      for (const cond of new Set([...o.conditions.map((x) => x.name), ...n.conditions.map((x) => x.name)])) {
        const os = o.conditions.find((x) => x.name === cond)?.status ?? 'absent';
        const ns = n.conditions.find((x) => x.name === cond)?.status ?? 'absent';
        if (os !== ns) c.conditions.push({ name: cond, old: os, new: ns });
        if ((RANK[ns] ?? 0) > (RANK[os] ?? 0)) c.worse = true;
      }
      const oc = new Set(o.conjuncts.map(normalize));
      const nc = new Set(n.conjuncts.map(normalize));
      const gone = [...oc].filter((x) => !nc.has(x));
      const added = [...nc].filter((x) => !oc.has(x));
      if (gone.length || added.length) c.exitCondition = { old: o.exitCondition, new: n.exitCondition, noLongerTests: gone, nowAlsoTests: added };
      if ((RANK[n.verdict] ?? 0) > (RANK[o.verdict] ?? 0)) c.worse = true;
    } else if (n && n.verdict !== 'ok') c.worse = true;
    if (!o || !n || o.verdict !== n.verdict || c.conditions.length || c.exitCondition) returns.push(c);
  }
  const oldF = keyedFindings(oldA);
  const newF = keyedFindings(newA);
  const introduced = [...newF].filter(([k]) => !oldF.has(k)).map(([, f]) => change(f));
  const fixed = [...oldF].filter(([k]) => !newF.has(k)).map(([, f]) => change(f));
  const worse = returns.some((r) => r.worse) || introduced.some((f) => f.severity !== 'info');
  return { returns, introduced, fixed, worse };
}

export function formatDiffText(oldName: string, newName: string, d: DiffResult): string {
  const out: string[] = [];
  for (const r of d.returns) {
    const where = `${r.old ? `${oldName}:${r.old.line}` : '(absent)'} → ${r.new ? `${newName}:${r.new.line}` : '(absent)'}`;
    const verdict = `${r.old?.verdict ?? 'absent'} → ${r.new?.verdict ?? 'absent'}`;
    out.push(`${r.name} ${where}: ${verdict}${r.worse ? ' (worse)' : ''}`);
    for (const c of r.conditions) out.push(`    ${c.name}: ${c.old} → ${c.new}`);
    if (r.exitCondition) {
      const short = (t: string): string => (t.length > 160 ? t.slice(0, 160) + '…' : t);
      for (const t of r.exitCondition.noLongerTests) out.push(`    no longer tests: ${short(t)}`);
      for (const t of r.exitCondition.nowAlsoTests) out.push(`    now also tests: ${short(t)}`);
    }
  }
  for (const f of d.introduced) out.push(`introduced: ${newName}:${f.line}: ${f.severity}: ${f.message} [${f.code}]`);
  for (const f of d.fixed) out.push(`fixed: ${oldName}:${f.line}: ${f.severity}: ${f.message} [${f.code}]`);
  const changed = d.returns.filter((r) => r.old && r.new && r.old.verdict !== r.new.verdict).length;
  const conds = d.returns.filter((r) => r.exitCondition).length;
  out.push(`entry-review diff: ${d.introduced.length} finding(s) introduced, ${d.fixed.length} fixed, ${changed} verdict(s) changed, ${conds} exit condition(s) changed${d.worse ? ' — worse' : ''}`);
  return out.join('\n') + '\n';
}
