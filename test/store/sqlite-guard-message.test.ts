import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstProblemLine } from '../../src/store/sqlite-guard.js';

// The start-up check's refusal is one line. quick_check on a file damaged with 16 KiB pages answered
// "2 problems" whose first row held a heading and dozens of lines (seen in test/e2e/storage-guard.test.ts
// while measuring that page size): the refusal printed them all.

test("the refusal names the first problem in one line, past SQLite's heading", () => {
  const rows = [
    '*** in database main ***\nTree 6 page 114 cell 69: Rowid 90 out of order\nTree 6 page 114 cell 68: Rowid 90 out of order\nFragmentation of 792 bytes reported as 0 on page 114',
    'database disk image is malformed',
  ];
  assert.equal(firstProblemLine(rows), 'Tree 6 page 114 cell 69: Rowid 90 out of order');
  assert.equal(firstProblemLine(['Page 12: btreeInitPage() returns error code 11']), 'Page 12: btreeInitPage() returns error code 11');
  assert.equal(firstProblemLine(['*** in database main ***', '  On tree page 3 cell 0: invalid page number 99  ']), 'On tree page 3 cell 0: invalid page number 99');
});
