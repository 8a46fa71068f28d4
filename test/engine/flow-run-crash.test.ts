/**
 * A process running a flow run is SIGKILLed mid-run: another process takes the run over once the lease
 * lapses, resumes from the run's cursor, and the run ends Successful with every record of its window
 * stored and counted exactly once. On PostgreSQL the run is on a `profileflow worker` beside an API-only
 * serve, and a second worker takes it over; on SQLite (one process per data folder) the restarted serve does.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AppflowClient, DescribeFlowExecutionRecordsCommand, StartFlowCommand } from '@aws-sdk/client-appflow';
import { type CustomerProfilesClient, GetDomainCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { slotsBefore } from '../../src/connectors/synthetic/slots.js';
import { availableBackends } from '../helpers/backends.js';
import { type ServiceProcess, startService } from '../helpers/cli-process.js';
import { eventually } from '../helpers/poll.js';
import { createContactDomain, createSyntheticWorkflow, FRESH_CONNECTIONS, serviceClient, serviceSandbox } from '../helpers/service-sandbox.js';

const DAY = 86_400_000;
const RECORDS_PER_DAY = 300;
const FLOW = 'crash-run-flow';

function appflow(url: string): AppflowClient {
  return new AppflowClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, ...FRESH_CONNECTIONS });
}

for (const backend of await availableBackends()) {
  describe(`a process killed mid-run loses nothing [${backend}]`, () => {
    const sandbox = serviceSandbox('runcrash', backend);
    const running: ServiceProcess[] = [];
    after(async () => {
      for (const p of running) await p.stop('SIGKILL');
      await sandbox.dispose();
    });

    test('SIGKILL the process holding a run: another takes it over from its cursor; every record stored and counted once', async () => {
      const config = sandbox.writeConfig({ pageDelayMs: 60, engine: { leaseMs: 1500, pollIntervalMs: 50, pageSize: 20 }, recordsPerDay: RECORDS_PER_DAY, seed: 11 });
      const db = [...sandbox.storeArgs(), '--config', config];
      const start = async (args: string[]) => {
        const p = await startService(args);
        running.push(p);
        return p;
      };
      // PostgreSQL: an API-only serve and workers. SQLite: serve runs the engine and is what gets killed.
      const api = await start(backend === 'postgres' ? ['serve', '--port', '0', '--engine-mode', 'off', ...db] : ['serve', '--port', '0', ...db]);
      const startEngine = () => (backend === 'postgres' ? start(['worker', ...db]) : start(['serve', '--port', '0', ...db]));
      const holder = backend === 'postgres' ? await startEngine() : api;
      let url = api.url!;
      let cp: CustomerProfilesClient = serviceClient(url);
      let af = appflow(url);

      // History: one day, three days ago; the run then reads the two days since (about 600 records).
      const day0 = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
      await createContactDomain(cp, 'runcrash');
      const workflowId = await createSyntheticWorkflow(cp, { domain: 'runcrash', flowName: FLOW, batches: [{ StartTime: new Date(day0), EndTime: new Date(day0 + DAY) }] });
      await eventually(async () => ((await cp.send(new GetWorkflowCommand({ DomainName: 'runcrash', WorkflowId: workflowId }))).Status === 'COMPLETE' ? true : undefined), 'the history', 60_000);
      const history = slotsBefore(day0 + DAY, RECORDS_PER_DAY) - slotsBefore(day0, RECORDS_PER_DAY);

      const { executionId } = await af.send(new StartFlowCommand({ flowName: FLOW }));
      assert.ok(executionId);
      const run = async () => (await af.send(new DescribeFlowExecutionRecordsCommand({ flowName: FLOW }))).flowExecutions?.find((r) => r.executionId === executionId);
      const atKill = await eventually(async () => {
        const n = (await run())?.executionResult?.recordsProcessed ?? 0;
        return n >= 100 ? n : undefined;
      }, 'the run under way', 60_000);
      holder.proc.kill('SIGKILL');
      await holder.stop('SIGKILL');
      if (backend === 'sqlite') {
        cp.destroy();
        af.destroy();
        const restarted = await startEngine();
        url = restarted.url!;
        cp = serviceClient(url);
        af = appflow(url);
      } else {
        await startEngine();
      }
      const before = await run();
      assert.equal(before?.executionStatus, 'InProgress', 'killed mid-run');
      assert.ok((before?.executionResult?.recordsProcessed ?? 0) >= atKill, 'nothing committed was lost');

      const done = await eventually(async () => {
        const r = await run();
        return r && r.executionStatus !== 'InProgress' ? r : undefined;
      }, 'the run to end on the other process after the lease lapsed', 60_000);
      assert.equal(done.executionStatus, 'Successful');
      const expected = slotsBefore(done.dataPullEndTime!.getTime(), RECORDS_PER_DAY) - slotsBefore(done.dataPullStartTime!.getTime(), RECORDS_PER_DAY);
      assert.equal(done.dataPullStartTime?.getTime(), day0 + DAY, 'the run starts where the history ended');
      assert.ok(expected > atKill, `the kill (at ${atKill}) landed before the end (${expected})`);
      assert.equal(done.executionResult?.recordsProcessed, expected, 'no record counted twice or lost: resumed from the cursor');
      const stats = (await cp.send(new GetDomainCommand({ DomainName: 'runcrash' }))).Stats;
      assert.equal(stats?.ObjectCount, history + expected, 'every record stored exactly once');
      cp.destroy();
      af.destroy();
    });
  });
}
