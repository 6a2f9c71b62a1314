// The property-based fuzzing (test/support/fuzz.ts), CI-sized, with a fixed seed printed so a
// failure reproduces: `fc.assert(..., { seed, path })` from fast-check's report, or the long run
// `npm run fuzz -- --seed S`.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { analyzerProperty, bigDocument, FUZZ_SEED, FuzzServer, lspProperty, parserProperty, preprocessorProperty } from '../../support/fuzz';
import { repoRoot } from '../../support/paths';

console.log(`fuzz seed: 0x${FUZZ_SEED.toString(16)}`);
const opts = (numRuns: number) => ({ seed: FUZZ_SEED, numRuns, endOnFailure: true });

describe(`fuzz (fast-check, seed 0x${FUZZ_SEED.toString(16)})`, () => {
  test('preprocessor: macro bombs, include cycles, deep #if nesting', () => {
    fc.assert(preprocessorProperty, opts(80));
  });

  test('parser: token soups of instructions, operands, directives and bytes', () => {
    fc.assert(parserProperty, opts(250));
  });

  test('analyzer: random instruction mixes and branches in an entry, random project files', async () => {
    await fc.assert(analyzerProperty, opts(30));
  });

  describe('language server', () => {
    const server = new FuzzServer();
    before(() => server.start());
    after(async () => {
      assert.equal(await server.stop(), 0, 'the server exits 0 after all of it');
      assert.doesNotMatch(server.client.stderr, /Uncaught|Unhandled|TypeError|RangeError/);
    });

    test('random request sequences: invalid positions and ranges, edits during analysis, close mid-analysis', async () => {
      await fc.assert(lspProperty(server), opts(12));
      assert.ok(server.requests > 12);
    });

    test('a 100,000-line document: answered, edited and closed mid-analysis', async () => {
      const base = readFileSync(`${repoRoot}/samples/entry_64.S`, 'utf8');
      const r = await bigDocument(server, base);
      assert.equal(r.lines, 100000);
      console.log(`100,000-line document: instruction hover ${Math.round(r.hoverMs)} ms, directive hover ${Math.round(r.directiveHoverMs)} ms, symbols after an edit ${Math.round(r.symbolsMs)} ms`);
    });
  });
});
