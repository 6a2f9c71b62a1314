// The TextMate grammar, tokenized by VS Code's own engine (vscode-textmate + oniguruma):
// each construct the editor must colour gets the scope the theme keys on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { repoRoot } from '../../support/paths';

let grammar: vsctm.IGrammar;

before(async () => {
  const wasm = readFileSync(path.join(repoRoot, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) => {
      if (scope !== 'source.x86-entry-asm') return null;
      const file = path.join(repoRoot, 'syntaxes', 'x86-entry-asm.tmLanguage.json');
      return vsctm.parseRawGrammar(readFileSync(file, 'utf8'), file);
    },
  });
  const g = await registry.loadGrammar('source.x86-entry-asm');
  assert.ok(g);
  grammar = g;
});

/** Tokenizes lines (state carried across) and returns [text, innermost scope] pairs, blanks dropped. */
function tokens(...lines: string[]): [string, string][] {
  const out: [string, string][] = [];
  let state = vsctm.INITIAL;
  for (const line of lines) {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) {
      const text = line.slice(t.startIndex, t.endIndex);
      if (text.trim()) out.push([text.trim(), t.scopes[t.scopes.length - 1]]);
    }
    state = r.ruleStack;
  }
  return out;
}

function scopeOf(text: string, ...lines: string[]): string | undefined {
  return tokens(...lines).find(([t]) => t === text)?.[1];
}

describe('TextMate grammar', () => {
  test('mnemonics with size suffixes, registers, immediates', () => {
    const line = '\tshlq\t$(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx';
    assert.equal(scopeOf('shlq', line), 'keyword.mnemonic.x86-entry-asm');
    assert.equal(scopeOf('%rcx', line), 'variable.language.register.x86-entry-asm');
    assert.equal(scopeOf('$', line), 'constant.other.immediate.x86-entry-asm');
    assert.equal(scopeOf('$0x33', '\tcmpq $0x33,%rax'), 'constant.numeric.immediate.x86-entry-asm');
    assert.equal(scopeOf('movzbl', '\tmovzbl %al, %eax'), 'keyword.mnemonic.x86-entry-asm');
    assert.equal(scopeOf('%r11d', '\tmovl %r11d, %eax'), 'variable.language.register.x86-entry-asm');
  });

  test('memory operands: symbolic displacement, base register, segment', () => {
    const t = tokens('\tmovq\tRCX(%rsp), %rcx', '\tmovq\t%rsp, %gs:rsp_scratch');
    assert.deepEqual(t.find(([x]) => x === 'RCX'), ['RCX', 'variable.other.symbol.x86-entry-asm']);
    assert.deepEqual(t.find(([x]) => x === '%gs'), ['%gs', 'variable.language.register.x86-entry-asm']);
  });

  test('privileged and branch instructions stand out', () => {
    assert.equal(scopeOf('sysretq', '\tsysretq'), 'keyword.control.privileged.x86-entry-asm');
    assert.equal(scopeOf('swapgs', '1:\tswapgs'), 'keyword.control.privileged.x86-entry-asm');
    assert.equal(scopeOf('jne', '\tjne\topportunistic_sysret_failed'), 'keyword.control.branch.x86-entry-asm');
  });

  test('labels: global, .L local, numeric definitions and 1f/1b references', () => {
    assert.equal(scopeOf('entry_SYSCALL_64', 'entry_SYSCALL_64:'), 'entity.name.function.label.x86-entry-asm');
    assert.equal(scopeOf('.Lslow', '.Lslow:'), 'entity.name.function.label.x86-entry-asm');
    assert.equal(scopeOf('1', '1:\tnop'), 'entity.name.function.label.x86-entry-asm');
    assert.equal(scopeOf('1f', '\tjnz 1f'), 'entity.name.function.label.reference.x86-entry-asm');
    assert.equal(scopeOf('2b', '\tjmp 2b'), 'entity.name.function.label.reference.x86-entry-asm');
  });

  test('comments: /* */ across lines and # line comments, but cpp directives are not comments', () => {
    const t = tokens('/* first', ' * second */', '\tnop # trailing');
    assert.deepEqual(t.find(([x]) => x === '* second'), ['* second', 'comment.block.x86-entry-asm']);
    assert.equal(scopeOf('# trailing', '\tnop # trailing'), 'comment.line.number-sign.x86-entry-asm');
    assert.equal(scopeOf('#include', '#include <asm/calling.h>'), 'keyword.control.directive.include.x86-entry-asm');
    assert.equal(scopeOf('<asm/calling.h>', '#include <asm/calling.h>'), 'string.quoted.other.include.x86-entry-asm');
    assert.equal(scopeOf('#ifdef', '#ifdef CONFIG_X86_64'), 'keyword.control.directive.conditional.x86-entry-asm');
    assert.equal(scopeOf('__SYSCALL_MASK', '#if __SYSCALL_MASK == ~0'), 'entity.name.constant.preprocessor.x86-entry-asm');
    assert.equal(scopeOf('PTREGS_CS', '#define PTREGS_CS 17*8'), 'entity.name.function.preprocessor.x86-entry-asm');
  });

  test('GAS directives and macro definitions/invocations', () => {
    assert.equal(scopeOf('.macro', '.macro SAVE_ARGS offset=0'), 'keyword.control.directive.macro.x86-entry-asm');
    assert.equal(scopeOf('SAVE_ARGS', '.macro SAVE_ARGS offset=0'), 'entity.name.function.macro.x86-entry-asm');
    assert.equal(scopeOf('.endm', '.endm'), 'keyword.control.directive.conditional.x86-entry-asm');
    assert.equal(scopeOf('.quad', '\t.quad 0'), 'keyword.other.directive.x86-entry-asm');
    assert.equal(scopeOf('.error', '\t.error "width changed"'), 'keyword.other.directive.x86-entry-asm');
    assert.equal(scopeOf('SWAPGS', '\tSWAPGS'), 'entity.name.function.macro.invocation.x86-entry-asm');
    assert.equal(scopeOf('\\reg', '\tpushq %\\reg'), undefined);
    assert.equal(scopeOf('%\\reg', '\tpushq %\\reg'), 'variable.language.register.macro-argument.x86-entry-asm');
  });
});
