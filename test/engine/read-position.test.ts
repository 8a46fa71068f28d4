import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_RETRY_POLICY } from '../../src/domain/workflow-plan/retry-policy.js';
import { ManualClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { availableBackends } from '../helpers/backends.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { consecutiveBatches, createWorkflow, HOUR_MS, setupWorkflowEnv } from '../helpers/workflows.js';

const T0 = Date.UTC(2026, 2, 1);
const DAY0 = Date.UTC(2025, 0, 1);
const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };

/** What the store holds of the workflow's steps' progress, in step order. */
async function progressOf(s: TestServer, workflowId: string) {
  return (await s.store.workflows.listStepProgress({ scope, workflowId, limit: 100 })).map((p) => ({
    stepNo: p.stepNo,
    status: p.status,
    recordsProcessed: p.recordsProcessed,
    readThrough: p.readThrough === undefined ? undefined : p.readThrough - p.windowStart,
    recordsEstimate: p.recordsEstimate,
  }));
}

for (const backend of await availableBackends()) {
  describe(`a step's read position and estimate are stored with its pages [${backend}]`, () => {
    test('each page moves read_through with the cursor; a step resumed by another engine goes on from it; the estimate is noted as the read begins', async (t) => {
      const clock = new ManualClock(T0);
      // 24 records a day, pages of 6: each page reads a quarter of a one-day window.
      const s = await startServer(backend, { clock, engine: { pageSize: 6 } });
      t.after(() => s.close());
      const env = await setupWorkflowEnv(s, 'rp-pages');
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(DAY0, 1, 1) });
      assert.deepEqual(await progressOf(s, id), [
        { stepNo: 1, status: 'NOT_STARTED', recordsProcessed: 0, readThrough: undefined, recordsEstimate: undefined },
        { stepNo: 2, status: 'NOT_STARTED', recordsProcessed: 0, readThrough: undefined, recordsEstimate: undefined },
      ]);

      assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['yielded']);
      assert.deepEqual((await progressOf(s, id))[0], { stepNo: 1, status: 'IN_PROGRESS', recordsProcessed: 6, readThrough: 6 * HOUR_MS, recordsEstimate: 24 });
      await s.engine.advance({ pages: 1 });
      assert.deepEqual((await progressOf(s, id))[0], { stepNo: 1, status: 'IN_PROGRESS', recordsProcessed: 12, readThrough: 12 * HOUR_MS, recordsEstimate: 24 });

      // Another process's engine takes the step up from its cursor: the position goes on from there.
      const other = new Engine(s.store, clock, { mode: 'manual', pageSize: 6 });
      assert.deepEqual((await other.advance({ pages: 1 })).steps.map((r) => r.outcome), ['yielded']);
      assert.deepEqual((await progressOf(s, id))[0], { stepNo: 1, status: 'IN_PROGRESS', recordsProcessed: 18, readThrough: 18 * HOUR_MS, recordsEstimate: 24 });
      await other.advance({ pages: 1 });
      assert.deepEqual((await progressOf(s, id))[0], { stepNo: 1, status: 'COMPLETE', recordsProcessed: 24, readThrough: 24 * HOUR_MS, recordsEstimate: 24 });
      const second = (await progressOf(s, id))[1];
      assert.deepEqual(second, { stepNo: 2, status: 'NOT_STARTED', recordsProcessed: 0, readThrough: undefined, recordsEstimate: undefined }, 'the next step has read nothing yet');
      await s.engine.runUntilIdle();
      assert.deepEqual((await progressOf(s, id))[1], { stepNo: 2, status: 'COMPLETE', recordsProcessed: 24, readThrough: 24 * HOUR_MS, recordsEstimate: 24 });
    });

    test('a page that failed moves nothing: after a retry and after the final failure the position is that of the last committed page', async (t) => {
      const clock = new ManualClock(T0);
      const s = await startServer(backend, { clock, engine: { pageSize: 6, retry: { ...DEFAULT_RETRY_POLICY, maximumRetries: 1 } } });
      t.after(() => s.close());
      const env = await setupWorkflowEnv(s, 'rp-fail', { faults: [{ page: 3, kind: 'transient', times: 2 }] });
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(DAY0, 1) });
      assert.deepEqual((await s.engine.advance({ pages: 3 })).steps.map((r) => r.outcome), ['retry']);
      assert.deepEqual(await progressOf(s, id), [{ stepNo: 1, status: 'RETRY', recordsProcessed: 12, readThrough: 12 * HOUR_MS, recordsEstimate: 24 }]);
      clock.advance(60_000);
      assert.deepEqual((await s.engine.advance({ pages: 3 })).steps.map((r) => r.outcome), ['failed']);
      assert.deepEqual(await progressOf(s, id), [{ stepNo: 1, status: 'FAILED', recordsProcessed: 12, readThrough: 12 * HOUR_MS, recordsEstimate: 24 }]);

      // The estimate is noted before the first page is read: a step whose first page fails keeps it.
      const first = await setupWorkflowEnv(s, 'rp-fail-first', { faults: [{ page: 1, kind: 'permanent' }] });
      const failedAtOnce = await createWorkflow(s.client, { env: first, Batches: consecutiveBatches(DAY0, 1) });
      assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['failed']);
      assert.deepEqual(await progressOf(s, failedAtOnce), [{ stepNo: 1, status: 'FAILED', recordsProcessed: 0, readThrough: undefined, recordsEstimate: 24 }]);
    });

    test('a split step\'s halves start with no position of their own; each notes its own estimate', async (t) => {
      const clock = new ManualClock(T0);
      const s = await startServer(backend, { clock, engine: { pageSize: 100, maxRecordsPerStep: 30, minWindowMs: 60_000 } });
      t.after(() => s.close());
      const env = await setupWorkflowEnv(s, 'rp-split');
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(DAY0, 2) });
      assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['split']);
      assert.deepEqual(await progressOf(s, id), [
        { stepNo: 1, status: 'SPLIT', recordsProcessed: 0, readThrough: undefined, recordsEstimate: undefined },
        { stepNo: 2, status: 'NOT_STARTED', recordsProcessed: 0, readThrough: undefined, recordsEstimate: undefined },
        { stepNo: 3, status: 'NOT_STARTED', recordsProcessed: 0, readThrough: undefined, recordsEstimate: undefined },
      ]);
      await s.engine.runUntilIdle();
      const done = await progressOf(s, id);
      assert.deepEqual(done.slice(1).map((p) => [p.status, p.recordsEstimate, p.readThrough]), [
        ['COMPLETE', 24, 24 * HOUR_MS],
        ['COMPLETE', 24, 24 * HOUR_MS],
      ]);
    });
  });
}
