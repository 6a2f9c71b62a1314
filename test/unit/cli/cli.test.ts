// The command line: argument handling, exit codes and output formats (SPEC "Command line").
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { main, parseCheckArgs, UsageError, type CliIO } from '../../../server/src/cli';
import { fixture, repoRoot } from '../../support/paths';

function capture(cwd = repoRoot) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

describe('argument parsing', () => {
  test('defaults follow SPEC: both vendors, both widths, text', () => {
    const a = parseCheckArgs(['x.S'], '/w');
    assert.equal(a.options.vendor, 'both');
    assert.equal(a.options.vaBits, 'both');
    assert.equal(a.format, 'text');
    assert.deepEqual(a.files, ['x.S']);
  });

  test('-D, -I, --entry repeat; -D without a value is 1; -I resolves against cwd', () => {
    const a = parseCheckArgs(['-D', 'CONFIG_X86_5LEVEL', '-DFOO=0x10', '-I', 'inc', '-I/abs', '--entry', 'a', '--entry', 'b', 'f.S', 'g.S'], '/w');
    assert.deepEqual(a.options.defines, { CONFIG_X86_5LEVEL: '1', FOO: '0x10' });
    assert.deepEqual(a.options.includePaths, ['/w/inc', '/abs']);
    assert.deepEqual(a.options.entries, ['a', 'b']);
    assert.deepEqual(a.files, ['f.S', 'g.S']);
  });

  test('--vendor, --va-bits and --format take only their documented values', () => {
    assert.equal(parseCheckArgs(['--vendor', 'amd', 'f'], '/').options.vendor, 'amd');
    assert.equal(parseCheckArgs(['--va-bits', '57', 'f'], '/').options.vaBits, 57);
    assert.equal(parseCheckArgs(['--format', 'sarif', 'f'], '/').format, 'sarif');
    assert.throws(() => parseCheckArgs(['--vendor', 'via', 'f'], '/'), (e: unknown) => e instanceof UsageError && /--vendor must be intel, amd or both, not 'via'/.test(e.message));
    assert.throws(() => parseCheckArgs(['--va-bits', '52', 'f'], '/'), /--va-bits must be 48, 57 or both/);
    assert.throws(() => parseCheckArgs(['--format', 'xml', 'f'], '/'), /--format must be text, json or sarif/);
    assert.throws(() => parseCheckArgs(['-D', '1BAD', 'f'], '/'), /-D expects NAME or NAME=VALUE/);
    assert.throws(() => parseCheckArgs(['--bogus', 'f'], '/'), UsageError);
    assert.throws(() => parseCheckArgs([], '/'), /at least one FILE/);
  });
});

describe('exit codes and messages', () => {
  test('usage errors exit 2 with a one-line message and the usage', async () => {
    const c = capture();
    assert.equal(await main(['check', '--format', 'xml', 'x.S'], c.io), 2);
    assert.match(c.err().split('\n')[0], /^entry-review: --format must be text, json or sarif, not 'xml'$/);
    assert.equal(c.out(), '');
    const d = capture();
    assert.equal(await main(['frobnicate'], d.io), 2);
    assert.match(d.err(), /^entry-review: unknown command 'frobnicate'\n/);
    assert.equal(await main([], capture().io), 2);
  });

  test('an unreadable file exits 2 with one line naming it', async () => {
    const c = capture();
    assert.equal(await main(['check', 'no/such/file.S'], c.io), 2);
    assert.equal(c.err(), "entry-review: cannot read 'no/such/file.S': no such file\n");
    const d = capture();
    assert.equal(await main(['check', 'test'], d.io), 2);
    assert.equal(d.err(), "entry-review: cannot read 'test': is a directory\n");
  });

  test('a file that tests CONFIG_ options says which configuration was assumed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-cli-'));
    writeFileSync(path.join(dir, 'cfg.S'), '#ifdef CONFIG_PAGE_TABLE_ISOLATION\nfoo:\n\tret\n#endif\n');
    const c = capture(dir);
    assert.equal(await main(['check', 'cfg.S'], c.io), 0);
    assert.match(c.out(), /^cfg\.S: configuration assumed: built-in x86-64 defaults \(\d+ options; X86_64 SMP PAGE_TABLE_ISOLATION IA32_EMULATION RETPOLINE on; PARAVIRT X86_5LEVEL XEN_PV off\); change with -D\/-U, or analyse inside a kernel tree with its \.config$/m);
  });

  test('a clean file exits 0 (and says when it had no entry to walk, so no return was checked); a parse error exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-cli-'));
    writeFileSync(path.join(dir, 'ok.S'), 'foo:\n\tmovq %rax, %rbx\n\tret\n');
    const ok = capture(dir);
    assert.equal(await main(['check', 'ok.S'], ok.io), 0);
    assert.equal(
      ok.out(),
      "ok.S: no entry from user mode found (none of the built-in names, e.g. entry_SYSCALL_64, nor a project file's): no return was checked; name one with --entry LABEL[:KIND] or in .entry-review.json\n" +
        'ok.S: read 2 instructions, 1 label, 0 macro expansions, 0 ALTERNATIVE sites, 0 included files\n' +
        'ok.S: configuration: not used (the file tests no CONFIG_ option)\n' +
        'entry-review: 0 error(s), 0 warning(s), 0 note(s) in 1 file\n',
    );
    // an entry named that reaches no return to user mode says so too
    const named = capture(dir);
    assert.equal(await main(['check', 'ok.S', '--entry', 'foo:syscall'], named.io), 0);
    assert.ok(named.out().startsWith('ok.S: no return to user mode is reached from foo: no return was checked\n'), named.out());
    const bad = capture();
    assert.equal(await main(['check', path.relative(repoRoot, fixture('lsp', 'basic.S'))], bad.io), 1);
  });
});

describe('output formats', () => {
  const file = path.relative(repoRoot, fixture('lsp', 'basic.S'));

  test('text: a return that is ok says what it rests on, one assumption a line (the fast path: the CVE-2014-4699 fix)', async () => {
    const c = capture();
    assert.equal(await main(['check', 'samples/entry_64.S'], c.io), 0);
    const lines = c.out().split('\n');
    const at = lines.findIndex((l) => l.startsWith('samples/entry_64.S:268: SYSRET (entry_SYSCALL_64): ok'));
    assert.ok(at >= 0, c.out());
    assert.match(lines[at + 1], /^ {4}taken when: /);
    assert.equal(lines[at + 2], '    rests on:');
    assert.match(lines[at + 3], /^ {6}- sys_call_table\[\] entries: cannot rewrite pt_regs .*CVE-2014-4699 fix/);
    // the next return's header follows the last assumption
    assert.match(lines[at + 4], /^samples\/entry_64\.S:361: SYSRET/);
  });

  test('text: FILE:LINE:COL: error: MESSAGE [parse]', async () => {
    const c = capture();
    await main(['check', file], c.io);
    const lines = c.out().split('\n');
    assert.match(lines[0], /^test\/fixtures\/lsp\/basic\.S:14:\d+: error: .+ \[parse\]$/);
    assert.equal(lines.at(-2), 'entry-review: 1 error(s), 0 warning(s), 0 note(s) in 1 file');
  });

  test('json: SPEC shape with 1-based positions and stats', async () => {
    const c = capture();
    await main(['check', file, '--format', 'json'], c.io);
    const j = JSON.parse(c.out());
    assert.deepEqual(Object.keys(j), ['files', 'stats']);
    assert.equal(j.files.length, 1);
    assert.equal(j.files[0].file, file);
    const d = j.files[0].diagnostics;
    assert.equal(d.length, 1);
    assert.equal(d[0].code, 'parse');
    assert.equal(d[0].severity, 'error');
    assert.equal(d[0].line, 14);
    assert.equal(d[0].endLine, 14);
    assert.ok(d[0].column >= 1 && d[0].endColumn > d[0].column, JSON.stringify(d[0]));
    assert.equal(typeof d[0].message, 'string');
    assert.deepEqual(Object.keys(j.stats), ['paths', 'instructions', 'millis']);
    assert.equal(j.stats.instructions, 6, "movq cmpq jne jmp xorl (from CLEAR_REG) ret; the unreadable line is not an instruction");
  });

  test('sarif: one result per finding with rule, level and region', async () => {
    const c = capture();
    await main(['check', file, '--format', 'sarif'], c.io);
    const s = JSON.parse(c.out());
    assert.equal(s.version, '2.1.0');
    const r = s.runs[0].results;
    assert.equal(r.length, 1);
    assert.equal(r[0].ruleId, 'parse');
    assert.equal(r[0].level, 'error');
    assert.equal(r[0].locations[0].physicalLocation.region.startLine, 14);
    assert.match(r[0].locations[0].physicalLocation.artifactLocation.uri, /^file:\/\/\/.*test\/fixtures\/lsp\/basic\.S$/);
  });

  test('sarif: every rule described; a finding carries its path as a codeFlow and its witness and replay', async () => {
    const c = capture();
    const bug = path.relative(repoRoot, fixture('kernels', 'bugs', 'no-canonical-check.S'));
    assert.equal(await main(['check', bug, '--format', 'sarif'], c.io), 1);
    const s = JSON.parse(c.out());
    const rules = s.runs[0].tool.driver.rules;
    assert.ok(rules.length >= 15);
    const rule = rules.find((x: { id: string }) => x.id === 'sysret-noncanonical-rip');
    assert.match(rule.fullDescription.text, /^SYSRET reachable with a non-canonical RCX/);
    assert.match(rule.helpUri, /README\.md#sysret-noncanonical-rip$/);
    assert.match(rule.properties.history, /CVE-2012-0217/);
    // the catalogue's wrong and right way, as a dashboard shows a rule's help
    assert.match(rule.help.text, /^Wrong: movq RCX\(%rsp\), %rcx; .*\nRight: .*shl \$\(64 - \(__VIRTUAL_MASK_SHIFT\+1\)\), %rcx/);
    const r = s.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'sysret-noncanonical-rip');
    assert.equal(r.level, 'error');
    assert.equal(r.locations[0].physicalLocation.region.startLine, 211);
    const flow = r.codeFlows[0].threadFlows[0].locations;
    assert.equal(flow[0].location.physicalLocation.region.startLine, 60);
    assert.equal(flow.at(-1).location.physicalLocation.region.startLine, 211);
    assert.equal(r.properties.witness['ptregs.ip'], '0x0000800000000000');
    assert.deepEqual(r.properties.replay.slice(0, 2), ['--entry', 'entry_SYSCALL_64']);
  });
});
