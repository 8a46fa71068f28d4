import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CustomerProfilesClient, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { type ServiceProcess, startService, workerOwner } from '../helpers/cli-process.js';
import { eventually } from '../helpers/poll.js';
import { createContactDomain, createSyntheticWorkflow, serviceClient, type ServiceSandbox, serviceSandbox } from '../helpers/service-sandbox.js';
import { consecutiveBatches } from '../helpers/workflows.js';

const hasPostgres = (await availableBackends()).includes('postgres');
const PER_DAY = 24;
const DOMAIN = 'metered';
const KMS_ARN = 'arn:aws:kms:us-east-1:123456789012:key/do-not-log-this-key';

/** A Prometheus text exposition as sample line → value (`name{labels}` exactly as written). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** The worker's JSON log lines that report a step outcome. */
function stepLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l.msg === 'string' && l.msg.startsWith('step '));
}

/**
 * `profileflow worker --metrics-port`: serve (API only, engine off) and one worker on a PostgreSQL schema of
 * their own; the worker's step outcomes show up in its counters and in its JSON log lines.
 */
describe('profileflow worker: step outcome logs and /_profileflow/metrics', { skip: hasPostgres ? false : 'PostgreSQL does not answer' }, () => {
  let sandbox: ServiceSandbox | undefined;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let metricsUrl: string;
  let client: CustomerProfilesClient;

  const scrape = async () => {
    const res = await fetch(metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return samples(await res.text());
  };
  const outcomes = (m: Map<string, number>) => ({
    complete: m.get('profileflow_step_outcomes_total{outcome="complete"}') ?? 0,
    workflowComplete: m.get('profileflow_step_outcomes_total{outcome="workflow-complete"}') ?? 0,
  });

  /** One step per day from `day0`. */
  const createWorkflow = (flowName: string, day0: number, days: number) =>
    createSyntheticWorkflow(client, { domain: DOMAIN, flowName, kmsArn: KMS_ARN, batches: consecutiveBatches(day0, ...Array<number>(days).fill(1)) });

  const finished = (id: string) =>
    eventually(async () => {
      const w = await client.send(new GetWorkflowCommand({ DomainName: DOMAIN, WorkflowId: id }));
      return w.Status === 'COMPLETE' || w.Status === 'FAILED' ? w : undefined;
    }, `workflow ${id} to finish`, 60_000);

  before(async () => {
    sandbox = serviceSandbox('wmetrics');
    const config = sandbox.writeConfig({ pageDelayMs: 5, engine: { pollIntervalMs: 50, pageSize: 8 }, recordsPerDay: PER_DAY, seed: 3 });
    const db = [...sandbox.storeArgs(), '--config', config];
    api = await startService(['serve', '--port', '0', '--engine-mode', 'off', ...db]);
    client = serviceClient(api.url!);
    await createContactDomain(client, DOMAIN);
    worker = await startService(['worker', '--metrics-port', '0', '--log-level', 'info', ...db]);
    const m = /; metrics: (http:\/\/127\.0\.0\.1:\d+\/_profileflow\/metrics)\)/.exec(worker.output());
    assert.ok(m, `no metrics address in the worker banner:\n${worker.output()}`);
    metricsUrl = m[1];
  });

  after(async () => {
    client?.destroy();
    await worker?.stop('SIGKILL');
    await api?.stop('SIGKILL');
    await sandbox?.dispose();
  });

  test('health answers with the worker id; before any work the counters are empty and the store gauges zero', async () => {
    const health = await fetch(metricsUrl.replace(/metrics$/, 'health'));
    assert.equal(health.status, 200);
    const body = (await health.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.backend, 'postgres');
    assert.equal(body.worker, workerOwner(worker));
    const m = await scrape();
    assert.deepEqual(outcomes(m), { complete: 0, workflowComplete: 0 });
    assert.equal(m.get('profileflow_steps{status="NOT_STARTED"}'), 0);
    assert.equal(m.get('profileflow_engine_errors_total'), 0);
    assert.equal(m.get('profileflow_requests_total{operation="/_profileflow/health",status="200"}'), 1);
    const other = await fetch(metricsUrl.replace(/metrics$/, 'reset'), { method: 'POST' });
    assert.equal(other.status, 404);
    assert.equal(other.headers.get('x-amzn-errortype'), 'UnknownOperationException');
  });

  test('step counters move with each workflow the worker runs; each outcome is a JSON log line with where it belongs, and no secrets', async () => {
    const first = await createWorkflow('metered-1', Date.UTC(2025, 0, 1), 1);
    assert.equal((await finished(first)).Status, 'COMPLETE');
    const afterFirst = await eventually(async () => {
      const m = await scrape();
      return outcomes(m).workflowComplete === 1 ? m : undefined;
    }, 'the first workflow in the counters');
    assert.deepEqual(outcomes(afterFirst), { complete: 0, workflowComplete: 1 });

    // Three steps: the counters are scraped while it runs and only ever go up, to 2 steps + the last one.
    const second = await createWorkflow('metered-2', Date.UTC(2025, 1, 1), 3);
    const seen: number[] = [];
    const afterSecond = await eventually(async () => {
      const m = await scrape();
      const o = outcomes(m);
      seen.push(o.complete + o.workflowComplete);
      return o.workflowComplete === 2 ? m : undefined;
    }, 'the second workflow in the counters', 60_000);
    assert.deepEqual(outcomes(afterSecond), { complete: 2, workflowComplete: 2 });
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), `counters never go down: ${seen.join(', ')}`);
    assert.equal(afterSecond.get('profileflow_workflows{status="COMPLETE"}'), 2);
    assert.equal(afterSecond.get('profileflow_steps{status="COMPLETE"}'), 4);
    assert.equal(afterSecond.get('profileflow_records_processed'), 4 * PER_DAY);

    const lines = await eventually(async () => {
      const l = stepLines(worker.output());
      return l.length === 4 ? l : undefined;
    }, 'four step lines in the worker log');
    const ofSecond = lines.filter((l) => l.workflowId === second);
    assert.deepEqual(
      ofSecond.map((l) => [l.stepNo, l.outcome, l.msg]),
      [
        [1, 'complete', 'step complete'],
        [2, 'complete', 'step complete'],
        [3, 'workflow-complete', 'step workflow-complete'],
      ],
    );
    for (const l of lines) {
      // The fields of serve's engine lines, nothing more (no flow definition, no connector settings).
      assert.deepEqual(Object.keys(l).sort(), ['accountId', 'domainName', 'hostname', 'level', 'msg', 'outcome', 'pid', 'region', 'stepNo', 'time', 'tookOver', 'workflowId']);
      assert.equal(l.level, 30);
      assert.equal(l.domainName, DOMAIN);
      assert.equal(l.tookOver, false);
    }
    assert.ok(!worker.output().includes(KMS_ARN), 'the flow definition is never logged');
    assert.ok(!worker.output().includes('recordsPerDay'), 'connector settings are never logged');
  });

  test('SIGTERM stops the worker cleanly, metrics port included', async () => {
    assert.equal(await worker.stop('SIGTERM'), 0);
    await assert.rejects(fetch(metricsUrl));
  });
});
