// Hovers explain instructions wherever they are written, and name macros and constants.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver';
import { analyze, defaultOptions, type Analysis } from '../../../server/src/analysis';
import { hover, isMnemonicPosition } from '../../../server/src/features/hover';

const text = [
  '.macro RESTORE_SOME',           // 0
  '\tpopq %r11',                   // 1  inside a .macro body: no statement of its own
  '.endm',                         // 2
  '#ifdef CONFIG_NOT_SET',         // 3
  '\tshlq $16, %rcx',              // 4  inactive
  '#endif',                        // 5
  'e:\tsarq $16, %rcx; movq %gs:test, %rax', // 6
  '\tALTERNATIVE "lfence", "", X86_FEATURE_NONE', // 7
  '\tlock incl (%rdi)',            // 8
  '\tcmpq $__USER_CS, CS(%rsp)',  // 9
].join('\n');
let a: Analysis;
before(async () => {
  a = await analyze({ file: '/h.S', text }, defaultOptions, { read: () => undefined });
});
const at = (line: number, character: number) => {
  const h = hover(a, text, { line, character });
  return h ? (h.contents as MarkupContent).value : undefined;
};

describe('hover', () => {
  test('mnemonics in a macro body, in inactive code, after a label, after ;, in ALTERNATIVE strings, after a prefix', () => {
    assert.match(at(1, 2) ?? '', /^\*\*pop\*\* — Pop\n/);
    assert.match(at(4, 2) ?? '', /^\*\*shl\*\* — Shift left\n/);
    assert.match(at(6, 4) ?? '', /^\*\*sar\*\* — Shift arithmetic right\n/);
    assert.match(at(6, 20) ?? '', /^\*\*mov\*\* — Move\n/);
    assert.match(at(7, 15) ?? '', /^\*\*lfence\*\*/);
    assert.match(at(8, 7) ?? '', /^\*\*inc\*\* — Increment\n/);
  });

  test('a symbol spelled like a mnemonic is not an instruction in operand position', () => {
    assert.equal(isMnemonicPosition('\tmovq %gs:test, %rax', 10), false);
    assert.equal(isMnemonicPosition('\tcall test', 6), false);
    assert.equal(at(6, 31), undefined);
  });

  test('built-in constants show their value', () => {
    assert.match(at(9, 9) ?? '', /\*\*__USER_CS\*\*/);
    assert.match(at(9, 9) ?? '', /0x33/);
    assert.match(at(9, 20) ?? '', /0x88 \(136\)/, 'CS is pt_regs offset 17*8');
  });
});
