// The editor's schema for .entry-review.json (schemas/entry-review.schema.json, contributed to
// VS Code's JSON support by package.json) says what the reader reads: the same keys at every
// level, the same kinds, codes and return kinds, so that completion offers exactly what works and
// validation flags exactly what the reader reports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ACCEPTABLE, IFS, KINDS, PROJECT_KEYS, RETURN_KINDS } from '../../../server/src/analysis/project';
import { repoRoot } from '../../support/paths';

type Node = { properties?: Record<string, Node>; items?: Node; oneOf?: Node[]; additionalProperties?: Node | boolean; enum?: string[]; $ref?: string };
const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'entry-review.schema.json'), 'utf8')) as Node & { definitions: Record<string, Node> };
const deref = (n: Node): Node => (n.$ref ? schema.definitions[n.$ref.replace('#/definitions/', '')] : n);
const keys = (n: Node | undefined): string[] => Object.keys(deref(n!).properties ?? {}).filter((k) => k !== '$schema').sort();
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const P = schema.properties!;

test('the schema has the keys the reader knows, level by level, and nothing else is allowed', () => {
  assert.deepEqual(keys(schema), sorted(PROJECT_KEYS.top));
  const entry = P.entries.items!;
  assert.deepEqual(keys(entry), sorted(PROJECT_KEYS.entry));
  assert.deepEqual(keys(entry.properties!.frame), sorted(PROJECT_KEYS.frame));
  assert.deepEqual(keys(entry.properties!.frame.properties!.returnFlags), sorted(PROJECT_KEYS.returnFlags));
  assert.deepEqual(keys(P.selectors), sorted(PROJECT_KEYS.selectors));
  assert.deepEqual(P.userCr3.oneOf!.map(keys), [sorted(PROJECT_KEYS.userCr3), sorted(PROJECT_KEYS.userCr3AtStackEnd)]);
  assert.deepEqual(keys(P.workFlags.items), sorted(PROJECT_KEYS.cell));
  assert.deepEqual(keys(P.accept.items), sorted(PROJECT_KEYS.accept));
  const contract = P.contracts.additionalProperties as Node;
  assert.deepEqual(keys(contract), sorted(PROJECT_KEYS.contract));
  const onlyWith = contract.properties!.frame.oneOf![1];
  assert.deepEqual(keys(onlyWith), sorted(PROJECT_KEYS.contractFrame));
  assert.deepEqual(keys(onlyWith.properties!.onlyWith), sorted(PROJECT_KEYS.cell));
  // every object closed, as the reader is
  const open: string[] = [];
  const visit = (n: Node, at: string): void => {
    const d = deref(n);
    if (d.properties && d.additionalProperties !== false && at !== '$.entries[].frame.fields') open.push(at);
    for (const [k, v] of Object.entries(d.properties ?? {})) visit(v, `${at}.${k}`);
    if (d.items) visit(d.items, `${at}[]`);
    d.oneOf?.forEach((o, i) => visit(o, `${at}|${i}`));
    if (typeof d.additionalProperties === 'object') visit(d.additionalProperties, `${at}.*`);
  };
  visit(schema, '$');
  assert.deepEqual(open, []);
});

test('the schema\'s kinds, codes, return kinds and interrupt states are the reader\'s', () => {
  const entry = P.entries.items!.properties!;
  assert.deepEqual(sorted(entry.kind.enum!), sorted(KINDS));
  const accept = P.accept.items!.properties!;
  assert.deepEqual(sorted(accept.code.enum!), sorted(ACCEPTABLE));
  assert.deepEqual(sorted(accept.return.enum!), sorted(RETURN_KINDS));
  assert.deepEqual(sorted((P.contracts.additionalProperties as Node).properties!.interrupts.enum!), sorted(IFS));
});

test('the extension contributes it for every .entry-review.json, and the .vsix ships it', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '.entry-review.json', url: './schemas/entry-review.schema.json' }]);
  assert.match(readFileSync(path.join(repoRoot, '.vscodeignore'), 'utf8'), /^!schemas\/\*\*$/m);
});
