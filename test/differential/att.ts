// A tiny AT&T printer for generated instructions (only for the differential
// tests; the real parser lives in server/src/syntax/).

import { Instruction, Operand } from '../../server/src/x86';

function num(v: bigint): string {
  return v < 0n ? '-0x' + (-v).toString(16) : '0x' + v.toString(16);
}

export function printOperand(op: Operand): string {
  switch (op.kind) {
    case 'reg':
      return '%' + op.name;
    case 'imm':
      return '$' + (op.symbol ? op.symbol + (op.value ? (op.value < 0n ? num(op.value) : '+' + num(op.value)) : '') : num(op.value));
    case 'label':
      return op.name;
    case 'indirect':
      return '*' + printOperand(op.target);
    case 'mem': {
      let s = op.seg ? '%' + op.seg + ':' : '';
      if (op.dispSymbol) s += op.dispSymbol + (op.disp ? (op.disp < 0n ? num(op.disp) : '+' + num(op.disp)) : '');
      else if (op.disp || (!op.base && !op.index)) s += num(op.disp);
      if (op.base || op.index) {
        s += '(' + (op.base ? '%' + op.base : '');
        if (op.index) s += ',%' + op.index + ',' + op.scale;
        s += ')';
      }
      return s;
    }
  }
}

export function printInstruction(i: Instruction): string {
  const pre = i.prefixes && i.prefixes.length ? i.prefixes.join(' ') + ' ' : '';
  return pre + i.mnemonic + (i.operands.length ? ' ' + i.operands.map(printOperand).join(', ') : '');
}
