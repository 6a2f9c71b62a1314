// Constants the kernel-style fixtures use without their headers come from the built-in prelude.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProgram } from '../../../server/src/syntax';

test('prelude supplies bug bits and paravirt clobber masks used by entry code', () => {
  const text = [
    '\tALTERNATIVE "", "mov $1, %eax", X86_BUG_NULL_SEG',
    '\tALTERNATIVE "", "lfence", X86_BUG_SWAPGS_FENCE',
    '\tDISABLE_INTERRUPTS(CLBR_RDI)',
    '\tmovq $CLBR_ANY, %rax',
  ].join('\n');
  const p = parseProgram('/alone/e.S', text, {}, { read: () => undefined });
  assert.deepEqual(p.diagnostics, []);
  assert.equal(p.constants.get('X86_BUG_NULL_SEG'), 22n * 32n + 10n);
  assert.equal(p.constants.get('X86_BUG_SWAPGS_FENCE'), 22n * 32n + 11n);
  assert.equal(p.constants.get('CLBR_RDI'), 8n);
  assert.equal(p.constants.get('CLBR_ANY'), 15n);
  assert.deepEqual(p.alternatives.map((a) => a.arms.map((arm) => arm.feature)).flat().filter(Boolean), ['X86_BUG_NULL_SEG', 'X86_BUG_SWAPGS_FENCE']);
});

test('the built-in UNWIND_HINT takes every form kernels call it with: 5.x end=, 6.x signal=', () => {
  // a tree's own unwind_hints.h calls the generic macro, which lives in include/linux/objtool.h:
  // without that header the prelude's stands in (5.15 passes end=, 6.x signal=)
  const text = [
    '\tUNWIND_HINT sp_reg=ORC_REG_SP sp_offset=8 type=UNWIND_HINT_TYPE_CALL end=1',
    '\tUNWIND_HINT type=UNWIND_HINT_TYPE_REGS sp_reg=ORC_REG_SP sp_offset=0 signal=1',
    '\tnop',
  ].join('\n');
  const p = parseProgram('/alone/e.S', text, {}, { read: () => undefined });
  assert.deepEqual(p.diagnostics.map((d) => d.message), []);
  assert.deepEqual(p.statements.filter((s) => s.kind === 'instruction').map((s) => s.name), ['nop']);
});
