// Differential test against the real toolchain: each kernel fixture is assembled with
// `gcc -x assembler-with-cpp` (GNU as) using the prelude as a forced include, and the instruction
// sequence objdump reads back must equal the parser's (arm 0 of every ALTERNATIVE, section by
// section). This checks the fixtures are valid GNU as, that the prelude's macros are, and that
// the parser expands cpp, .macro, .irp/.rept and .if exactly as the assembler does.
// Skipped when gcc or objdump is not installed.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseProgram, type Statement } from '../../../server/src/syntax';
import { builtinHeader, PRELUDE_TEXT } from '../../../server/src/syntax/prelude';
import { BUILD_DEFINES, DEFAULT_CONFIG } from '../../../server/src/syntax/config';
import { repoRoot } from '../../support/paths';
import { diskReader } from '../../support/files';

const root = repoRoot;

const have = (cmd: string) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
const toolchain = have('gcc') && have('objdump');

// GNU as stand-ins for the model's builtin macros: the original code (arm 0) in line.
const BUILTINS_AS_GAS = String.raw`
.macro ALTERNATIVE oldinstr, newinstr, feature
	\oldinstr
.endm
.macro ALTERNATIVE_2 oldinstr, newinstr1, feature1, newinstr2, feature2
	\oldinstr
.endm
.macro ALTERNATIVE_3 oldinstr, newinstr1, feature1, newinstr2, feature2, newinstr3, feature3
	\oldinstr
.endm
.macro ALTERNATIVE_TERNARY oldinstr, feature, newinstr_yes, newinstr_no
	\newinstr_no
.endm
.macro STATIC_JUMP_IF_TRUE target, key, def
	.if \def
	jmp \target
	.endif
.endm
.macro STATIC_JUMP_IF_FALSE target, key, def
	.if \def == 0
	jmp \target
	.endif
.endm
.macro ER_EXTABLE from, to, kind
.endm
.macro ER_GET_THREAD_INFO reg
	movq %gs:cpu_current_top_of_stack, \reg
	subq $(THREAD_SIZE), \reg
.endm
.macro ER_NOSPEC op, reg
	\op *%\reg
.endm
`;

const ALIAS: Record<string, string> = {
  jnz: 'jne', jz: 'je', jnae: 'jb', jc: 'jb', jnc: 'jae', jnb: 'jae', jna: 'jbe', jnbe: 'ja', jnge: 'jl', jnl: 'jge',
  jng: 'jle', jnle: 'jg', jmpq: 'jmp', callq: 'call', retq: 'ret', cmovz: 'cmove', cmovnz: 'cmovne', setz: 'sete', setnz: 'setne',
  cmovnb: 'cmovae', cmovnae: 'cmovb', movabs: 'mov', movabsq: 'mov', orb: 'or', orw: 'or', orl: 'or', orq: 'or',
};
/** One spelling per instruction: aliases merged, operand-size suffixes dropped. */
function norm(m: string): string {
  m = m.toLowerCase();
  if (ALIAS[m]) return ALIAS[m];
  if (m.startsWith('cmov')) {
    m = m.replace(/[wlq]$/, '');
    return ALIAS[m] ?? m;
  }
  if (/^(j|set|loop|call)/.test(m)) return m;
  if (m.length > 3 && /[bwlq]$/.test(m) && !/^(cltq|cqto|cwtl|cltd|sysretl)$/.test(m)) m = m.slice(0, -1);
  return m === 'sal' ? 'shl' : m;
}
const PREFIXES = new Set(['lock', 'rep', 'repz', 'repnz', 'data16', 'cs', 'ds', 'notrack', 'bnd', 'rex.W']);
const isPadding = (m: string) => /^(nop|xchg|\(bad\))/.test(m);

interface Insn {
  m: string;
  ops: string;
}

function gasSequence(file: string, dir: string): Insn[] {
  const obj = path.join(dir, 'out.o');
  // The same configuration the parser assumes for a file alone (config.ts), on gcc's command line.
  const config = [...BUILD_DEFINES, ...DEFAULT_CONFIG].map(([k, v]) => `-D${k}=${v}`);
  // The parser reads a prelude macro's body through cpp again where it is invoked (it stands in for
  // a header the file includes after its first ones); a FreeBSD file's first include is assym.inc,
  // so GNU as reads the prelude after the stand-in for it, as a build reads asmacros.h after it.
  const first = /^#include\s+"assym\.(inc|s)"/m.exec(fs.readFileSync(file, 'utf8'));
  const early = first && !fs.existsSync(path.join(path.dirname(file), `assym.${first[1]}`)) ? ['-include', path.join(dir, 'inc', `assym.${first[1]}`)] : [];
  const cc = spawnSync('gcc', ['-c', '-x', 'assembler-with-cpp', '-D__ASSEMBLY__', '-D__KERNEL__', ...config, '-w', `-I${path.join(dir, 'inc')}`,
    `-I${path.dirname(file)}`, ...early, '-include', path.join(dir, 'prelude.h'), file, '-o', obj], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `gcc failed on ${file}:\n${cc.stderr}`);
  const dis = spawnSync('objdump', ['-d', '--no-show-raw-insn', '-M', 'suffix', obj], { encoding: 'utf8' }).stdout;
  const bySection = new Map<string, Insn[]>();
  let sec = '';
  for (const line of dis.split('\n')) {
    const h = /^Disassembly of section (\S+):/.exec(line);
    if (h) {
      sec = h[1];
      continue;
    }
    if (!/^\s+[0-9a-f]+:\t/.test(line)) continue;
    let words = line.split('\t')[1].trim().split(/\s+/);
    while (words.length && PREFIXES.has(words[0])) words = words.slice(1);
    if (!words[0] || isPadding(words[0])) continue;
    if (!bySection.has(sec)) bySection.set(sec, []);
    bySection.get(sec)!.push({ m: norm(words[0]), ops: words.slice(1).join(' ') });
  }
  return [...bySection.keys()].sort().flatMap((k) => bySection.get(k)!);
}

function parserSequence(file: string): Statement[] {
  const p = parseProgram(file, fs.readFileSync(file, 'utf8'), { findKernelTree: false }, diskReader);
  assert.deepEqual(p.diagnostics.map((d) => d.message), []);
  const bySection = new Map<string, Statement[]>();
  for (const s of p.statements) {
    if (s.kind !== 'instruction' || (s.alternative && s.alternative.arm !== 0) || isPadding(s.name)) continue;
    // `.text 1` / `.subsection 1`: GNU as places subsection N after subsection N-1 of the section.
    const [name, sub] = (s.section ?? '.text').split(',')[0].trim().split(/\s+/);
    const sec = `${name}\u0000${(sub ?? '0').padStart(6, '0')}`;
    if (!bySection.has(sec)) bySection.set(sec, []);
    bySection.get(sec)!.push(s);
  }
  return [...bySection.keys()].sort().flatMap((k) => bySection.get(k)!);
}

describe('the parser reads kernel files as gcc + GNU as do', { skip: toolchain ? false : 'gcc/objdump not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-review-gas-'));
  // The prelude as a forced include; every header the fixtures name exists (empty, or the
  // prelude's stand-in text for a header that produces code where it is included).
  fs.writeFileSync(path.join(dir, 'prelude.h'), PRELUDE_TEXT.replace(/^\.macro ER_TRACE_IRQS_IRETQ/m, BUILTINS_AS_GAS + '\n.macro ER_TRACE_IRQS_IRETQ'));
  const files = [
    ...fs.readdirSync(path.join(root, 'test/fixtures/kernels')).filter((f) => f.endsWith('.S')).map((f) => path.join(root, 'test/fixtures/kernels', f)),
    ...fs.readdirSync(path.join(root, 'test/fixtures/kernels/bugs')).filter((f) => f.endsWith('.S')).map((f) => path.join(root, 'test/fixtures/kernels/bugs', f)),
    ...(fs.existsSync(path.join(root, 'samples/entry_64.S')) ? [path.join(root, 'samples/entry_64.S')] : []),
    // The syntax fixtures that have no diagnostics and need no -D or include paths.
    ...['att-operands.S', 'labels.S', 'gas-repeat.S', 'prelude-macros.S', 'seed-width-ok.S', 'prelude-legacy.S',
      'gas-register-args.S', 'kconfig.S', 'cpp-stringify-gas.S', 'cpp-variadic-paste.S', 'prelude-freebsd.S',
      'gas-location-counter.S', 'prelude-xen.S', 'prelude-freebsd-pti.S', 'gas-subsection.S',
      'prelude-modern.S', 'prelude-xen-spec-ctrl.S', 'prelude-xen-idt.S', 'prelude-freebsd-intr.S']
      .map((f) => path.join(root, 'test/fixtures/syntax', f)),
  ];
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of files) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/^#include\s+[<"]([^>"]+)[>"]/gm)) {
      const h = path.join(dir, 'inc', m[1]);
      if (!fs.existsSync(path.join(path.dirname(f), m[1]))) {
        fs.mkdirSync(path.dirname(h), { recursive: true });
        fs.writeFileSync(h, builtinHeader(m[1]) ?? '');
      }
    }
  }
  for (const file of files) {
    test(path.relative(root, file), () => {
      const gas = gasSequence(file, dir);
      const mine = parserSequence(file);
      assert.ok(gas.length > 0);
      assert.deepEqual(mine.map((s) => norm(s.name)), gas.map((g) => g.m));
      // Constant displacements of register-based memory operands and immediates agree too.
      let checked = 0;
      mine.forEach((s, i) => {
        const gasOps = gas[i].ops.split(/,(?![^(]*\))/).map((x) => x.trim());
        s.operands.forEach((o, k) => {
          const g = gasOps[k];
          if (!g) return;
          if (o.kind === 'mem' && o.base && !o.seg && o.dispValue !== undefined) {
            const m = /^(-?)(0x[0-9a-f]+)?\(/.exec(g);
            if (!m) return;
            const v = m[2] ? (m[1] ? -BigInt(m[2]) : BigInt(m[2])) : 0n;
            assert.equal(o.dispValue, v, `${s.text} (gas: ${gas[i].ops})`);
            checked++;
          } else if (o.kind === 'imm' && o.value !== undefined) {
            const m = /^\$(0x[0-9a-f]+)$/.exec(g);
            if (!m) return;
            const gv = BigInt(m[1]);
            const same = [8n, 16n, 32n, 64n].some((w) => ((o.value! - gv) & ((1n << w) - 1n)) === 0n && gv < (1n << w));
            assert.ok(same, `${s.text}: immediate ${o.value} (gas: ${gas[i].ops})`);
            checked++;
          }
        });
      });
      if (file.includes(`${path.sep}kernels${path.sep}`)) assert.ok(checked > 10, `only ${checked} operand values compared`);
    });
  }
});

describe('macro arguments split as GNU as splits them', { skip: toolchain && have('as') && have('objcopy') ? false : 'binutils not installed' }, () => {
  test('gas-macro-args.S: the .ascii bytes equal what GNU as assembles', () => {
    const file = path.join(root, 'test/fixtures/syntax/gas-macro-args.S');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-review-args-'));
    try {
      const obj = path.join(dir, 'a.o');
      const bin = path.join(dir, 'a.bin');
      const as = spawnSync('as', ['--64', file, '-o', obj], { encoding: 'utf8' });
      assert.equal(as.status, 0, as.stderr);
      assert.equal(spawnSync('objcopy', ['-O', 'binary', '-j', '.text', obj, bin]).status, 0);
      const gas = fs.readFileSync(bin, 'latin1');
      const p = parseProgram(file, fs.readFileSync(file, 'utf8'), { findKernelTree: false, preprocess: false }, { read: () => undefined });
      const mine = p.statements.map((s) => (s.name === '.ascii' && s.operands[0].kind === 'sym' ? s.operands[0].string ?? '' : '')).join('');
      assert.equal(mine, gas);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the C preprocessor agrees with gcc -E', { skip: toolchain ? false : 'gcc not installed' }, () => {
  /** Statements of cpp output, blanks removed, without the prelude's .macro blocks. */
  function gccStatements(file: string, defines: string[], prelude: string): string[] {
    const r = spawnSync('gcc', ['-E', '-P', '-x', 'assembler-with-cpp', '-D__ASSEMBLY__', ...defines, '-include', prelude, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out: string[] = [];
    let inMacro = false;
    for (const line of r.stdout.split('\n')) {
      const t = line.trim();
      if (/^\.macro\b/.test(t)) inMacro = true;
      if (inMacro) {
        if (/^\.endm\b/.test(t)) inMacro = false;
        continue;
      }
      for (const part of t.split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
        const s = part.replace(/\s+/g, '');
        if (s) out.push(s);
      }
    }
    return out;
  }
  for (const [name, defines] of [['cpp-if.S', { CONFIG_FROM_OPTIONS: '4' }], ['cpp-tricky.S', {}], ['kconfig.S', { CONFIG_AS_MODULE_MODULE: '1' }], ['cpp-variadic-paste.S', {}]] as const) {
    test(name, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-review-cpp-'));
      try {
        const prelude = path.join(dir, 'prelude.h');
        fs.writeFileSync(prelude, PRELUDE_TEXT);
        const file = path.join(root, 'test/fixtures/syntax', name);
        const config = [...BUILD_DEFINES, ...DEFAULT_CONFIG].map(([k, v]) => `-D${k}=${v}`);
        const gcc = gccStatements(file, [...config, ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`)], prelude);
        const p = parseProgram(file, fs.readFileSync(file, 'utf8'), { findKernelTree: false, defines }, { read: () => undefined });
        assert.deepEqual(p.statements.map((s) => (s.text ?? '').replace(/\s+/g, '')), gcc);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('the team kernel tree with its real headers', { skip: toolchain && fs.existsSync(path.join(root, 'test/fixtures/kernel-tree/arch/x86/entry/entry_64.S')) ? false : 'gcc or the kernel tree missing' }, () => {
  test('kernel-tree entry_64.S: .entry.text as gcc builds it with the tree\'s headers and .config', () => {
    const tree = path.join(root, 'test/fixtures/kernel-tree');
    const file = path.join(tree, 'arch/x86/entry/entry_64.S');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-review-tree-'));
    try {
      const obj = path.join(dir, 'tree.o');
      const inc = ['arch/x86/include', 'arch/x86/include/generated', 'include', 'arch/x86/include/uapi', 'arch/x86/include/generated/uapi', 'include/uapi']
        .map((d) => `-I${path.join(tree, d)}`);
      const autoconf = path.join(tree, 'include/generated/autoconf.h');
      const cc = spawnSync('gcc', ['-c', '-x', 'assembler-with-cpp', '-D__ASSEMBLY__', '-D__KERNEL__', '-w',
        ...(fs.existsSync(autoconf) ? ['-include', autoconf] : []), ...inc, file, '-o', obj], { encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
      const dis = spawnSync('objdump', ['-d', '--no-show-raw-insn', '-M', 'suffix', '-j', '.entry.text', obj], { encoding: 'utf8' }).stdout;
      const gas = dis.split('\n').filter((l) => /^\s+[0-9a-f]+:\t/.test(l)).map((l) => l.split('\t')[1].trim().split(/\s+/)[0])
        .filter((m) => !isPadding(m)).map(norm);
      const p = parseProgram(file, fs.readFileSync(file, 'utf8'), {}, diskReader);
      assert.deepEqual(p.diagnostics.map((d) => d.message), []);
      const mine = p.statements.filter((s) => s.kind === 'instruction' && (!s.alternative || s.alternative.arm === 0) && !isPadding(s.name) && (s.section ?? '').startsWith('.entry.text'))
        .map((s) => norm(s.name));
      assert.ok(gas.length > 50);
      assert.deepEqual(mine, gas);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a FreeBSD tree as its build reads it', { skip: toolchain ? false : 'gcc/objdump not installed' }, () => {
  test('freebsd-tree.S: every instruction, displacement and immediate as gcc assembles it with -I. -I$S', () => {
    const sys = path.join(root, 'test/fixtures/syntax/freebsd-tree/sys');
    const file = path.join(sys, 'amd64/amd64/freebsd-tree.S');
    const text = fs.readFileSync(path.join(root, 'test/fixtures/syntax/freebsd-tree.S'), 'utf8');
    // kern.pre.mk's object directory: machine and x86 link into $S, genassym's assym.inc (the
    // prelude's stand-in), an empty config(8) option header
    const obj = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-review-fbsd-'));
    try {
      fs.symlinkSync(path.join(sys, 'amd64/include'), path.join(obj, 'machine'));
      fs.symlinkSync(path.join(sys, 'x86/include'), path.join(obj, 'x86'));
      fs.writeFileSync(path.join(obj, 'assym.inc'), builtinHeader('assym.inc')!);
      fs.writeFileSync(path.join(obj, 'opt_hwpmc_hooks.h'), '');
      const src = path.join(obj, 'freebsd-tree.S');
      fs.writeFileSync(src, text);
      const o = path.join(obj, 'out.o');
      const cc = spawnSync('gcc', ['-c', '-x', 'assembler-with-cpp', '-DLOCORE', '-D_KERNEL', '-w', `-I${obj}`, `-I${sys}`, src, '-o', o], { encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
      const dis = spawnSync('objdump', ['-d', '--no-show-raw-insn', '-M', 'suffix', o], { encoding: 'utf8' }).stdout;
      const gas = dis.split('\n').filter((l) => /^\s+[0-9a-f]+:\t/.test(l)).map((l) => l.split('\t')[1].trim().split(/\s+/))
        .filter((w) => !isPadding(w[0])).map((w) => ({ m: norm(w[0]), ops: w.slice(1).join(' ') }));
      const p = parseProgram(file, text, {}, diskReader);
      assert.deepEqual(p.diagnostics.map((d) => d.message), []);
      assert.equal(p.kernelTree, sys);
      const mine = p.statements.filter((s) => s.kind === 'instruction');
      assert.deepEqual(mine.map((s) => norm(s.name)), gas.map((g) => g.m));
      let checked = 0;
      mine.forEach((s, i) => {
        const g = gas[i].ops.split(/,(?![^(]*\))/).map((x) => x.trim());
        s.operands.forEach((op, k) => {
          if (op.kind === 'mem' && op.base && op.dispValue !== undefined) {
            assert.equal(g[k], `0x${op.dispValue.toString(16)}(%${op.base})`, s.text);
            checked++;
          } else if (op.kind === 'imm' && op.value !== undefined) {
            assert.equal(BigInt(g[k].slice(1)) & 0xffffffffn, op.value & 0xffffffffn, s.text);
            checked++;
          }
        });
      });
      assert.ok(checked >= 8, `only ${checked} operand values compared`);
    } finally {
      fs.rmSync(obj, { recursive: true, force: true });
    }
  });
});
