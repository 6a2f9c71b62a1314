// The preamble cache (syntax/parse.ts): a re-parse whose #includes, include paths and headers are
// the same starts from the state the last parse reached after them. What it gives must be what a
// parse from nothing gives, byte for byte, and a changed header or preamble must be read again.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { clearPreambleCache, parseProgram, preambleCacheStats } from '../../../server/src/syntax/parse';
import type { Program } from '../../../server/src/syntax';
import { diskReader, programJson, scratchKernelTree } from '../../support/files';
import { fixture, repoRoot } from '../../support/paths';

const TREE_ENTRY = fixture('kernel-tree', 'arch', 'x86', 'entry', 'entry_64.S');

/**
 * Parses `text` twice (the first keeps its preamble), then once from nothing; the kept parse and
 * the cold one. Not incremental: a parse that starts from a later checkpoint (incremental.ts,
 * tested in incremental.test.ts) does not ask for the preamble.
 */
function warmAndCold(file: string, first: string, second: string): { warm: Program; cold: Program; hit: boolean } {
  clearPreambleCache();
  parseProgram(file, first, { incremental: false }, diskReader);
  const before = preambleCacheStats().hits;
  const warm = parseProgram(file, second, { incremental: false }, diskReader);
  const hit = preambleCacheStats().hits === before + 1;
  clearPreambleCache();
  const cold = parseProgram(file, second, {}, diskReader);
  return { warm, cold, hit };
}

describe('preamble cache', () => {
  const files = [TREE_ENTRY, path.join(repoRoot, 'samples', 'entry_64.S')];
  for (const dir of [fixture('kernels'), fixture('kernels', 'bugs')]) {
    for (const n of readdirSync(dir).sort()) if (n.endsWith('.S') && statSync(path.join(dir, n)).isFile()) files.push(path.join(dir, n));
  }

  test('an edit below the #includes: started from the kept state, the same program as a parse from nothing', () => {
    let hits = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const edited = `${text}\n/* a comment typed at the end */\n\tnop\n`;
      const { warm, cold, hit } = warmAndCold(f, text, edited);
      if (hit) hits++;
      assert.equal(programJson(warm), programJson(cold), path.relative(repoRoot, f));
    }
    // the tree's entry file, the sample and most fixtures start with their #includes
    assert.ok(hits >= files.length - 3, `${hits} of ${files.length} started from a kept preamble`);
  });

  test('the kernel tree: an edit inside the preamble reads it again; one below keeps it, with the headers\' macros and includes', () => {
    const text = readFileSync(TREE_ENTRY, 'utf8');
    const { warm, hit } = warmAndCold(TREE_ENTRY, text, text.replace('\n', '\n/* edited */'));
    // the first line is a comment inside the preamble: a different preamble, read again
    assert.equal(hit, false);
    const again = warmAndCold(TREE_ENTRY, text, `${text}\n`);
    assert.equal(again.hit, true);
    assert.equal(again.warm.constants.get('__USER_CS'), 0x33n);
    assert.ok(again.warm.includes.some((f) => f.endsWith(path.join('asm', 'segment.h'))));
    assert.equal(warm.constants.get('__USER_CS'), 0x33n);
  });

  test('a macro the body redefines: the headers\' macros that read it get their new value, the rest keep theirs', () => {
    const text = readFileSync(TREE_ENTRY, 'utf8');
    const lines = text.split('\n');
    const code = lines.findIndex((l) => /^\s*\.(code64|text|section)/.test(l));
    assert.ok(code > 0);
    // below the preamble: GDT_ENTRY_DEFAULT_USER_CS (read by __USER_CS) becomes 7
    lines.splice(code + 1, 0, '#undef GDT_ENTRY_DEFAULT_USER_CS', '#define GDT_ENTRY_DEFAULT_USER_CS 7');
    const redefined = lines.join('\n');
    const { warm, cold, hit } = warmAndCold(TREE_ENTRY, text, redefined);
    assert.equal(hit, true);
    assert.equal(warm.constants.get('__USER_CS'), 7n * 8n + 3n);
    assert.equal(warm.constants.get('__USER_DS'), 0x2bn);
    assert.equal(programJson(warm), programJson(cold));
    // and back: the kept values were not overwritten by that parse
    const back = parseProgram(TREE_ENTRY, `${text}\n`, {}, diskReader);
    assert.equal(back.constants.get('__USER_CS'), 0x33n);
  });

  describe('a header changed between two parses is read again', () => {
    const { dir: tmp, entry, header } = scratchKernelTree('er-preamble-');
    const text = readFileSync(entry, 'utf8');

    test('a selector redefined in segment.h: the new value, not the kept one', () => {
      clearPreambleCache();
      assert.equal(parseProgram(entry, text, {}, diskReader).constants.get('__USER_CS'), 0x33n);
      const was = readFileSync(header, 'utf8');
      writeFileSync(header, was.replace(/#define GDT_ENTRY_DEFAULT_USER_CS\s+6/, '#define GDT_ENTRY_DEFAULT_USER_CS\t7'));
      const before = preambleCacheStats();
      const p = parseProgram(entry, `${text}\n`, {}, diskReader);
      assert.equal(p.constants.get('__USER_CS'), 7n * 8n + 3n);
      assert.equal(preambleCacheStats().hits, before.hits);
      writeFileSync(header, was);
    });

    test('an include path added on the command line: a different key, read again', () => {
      clearPreambleCache();
      parseProgram(entry, text, {}, diskReader);
      const before = preambleCacheStats();
      parseProgram(entry, `${text}\n`, { includePaths: [tmp] }, diskReader);
      assert.equal(preambleCacheStats().hits, before.hits);
    });
  });
});
