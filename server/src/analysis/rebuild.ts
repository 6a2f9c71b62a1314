// Rebuilding an expression through the algebra, with nodes replaced: the walk's value sets, the
// properties' frame slots, the checker's display of merged values all use it.
import type { Expr, SymbolicAlgebra } from '../x86';

/** `e` rebuilt through the algebra (so it simplifies again), with any node replaced where `replace` says. */
export function rebuild(S: SymbolicAlgebra, e: Expr, replace: (x: Expr) => Expr | undefined, memo = new Map<number, Expr>()): Expr {
  const hit = memo.get(e.id);
  if (hit) return hit;
  const n = replace(e);
  if (n && n.width === e.width) {
    memo.set(e.id, n);
    return n;
  }
  const r = (x: Expr): Expr => rebuild(S, x, replace, memo);
  const a = e.args;
  let out: Expr;
  switch (e.op) {
    case 'const':
    case 'bconst':
    case 'var':
      out = e;
      break;
    case 'add':
    case 'sub':
    case 'and':
    case 'or':
    case 'xor':
    case 'shl':
    case 'lshr':
    case 'ashr':
    case 'concat':
      out = S[e.op](r(a[0]), r(a[1]));
      break;
    case 'eq':
    case 'ult':
    case 'ule':
    case 'slt':
    case 'sle':
      out = S[e.op](r(a[0]), r(a[1]));
      break;
    case 'not':
    case 'neg':
      out = S[e.op](r(a[0]));
      break;
    case 'extract':
      out = S.extract(r(a[0]), e.hi, e.lo);
      break;
    case 'zext':
      out = S.zext(r(a[0]), e.width);
      break;
    case 'sext':
      out = S.sext(r(a[0]), e.width);
      break;
    case 'ite':
      out = S.ite(r(a[0]), r(a[1]), r(a[2]));
      break;
    case 'bite':
      out = S.iteB(r(a[0]), r(a[1]), r(a[2]));
      break;
    case 'bit':
      out = S.bit(r(a[0]));
      break;
    case 'band':
      out = S.andB(r(a[0]), r(a[1]));
      break;
    case 'bor':
      out = S.orB(r(a[0]), r(a[1]));
      break;
    case 'bnot':
      out = S.notB(r(a[0]));
      break;
  }
  memo.set(e.id, out);
  return out;
}
