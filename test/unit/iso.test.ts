import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { iso } from '../../src/domain/workflow-plan/format.js';

const YEAR_10000 = 253_402_300_800_000;

describe('iso (the window strings of GetWorkflowSteps)', () => {
  test('equals toISOString for any whole millisecond from 1970 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: YEAR_10000 - 1 }), (ms) => iso(ms) === new Date(ms).toISOString()),
      { numRuns: 20_000 },
    );
  });

  test('equals toISOString at the edges: epoch, leap days, century years, the last instant before 10000', () => {
    const edges = [
      0,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(2100, 1, 28, 12),
      Date.UTC(2100, 2, 1),
      Date.UTC(2024, 11, 31, 23, 59, 59, 999),
      Date.UTC(2025, 0, 1),
      Date.UTC(2400, 1, 29),
      YEAR_10000 - 1,
    ];
    for (const ms of edges) assert.equal(iso(ms), new Date(ms).toISOString(), String(ms));
  });

  test('outside the fast range (before 1970, from 10000, fractional) it is toISOString itself', () => {
    for (const ms of [-1, -86_400_000 * 365, YEAR_10000, YEAR_10000 + 1, 1.5, 8_640_000_000_000_000]) {
      assert.equal(iso(ms), new Date(ms).toISOString(), String(ms));
    }
  });
});
