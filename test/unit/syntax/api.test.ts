// The Program fields the analysis, hovers and go-to-definition use, checked value by value.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseProgram, findKernelTree, parseKernelConfig, PRELUDE_FILE, type FileReader, type Operand, type Program,
} from '../../../server/src/syntax';

import { DEFAULT_CONFIG } from '../../../server/src/syntax/config';

const FILE = '/work/k/arch/x86/entry/test.S';
const none: FileReader = { read: () => undefined };
const parse = (text: string, files: FileReader = none, defines?: Record<string, string>): Program =>
  parseProgram(FILE, text, { findKernelTree: false, ...(defines ? { defines } : {}) }, files);
const rangeOf = (o: Operand) => [o.range.start.line, o.range.start.character, o.range.end.line, o.range.end.character];

describe('labels and numeric labels', () => {
  test('labels map to their statement; numeric labels get unique names and keep the written one', () => {
    const p = parse('start:\n1:\tjmp 1f\n1:\tjmp 1b\n.Lx: ret\n');
    assert.deepEqual([...p.labels.keys()], ['start', '1#1', '1#2', '.Lx']);
    for (const [name, i] of p.labels) assert.equal(p.statements[i].name, name);
    assert.equal(p.statements[p.labels.get('1#2')!].written, '1');
    const [j1, j2] = p.statements.filter((s) => s.name === 'jmp');
    assert.deepEqual(j1.operands[0].kind === 'sym' && j1.operands[0].expr, { kind: 'sym', name: '1#2' });
    assert.deepEqual(j2.operands[0].kind === 'sym' && j2.operands[0].expr, { kind: 'sym', name: '1#2' });
    assert.equal(j1.operands[0].text, '1f');
  });
});

describe('operands', () => {
  // `text` is what the assembler reads (after cpp); `range` is where the user wrote it.
  test('exact ranges on the text the user wrote', () => {
    const p = parse('\tmovq\tRCX(%rsp), %rcx\n\tcall *sys_call_table(, %rax, 8)\n');
    const [mov, call] = p.statements;
    assert.deepEqual(rangeOf(mov.operands[0]), [0, 6, 0, 15]);
    assert.deepEqual(rangeOf(mov.operands[1]), [0, 17, 0, 21]);
    assert.deepEqual(mov.operands[0], {
      kind: 'mem', scale: 1, text: '88(%rsp)', range: mov.operands[0].range, disp: { kind: 'num', value: 88n }, dispValue: 88n, base: 'rsp',
    });
    assert.equal(call.operands[0].indirect, true);
    assert.deepEqual(rangeOf(call.operands[0]), [1, 6, 1, 32]);
  });

  test('an operand produced by a cpp macro covers the invocation', () => {
    const p = parse('\tmovq %rsp, PER_CPU_VAR(rsp_scratch)\n');
    const op = p.statements[0].operands[1];
    assert.deepEqual(rangeOf(op), [0, 12, 0, 36]);
    assert.equal(op.kind === 'mem' && op.seg, 'gs');
    assert.deepEqual(op.kind === 'mem' && op.disp, { kind: 'sym', name: 'rsp_scratch' });
  });

  test('immediates carry their value when constant, the expression always', () => {
    const p = parse('\tshl $(64 - (__VIRTUAL_MASK_SHIFT+1)), %rcx\n\tmovq $sym+8, %rax\n');
    const [a, b] = p.statements.map((s) => s.operands[0]);
    assert.equal(a.kind === 'imm' && a.value, 16n);
    assert.equal(b.kind === 'imm' && b.value, undefined);
    assert.deepEqual(b.kind === 'imm' && b.expr, { kind: 'binary', op: '+', left: { kind: 'sym', name: 'sym' }, right: { kind: 'num', value: 8n } });
  });

  test('prefixes, x87 and segment registers', () => {
    const p = parse('\tlock cmpxchgq %rcx, (%rdx)\n\tfld %st(1)\n\tmovw %gs, %ax\n');
    assert.deepEqual(p.statements[0].prefixes, ['lock']);
    assert.equal(p.statements[1].operands[0].kind === 'reg' && p.statements[1].operands[0].reg, 'st(1)');
    assert.equal(p.statements[2].operands[0].kind === 'reg' && p.statements[2].operands[0].reg, 'gs');
  });
});

describe('symbols, constants, expansions', () => {
  const text = [
    '#define MYCONST (3 << 4)', // 0
    '.macro MYMACRO a, b=2',     // 1
    '\taddq $\\a+\\b, %rax',     // 2
    '.endm',                     // 3
    '\t.set MYSET, MYCONST + 1', // 4
    'mylabel:',                  // 5
    '\tMYMACRO 1',               // 6
    '\tmovq RIP(%rsp), %rcx',    // 7
  ].join('\n');
  const p = parse(text);

  test('definition sites in the main file', () => {
    const find = (kind: string, name: string) => p.symbols.find((s) => s.kind === kind && s.name === name)!;
    assert.equal(find('define', 'MYCONST').loc.range.start.line, 0);
    assert.equal(find('define', 'MYCONST').value, 48n);
    assert.equal(find('define', 'MYCONST').detail, '#define MYCONST (3 << 4)');
    assert.equal(find('macro', 'MYMACRO').loc.range.start.line, 1);
    assert.equal(find('macro', 'MYMACRO').detail, '.macro MYMACRO a, b=2');
    assert.equal(find('constant', 'MYSET').value, 49n);
    assert.equal(find('constant', 'MYSET').loc.range.start.line, 4);
    assert.equal(find('label', 'mylabel').loc.range.start.line, 5);
    const rip = find('define', 'RIP');
    assert.equal(rip.builtin, true);
    assert.equal(rip.loc.file, PRELUDE_FILE);
  });

  test('labels made by ENTRY() or by a .macro are defined where the user wrote the invocation', () => {
    const q = parse('ENTRY(entry_x)\n.macro MK n\n\\n\\()_lbl:\n.endm\n\tMK foo\n');
    const entry = q.symbols.find((s) => s.kind === 'label' && s.name === 'entry_x')!;
    assert.deepEqual([entry.loc.file, entry.loc.range.start.line, entry.loc.range.start.character, entry.loc.range.end.character], [FILE, 0, 0, 14]);
    const made = q.symbols.find((s) => s.kind === 'label' && s.name === 'foo_lbl')!;
    assert.deepEqual([made.loc.file, made.loc.range.start.line], [FILE, 4]);
  });

  test('constants: the file\'s and the prelude\'s', () => {
    assert.equal(p.constants.get('MYSET'), 49n);
    assert.equal(p.constants.get('MYCONST'), 48n);
    assert.equal(p.constants.get('RIP'), 128n);
    assert.equal(p.constants.get('__USER_DS'), 0x2bn);
    assert.equal(p.constants.get('__KERNEL_CS'), 0x10n);
    assert.equal(p.constants.get('X86_EFLAGS_RF'), 0x10000n);
  });

  test('the expansion text of a macro invocation, for hovers', () => {
    const e = p.macroExpansions.filter((x) => x.loc.range.start.line === 6);
    assert.deepEqual(e.map((x) => [x.name, x.text]), [['MYMACRO', '\taddq $1+2, %rax']]);
    const c = p.macroExpansions.filter((x) => x.loc.range.start.line === 7);
    assert.deepEqual(c.map((x) => [x.name, x.text, x.loc.range.start.character, x.loc.range.end.character]), [['RIP', '128', 6, 9]]);
  });

  test('a statement from a macro is located at the invocation, its origin chain at the body', () => {
    const add = p.statements.find((s) => s.name === 'addq')!;
    assert.equal(add.loc.range.start.line, 6);
    assert.equal(add.origin.kind, 'macro');
    assert.equal(add.origin.name, 'MYMACRO');
    assert.equal(add.origin.loc.range.start.line, 2);
    assert.equal(add.origin.parent?.kind, 'source');
    assert.equal(add.origin.parent?.loc.range.start.line, 6);
  });
});

describe('options and the file reader', () => {
  test('-D values: NAME alone is 1, NAME=VALUE is VALUE, and they beat the prelude', () => {
    const p = parse('\tmovl $A, %eax\n\tmovl $B, %eax\n\tmovl $__USER_CS, %eax\n', none, { A: '', B: '0x20', __USER_CS: '7' });
    assert.deepEqual(p.statements.map((s) => s.operands[0].kind === 'imm' && s.operands[0].value), [1n, 32n, 7n]);
  });

  test('the kernel tree is found with FileReader.exists when the reader has it', () => {
    const asked: string[] = [];
    const files: FileReader = {
      read: (f) => (f === '/work/k/arch/x86/include/asm/thing.h' ? '#define THING 5\n' : f === '/work/k/.config' ? 'CONFIG_A=y\n# CONFIG_B is not set\n' : undefined),
      exists: (f) => {
        asked.push(f);
        return f === '/work/k/arch/x86/include';
      },
    };
    assert.equal(findKernelTree(FILE, files), '/work/k');
    const p = parseProgram(FILE, '#include <asm/thing.h>\n#ifdef CONFIG_A\n\tmovl $THING, %eax\n#endif\n#ifdef CONFIG_B\n\tud2\n#endif\n', {}, files);
    assert.equal(p.kernelTree, '/work/k');
    assert.deepEqual(p.statements.map((s) => s.text), ['movl $5, %eax']);
    assert.deepEqual(p.includes, ['/work/k/.config', '/work/k/arch/x86/include/asm/thing.h']);
    assert.ok(asked.includes('/work/k/arch/x86/entry/arch/x86/include'));
  });

  test('without a .config, the tree\'s include/generated/autoconf.h gives the CONFIG_ values', () => {
    const files: FileReader = {
      read: (f) => (f === '/work/k/include/generated/autoconf.h' ? '#define CONFIG_FROM_AUTOCONF 1\n' : undefined),
      exists: (f) => f === '/work/k/arch/x86/include',
    };
    const p = parseProgram(FILE, '#ifdef CONFIG_FROM_AUTOCONF\n\tnop\n#endif\n', {}, files);
    assert.deepEqual(p.statements.map((s) => s.name), ['nop']);
    assert.ok(p.includes.includes('/work/k/include/generated/autoconf.h'));
  });

  test('Program.configuration: the tree\'s .config, not assumed; its values exactly, -D and -U applied', () => {
    const files: FileReader = {
      read: (f) => (f === '/work/k/.config' ? 'CONFIG_A=y\nCONFIG_N=0x10\n# CONFIG_B is not set\nCONFIG_GONE=y\n' : undefined),
      exists: (f) => f === '/work/k/arch/x86/include',
    };
    const p = parseProgram(FILE, '\tnop\n', { defines: { CONFIG_D: '3' }, undefines: ['CONFIG_GONE'] }, files);
    assert.equal(p.configuration.assumed, false);
    assert.equal(p.configuration.source, '/work/k/.config');
    assert.equal(p.configuration.defines.CONFIG_A, '1');
    assert.equal(p.configuration.defines.CONFIG_N, '0x10');
    assert.equal(p.configuration.defines.CONFIG_D, '3');
    assert.equal(p.configuration.defines.CONFIG_GONE, undefined);
    assert.equal(p.configuration.defines.CONFIG_X86_64, undefined, 'no default options next to a real .config');
    assert.equal(p.configuration.defines.CONFIG_AS_CFI, '1', 'the build command line\'s assembler probes');
  });

  test('Program.configuration: a file alone assumes the built-in default configuration', () => {
    const p = parseProgram(FILE, '\tnop\n', { defines: { CONFIG_PARAVIRT: '' }, undefines: ['CONFIG_SMP'] }, none);
    assert.equal(p.configuration.assumed, true);
    assert.equal(p.configuration.source, undefined);
    for (const [k, v] of DEFAULT_CONFIG) if (k !== 'CONFIG_SMP') assert.equal(p.configuration.defines[k], v, k);
    assert.equal(p.configuration.defines.CONFIG_SMP, undefined);
    assert.equal(p.configuration.defines.CONFIG_PARAVIRT, '1');
  });

  test('findKernelTree: false keeps the tree out', () => {
    const files: FileReader = { read: () => '#define X 1\n', exists: () => true };
    const p = parseProgram(FILE, '\tnop\n', { findKernelTree: false }, files);
    assert.equal(p.kernelTree, undefined);
  });

  test('.config parsing', () => {
    const c = parseKernelConfig('CONFIG_Y=y\nCONFIG_M=m\nCONFIG_N=n\n# CONFIG_X is not set\nCONFIG_V=0x10\nCONFIG_S="str"\n');
    assert.deepEqual([...c], [['CONFIG_Y', '1'], ['CONFIG_M_MODULE', '1'], ['CONFIG_V', '0x10'], ['CONFIG_S', '"str"']]);
  });

  test('a FreeBSD tree is its sys/ directory: machine/ and x86/ read amd64/include and x86/include, $S the rest', () => {
    const tree: Record<string, string> = {
      '/src/sys/amd64/include/asmacros.h': '#define FROM_MACHINE 3\n',
      '/src/sys/sys/param.h': '#define FROM_SYS 4\n',
      '/src/sys/x86/include/psl.h': '#define FROM_X86 5\n',
    };
    const files: FileReader = { read: (f) => tree[f], exists: (f) => f in tree || Object.keys(tree).some((k) => k.startsWith(f + '/')) };
    const file = '/src/sys/amd64/amd64/exception.S';
    assert.equal(findKernelTree(file, files), '/src/sys');
    assert.equal(findKernelTree(file, { read: (f) => tree[f] }), '/src/sys');
    const p = parseProgram(file, '#include "assym.inc"\n#include <machine/asmacros.h>\n#include <x86/psl.h>\n#include <sys/param.h>\n'
      + '#include <amd64/amd64/apic_vector.S>\n\tmovl $FROM_MACHINE + FROM_SYS + FROM_X86, %eax\n\tmovq TF_RIP(%rsp), %rcx\n', {}, files);
    assert.equal(p.kernelTree, '/src/sys');
    assert.deepEqual(p.includes, ['/src/sys/amd64/include/asmacros.h', '/src/sys/x86/include/psl.h', '/src/sys/sys/param.h']);
    assert.deepEqual(p.statements.map((s) => s.text), ['movl $3 + 4 + 5, %eax', 'movq 0x98(%rsp), %rcx']);
    // genassym's output (the build's object directory) and the vector files of a tree not there: silent
    assert.deepEqual(p.missingIncludes.map((m) => [m.name, m.covered]), [['assym.inc', true], ['amd64/amd64/apic_vector.S', true]]);
    assert.deepEqual(p.diagnostics, []);
  });

  test('missing headers: covered ones are silent, others warn once at the #include', () => {
    const p = parse('#include <asm/calling.h>\n#include <linux/not_known.h>\n');
    assert.deepEqual(p.missingIncludes.map((m) => [m.name, m.covered, m.loc.range.start.line]), [['asm/calling.h', true, 0], ['linux/not_known.h', false, 1]]);
    assert.deepEqual(p.diagnostics.map((d) => [d.severity, d.loc.range.start.line]), [['warning', 1]]);
  });
});
