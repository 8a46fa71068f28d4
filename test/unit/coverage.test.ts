import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { allOperations } from '../../src/api/all-operations.generated.js';
import { operations } from '../../src/operations/index.js';

test('docs/coverage.md marks exactly the implemented operations (regenerate with node scripts/coverage.mjs)', () => {
  const doc = readFileSync(new URL('../../docs/coverage.md', import.meta.url), 'utf8');
  for (const op of allOperations) {
    const row = doc.split('\n').find((line) => line.startsWith(`| ${op.name} |`));
    assert.ok(row, `${op.name} is missing from docs/coverage.md`);
    assert.equal(row.endsWith(operations[op.name] ? '| yes |' : '| no (501) |'), true, `${op.name}: ${row}`);
  }
});
