import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CustomerProfilesClient, DeleteDomainCommand, DeleteWorkflowCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { checkWebhooks, verifyWebhook, WebhookDispatcher, type WebhookConfig } from '../../src/engine/webhooks.js';
import { buildApp } from '../../src/server/app.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { eventually } from '../helpers/poll.js';
import type { TestServer } from '../helpers/server.js';
import { createWorkflow, setupWorkflowEnv } from '../helpers/workflows.js';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A loopback receiver: records every POST; `failures[path]` answers 500 that many times first. */
async function receiver(): Promise<{ url: string; got: Received[]; failures: Record<string, number>; close(): Promise<void> }> {
  const got: Received[] = [];
  const failures: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body });
      const left = failures[req.url ?? ''] ?? 0;
      if (left > 0) failures[req.url ?? ''] = left - 1;
      res.writeHead(left > 0 ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, got, failures, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('webhook config', () => {
  test('entries are checked: URL, secret, events; duplicates refused', () => {
    const { webhooks, problems } = checkWebhooks([
      { url: 'http://127.0.0.1:9/a', secret: 'k' },
      { url: 'ftp://x', secret: '' , events: ['DONE'] },
      { url: 'http://127.0.0.1:9/a', secret: 'k', extra: 1 },
    ]);
    assert.deepEqual(webhooks[0], { url: 'http://127.0.0.1:9/a', events: ['COMPLETE', 'FAILED', 'CANCELLED'], secret: 'k' });
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.deepEqual(checkWebhooks({}).problems, ['webhooks must be a JSON array of {url, events?, secret}.']);
  });
});

for (const backend of await availableBackends()) {
  describe(`webhooks [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let store: TestStore;
    let engine: Engine;
    let app: FastifyInstance;
    let dispatcher: WebhookDispatcher;
    let r: Awaited<ReturnType<typeof receiver>>;
    let s: TestServer;
    let hooks: WebhookConfig[];

    before(async () => {
      r = await receiver();
      store = await createTestStore(backend);
      engine = new Engine(store.store, clock, { mode: 'manual', pageSize: 12 });
      hooks = [
        { url: `${r.url}/all`, events: ['COMPLETE', 'FAILED', 'CANCELLED'], secret: 'shared-secret' },
        { url: `${r.url}/flaky`, events: ['COMPLETE'], secret: 'other-secret' },
      ];
      dispatcher = new WebhookDispatcher(store.store, clock, hooks, { intervalMs: 25 });
      app = await buildApp({ store: store.store, clock, engine, operator: { webhooks: dispatcher } });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      dispatcher.start();
      const client = new CustomerProfilesClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
      s = { app, url, store: store.store, engine, client, clientFor: () => client, close: async () => undefined };
    });
    after(async () => {
      await dispatcher.stop();
      s.client.destroy();
      await app.close();
      await store.dispose();
      await r.close();
    });

    const posts = (path: string, workflowId: string) => r.got.filter((g) => g.path === path && JSON.parse(g.body).WorkflowId === workflowId);

    test('COMPLETE is POSTed, signed, with the GetWorkflow fields; a failing receiver gets retries with back-off until it succeeds', async () => {
      r.failures['/flaky'] = 2;
      const env = await setupWorkflowEnv(s, 'wh-complete');
      const id = await createWorkflow(s.client, { env });
      await engine.runUntilIdle();

      await eventually(async () => (posts('/all', id).length === 1 ? true : undefined), 'the COMPLETE delivery', 15_000);
      const delivery = posts('/all', id)[0];
      const body = JSON.parse(delivery.body);
      assert.equal(body.Event, 'COMPLETE');
      assert.equal(body.Status, 'COMPLETE');
      assert.equal(body.DomainName, 'wh-complete');
      assert.equal(body.WorkflowType, 'APPFLOW_INTEGRATION');
      assert.deepEqual(body.Metrics, { AppflowIntegration: { RecordsProcessed: 24, StepsCompleted: 1, TotalSteps: 1 } });
      assert.equal(body.Attributes.AppflowIntegration.ConnectorProfileName, env.profile);
      assert.equal(delivery.headers['x-profileflow-event'], 'COMPLETE');
      assert.equal(delivery.headers['content-type'], 'application/json');
      // What a receiver does to verify it.
      const timestamp = delivery.headers['x-profileflow-timestamp'] as string;
      const signature = delivery.headers['x-profileflow-signature'] as string;
      const expected = `sha256=${createHmac('sha256', 'shared-secret').update(`${timestamp}.${delivery.body}`).digest('hex')}`;
      assert.equal(signature, expected);
      assert.ok(verifyWebhook('shared-secret', signature, timestamp, delivery.body));
      assert.ok(!verifyWebhook('wrong-secret', signature, timestamp, delivery.body));
      assert.ok(!verifyWebhook('shared-secret', signature, timestamp, delivery.body.replace('COMPLETE', 'FAILED')));

      // The flaky receiver answered 500 once; the retry waits 1 s of service time, the next 2 s. The clock
      // moves only once the dispatcher has recorded the failure and its next time: the receiver sees the
      // POST before the dispatcher sees the 500, and a retry timed from the moved clock would wait for
      // a move that never comes.
      const failedAttempts = async (n: number) => {
        const res = await fetch(`${s.url}/_profileflow/webhooks`);
        const json = (await res.json()) as { deliveries: { url: string; workflowId: string; status: string; attempts: number }[] };
        return json.deliveries.find((x) => x.workflowId === id && x.url.endsWith('/flaky'))?.attempts === n ? true : undefined;
      };
      await eventually(async () => (posts('/flaky', id).length === 1 ? failedAttempts(1) : undefined), 'the first flaky attempt recorded');
      clock.advance(1_000);
      dispatcher.wake();
      await eventually(async () => (posts('/flaky', id).length === 2 ? failedAttempts(2) : undefined), 'the second flaky attempt recorded');
      clock.advance(2_000);
      dispatcher.wake();
      await eventually(async () => (posts('/flaky', id).length === 3 ? true : undefined), 'the third flaky attempt');
      const listed = await eventually(async () => {
        const res = await fetch(`${s.url}/_profileflow/webhooks`);
        const json = (await res.json()) as { webhooks: unknown[]; deliveries: { url: string; workflowId: string; status: string; attempts: number }[] };
        const d = json.deliveries.find((x) => x.workflowId === id && x.url.endsWith('/flaky'));
        return d?.status === 'DELIVERED' ? json : undefined;
      }, 'DELIVERED in the listing');
      assert.deepEqual(listed.webhooks, hooks.map((h) => ({ url: h.url, events: h.events })), 'no secrets');
      assert.equal(listed.deliveries.find((x) => x.workflowId === id && x.url.endsWith('/flaky'))!.attempts, 3);
      // At least once, and here exactly once per receiver.
      clock.advance(10_000);
      await dispatcher.runOnce();
      assert.equal(posts('/all', id).length, 1);
      assert.equal(posts('/flaky', id).length, 3);
    });

    test('FAILED goes only to the webhooks that asked for it; CANCELLED is sent on DeleteWorkflow', async () => {
      const env = await setupWorkflowEnv(s, 'wh-failed', { faults: [{ page: 1, kind: 'permanent' }] });
      const failed = await createWorkflow(s.client, { env });
      await engine.runUntilIdle();
      await eventually(async () => (posts('/all', failed).length === 1 ? true : undefined), 'the FAILED delivery');
      const body = JSON.parse(posts('/all', failed)[0].body);
      assert.equal(body.Status, 'FAILED');
      assert.match(body.ErrorDescription, /Step 1/);

      const cancelled = await createWorkflow(s.client, { env });
      await s.client.send(new DeleteWorkflowCommand({ DomainName: env.domain, WorkflowId: cancelled }));
      await eventually(async () => (posts('/all', cancelled).length === 1 ? true : undefined), 'the CANCELLED delivery');
      assert.equal(JSON.parse(posts('/all', cancelled)[0].body).Status, 'CANCELLED');
      // Every delivery due is sent before the absence is checked: a wrong one could follow the right one.
      clock.advance(10_000);
      await dispatcher.runOnce();
      assert.equal(posts('/flaky', failed).length + posts('/flaky', cancelled).length, 0);
    });

    test('DeleteDomain sends CANCELLED for each unfinished workflow it removes (not started or mid-step), none for finished ones', async () => {
      const env = await setupWorkflowEnv(s, 'wh-domain');
      const done = await createWorkflow(s.client, { env });
      await engine.runUntilIdle();
      await eventually(async () => (posts('/all', done).length === 1 ? true : undefined), 'the COMPLETE delivery');
      const started = await createWorkflow(s.client, { env });
      // One page of two: the step gives its lease back half done, so the workflow is IN_PROGRESS.
      assert.deepEqual((await engine.advance({ pages: 1 })).steps.map((x) => x.outcome), ['yielded']);
      assert.equal((await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: started }))).Status, 'IN_PROGRESS');
      const waiting = await createWorkflow(s.client, { env });

      await s.client.send(new DeleteDomainCommand({ DomainName: env.domain }));
      for (const id of [started, waiting]) {
        await eventually(async () => (posts('/all', id).length === 1 ? true : undefined), `the CANCELLED delivery of ${id}`);
        const body = JSON.parse(posts('/all', id)[0].body);
        assert.equal(body.Event, 'CANCELLED');
        assert.equal(body.Status, 'CANCELLED');
        assert.equal(body.DomainName, env.domain);
        assert.equal(posts('/all', id)[0].headers['x-profileflow-event'], 'CANCELLED');
      }
      assert.equal(JSON.parse(posts('/all', started)[0].body).Metrics.AppflowIntegration.RecordsProcessed, 12);
      // The finished workflow had its event; the COMPLETE-only webhook hears of no cancellation.
      clock.advance(10_000);
      await dispatcher.runOnce();
      assert.deepEqual(posts('/all', done).map((g) => JSON.parse(g.body).Event), ['COMPLETE']);
      assert.equal(posts('/flaky', started).length + posts('/flaky', waiting).length, 0);
      // Nothing is left for the engine, and the workflows are gone.
      assert.deepEqual((await engine.runUntilIdle()).steps, []);
      await assert.rejects(s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: waiting })), { name: 'ResourceNotFoundException' });
    });

    test('a workflow that finished while no dispatcher ran is delivered by the next one (a restart)', async () => {
      await dispatcher.stop();
      const env = await setupWorkflowEnv(s, 'wh-restart');
      const id = await createWorkflow(s.client, { env });
      await engine.runUntilIdle();
      const restarted = new WebhookDispatcher(store.store, clock, hooks, { intervalMs: 25 });
      try {
        await restarted.runOnce();
        assert.equal(posts('/all', id).length, 1);
        assert.equal(posts('/flaky', id).length, 1);
      } finally {
        await restarted.stop();
        dispatcher.start();
      }
    });
  });
}
