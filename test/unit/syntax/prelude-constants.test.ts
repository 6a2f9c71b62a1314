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
