import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bar, observedDensity, stepProgress, workflowProgressText } from '../../src/cli/commands/progress.js';

const day = (n: number) => ({ BatchRecordsStartTime: new Date(Date.UTC(2025, 0, n)).toISOString(), BatchRecordsEndTime: new Date(Date.UTC(2025, 0, n + 1)).toISOString() });

describe('workflows watch: a step bar shows that step\'s own progress', () => {
  test('a COMPLETE step is a full bar and a NOT_STARTED one an empty bar, whatever the other steps hold', () => {
    assert.equal(bar(stepProgress({ Status: 'COMPLETE', RecordsProcessed: 3, ...day(1) }, undefined), 8), '[########]');
    assert.equal(bar(stepProgress({ Status: 'NOT_STARTED', RecordsProcessed: 0, ...day(2) }, 1), 8), '[........]');
  });

  test('a running step is its records against what the completed steps hold per day of window, never against the largest step', () => {
    const steps = [
      { Status: 'COMPLETE', RecordsProcessed: 100, ...day(1) },
      { Status: 'IN_PROGRESS', RecordsProcessed: 25, ...day(2) },
      // A two-day window: twice the estimate of a one-day one.
      { Status: 'IN_PROGRESS', RecordsProcessed: 25, BatchRecordsStartTime: day(3).BatchRecordsStartTime, BatchRecordsEndTime: day(4).BatchRecordsEndTime },
    ];
    const density = observedDensity(steps);
    assert.deepEqual(stepProgress(steps[1], density), { fraction: 0.25, expected: 100 });
    assert.deepEqual(stepProgress(steps[2], density), { fraction: 0.125, expected: 200 });
    assert.equal(bar(stepProgress(steps[1], density), 8), '[##......]');
  });

  test('a running step past its estimate is not drawn full; nor is a FAILED or CANCELLED step', () => {
    const density = observedDensity([{ Status: 'COMPLETE', RecordsProcessed: 10, ...day(1) }]);
    for (const Status of ['IN_PROGRESS', 'FAILED', 'CANCELLED']) {
      const p = stepProgress({ Status, RecordsProcessed: 40, ...day(2) }, density);
      assert.ok(p.fraction! < 1, Status);
      assert.equal(bar(p, 8), '[#######.]', Status);
    }
    // Failed at the first page: about a fifth of its window was read.
    assert.equal(bar(stepProgress({ Status: 'FAILED', RecordsProcessed: 2, ...day(2) }, density), 10), '[##........]');
  });

  test('without a completed step there is no estimate: the share is unknown, drawn as such', () => {
    const steps = [{ Status: 'IN_PROGRESS', RecordsProcessed: 500, ...day(1) }, { Status: 'FAILED', RecordsProcessed: 7, ...day(2) }];
    const density = observedDensity(steps);
    assert.equal(density, undefined);
    for (const s of steps) {
      assert.deepEqual(stepProgress(s, density), {});
      assert.equal(bar(stepProgress(s, density), 8), '[? ? ? ? ]');
    }
    // Completed steps with no records give no estimate either (0 records would make every step "done").
    assert.equal(observedDensity([{ Status: 'COMPLETE', RecordsProcessed: 0, ...day(1) }]), undefined);
  });

  test('a SPLIT step shows no share: the steps it became carry its window', () => {
    assert.deepEqual(stepProgress({ Status: 'SPLIT', RecordsProcessed: 0, ...day(1) }, 1), {});
  });

  test('workflows list: the share of completed steps', () => {
    assert.equal(workflowProgressText(1, 3), '33% (1/3 steps)');
    assert.equal(workflowProgressText(2, 2), '100% (2/2 steps)');
    assert.equal(workflowProgressText(undefined, 0), '');
  });
});
