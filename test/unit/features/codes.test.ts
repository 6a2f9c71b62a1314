// The catalogue of checks (features/codes.ts) is what README's "Checks" section and SARIF's rules
// say: every code has its section with its summary, history, a wrong and a right way, the fixtures
// that produce it (which exist and expect it) and, where the verdict rests on C, the project file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CODES } from '../../../server/src/features/codes';
import { repoRoot } from '../../support/paths';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const fixtures = path.join(repoRoot, 'test/fixtures');

test('every code has its README section, as the catalogue says it', () => {
  for (const c of CODES) {
    const at = readme.indexOf(`\n### ${c.code}\n`);
    assert.ok(at >= 0, `README has no section for ${c.code}`);
    const section = readme.slice(at + 1, readme.indexOf('\n### ', at + 1) >>> 0 || undefined);
    assert.ok(section.includes(c.summary), `${c.code}: summary`);
    if (c.history) assert.ok(section.includes(`Would have caught: ${c.history}`), `${c.code}: history`);
    assert.ok(c.wrong && c.right, `${c.code}: a wrong and a right way`);
    assert.ok(section.includes(`- Wrong: \`${c.wrong}\``), `${c.code}: wrong`);
    assert.ok(section.includes(`- Right: \`${c.right}\``), `${c.code}: right`);
    if (c.fixture) assert.ok(section.includes(`- Fixtures: ${c.fixture}`), `${c.code}: fixtures`);
    if (c.project) assert.ok(section.includes(`- When the verdict rests on C, the project file says: ${c.project}`), `${c.code}: project file`);
  }
});

test('the fixtures a code names exist, and the bug fixtures expect that code', () => {
  for (const c of CODES.filter((x) => x.fixture)) {
    const names = c.fixture!.match(/[\w./-]+\.(?:S|c)\b/g) ?? [];
    assert.ok(names.length, c.code);
    for (const n of names) {
      const file = n.startsWith('contracts/') ? path.join(fixtures, n) : path.join(fixtures, 'kernels', n);
      assert.ok(existsSync(file), `${c.code}: ${n}`);
      if (n.startsWith('bugs/')) assert.match(readFileSync(file, 'utf8'), new RegExp(`expect: ${c.code} at line \\d+`), `${c.code}: ${n}`);
    }
  }
  // every code the checker reports has at least one bug fixture
  for (const c of CODES.filter((x) => !['unmodeled', 'parse', 'contract-unproven'].includes(x.code))) assert.match(c.fixture ?? '', /bugs\//, c.code);
});
