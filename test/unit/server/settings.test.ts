// Editor settings map onto the same options as the command-line flags.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { settingsToOptions, uriToPath } from '../../../server/src/server';

describe('server settings', () => {
  test('entryReview.* settings become analysis options', () => {
    const o = settingsToOptions({ vendor: 'intel', vaBits: '57', defines: ['CONFIG_X86_5LEVEL', 'NR=4', ' 9bad '], includePaths: ['inc', '/abs'] }, ['/ws']);
    assert.equal(o.vendor, 'intel');
    assert.equal(o.vaBits, 57);
    assert.deepEqual(o.defines, { CONFIG_X86_5LEVEL: '1', NR: '4' });
    assert.deepEqual(o.includePaths, ['/ws/inc', '/abs']);
  });

  test('undefines and entries; an untrusted workspace reads no project file and no include path outside it', () => {
    const s = { undefines: ['CONFIG_PAGE_TABLE_ISOLATION', 'not valid!'], entries: [' nmi ', ''], includePaths: ['inc', '/abs', '/ws/sub'] };
    const trusted = settingsToOptions(s, ['/ws']);
    assert.deepEqual([trusted.undefines, trusted.entries, trusted.includePaths, trusted.projectFile], [['CONFIG_PAGE_TABLE_ISOLATION'], ['nmi'], ['/ws/inc', '/abs', '/ws/sub'], undefined]);
    const untrusted = settingsToOptions(s, ['/ws'], true);
    assert.deepEqual([untrusted.includePaths, untrusted.projectFile], [['/ws/inc', '/ws/sub'], '']);
  });

  test('missing or invalid settings fall back to the defaults', () => {
    const o = settingsToOptions({ vendor: 'cyrix', vaBits: 52 }, []);
    assert.equal(o.vendor, 'both');
    assert.equal(o.vaBits, 'both');
    assert.deepEqual(settingsToOptions(undefined, []).defines, {});
  });

  test('document URIs map to file-system paths', () => {
    assert.equal(uriToPath('file:///home/k/arch/x86/entry/entry_64.S'), '/home/k/arch/x86/entry/entry_64.S');
    assert.equal(uriToPath('file:///tmp/with%20space.S'), '/tmp/with space.S');
    assert.equal(uriToPath('untitled:Untitled-1'), '/Untitled-1');
  });
});
