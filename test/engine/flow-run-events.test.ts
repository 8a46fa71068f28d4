/**
 * What a flow run tells the world when it ends: a `flowRun` event on the event stream, a FLOW_RUN_ENDED or
 * FLOW_RUN_FAILED webhook, and counters on /_profileflow/metrics; and a run whose source fails
 * transiently is retried with the step RetryPolicy's back-off on the injected clock, then succeeds with
 * nothing read twice.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CustomerProfilesClient, GetDomainCommand } from '@aws-sdk/client-customer-profiles';
import { DescribeFlowExecutionRecordsCommand, StartFlowCommand, type AppflowClient } from '@aws-sdk/client-appflow';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { WebhookDispatcher, type WebhookConfig } from '../../src/engine/webhooks.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../src/domain/workflow-plan/retry-policy.js';
import { buildApp } from '../../src/server/app.js';
import { appflowClient } from '../helpers/appflow.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { eventually } from '../helpers/poll.js';
import type { TestServer } from '../helpers/server.js';
import { SseClient } from '../helpers/sse.js';
import { consecutiveBatches, createWorkflow, putConnectorProfile, type SyntheticFault, setupWorkflowEnv, uniqueProfileName } from '../helpers/workflows.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

/** A loopback receiver that records every POST. */
async function receiver(): Promise<{ url: string; got: { path: string; body: Record<string, unknown> }[]; close(): Promise<void> }> {
  const got: { path: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, got, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const backend of await availableBackends()) {
  describe(`flow run events, webhooks, metrics and retries [${backend}]`, () => {
    const clock = new ManualClock(T0);
    let store: TestStore;
    let engine: Engine;
    let app: FastifyInstance;
    let dispatcher: WebhookDispatcher;
    let r: Awaited<ReturnType<typeof receiver>>;
    let s: TestServer;
    let af: AppflowClient;
    const streams: SseClient[] = [];

    before(async () => {
      r = await receiver();
      store = await createTestStore(backend);
      engine = new Engine(store.store, clock, { mode: 'manual', pageSize: 12 });
      const hooks: WebhookConfig[] = [
        { url: `${r.url}/runs`, events: ['FLOW_RUN_ENDED', 'FLOW_RUN_FAILED'], secret: 'k' },
        { url: `${r.url}/failures`, events: ['FLOW_RUN_FAILED'], secret: 'k' },
        { url: `${r.url}/workflows`, events: ['COMPLETE'], secret: 'k' },
      ];
      dispatcher = new WebhookDispatcher(store.store, clock, hooks, { intervalMs: 25 });
      app = await buildApp({ store: store.store, clock, engine, operator: { webhooks: dispatcher, eventsIntervalMs: 25 } });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      dispatcher.start();
      const client = new CustomerProfilesClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
      s = { app, url, store: store.store, engine, client, clientFor: () => client, close: async () => undefined };
      af = appflowClient(url);
    });
    after(async () => {
      for (const c of streams) await c.close();
      await dispatcher.stop();
      s.client.destroy();
      af.destroy();
      await app.close();
      await store.dispose();
      await r.close();
    });

    /** A completed workflow (history up to T0) whose OnDemand flow reads the synthetic source (24 records a day). */
    async function onDemandFlow(domain: string, faults?: SyntheticFault[]): Promise<string> {
      clock.set(T0);
      const env = await setupWorkflowEnv(s, domain, { profile: uniqueProfileName(domain) });
      const flowName = `${domain}-flow`;
      await createWorkflow(s.client, { env, FlowName: flowName, Batches: consecutiveBatches(T0 - 86_400_000, 1) });
      await engine.runUntilIdle();
      // The faults from here on: the history read cleanly, the flow's runs meet them.
      if (faults) await putConnectorProfile(s, env.profile, { faults });
      return flowName;
    }

    const runs = async (flowName: string) => (await af.send(new DescribeFlowExecutionRecordsCommand({ flowName }))).flowExecutions ?? [];
    const objects = async (domain: string) => (await s.client.send(new GetDomainCommand({ DomainName: domain }))).Stats?.ObjectCount ?? 0;
    const metric = async (line: RegExp) => {
      const text = await (await fetch(`${s.url}/_profileflow/metrics`)).text();
      return Number(line.exec(text)?.[1] ?? Number.NaN);
    };

    test('a run that ends is a flowRun event, a FLOW_RUN_ENDED webhook and a counted run; a failed one FLOW_RUN_FAILED', async () => {
      const flowName = await onDemandFlow('run-events');
      const stream = await SseClient.open(`${s.url}/_profileflow/events?flowName=${flowName}`);
      streams.push(stream);
      clock.set(T0 + 2 * HOUR);
      const { executionId } = await af.send(new StartFlowCommand({ flowName }));
      await engine.runUntilIdle();

      const event = await stream.next((e) => e.event === 'flowRun' && e.data.executionId === executionId, 'the flowRun event');
      assert.deepEqual(
        { ...event.data, updatedAt: undefined },
        {
          accountId: '000000000000',
          region: 'us-east-1',
          domainName: 'run-events',
          flowName,
          executionId,
          executionStatus: 'Successful',
          triggerType: 'OnDemand',
          recordsProcessed: 2,
          dataPullStartTime: new Date(T0).toISOString(),
          dataPullEndTime: new Date(T0 + 2 * HOUR).toISOString(),
          updatedAt: undefined,
        },
      );
      assert.ok(stream.events.every((e) => e.event === 'flowRun'), 'the flowName filter keeps workflow and step events out');

      const hook = await eventually(async () => r.got.find((g) => g.path === '/runs' && g.body.ExecutionId === executionId), 'the FLOW_RUN_ENDED delivery');
      assert.equal(hook.body.Event, 'FLOW_RUN_ENDED');
      assert.equal(hook.body.ExecutionStatus, 'Successful');
      assert.equal(hook.body.RecordsProcessed, 2);
      assert.equal(hook.body.FlowArn, `arn:aws:appflow:us-east-1:000000000000:flow/${flowName}`);
      // Every delivery due is sent before the absence is checked: a wrong one could follow the right one.
      await dispatcher.runOnce();
      assert.ok(!r.got.some((g) => g.path === '/failures' && g.body.ExecutionId === executionId), 'a webhook for failures only hears nothing');

      assert.equal(await metric(/^profileflow_flow_runs_total\{status="Successful"\} (\d+)$/m), 1);
      assert.equal(await metric(/^profileflow_flow_run_records_total (\d+)$/m), 2);
      const byFlow = `account="000000000000",region="us-east-1",flow="${flowName}"`;
      assert.equal(await metric(new RegExp(`^profileflow_flow_runs_by_flow_total\\{${byFlow},status="Successful"\\} (\\d+)$`, 'm')), 1);
      assert.equal(await metric(new RegExp(`^profileflow_flow_run_records_by_flow_total\\{${byFlow}\\} (\\d+)$`, 'm')), 2);
      assert.equal(await metric(/^profileflow_flow_runs_active\{status="InProgress"\} (\d+)$/m), 0);

      // A permanent source failure: the run ends in Error.
      const failing = await onDemandFlow('run-fails', [{ page: 1, kind: 'permanent' }]);
      clock.set(T0 + 2 * HOUR);
      const failed = await af.send(new StartFlowCommand({ flowName: failing }));
      assert.equal(await metric(/^profileflow_flow_runs_active\{status="InProgress"\} (\d+)$/m), 1, 'started, not yet run');
      await engine.runUntilIdle();
      assert.equal((await runs(failing))[0]?.executionStatus, 'Error');
      for (const path of ['/runs', '/failures']) {
        const got = await eventually(async () => r.got.find((g) => g.path === path && g.body.ExecutionId === failed.executionId), `FLOW_RUN_FAILED at ${path}`);
        assert.equal(got.body.Event, 'FLOW_RUN_FAILED');
        assert.match(String(got.body.ExecutionMessage), /Failed/);
      }
      assert.equal(await metric(/^profileflow_flow_runs_total\{status="Error"\} (\d+)$/m), 1);
      // Delivered once each, however many sweeps pass.
      clock.advance(1000);
      await dispatcher.runOnce();
      assert.equal(r.got.filter((g) => g.body.ExecutionId === executionId).length, 1);
    });

    test('a transient source failure is retried with the step back-off on the injected clock, then succeeds with nothing read twice', async () => {
      // The first page fails twice, then reads.
      const flowName = await onDemandFlow('run-retries', [{ page: 1, kind: 'transient', times: 2 }]);
      clock.set(T0 + 6 * HOUR);
      const { executionId } = await af.send(new StartFlowCommand({ flowName }));
      const first = await engine.runUntilIdle();
      assert.deepEqual(first.runs.map((x) => x.outcome), ['retry']);
      let [run] = await runs(flowName);
      assert.equal(run?.executionStatus, 'InProgress', 'waiting for its retry');
      const stored = await s.store.flowRuns.get({ scope: { accountId: '000000000000', region: 'us-east-1' }, flowName, executionId: executionId! });
      assert.equal(stored?.attempts, 1);
      assert.equal(stored?.runAfter, clock.now() + retryDelayMs(DEFAULT_RETRY_POLICY, 1));
      assert.match(stored?.errorMessage ?? '', /Retry 1 of 3/);

      // Not before its back-off has passed.
      clock.advance(retryDelayMs(DEFAULT_RETRY_POLICY, 1) - 1);
      assert.deepEqual((await engine.runUntilIdle()).runs, []);
      clock.advance(1);
      assert.deepEqual((await engine.runUntilIdle()).runs.map((x) => x.outcome), ['retry']);
      // The second retry waits twice as long (coefficient 2).
      clock.advance(retryDelayMs(DEFAULT_RETRY_POLICY, 2) - 1);
      assert.deepEqual((await engine.runUntilIdle()).runs, []);
      clock.advance(1);
      assert.deepEqual((await engine.runUntilIdle()).runs.map((x) => x.outcome), ['successful']);

      [run] = await runs(flowName);
      assert.equal(run?.executionStatus, 'Successful');
      assert.equal(run?.executionResult?.recordsProcessed, 6, 'six hours at 24 records a day, each once');
      assert.equal(await objects('run-retries'), 24 + 6, 'the history and the run, nothing twice');
      assert.ok((await metric(/^profileflow_flow_run_retries_total (\d+)$/m)) >= 2);
    });
  });
}
