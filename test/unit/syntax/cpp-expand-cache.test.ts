// The preprocessor's expandText answers are kept per text (the built-in macros' bodies are
// expanded at every invocation): a kept answer must be what a fresh expansion gives — a macro
// defined, redefined or removed since, or a __COUNTER__ in the text, is expanded again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Preprocessor } from '../../../server/src/syntax/cpp';

const host = { resolve: () => undefined, missing: () => false };

function pp(): Preprocessor {
  return new Preprocessor('/t/a.S', host, () => undefined);
}

describe('expandText keeps its answers only while they hold', () => {
  test('a macro redefined or removed between two expansions of one text', () => {
    const p = pp();
    p.run('/t/a.S', '#define WIDTH 8\n', 'source');
    assert.equal(p.expandText('movq $WIDTH, %rax'), 'movq $8, %rax');
    assert.equal(p.expandText('movq $WIDTH, %rax'), 'movq $8, %rax');
    p.run('/t/a.S', '#undef WIDTH\n#define WIDTH 16\n', 'source');
    assert.equal(p.expandText('movq $WIDTH, %rax'), 'movq $16, %rax');
    p.run('/t/a.S', '#undef WIDTH\n', 'source');
    assert.equal(p.expandText('movq $WIDTH, %rax'), 'movq $WIDTH, %rax');
  });

  test('a macro defined after the text was first expanded', () => {
    const p = pp();
    assert.equal(p.expandText('jmp TARGET'), 'jmp TARGET');
    p.run('/t/a.S', '#define TARGET swapgs_restore\n', 'source');
    assert.equal(p.expandText('jmp TARGET'), 'jmp swapgs_restore');
  });

  test('__COUNTER__ counts on, directly or through a macro', () => {
    const p = pp();
    assert.equal(p.expandText('.long __COUNTER__'), '.long 0');
    assert.equal(p.expandText('.long __COUNTER__'), '.long 1');
    p.run('/t/a.S', '#define NEXT_ID __COUNTER__\n', 'source');
    assert.equal(p.expandText('.long NEXT_ID'), '.long 2');
    assert.equal(p.expandText('.long NEXT_ID'), '.long 3');
  });
});
