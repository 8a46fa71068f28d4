import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type CustomerProfilesClient, GetDomainCommand, GetWorkflowCommand, GetWorkflowStepsCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { type ServiceProcess, startService } from '../helpers/cli-process.js';
import { eventually } from '../helpers/poll.js';
import { createContactDomain, createSyntheticWorkflow, type ServiceConfig, serviceClient, serviceSandbox } from '../helpers/service-sandbox.js';
import { consecutiveBatches } from '../helpers/workflows.js';

const RECORDS_PER_DAY = 200;
const DAYS = 4;
const TOTAL = RECORDS_PER_DAY * DAYS;
/** SIGKILLs during one workflow, each at a random point of its progress. */
const KILLS = 4;

function config(leaseMs: number): ServiceConfig {
  return { pageDelayMs: 60, engine: { leaseMs, pollIntervalMs: 50, pageSize: 20 }, recordsPerDay: RECORDS_PER_DAY, seed: 11 };
}

/** A domain with a Contact object type and one workflow reading DAYS days of the synthetic profile. */
async function createWorkflow(client: CustomerProfilesClient, domain: string): Promise<string> {
  await createContactDomain(client, domain);
  return createSyntheticWorkflow(client, { domain, flowName: `crash-flow-${domain}`, batches: consecutiveBatches(Date.UTC(2025, 0, 1), DAYS) });
}

for (const backend of await availableBackends()) {
  describe(`a process killed mid-step loses nothing [${backend}]`, () => {
    const sandbox = serviceSandbox('crash', backend);
    const running: ServiceProcess[] = [];
    after(async () => {
      for (const p of running) await p.stop('SIGKILL');
      await sandbox.dispose();
    });

    test(`SIGKILL ${KILLS} times at random moments during ingestion, restart each time: every record stored and counted once`, async () => {
      const args = ['serve', '--port', '0', '--config', sandbox.writeConfig(config(1500)), ...sandbox.storeArgs()];
      const first = await startService(args);
      running.push(first);
      const client = serviceClient(first.url!);
      const WorkflowId = await createWorkflow(client, 'crash');
      // Kill points: random, increasing, all before the end, so each kill lands in a different page of the run.
      let service = first;
      let current = client;
      let reached = 0;
      for (let kill = 1; kill <= KILLS; kill++) {
        const room = Math.floor((TOTAL - 40 - reached) / (KILLS - kill + 1));
        const target = reached + 10 + Math.floor(Math.random() * Math.max(1, room - 10));
        const seen = await eventually(async () => {
          const w = await current.send(new GetWorkflowCommand({ DomainName: 'crash', WorkflowId }));
          const n = w.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0;
          return n >= target ? n : undefined;
        }, `progress past ${target} records before kill ${kill}`, 60_000);
        service.proc.kill('SIGKILL');
        await service.stop('SIGKILL');
        current.destroy();
        assert.ok(seen < TOTAL, `kill ${kill} landed while the step was still running (${seen} of ${TOTAL})`);
        reached = seen;
        if (kill < KILLS) {
          service = await startService(args);
          running.push(service);
          current = serviceClient(service.url!);
        }
      }
      const second = await startService(args);
      running.push(second);
      const again = serviceClient(second.url!);
      const done = await eventually(async () => {
        const w = await again.send(new GetWorkflowCommand({ DomainName: 'crash', WorkflowId }));
        return w.Status === 'COMPLETE' || w.Status === 'FAILED' ? w : undefined;
      }, 'the restarted service to finish the workflow after the lease expired');
      assert.equal(done.Status, 'COMPLETE');
      assert.equal(done.Metrics?.AppflowIntegration?.RecordsProcessed, TOTAL, 'no record counted twice or lost');
      const steps = await again.send(new GetWorkflowStepsCommand({ DomainName: 'crash', WorkflowId }));
      assert.equal(steps.Items?.[0]?.AppflowIntegration?.RecordsProcessed, TOTAL);
      const domain = await again.send(new GetDomainCommand({ DomainName: 'crash' }));
      assert.equal(domain.Stats?.ObjectCount, TOTAL, 'every record stored exactly once');
      again.destroy();
      assert.equal(await second.stop('SIGTERM'), 0);
    });

    test('SIGTERM mid-step exits 0 promptly and gives the lease back: a restart resumes at once, long before the lease would expire', async () => {
      // A two-minute lease: if SIGTERM did not give it back, the restarted process could not claim the
      // step within the 30 s the final wait allows.
      const drainConfig = sandbox.writeConfig(config(120_000), 'drain.json');
      const args = ['serve', '--port', '0', '--config', drainConfig, ...sandbox.storeArgs(join(sandbox.dir, 'drain'))];
      const first = await startService(args);
      running.push(first);
      const client = serviceClient(first.url!);
      const workflowId = await createWorkflow(client, 'drain');
      await eventually(async () => {
        const w = await client.send(new GetWorkflowCommand({ DomainName: 'drain', WorkflowId: workflowId }));
        return (w.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0) >= 40 ? true : undefined;
      }, 'ingestion under way');
      client.destroy();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        first.stop('SIGTERM'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no exit within 15 s of SIGTERM:\n${first.output()}`)), 15_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(code, 0, first.output());

      const second = await startService(args);
      running.push(second);
      const again = serviceClient(second.url!);
      const done = await eventually(async () => {
        const w = await again.send(new GetWorkflowCommand({ DomainName: 'drain', WorkflowId: workflowId }));
        return w.Status === 'COMPLETE' || w.Status === 'FAILED' ? w : undefined;
      }, 'the restarted service to finish the workflow without waiting for the lease');
      assert.equal(done.Status, 'COMPLETE');
      assert.equal(done.Metrics?.AppflowIntegration?.RecordsProcessed, TOTAL);
      const domain = await again.send(new GetDomainCommand({ DomainName: 'drain' }));
      assert.equal(domain.Stats?.ObjectCount, TOTAL);
      again.destroy();
      assert.equal(await second.stop('SIGTERM'), 0);
    });
  });
}
