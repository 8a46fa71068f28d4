import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import {
  type CustomerProfilesClient,
  GetDomainCommand,
  GetWorkflowCommand,
  type GetWorkflowCommandOutput,
  GetWorkflowStepsCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends, POSTGRES_URL } from '../helpers/backends.js';
import { type ServiceProcess, startService, workerOwner } from '../helpers/cli-process.js';
import { eventually } from '../helpers/poll.js';
import {
  createContactDomain,
  createSyntheticWorkflow,
  type ServiceConfig,
  serviceClient,
  type ServiceSandbox,
  serviceSandbox,
} from '../helpers/service-sandbox.js';
import { consecutiveBatches } from '../helpers/workflows.js';

const hasPostgres = (await availableBackends()).includes('postgres');

/** `profileflow serve` (API only) on a schema of its own, a domain with an object type, and a way to add workers. */
interface Cluster {
  schema: string;
  client: CustomerProfilesClient;
  /** Direct SQL on the shared schema, to watch leases and checkpoints as the workers write them. */
  sql: pg.Client;
  processes: ServiceProcess[];
  startWorker(): Promise<{ process: ServiceProcess; owner: string }>;
}

const DOMAIN = 'scale';
const clusters: { sandbox: ServiceSandbox; sql: pg.Client; processes: ServiceProcess[]; client: CustomerProfilesClient }[] = [];

async function startCluster(name: string, config: ServiceConfig): Promise<Cluster> {
  const sandbox = serviceSandbox(name);
  const processes: ServiceProcess[] = [];
  const sql = new pg.Client({ connectionString: POSTGRES_URL });
  const db = [...sandbox.storeArgs(), '--config', sandbox.writeConfig(config)];
  // The API process runs no steps: all of them go to the workers.
  const api = await startService(['serve', '--port', '0', '--engine-mode', 'off', ...db]);
  processes.push(api);
  const client = serviceClient(api.url!);
  clusters.push({ sandbox, sql, processes, client });
  await sql.connect();
  await createContactDomain(client, DOMAIN);
  return {
    schema: sandbox.schema,
    client,
    sql,
    processes,
    async startWorker() {
      const process = await startService(['worker', ...db]);
      processes.push(process);
      return { process, owner: workerOwner(process) };
    },
  };
}

/** An on-demand workflow over the synthetic source: one step per day from `day0`. */
function createWorkflow(client: CustomerProfilesClient, flowName: string, day0: number, days: number): Promise<string> {
  return createSyntheticWorkflow(client, { domain: DOMAIN, flowName, batches: consecutiveBatches(day0, ...Array<number>(days).fill(1)) });
}

function finished(client: CustomerProfilesClient, id: string): Promise<GetWorkflowCommandOutput> {
  return eventually(async () => {
    const r = await client.send(new GetWorkflowCommand({ DomainName: DOMAIN, WorkflowId: id }));
    return r.Status === 'COMPLETE' || r.Status === 'FAILED' ? r : undefined;
  }, `workflow ${id} to finish`, 60_000);
}

interface StepRow {
  stepNo: number;
  status: string;
  cursor: string | null;
  recordsProcessed: number;
  leaseOwner: string | null;
}

/** The workflow's steps as the engine keeps them: lease owner and the checkpoint (cursor + count) of the last committed page. */
async function stepRows(c: Cluster, workflowId: string): Promise<StepRow[]> {
  const { rows } = await c.sql.query<{ step_no: number; status: string; cursor: string | null; records_processed: string; lease_owner: string | null }>(
    `SELECT step_no, status, cursor, records_processed, lease_owner FROM "${c.schema}".workflow_steps WHERE workflow_id = $1 ORDER BY step_no`,
    [workflowId],
  );
  return rows.map((r) => ({
    stepNo: r.step_no,
    status: r.status,
    cursor: r.cursor,
    recordsProcessed: Number(r.records_processed),
    leaseOwner: r.lease_owner,
  }));
}

describe('worker processes beside serve on PostgreSQL', { skip: hasPostgres ? false : 'PostgreSQL does not answer' }, () => {
  after(async () => {
    for (const c of clusters) {
      c.client.destroy();
      for (const p of c.processes) await p.stop('SIGKILL');
      await c.sql.end().catch(() => undefined);
      await c.sandbox.dispose();
    }
  });

  test('two workers share the steps of many workflows and never process one twice: every count is exact', async () => {
    const PER_DAY = 48;
    const c = await startCluster('workers', { pageDelayMs: 5, engine: { pollIntervalMs: 50, pageSize: 16 }, recordsPerDay: PER_DAY, seed: 5 });
    const ids: string[] = [];
    // Each workflow reads its own days, so every record is distinct across workflows.
    for (let w = 0; w < 6; w++) ids.push(await createWorkflow(c.client, `scale-${w}`, Date.UTC(2024, 0, 1 + w * 3), 3));
    await c.startWorker();
    await c.startWorker();

    for (const id of ids) {
      const w = await finished(c.client, id);
      assert.equal(w.Status, 'COMPLETE');
      assert.deepEqual(w.Metrics?.AppflowIntegration, { RecordsProcessed: 3 * PER_DAY, StepsCompleted: 3, TotalSteps: 3 });
      const steps = await c.client.send(new GetWorkflowStepsCommand({ DomainName: DOMAIN, WorkflowId: id }));
      assert.deepEqual(steps.Items?.map((s) => s.AppflowIntegration?.RecordsProcessed), [PER_DAY, PER_DAY, PER_DAY]);
    }
    const domain = await c.client.send(new GetDomainCommand({ DomainName: DOMAIN }));
    assert.equal(domain.Stats?.ObjectCount, 6 * 3 * PER_DAY);
    for (const p of c.processes.splice(0)) assert.equal(await p.stop('SIGTERM'), 0);
  });

  test('SIGKILL the worker holding a step mid-step: the other worker takes it over when the lease expires and resumes from its checkpoint', async () => {
    const PER_DAY = 240;
    const PAGE = 12;
    const DAYS = 4;
    const TOTAL = DAYS * PER_DAY;
    // 20 pages a step, each followed by a pause, so a step lasts long enough for the kill to land inside it;
    // a 1.5 s lease so the takeover comes soon after the kill.
    const c = await startCluster('kill', { pageDelayMs: 60, engine: { leaseMs: 1500, pollIntervalMs: 50, pageSize: PAGE }, recordsPerDay: PER_DAY, seed: 13 });
    const id = await createWorkflow(c.client, 'kill-flow', Date.UTC(2025, 0, 1), DAYS);
    const workers = [await c.startWorker(), await c.startWorker()];
    assert.notEqual(workers[0].owner, workers[1].owner);

    // A worker holds the lease on a step and has committed a page of it, with most of the step still ahead.
    const held = await eventually(async () => {
      const rows = await stepRows(c, id);
      return rows.find(
        (r) =>
          r.status === 'IN_PROGRESS' &&
          workers.some((w) => w.owner === r.leaseOwner) &&
          r.cursor !== null &&
          r.recordsProcessed > 0 &&
          r.recordsProcessed <= PER_DAY / 4,
      );
    }, 'a worker to hold a step with at least one committed page', 60_000);
    const victim = workers.find((w) => w.owner === held.leaseOwner)!;
    const survivor = workers.find((w) => w !== victim)!;
    assert.equal(await victim.process.stop('SIGKILL'), null, 'the worker died of the signal');

    // Only the survivor can move the step now; it may claim it only once the dead worker's lease has expired.
    // Seeing the survivor as the lease owner of that very step shows the kill landed mid-step: a step the
    // victim had finished would have no lease left to take over.
    const taken = await eventually(async () => {
      const row = (await stepRows(c, id)).find((r) => r.stepNo === held.stepNo)!;
      return row.leaseOwner === survivor.owner || row.status !== 'IN_PROGRESS' ? row : undefined;
    }, `the surviving worker to take over step ${held.stepNo}`, 30_000);
    assert.equal(taken.leaseOwner, survivor.owner, `step ${held.stepNo} ended (${taken.status}) without a visible takeover`);
    assert.equal(taken.status, 'IN_PROGRESS');
    assert.ok(taken.cursor !== null, 'the taken-over step keeps a committed cursor');
    assert.ok(taken.recordsProcessed >= held.recordsProcessed, 'the pages the dead worker committed stay counted');

    const w = await finished(c.client, id);
    assert.equal(w.Status, 'COMPLETE');
    assert.deepEqual(w.Metrics?.AppflowIntegration, { RecordsProcessed: TOTAL, StepsCompleted: DAYS, TotalSteps: DAYS });
    // The dead worker had committed records of the taken-over step: a restart from zero would count them
    // twice, so an exact per-step count shows the survivor resumed from the committed cursor.
    const steps = await c.client.send(new GetWorkflowStepsCommand({ DomainName: DOMAIN, WorkflowId: id }));
    assert.deepEqual(
      steps.Items?.map((s) => [s.AppflowIntegration?.Status, s.AppflowIntegration?.RecordsProcessed]),
      Array.from({ length: DAYS }, () => ['COMPLETE', PER_DAY]),
    );
    const domain = await c.client.send(new GetDomainCommand({ DomainName: DOMAIN }));
    assert.equal(domain.Stats?.ObjectCount, TOTAL, 'every record stored exactly once');
    const { rows } = await c.sql.query<{ n: string; keys: string }>(
      `SELECT count(*) AS n, count(DISTINCT unique_key) AS keys FROM "${c.schema}".profile_objects WHERE domain_name = $1`,
      [DOMAIN],
    );
    assert.deepEqual({ n: Number(rows[0].n), keys: Number(rows[0].keys) }, { n: TOTAL, keys: TOTAL }, 'no object missing or duplicated');

    for (const p of c.processes.splice(0)) {
      if (p !== victim.process) assert.equal(await p.stop('SIGTERM'), 0);
    }
  });
});
