import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { densityOf, observedDensity, percent, progressText, stepProgress, type StepProgressInput } from '../../src/domain/step-progress.js';

const DAY = 86_400_000;
const JAN1 = Date.UTC(2025, 0, 1);
/** Day n of January 2025 as a step window. */
const day = (n: number) => ({ windowStart: JAN1 + (n - 1) * DAY, windowEnd: JAN1 + n * DAY });
const STATUSES_NOT_COMPLETE = ['IN_PROGRESS', 'RETRY', 'FAILED', 'CANCELLED'];

describe("a step's progress (domain/step-progress.ts)", () => {
  test('COMPLETE is full and NOT_STARTED empty whatever else is known; SPLIT has no share of its own', () => {
    const everything = { recordsProcessed: 5, readThrough: JAN1 + DAY / 2, recordsEstimate: 10, ...day(1) };
    assert.deepEqual(stepProgress({ status: 'COMPLETE', ...everything }, 1), { fraction: 1, basis: 'step status' });
    assert.deepEqual(stepProgress({ status: 'NOT_STARTED', ...everything }, 1), { fraction: 0, basis: 'step status' });
    assert.deepEqual(stepProgress({ status: 'SPLIT', ...everything }, 1), {});
  });

  test('the read position comes first: the share of the window before readThrough', () => {
    const step = { status: 'IN_PROGRESS', recordsProcessed: 1, recordsEstimate: 1000, ...day(2), readThrough: JAN1 + DAY + 0.42 * DAY };
    const p = stepProgress(step, 5);
    assert.equal(p.basis, 'read position');
    assert.ok(Math.abs(p.fraction! - 0.42) < 1e-9);
    assert.equal(p.expected, undefined);
    assert.equal(progressText(step, p), '1 records, 42% of the window read');
  });

  test("a position at the window's start says nothing: the estimate, then the density, measure the step", () => {
    const step: StepProgressInput = { status: 'IN_PROGRESS', recordsProcessed: 1200, ...day(3), readThrough: JAN1 + 2 * DAY };
    assert.deepEqual(stepProgress({ ...step, recordsEstimate: 3000 }, 1), { fraction: 0.4, basis: 'source estimate', expected: 3000 });
    assert.equal(progressText(step, stepProgress({ ...step, recordsEstimate: 3000 }, 1)), '1200 of about 3000 records');
    const density = 4800 / DAY;
    assert.deepEqual(stepProgress(step, density), { fraction: 0.25, basis: "completed steps' density", expected: 4800 });
    assert.equal(progressText(step, stepProgress(step, density)), "1200 of about 4800 records at the completed steps' rate");
    // An estimate of nothing is no estimate.
    assert.equal(stepProgress({ ...step, recordsEstimate: 0 }, density).basis, "completed steps' density");
  });

  test('never the share of the largest step: the density is records per millisecond of window, so a longer window expects more', () => {
    const steps: StepProgressInput[] = [
      { status: 'COMPLETE', recordsProcessed: 100, ...day(1) },
      { status: 'COMPLETE', recordsProcessed: 10_000, windowStart: JAN1 + DAY, windowEnd: JAN1 + 100 * DAY },
      { status: 'IN_PROGRESS', recordsProcessed: 25, ...day(101) },
      { status: 'IN_PROGRESS', recordsProcessed: 25, windowStart: JAN1 + 101 * DAY, windowEnd: JAN1 + 103 * DAY },
    ];
    const density = observedDensity(steps);
    assert.equal(density, densityOf({ records: 10_100, windowMs: 100 * DAY }));
    assert.deepEqual(stepProgress(steps[2], density), { fraction: 25 / 101, basis: "completed steps' density", expected: 101 });
    assert.deepEqual(stepProgress(steps[3], density), { fraction: 25 / 202, basis: "completed steps' density", expected: 202 });
  });

  test('nothing to go on is unknown, said as such: no completed step, or completed steps without records', () => {
    const step = { status: 'IN_PROGRESS', recordsProcessed: 500, ...day(1) };
    assert.equal(observedDensity([step, { status: 'FAILED', recordsProcessed: 7, ...day(2) }]), undefined);
    assert.equal(observedDensity([{ status: 'COMPLETE', recordsProcessed: 0, ...day(1) }]), undefined, '0 records would make every step "done"');
    assert.deepEqual(stepProgress(step, undefined), {});
    assert.equal(progressText(step, {}), '500 records (no estimate yet)');
    assert.equal(progressText({ status: 'SPLIT', recordsProcessed: 0 }, {}), '0 records');
    assert.equal(progressText({ status: 'COMPLETE', recordsProcessed: 24 }, { fraction: 1, basis: 'step status' }), '24 records');
  });

  test('no step but a COMPLETE one is ever full, on any basis, however far past its estimate or its window it went', () => {
    for (const status of STATUSES_NOT_COMPLETE) {
      const cases: StepProgressInput[] = [
        { status, recordsProcessed: 0, ...day(1), readThrough: JAN1 + DAY },
        { status, recordsProcessed: 0, ...day(1), readThrough: JAN1 + 5 * DAY },
        { status, recordsProcessed: 99_999, ...day(1), recordsEstimate: 10 },
        { status, recordsProcessed: 99_999, ...day(1) },
      ];
      for (const c of cases) {
        const p = stepProgress(c, 1 / DAY);
        assert.ok(p.fraction !== undefined && p.fraction < 1, `${status} ${JSON.stringify(c)}: ${p.fraction}`);
        assert.equal(percent(p.fraction!), '99%');
      }
    }
  });

  test('a FAILED step that read part of its window shows that part', () => {
    const p = stepProgress({ status: 'FAILED', recordsProcessed: 2, ...day(2), readThrough: JAN1 + DAY + DAY / 5 }, undefined);
    assert.equal(p.basis, 'read position');
    assert.ok(Math.abs(p.fraction! - 0.2) < 1e-9);
  });
});
