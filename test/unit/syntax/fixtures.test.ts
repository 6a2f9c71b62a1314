// Data-driven parser tests: every test/fixtures/syntax/<name>.S (or .s) is parsed and compared
// with <name>.expected.json beside it. Add a case by adding the two files.
//
// <name>.expected.json fields (each optional except as noted):
//   statements: string[]   every statement, in order, in describeStatement() form
//   diagnostics: string[]  every diagnostic (checked always; default [])
//   inactive: string[]     inactive ranges of the main file
//   constants: {name: value}   these constants must have these values (others are not checked)
//   absentConstants: string[]  these names must not be constants
//   labels: string[]       these labels must exist
//   symbols: string[]      "kind name" entries that must exist in the symbol table
//   alternatives: string[] "group name arm:feature,arm:feature" per ALTERNATIVE site
//   extable: string[]      "from -> to" per exception-table entry
//   expansions: {line: text}   macro expansion text recorded for the invocation on that line
//   origins: {statementIndex: string}  origin chain "kind@file:line > kind@file:line ..."
//   options: {defines, undefines, includePaths: [relative to the fixture dir], findKernelTree}
//   configuration: {assumed, defines: {name: value}}  Program.configuration: `assumed` exactly,
//                          these defines with these values (null: must not be defined)
//   file: path (relative to the fixture dir) the main file pretends to live at
// Set UPDATE_SYNTAX_FIXTURES=1 to (re)write the expected files from the current output.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseProgram, type Origin, type ParseOptions, type Program } from '../../../server/src/syntax';
import { describeProgram, describeRange } from './describe';
import { repoRoot } from '../../support/paths';
import { diskReader } from '../../support/files';



const dir = path.join(repoRoot, 'test/fixtures/syntax');

interface Expected {
  statements?: string[];
  diagnostics?: string[];
  inactive?: string[];
  constants?: Record<string, string>;
  absentConstants?: string[];
  labels?: string[];
  symbols?: string[];
  alternatives?: string[];
  extable?: string[];
  expansions?: Record<string, string>;
  origins?: Record<string, string>;
  options?: { defines?: Record<string, string>; undefines?: string[]; includePaths?: string[]; findKernelTree?: boolean };
  configuration?: { assumed?: boolean; defines?: Record<string, string | null> };
  file?: string;
}

function originText(o: Origin, root: string): string {
  const parts: string[] = [];
  for (let c: Origin | undefined = o; c; c = c.parent) {
    const f = c.loc.file.startsWith(root) ? path.relative(root, c.loc.file) : c.loc.file;
    parts.push(`${c.kind}${c.name ? '(' + c.name + ')' : ''}@${f}:${c.loc.range.start.line + 1}`);
  }
  return parts.join(' > ');
}

function run(name: string, src: string, exp: Expected): Program {
  const opts: ParseOptions = { findKernelTree: exp.options?.findKernelTree ?? false };
  if (exp.options?.defines) opts.defines = exp.options.defines;
  if (exp.options?.undefines) opts.undefines = exp.options.undefines;
  if (exp.options?.includePaths) opts.includePaths = exp.options.includePaths.map((p) => path.resolve(dir, p));
  const file = exp.file ? path.resolve(dir, exp.file) : path.join(dir, name);
  return parseProgram(file, src, opts, diskReader);
}

const cases = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.[sS]$/.test(f)).sort() : [];

describe('syntax fixtures', () => {
  test('there are fixtures', () => assert.ok(cases.length > 0));
  for (const name of cases) {
    test(name, () => {
      const base = name.replace(/\.[sS]$/, '');
      const expPath = path.join(dir, base + '.expected.json');
      const src = fs.readFileSync(path.join(dir, name), 'utf8');
      const exp: Expected = fs.existsSync(expPath) ? JSON.parse(fs.readFileSync(expPath, 'utf8')) : {};
      const p = run(name, src, exp);
      const d = describeProgram(p);
      if (process.env.UPDATE_SYNTAX_FIXTURES) {
        const out: Expected = { ...exp, statements: d.statements, diagnostics: d.diagnostics };
        if (d.inactive.length || exp.inactive) out.inactive = d.inactive;
        fs.writeFileSync(expPath, JSON.stringify(out, null, 2) + '\n');
        return;
      }
      assert.ok(fs.existsSync(expPath), `missing ${expPath}`);
      if (exp.statements) assert.deepEqual(d.statements, exp.statements);
      assert.deepEqual(d.diagnostics, exp.diagnostics ?? []);
      if (exp.inactive) assert.deepEqual(d.inactive, exp.inactive);
      for (const [k, v] of Object.entries(exp.constants ?? {})) assert.equal(d.constants[k], v, `constant ${k}`);
      for (const k of exp.absentConstants ?? []) assert.equal(d.constants[k], undefined, `constant ${k} should be absent`);
      for (const l of exp.labels ?? []) assert.ok(p.labels.has(l), `label ${l}`);
      for (const s of exp.symbols ?? []) {
        const [kind, sname] = s.split(' ');
        assert.ok(p.symbols.some((x) => x.kind === kind && x.name === sname), `symbol ${s}`);
      }
      if (exp.alternatives) {
        assert.deepEqual(p.alternatives.map((a) => `${a.group} ${a.name} ${a.arms.map((x) => `${x.arm}:${x.feature}`).join(',')}`), exp.alternatives);
      }
      if (exp.configuration?.assumed !== undefined) assert.equal(p.configuration.assumed, exp.configuration.assumed, 'configuration.assumed');
      for (const [k, v] of Object.entries(exp.configuration?.defines ?? {})) assert.equal(p.configuration.defines[k], v ?? undefined, `configuration define ${k}`);
      if (exp.extable) assert.deepEqual(p.exceptionTable.map((e) => `${e.from} -> ${e.to}`), exp.extable);
      for (const [line, text] of Object.entries(exp.expansions ?? {})) {
        const e = p.macroExpansions.find((m) => m.loc.range.start.line + 1 === Number(line));
        assert.ok(e, `expansion on line ${line}`);
        assert.equal(e.text, text);
      }
      for (const [idx, text] of Object.entries(exp.origins ?? {})) {
        assert.equal(originText(p.statements[Number(idx)].origin, dir), text, `origin of statement ${idx}`);
      }
      // Every statement's loc is in the main file.
      for (const s of p.statements) assert.equal(s.loc.file, p.file, `statement ${s.name} at ${describeRange(s.loc.range)} has loc outside the main file`);
    });
  }
});
