import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bar, fromAwsSteps, fromRouteSteps, workflowProgressText } from '../../src/cli/commands/progress.js';

const day = (n: number) => ({ BatchRecordsStartTime: new Date(Date.UTC(2025, 0, n)).toISOString(), BatchRecordsEndTime: new Date(Date.UTC(2025, 0, n + 1)).toISOString() });
const routeDay = (n: number) => ({ batchRecordsStartTime: day(n).BatchRecordsStartTime, batchRecordsEndTime: day(n).BatchRecordsEndTime });

describe('workflows watch and list: how progress is drawn', () => {
  test('against AWS (GetWorkflowSteps only), a running step is its records against the completed steps\' density', () => {
    const shown = fromAwsSteps([
      { Status: 'COMPLETE', RecordsProcessed: 100, ...day(1) },
      { Status: 'IN_PROGRESS', RecordsProcessed: 25, ...day(2) },
      { Status: 'NOT_STARTED', RecordsProcessed: 0, ...day(3) },
    ]);
    assert.deepEqual(shown.map((s) => s.progress), [
      { fraction: 1, basis: 'step status' },
      { fraction: 0.25, basis: "completed steps' density", expected: 100 },
      { fraction: 0, basis: 'step status' },
    ]);
    assert.deepEqual(shown.map((s) => bar(s.progress, 8)), ['[########]', '[##......]', '[........]']);
    assert.equal(workflowProgressText(1, 3, shown), '41% (1/3 steps)');
  });

  test("from the progress route, the service's share and basis are drawn as they are", () => {
    const shown = fromRouteSteps([
      { stepNo: 1, status: 'IN_PROGRESS', recordsProcessed: 3, ...routeDay(1), readThrough: '2025-01-01T12:00:00.000Z', fraction: 0.5, basis: 'read position' },
      { stepNo: 2, status: 'FAILED', recordsProcessed: 7, ...routeDay(2), recordsEstimate: 5, fraction: 0.99, basis: 'source estimate', expectedRecords: 5 },
      { stepNo: 3, status: 'IN_PROGRESS', recordsProcessed: 7, ...routeDay(3) },
    ]);
    assert.deepEqual(shown[0].input, { status: 'IN_PROGRESS', recordsProcessed: 3, windowStart: Date.UTC(2025, 0, 1), windowEnd: Date.UTC(2025, 0, 2), readThrough: Date.UTC(2025, 0, 1, 12), recordsEstimate: undefined });
    assert.deepEqual(shown.map((s) => bar(s.progress, 8)), ['[####....]', '[#######.]', '[? ? ? ? ]']);
    assert.deepEqual(shown[1].progress, { fraction: 0.99, basis: 'source estimate', expected: 5 });
  });

  test('a FAILED step is never a full bar, nor is a running one past its estimate', () => {
    for (const fraction of [0.99, 0.999]) assert.equal(bar({ fraction }, 8), '[#######.]');
    assert.equal(bar({ fraction: 1 }, 8), '[########]');
  });

  test("workflows list: the steps' shares summed over TotalSteps, full only when every step completed; without steps, the completed ones'", () => {
    assert.equal(workflowProgressText(1, 3), '33% (1/3 steps)');
    assert.equal(workflowProgressText(2, 2), '100% (2/2 steps)');
    assert.equal(workflowProgressText(undefined, 0), '');
    const almost = fromRouteSteps([
      { stepNo: 1, status: 'COMPLETE', recordsProcessed: 1, ...routeDay(1), fraction: 1, basis: 'step status' },
      { stepNo: 2, status: 'SPLIT', recordsProcessed: 0, ...routeDay(2) },
      { stepNo: 3, status: 'FAILED', recordsProcessed: 1, ...routeDay(2), fraction: 0.99, basis: 'read position' },
    ]);
    assert.equal(workflowProgressText(1, 2, almost), '99% (1/2 steps)');
  });
});
