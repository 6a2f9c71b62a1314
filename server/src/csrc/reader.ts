// The C reader: C text → the functions the contract checks need, as a small statement/expression
// tree (CFunction). It parses with tree-sitter's C grammar (web-tree-sitter + the tree-sitter-c
// WebAssembly build, loaded lazily on first use) after the front end's own C preprocessor has run
// with the entry file's configuration. It knows nothing of the machine: what the statements mean
// for a saved frame is decided in analysis/cverify.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Parser, Language, type Node } from 'web-tree-sitter';
import { preprocessC } from '../syntax/ctext';
import { C_PRELUDE } from './prelude';

export type CExpr =
  | { k: 'num'; v: bigint; unsigned: boolean }
  | { k: 'id'; name: string }
  /** `base->field` or `base.field` (base is the text of the object expression). */
  | { k: 'field'; base: string; field: string; text: string }
  | { k: 'call'; name: string; args: CExpr[]; text: string }
  | { k: 'un'; op: string; a: CExpr }
  | { k: 'bin'; op: string; a: CExpr; b: CExpr }
  | { k: 'cond'; c: CExpr; a: CExpr; b: CExpr }
  | { k: 'cast'; unsigned: boolean; bits: number; a: CExpr }
  | { k: 'assign'; op: string; target: CExpr; value: CExpr }
  /** What the reader does not translate (pointer arithmetic, subscripts, ...): an unknown value. */
  | { k: 'opaque'; text: string; calls: string[] };

export type CStmt =
  | { k: 'if'; cond: CExpr; then: CStmt[]; else: CStmt[]; line: number }
  | { k: 'return'; value?: CExpr; line: number }
  | { k: 'expr'; e: CExpr; line: number }
  | { k: 'decl'; name: string; unsigned: boolean; bits: number; init?: CExpr; line: number }
  /** A statement the reader does not follow (loop, switch, goto, ...): it may do anything. */
  | { k: 'opaque'; text: string; calls: string[]; line: number };

export interface CFunction {
  name: string;
  file: string;
  /** 0-based line of the definition in the source file. */
  line: number;
  returnType: string;
  params: { name: string; type: string }[];
  body: CStmt[];
  /**
   * Functions of the same file this one calls that are run inline rather than as calls that may do
   * anything (set by analysis/csource.ts: another contract function, e.g. do_SYSENTER_32's tail
   * call of do_fast_syscall_32).
   */
  callees?: ReadonlyMap<string, CFunction>;
}

export type ReadResult = { fn: CFunction } | { error: string };

let ready: Promise<Parser> | undefined;

function asset(file: string, pkg: string): string {
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  return require.resolve(`${pkg}/${file}`);
}

/** The parser, initialised once (the grammar's WebAssembly is loaded on first use only). */
export function cParser(): Promise<Parser> {
  ready ??= (async () => {
    const runtime = asset('tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({ locateFile: () => runtime });
    const lang = await Language.load(new Uint8Array(fs.readFileSync(asset('tree-sitter-c.wasm', 'tree-sitter-c'))));
    const p = new Parser();
    p.setLanguage(lang);
    return p;
  })();
  return ready;
}

const cache = new Map<string, ReadResult>();

/**
 * Reads function `name` from C `text` (preprocessed with `defines`, the entry file's
 * configuration). Cached by file, text and configuration: the C is parsed once per version.
 */
export async function readCFunction(file: string, text: string, name: string, defines: Readonly<Record<string, string>>): Promise<ReadResult> {
  const key = `${file}\0${name}\0${JSON.stringify(defines)}\0${text}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let res: ReadResult;
  try {
    const pre = preprocessC(file, text, C_PRELUDE, defines);
    const parser = await cParser();
    const tree = parser.parse(pre.text);
    if (!tree) res = { error: 'the C parser gave no tree' };
    else {
      const def = findFunction(tree.rootNode, name);
      if (!def) res = { error: `no definition of ${name}() in ${path.basename(file)}` };
      else res = { fn: translateFunction(def, name, file, pre.lines) };
      tree.delete();
    }
  } catch (e) {
    res = { error: `the C could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (cache.size > 64) cache.clear();
  cache.set(key, res);
  return res;
}

function declaratorName(n: Node | null): string | undefined {
  while (n && n.type !== 'identifier') {
    const d = n.childForFieldName('declarator');
    if (!d) return undefined;
    n = d;
  }
  return n?.text;
}

function findFunction(root: Node, name: string): Node | undefined {
  for (const c of root.namedChildren) {
    if (!c) continue;
    if (c.type === 'function_definition' && declaratorName(c.childForFieldName('declarator')) === name) return c;
    // inside an #if that the preprocessor kept, definitions are still top-level; linkage blocks nest
    if (c.type === 'linkage_specification' || c.type === 'declaration_list') {
      const f = findFunction(c, name);
      if (f) return f;
    }
  }
  return undefined;
}

function translateFunction(def: Node, name: string, file: string, lines: number[]): CFunction {
  const line = (n: Node): number => lines[n.startPosition.row] ?? n.startPosition.row;
  let fd = def.childForFieldName('declarator');
  while (fd && fd.type !== 'function_declarator') fd = fd.childForFieldName('declarator');
  const params: { name: string; type: string }[] = [];
  for (const p of fd?.childForFieldName('parameters')?.namedChildren ?? []) {
    if (!p || p.type !== 'parameter_declaration') continue;
    const decl = p.childForFieldName('declarator');
    const pn = declaratorName(decl);
    const stars = decl && decl.type === 'pointer_declarator' ? ' *' : '';
    if (pn) params.push({ name: pn, type: (p.childForFieldName('type')?.text ?? '') + stars });
  }
  const returnType = def.childForFieldName('type')?.text ?? 'int';

  const typeInfo = (t: string): { unsigned: boolean; bits: number } => {
    const s = t.replace(/\s+/g, ' ').trim();
    if (/\*/.test(s)) return { unsigned: true, bits: 64 };
    if (/^(bool|_Bool)$/.test(s)) return { unsigned: true, bits: 1 };
    const unsigned = /\bunsigned\b|^(u8|u16|u32|u64|__u8|__u16|__u32|__u64|size_t|uintptr_t|unsigned)$/.test(s);
    const bits = /\b(char|u8|__u8|s8)\b/.test(s) ? 8 : /\b(short|u16|__u16|s16)\b/.test(s) ? 16 : /\b(long|u64|__u64|s64|size_t|uintptr_t|ssize_t)\b/.test(s) ? 64 : 32;
    return { unsigned, bits };
  };

  const callsIn = (n: Node): string[] =>
    n.descendantsOfType('call_expression').flatMap((c) => (c ? [c.childForFieldName('function')?.text ?? '?'] : []));

  const expr = (n: Node | null): CExpr => {
    if (!n) return { k: 'opaque', text: '', calls: [] };
    switch (n.type) {
      case 'parenthesized_expression': {
        const inner = n.namedChildren.find((x) => x && x.type !== 'comment');
        return expr(inner ?? null);
      }
      case 'number_literal': {
        const t = n.text.toLowerCase();
        const m = /^(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9][0-9]*)(u?l{0,2}|l{1,2}u)$/.exec(t);
        if (!m) return { k: 'opaque', text: n.text, calls: [] };
        const digits = m[1];
        const v = digits.startsWith('0x') || digits.startsWith('0b') ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
        return { k: 'num', v, unsigned: m[2].includes('u') };
      }
      case 'true':
        return { k: 'num', v: 1n, unsigned: false };
      case 'false':
        return { k: 'num', v: 0n, unsigned: false };
      case 'identifier':
        return { k: 'id', name: n.text };
      case 'field_expression': {
        const base = n.childForFieldName('argument');
        const field = n.childForFieldName('field');
        return { k: 'field', base: base?.text ?? '', field: field?.text ?? '', text: n.text };
      }
      case 'call_expression': {
        const fn = n.childForFieldName('function');
        const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => !!a && a.type !== 'comment').map(expr);
        return { k: 'call', name: fn?.type === 'identifier' ? fn.text : `(${fn?.text ?? '?'})`, args, text: n.text };
      }
      case 'unary_expression': {
        const op = n.childForFieldName('operator')?.text ?? n.child(0)?.text ?? '?';
        return { k: 'un', op, a: expr(n.childForFieldName('argument')) };
      }
      case 'binary_expression':
        return { k: 'bin', op: n.childForFieldName('operator')?.text ?? '?', a: expr(n.childForFieldName('left')), b: expr(n.childForFieldName('right')) };
      case 'conditional_expression':
        return { k: 'cond', c: expr(n.childForFieldName('condition')), a: expr(n.childForFieldName('consequence')), b: expr(n.childForFieldName('alternative')) };
      case 'cast_expression': {
        const ti = typeInfo(n.childForFieldName('type')?.text ?? 'long');
        return { k: 'cast', ...ti, a: expr(n.childForFieldName('value')) };
      }
      case 'assignment_expression':
        return { k: 'assign', op: n.childForFieldName('operator')?.text ?? '=', target: expr(n.childForFieldName('left')), value: expr(n.childForFieldName('right')) };
      default:
        return { k: 'opaque', text: n.text, calls: callsIn(n) };
    }
  };

  const stmts = (n: Node | null): CStmt[] => {
    if (!n) return [];
    if (n.type === 'compound_statement') return n.namedChildren.flatMap((c) => (c ? stmt(c) : []));
    return stmt(n);
  };

  const stmt = (n: Node): CStmt[] => {
    switch (n.type) {
      case 'comment':
        return [];
      case 'compound_statement':
        return stmts(n);
      case 'if_statement': {
        const alt = n.childForFieldName('alternative');
        const elseBody = alt ? (alt.type === 'else_clause' ? stmts(alt.namedChildren.find((x) => x && x.type !== 'comment') ?? null) : stmts(alt)) : [];
        return [{ k: 'if', cond: expr(n.childForFieldName('condition')), then: stmts(n.childForFieldName('consequence')), else: elseBody, line: line(n) }];
      }
      case 'return_statement': {
        const v = n.namedChildren.find((x) => x && x.type !== 'comment');
        return [{ k: 'return', value: v ? expr(v) : undefined, line: line(n) }];
      }
      case 'expression_statement': {
        const e = n.namedChildren.find((x) => x && x.type !== 'comment');
        if (!e) return [];
        if (e.type === 'comma_expression') return [e.childForFieldName('left'), e.childForFieldName('right')].flatMap((x) => (x ? [{ k: 'expr' as const, e: expr(x), line: line(n) }] : []));
        return [{ k: 'expr', e: expr(e), line: line(n) }];
      }
      case 'declaration': {
        const ti = typeInfo((n.childForFieldName('type')?.text ?? 'int') + (n.text.includes('*') ? ' *' : ''));
        const out: CStmt[] = [];
        for (const d of n.namedChildren) {
          if (!d) continue;
          if (d.type === 'init_declarator') {
            const nm = declaratorName(d.childForFieldName('declarator'));
            if (nm) out.push({ k: 'decl', name: nm, ...ti, init: expr(d.childForFieldName('value')), line: line(n) });
          } else if (d.type === 'identifier') out.push({ k: 'decl', name: d.text, ...ti, line: line(n) });
        }
        return out;
      }
      case 'do_statement': {
        // do { } while (0): the kernel's statement macros
        const cond = n.childForFieldName('condition');
        if (cond && /^\(\s*0\s*\)$/.test(cond.text)) return stmts(n.childForFieldName('body'));
        return [{ k: 'opaque', text: n.text.slice(0, 80), calls: callsIn(n), line: line(n) }];
      }
      default:
        return [{ k: 'opaque', text: n.text.slice(0, 80), calls: callsIn(n), line: line(n) }];
    }
  };

  return { name, file, line: line(def), returnType, params, body: stmts(def.childForFieldName('body')) };
}
