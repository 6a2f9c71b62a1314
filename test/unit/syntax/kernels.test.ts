// Whole kernel-style files (test/fixtures/kernels, samples/entry_64.S and, when present, the
// small kernel tree in test/fixtures/kernel-tree) parse with no `parse` diagnostics, with and
// without their CONFIG_ options, and the parts the analysis relies on come out right.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseProgram, type ParseOptions, type Program } from '../../../server/src/syntax';
import { repoRoot } from '../../support/paths';
import { diskReader } from '../../support/files';

const root = repoRoot;

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) walk(p, out);
    else if (/\.S$/.test(name)) out.push(p);
  }
  return out;
}

function parse(file: string, options: ParseOptions = {}): Program {
  return parseProgram(file, fs.readFileSync(file, 'utf8'), { findKernelTree: false, ...options }, diskReader);
}

function diagText(p: Program): string[] {
  return p.diagnostics.map((d) => `${path.relative(root, d.loc.file)}:${d.loc.range.start.line + 1}:${d.loc.range.start.character + 1} ${d.severity} ${d.message}`);
}

/** Every CONFIG_ name the file mentions, defined as 1. */
function allConfigs(file: string): Record<string, string> {
  const names = new Set(fs.readFileSync(file, 'utf8').match(/CONFIG_[A-Z0-9_]+/g) ?? []);
  return Object.fromEntries([...names].map((n) => [n, '1']));
}

const files = [...walk(path.join(root, 'test/fixtures/kernels')), ...walk(path.join(root, 'samples'))];

describe('kernel-style files parse cleanly', () => {
  test('the kernel fixtures are there', () => {
    assert.ok(files.some((f) => f.endsWith('linux-2015-entry_64.S')));
  });
  for (const file of files) {
    const rel = path.relative(root, file);
    test(`${rel}: no parse diagnostics, default configuration`, () => {
      const p = parse(file);
      assert.deepEqual(diagText(p), []);
      assert.ok(p.statements.length > 20, 'statements');
      for (const s of p.statements) assert.equal(s.loc.file, file, `statement ${s.name} located outside the file`);
      const text = fs.readFileSync(file, 'utf8');
      if (/sysretq|USERGS_SYSRET64/.test(text)) assert.ok(p.statements.some((s) => s.kind === 'instruction' && s.name === 'sysretq'), 'a sysretq');
      if (/iretq|INTERRUPT_RETURN/.test(text)) assert.ok(p.statements.some((s) => s.kind === 'instruction' && s.name === 'iretq'), 'an iretq');
    });
    test(`${rel}: no parse diagnostics with every CONFIG_ option it tests defined`, () => {
      const p = parse(file, { defines: allConfigs(file) });
      // The 2015 file's width guard must fire with CONFIG_X86_5LEVEL (56 bits): that is its purpose.
      const expected = /ifne __VIRTUAL_MASK_SHIFT - 47/.test(fs.readFileSync(file, 'utf8')) && allConfigs(file).CONFIG_X86_5LEVEL
        ? ['virtual address width changed -- SYSRET checks need update'] : [];
      assert.deepEqual(p.diagnostics.map((d) => d.message), expected, diagText(p).join('\n'));
    });
  }
});

describe('what the analysis needs from the kernel fixtures', () => {
  const k = (name: string) => path.join(root, 'test/fixtures/kernels', name);

  test('2015: entry labels, the SYSCALL mask branch, the width guard, the exception table', () => {
    const file = k('linux-2015-entry_64.S');
    const p = parse(file);
    for (const l of ['entry_SYSCALL_64', 'entry_SYSCALL_64_fastpath', 'opportunistic_sysret_failed', 'irq_return', 'bad_iret']) {
      assert.ok(p.labels.has(l), l);
      assert.equal(p.statements[p.labels.get(l)!].name, l);
    }
    // `#if __SYSCALL_MASK == ~0` keeps the 64-bit compare.
    const cmp = p.statements.filter((s) => s.name === 'cmpq' && s.operands[0]?.kind === 'imm' && s.operands[0].value === 322n);
    assert.equal(cmp.length, 1);
    assert.ok(p.inactiveRanges.some((r) => r.start.line === 102), 'the #else branch of the mask test is inactive');
    // The canonical check shifts by 64 - 48 = 16.
    const shl = p.statements.find((s) => s.name === 'shl')!;
    assert.equal(shl.operands[0].kind === 'imm' && shl.operands[0].value, 16n);
    assert.deepEqual(p.exceptionTable.map((e) => `${e.from}->${e.to}`), ['irq_return->bad_iret']);
    // With 5-level paging the guard fires, on the .error line itself.
    const p56 = parse(file, { defines: { CONFIG_X86_5LEVEL: '' } });
    assert.deepEqual(p56.diagnostics.map((d) => [d.severity, d.loc.range.start.line + 1]), [['error', 185]]);
    // SYSRET with a pt_regs offset operand: RSP(%rsp) resolved to 152.
    const sysret = p.statements.findIndex((s) => s.name === 'sysretq');
    const before = p.statements[sysret - 2];
    assert.equal(before.name, 'movq');
    assert.deepEqual(before.operands[0].kind === 'mem' && [before.operands[0].dispValue, before.operands[0].base], [152n, 'rsp']);
  });

  test('2018: page-table isolation CR3 switches are ALTERNATIVE arms on X86_FEATURE_PTI', () => {
    const file = k('linux-2018-pti-entry_64.S');
    const p = parse(file);
    const pti = p.alternatives.filter((a) => a.arms.some((x) => x.feature === 'X86_FEATURE_PTI'));
    assert.ok(pti.length >= 3, `${pti.length} PTI alternatives`);
    assert.ok(p.statements.some((s) => s.name === 'mov' && s.operands[1]?.kind === 'reg' && s.operands[1].reg === 'cr3'), 'a write to %cr3');
    const la57 = parse(file, { defines: { CONFIG_X86_5LEVEL: '1' } });
    assert.ok(la57.alternatives.some((a) => a.arms.some((x) => x.feature === 'X86_FEATURE_LA57')), 'LA57 alternative');
    assert.ok(!p.alternatives.some((a) => a.arms.some((x) => x.feature === 'X86_FEATURE_LA57')), 'no LA57 alternative without CONFIG_X86_5LEVEL');
  });

  test('2025: the XENPV alternative after do_syscall_64 keeps both arms', () => {
    const p = parse(k('linux-2025-entry_64.S'));
    const xen = p.alternatives.find((a) => a.arms[1]?.feature === 'X86_FEATURE_XENPV' && /testb/.test(a.arms[0].text));
    assert.ok(xen, 'the testb/jz alternative');
    const arm0 = p.statements.filter((s) => s.alternative?.group === xen.group && s.alternative.arm === 0).map((s) => s.name);
    const arm1 = p.statements.filter((s) => s.alternative?.group === xen.group && s.alternative.arm === 1).map((s) => s.name);
    assert.deepEqual(arm0, ['testb', 'jz']);
    assert.deepEqual(arm1, ['jmp']);
    assert.ok(p.labels.has('entry_SYSRETQ_unsafe_stack'));
  });

  test('FreeBSD: assym.inc offsets and IDTVEC labels', () => {
    const p = parse(k('freebsd-exception.S'));
    assert.equal(p.constants.get('TF_RIP'), 0x98n);
    assert.equal(p.constants.get('PCB_FULL_IRET'), 1n);
    assert.ok(p.includes.some((f) => f.endsWith('assym.inc')));
    for (const l of ['Xfast_syscall', 'doreti_iret', 'Xdiv', 'div_frame']) assert.ok(p.labels.has(l), l);
  });
});

describe('the team kernel tree (when present)', () => {
  const treeFiles = walk(path.join(root, 'test/fixtures/kernel-tree')).filter((f) => !f.includes(`${path.sep}include${path.sep}`));
  test('kernel-tree files parse with the tree found from their location', { skip: treeFiles.length === 0 ? 'test/fixtures/kernel-tree has no .S files yet' : false }, () => {
    for (const file of treeFiles) {
      const p = parse(file, { findKernelTree: true });
      assert.deepEqual(diagText(p), [], path.relative(root, file));
      assert.ok(p.kernelTree, `kernel tree found for ${file}`);
      assert.ok(p.includes.length > 0, `headers read for ${file}`);
      // The tree's own definitions are used, and its .config is read.
      const fromTree = (kind: string, name: string) => p.symbols.some((s) => s.kind === kind && s.name === name && !s.builtin && s.loc.file.startsWith(p.kernelTree!));
      assert.ok(fromTree('define', '__USER_CS'), '__USER_CS from the tree');
      assert.ok(p.symbols.some((s) => s.kind === 'define' && s.loc.file.endsWith('.config')), 'a CONFIG_ value from .config');
      assert.deepEqual(p.missingIncludes.filter((m) => !m.covered), []);
    }
  });
});

describe('a pre-4.17 Xen tree (headers in include/asm-x86, no asm link)', () => {
  test('found from the file, <asm/X> read from include/asm-x86, the mach-default directory searched', () => {
    const tree = path.join(root, 'test/fixtures/syntax/xen-old-tree/xen');
    const file = path.join(tree, 'arch/x86/x86_64/old_entry.S');
    const p = parse(file, { findKernelTree: true });
    assert.deepEqual(diagText(p), []);
    assert.equal(p.kernelTree, tree);
    assert.deepEqual(p.missingIncludes.map((m) => m.name), []);
    const rel = p.includes.map((f) => path.relative(tree, f)).sort();
    assert.deepEqual(rel, ['include/asm-x86/asm_defns.h', 'include/asm-x86/config.h', 'include/asm-x86/mach-default/irq_vectors.h', 'include/public/xen.h', 'include/xen/config.h']);
    const ins = p.statements.filter((s) => s.kind === 'instruction');
    assert.deepEqual(ins.map((s) => s.name), ['pushq', 'pushq', 'movq', 'cmpq', 'movl', 'movq', 'popq', 'popq', 'ret']);
    const imm = (i: number, k: number) => { const o = ins[i].operands[k]; return o.kind === 'imm' ? o.value : o.kind === 'mem' ? o.dispValue : undefined; };
    assert.equal(imm(2, 0), 0x50n);
    assert.equal(imm(3, 0), 40n);
    assert.equal(imm(4, 0), 0x82n);
    assert.equal(imm(5, 0), 32768n);
  });
});
