import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { eventually } from '../helpers/poll.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { SseClient } from '../helpers/sse.js';
import { consecutiveBatches, createWorkflow, setupWorkflowEnv } from '../helpers/workflows.js';

for (const backend of await availableBackends()) {
  describe(`GET /_profileflow/events [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let s: TestServer;
    const streams: SseClient[] = [];
    const open = async (query = '', headers: Record<string, string> = {}) => {
      const c = await SseClient.open(`${s.url}/_profileflow/events${query}`, headers);
      streams.push(c);
      return c;
    };
    before(async () => {
      s = await startServer(backend, { clock, engine: { pageSize: 12 } });
    });
    after(async () => {
      for (const c of streams) await c.close();
      await s.close();
    });

    test('a workflow run under the manual engine streams its step and workflow changes, filtered by domain', async () => {
      const env = await setupWorkflowEnv(s, 'ev-run');
      const other = await setupWorkflowEnv(s, 'ev-other');
      const stream = await open('?domain=ev-run');
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1, 1) });
      await createWorkflow(s.client, { env: other });

      const created = await stream.next((e) => e.event === 'workflow' && e.data.workflowId === id, 'the new workflow');
      assert.deepEqual(
        { ...created.data, updatedAt: undefined },
        {
          accountId: TEST_ACCOUNT,
          region: TEST_REGION,
          domainName: 'ev-run',
          workflowId: id,
          status: 'NOT_STARTED',
          recordsProcessed: 0,
          stepsCompleted: 0,
          totalSteps: 2,
          updatedAt: undefined,
        },
      );
      assert.match(created.id ?? '', /^[0-9a-f]{6}-\d+$/);

      await s.engine.advance({ pages: 1 });
      const progress = await stream.next((e) => e.event === 'step' && e.data.stepNo === 1 && e.data.recordsProcessed === 12, 'step 1 progress');
      assert.equal(progress.data.status, 'IN_PROGRESS');
      assert.equal(progress.data.batchRecordsStartTime, '2025-01-01T00:00:00.000Z');
      assert.equal(progress.data.batchRecordsEndTime, '2025-01-02T00:00:00.000Z');
      // 12 of the day's 24 evenly spaced records: the read stands at noon.
      assert.equal(progress.data.readThrough, '2025-01-01T12:00:00.000Z');

      await s.engine.runUntilIdle();
      const done = await stream.next((e) => e.event === 'workflow' && e.data.workflowId === id && e.data.status === 'COMPLETE', 'COMPLETE');
      assert.equal(done.data.recordsProcessed, 48);
      assert.equal(done.data.stepsCompleted, 2);
      for (const stepNo of [1, 2]) {
        await stream.next((e) => e.event === 'step' && e.data.stepNo === stepNo && e.data.status === 'COMPLETE', `step ${stepNo} COMPLETE`);
      }
      // The step completes before its workflow does, and ids increase.
      const i2 = stream.events.findIndex((e) => e.event === 'step' && e.data.stepNo === 2 && e.data.status === 'COMPLETE');
      assert.ok(i2 < stream.events.indexOf(done));
      const seqs = stream.events.map((e) => Number(e.id!.split('-')[1]));
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.ok(stream.events.every((e) => e.data.domainName === 'ev-run'), 'only the filtered domain');
    });

    test('a change written by another process (straight to the store) is seen; deletion streams CANCELLED', async () => {
      const env = await setupWorkflowEnv(s, 'ev-remote');
      const id = await createWorkflow(s.client, { env });
      const stream = await open(`?workflowId=${id}`);
      const claimed = await s.store.workflows.claim({ owner: 'worker-elsewhere', now: clock.now(), leaseMs: 60_000 });
      assert.equal(claimed?.step.workflowId, id);
      await stream.next((e) => e.event === 'workflow' && e.data.status === 'IN_PROGRESS', 'IN_PROGRESS from the other owner');
      await s.store.workflows.giveBack({ owner: 'worker-elsewhere', key: { workflowId: id, stepNo: 1 }, now: clock.now() });

      await s.client.send(new DeleteWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
      const cancelled = await stream.next((e) => e.event === 'workflow' && e.data.status === 'CANCELLED', 'CANCELLED');
      assert.equal(cancelled.data.workflowId, id);
      assert.ok(stream.events.every((e) => e.data.workflowId === id));
    });

    test('Last-Event-ID replays what came after it; the poller stops when nobody listens', async () => {
      const env = await setupWorkflowEnv(s, 'ev-resume');
      const first = await open('?domain=ev-resume');
      const id = await createWorkflow(s.client, { env });
      await first.next((e) => e.data.workflowId === id && e.event === 'workflow', 'created');
      await s.engine.runUntilIdle();
      await first.next((e) => e.event === 'workflow' && e.data.status === 'COMPLETE', 'COMPLETE');
      const from = first.events[0];
      const resumed = await open('?domain=ev-resume', { 'last-event-id': from.id! });
      const replayed = first.events.slice(1).map((e) => e.id);
      await resumed.waitFor(() => replayed.every((rid) => resumed.events.some((e) => e.id === rid)), 'the replay');
      assert.ok(!resumed.events.some((e) => e.id === from.id), 'the event named is not sent again');

      for (const c of streams.splice(0)) await c.close();
      await eventually(async () => {
        const text = await (await fetch(`${s.url}/_profileflow/metrics`)).text();
        return /^profileflow_event_subscribers 0$/m.test(text) ? true : undefined;
      }, 'no subscribers left');
    });

    test('the stream opens with comment lines (as heartbeats are); a bad filter is a BadRequestException', async () => {
      const stream = await open();
      assert.ok(stream.comments.some((c) => c.startsWith('profileflow events')));
      const bad = await fetch(`${s.url}/_profileflow/events?domain=`);
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('x-amzn-errortype'), 'BadRequestException');
    });
  });
}
