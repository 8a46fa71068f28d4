import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { sqliteCapabilities } from '../../src/store/dialects/sqlite.js';
import { openStore } from '../../src/store/open-store.js';
import { KyselyWorkflowRepository } from '../../src/store/repositories/workflows.js';
import type { FlowDefinition } from '../../src/api/shapes.generated.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { purgeCancelledWorkflow } from '../../src/store/purge-workflow.js';
import type { Scope } from '../../src/domain/scope.js';
import type { ClaimedStep, NewStep, WorkflowRecord } from '../../src/store/workflow-types.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { sqlitePlans } from '../helpers/sqlite-plans.js';

const scope: Scope = { accountId: '000000000000', region: 'us-east-1' };
const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;
const FLOW: FlowDefinition = {
  FlowName: 'f',
  KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
  SourceFlowConfig: { ConnectorType: 'Salesforce', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
  Tasks: [],
  TriggerConfig: { TriggerType: 'OnDemand' },
};
const lease = (owner: string, now: number) => ({ owner, now, leaseMs: LEASE });

async function addWorkflow(store: KyselyStore, steps: number, createdAt = T0): Promise<string> {
  const workflowId = randomBytes(16).toString('hex');
  const workflow: WorkflowRecord = {
    workflowId,
    domainName: 'd',
    workflowType: 'APPFLOW_INTEGRATION',
    status: 'NOT_STARTED',
    objectTypeName: 'Contact',
    connectorType: 'Salesforce',
    connectorProfileName: 'p',
    roleArn: 'arn:aws:iam::123456789012:role/r',
    definition: { flowDefinition: FLOW },
    recordsProcessed: 0,
    stepsCompleted: 0,
    totalSteps: steps,
    createdAt,
    updatedAt: createdAt,
  };
  const newSteps: NewStep[] = Array.from({ length: steps }, (_, i) => ({
    windowStart: T0 + i * 1000,
    windowEnd: T0 + (i + 1) * 1000,
    executionMessage: 'waiting',
  }));
  await store.workflows.create(scope, workflow, newSteps);
  return workflowId;
}

/** Cancels (when live) and purges: what DeleteWorkflow and then the engine do. */
async function forget(store: KyselyStore, workflowId: string): Promise<void> {
  const found = await store.activity.workflowById(workflowId);
  if (found && !found.deleted) await store.workflows.cancel({ scope: found.scope, domainName: found.workflow.domainName, workflowId, now: found.workflow.updatedAt });
  await purgeCancelledWorkflow(store, workflowId);
}

for (const backend of await availableBackends()) {
  describe(`the workflow repository's step machine [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
      // The API's reads see a domain's workflows only while the domain exists.
      await t.store.domains.create(scope, { domainName: 'd', createdAt: T0, updatedAt: T0 });
    });
    after(() => t.dispose());

    test('steps of one workflow are claimed strictly in order, one at a time', async () => {
      const id = await addWorkflow(t.store, 3);
      const first = await t.store.workflows.claim(lease('w1', T0));
      assert.equal(first?.step.workflowId, id);
      assert.equal(first?.step.stepNo, 1);
      assert.equal(await t.store.workflows.claim(lease('w2', T0)), undefined, 'step 2 waits for step 1');
      const done = await t.store.workflows.completeStep({ owner: 'w1', key: { workflowId: id, stepNo: 1 }, message: 'ok', now: T0 + 1 });
      assert.deepEqual(done, { owned: true, workflowComplete: false });
      const second = await t.store.workflows.claim(lease('w2', T0 + 2));
      assert.equal(second?.step.stepNo, 2);
      await t.store.workflows.completeStep({ owner: 'w2', key: { workflowId: id, stepNo: 2 }, message: 'ok', now: T0 + 3 });
      const third = await t.store.workflows.claim(lease('w1', T0 + 4));
      assert.equal(third?.step.stepNo, 3);
      const last = await t.store.workflows.completeStep({ owner: 'w1', key: { workflowId: id, stepNo: 3 }, message: 'ok', now: T0 + 5 });
      assert.deepEqual(last, { owned: true, workflowComplete: true });
      const wf = await t.store.workflows.get({ scope, domainName: 'd', workflowId: id });
      assert.equal(wf?.status, 'COMPLETE');
      assert.equal(wf?.stepsCompleted, 3);
      await forget(t.store, id);
    });

    test('a live lease blocks others; an expired one is taken over and the old owner can no longer write', async () => {
      const id = await addWorkflow(t.store, 1);
      const key = { workflowId: id, stepNo: 1 };
      const a = await t.store.workflows.claim(lease('crashed', T0));
      assert.equal(a?.tookOver, false);
      assert.ok(await t.store.workflows.checkpointPage({ owner: 'crashed', key, cursor: 'c1', records: 10, dropped: 0, message: 'page 1', now: T0 + 1, leaseMs: LEASE }));
      assert.equal(await t.store.workflows.claim(lease('rescuer', T0 + LEASE)), undefined, 'lease still live at its last instant');
      const b = await t.store.workflows.claim(lease('rescuer', T0 + 1 + LEASE));
      assert.equal(b?.tookOver, true);
      assert.equal(b?.step.cursor, 'c1', 'the new owner resumes from the last committed cursor');
      assert.equal(b?.step.recordsProcessed, 10);
      assert.equal(await t.store.workflows.checkpointPage({ owner: 'crashed', key, cursor: 'c2', records: 10, dropped: 0, message: 'late', now: T0 + 2 + LEASE, leaseMs: LEASE }), false);
      assert.equal(await t.store.workflows.renewLease({ owner: 'crashed', key, now: T0 + 2 + LEASE, leaseMs: LEASE }), false);
      assert.deepEqual(await t.store.workflows.completeStep({ owner: 'crashed', key: key, message: 'late', now: T0 + 3 + LEASE }), { owned: false, workflowComplete: false });
      assert.ok(await t.store.workflows.checkpointPage({ owner: 'rescuer', key, cursor: 'c2', records: 5, dropped: 0, message: 'page 2', now: T0 + 3 + LEASE, leaseMs: LEASE }));
      const wf = await t.store.workflows.get({ scope, domainName: 'd', workflowId: id });
      assert.equal(wf?.recordsProcessed, 15, 'the crashed owner counted nothing after losing its lease');
      await forget(t.store, id);
    });

    test('the read position moves with the cursor under the lease, a page without one keeps it, and the estimate is noted by the holder only', async () => {
      const id = await addWorkflow(t.store, 3);
      const key = { workflowId: id, stepNo: 1 };
      const progress = async () => (await t.store.workflows.listStepProgress({ scope, workflowId: id, limit: 10 })).map((p) => [p.stepNo, p.status, p.recordsProcessed, p.readThrough, p.recordsEstimate]);
      assert.deepEqual(await progress(), [[1, 'NOT_STARTED', 0, undefined, undefined], [2, 'NOT_STARTED', 0, undefined, undefined], [3, 'NOT_STARTED', 0, undefined, undefined]]);
      await t.store.workflows.claim(lease('w', T0));
      assert.ok(await t.store.workflows.noteEstimate({ owner: 'w', key, now: T0, recordsEstimate: 40 }));
      assert.equal(await t.store.workflows.noteEstimate({ owner: 'rival', key, now: T0, recordsEstimate: 1 }), false, 'guarded by the lease');
      assert.ok(await t.store.workflows.checkpointPage({ owner: 'w', key, cursor: 'c1', readThrough: T0 + 250, records: 10, dropped: 0, message: 'page 1', now: T0 + 1, leaseMs: LEASE }));
      assert.ok(await t.store.workflows.checkpointPage({ owner: 'w', key, cursor: 'c2', records: 10, dropped: 0, message: 'page 2', now: T0 + 2, leaseMs: LEASE }));
      assert.deepEqual((await progress())[0], [1, 'IN_PROGRESS', 20, T0 + 250, 40], 'a page that tells no position leaves the last one');
      assert.equal(
        await t.store.workflows.checkpointPage({ owner: 'rival', key, cursor: 'c9', readThrough: T0 + 999, records: 1, dropped: 0, message: 'late', now: T0 + 3, leaseMs: LEASE }),
        false,
      );
      assert.ok(await t.store.workflows.checkpointPage({ owner: 'w', key, cursor: 'c3', readThrough: T0 + 1000, records: 5, dropped: 0, message: 'page 3', now: T0 + 4, leaseMs: LEASE }));
      const claimed = await t.store.workflows.claim(lease('other', T0 + 10 + LEASE));
      assert.deepEqual([claimed?.step.cursor, claimed?.step.readThrough, claimed?.step.recordsEstimate], ['c3', T0 + 1000, 40], 'a takeover reads them with the cursor');
      assert.deepEqual(await t.store.workflows.listStepProgress({ scope, workflowId: id, after: 1, limit: 1 }).then((p) => p.map((x) => x.stepNo)), [2], 'keyset after a step');
      assert.deepEqual(
        await t.store.workflows.listStepProgress({ scope: { ...scope, accountId: '111111111111' }, workflowId: id, limit: 10 }),
        [],
        'another account reads nothing',
      );

      // Completed steps are summed for their density: records and window milliseconds.
      assert.deepEqual(await t.store.workflows.completedStepTotals(scope, id), { records: 0, windowMs: 0 });
      await t.store.workflows.completeStep({ owner: 'other', key, message: 'ok', now: T0 + 20 + LEASE });
      await t.store.workflows.claim(lease('w', T0 + 21 + LEASE));
      await t.store.workflows.checkpointPage({ owner: 'w', key: { workflowId: id, stepNo: 2 }, cursor: 'x', records: 7, dropped: 0, message: 'p', now: T0 + 22 + LEASE, leaseMs: LEASE });
      await t.store.workflows.completeStep({ owner: 'w', key: { workflowId: id, stepNo: 2 }, message: 'ok', now: T0 + 23 + LEASE });
      assert.deepEqual(await t.store.workflows.completedStepTotals(scope, id), { records: 32, windowMs: 2000 });
      assert.deepEqual(await t.store.workflows.completedStepTotals({ ...scope, region: 'eu-west-1' }, id), { records: 0, windowMs: 0 });
      await t.store.workflows.cancel({ scope, domainName: 'd', workflowId: id, now: T0 + 30 + LEASE });
      await forget(t.store, id);
    });

    test('a retrying step is not claimable before its back-off has passed', async () => {
      const id = await addWorkflow(t.store, 1);
      const key = { workflowId: id, stepNo: 1 };
      await t.store.workflows.claim(lease('w', T0));
      assert.ok(await t.store.workflows.retryStep({ owner: 'w', key, attempts: 1, runAfter: T0 + 1000, message: 'retry 1', now: T0 }));
      assert.equal(await t.store.workflows.claim(lease('w', T0 + 999)), undefined);
      const again = await t.store.workflows.claim(lease('w', T0 + 1000));
      assert.equal(again?.step.status, 'IN_PROGRESS');
      assert.equal(again?.step.attempts, 1);
      await forget(t.store, id);
    });

    test('a cancelled workflow is never claimed, its running owner loses the right to write, and it reads CANCELLED until purged', async () => {
      const id = await addWorkflow(t.store, 2);
      const key = { workflowId: id, stepNo: 1 };
      await t.store.workflows.claim(lease('w', T0));
      const cancelled = await t.store.workflows.cancel({ scope, domainName: 'd', workflowId: id, now: T0 + 1 });
      assert.equal(cancelled.state, 'cancelled');
      assert.equal(cancelled.state === 'cancelled' && cancelled.workflow.status, 'CANCELLED');
      assert.equal((await t.store.workflows.get({ scope, domainName: 'd', workflowId: id }))?.status, 'CANCELLED', 'shown until the purge');
      const listed = await t.store.workflows.listItems({ scope, domainName: 'd', filter: { status: 'CANCELLED' }, limit: 10 });
      assert.deepEqual(listed.map((w) => w.workflowId), [id], 'the CANCELLED filter finds it');
      const steps = await t.store.workflows.listSteps({ scope, workflowId: id, limit: 10 });
      assert.deepEqual(steps.map((s) => s.status), ['CANCELLED', 'CANCELLED'], 'the running step and the one not run are cancelled together');
      assert.equal(await t.store.workflows.checkpointPage({ owner: 'w', key, cursor: 'c', records: 1, dropped: 0, message: 'page', now: T0 + 2, leaseMs: LEASE }), false);
      assert.equal(await t.store.workflows.renewLease({ owner: 'w', key, now: T0 + 2, leaseMs: LEASE }), false, 'a cancelled step holds no lease');
      assert.equal(await t.store.workflows.claim(lease('other', T0 + 10 * LEASE)), undefined);
      assert.ok(await t.store.workflows.isCancelled(id));
      const again = await t.store.workflows.cancel({ scope, domainName: 'd', workflowId: id, now: T0 + 3 });
      assert.equal(again.state, 'already-cancelled', 'a second cancel changes nothing');
      assert.deepEqual(await t.store.workflows.cancelledWorkflows(10), [id]);
      await forget(t.store, id);
      assert.equal(await t.store.workflows.get({ scope, domainName: 'd', workflowId: id }), undefined, 'gone after the purge');
      assert.deepEqual(await t.store.workflows.listSteps({ scope, workflowId: id, limit: 10 }), []);
      assert.deepEqual(await t.store.workflows.cancelledWorkflows(10), []);
    });

    test('the purge removes only a cancelled workflow, with its integration and that integration\'s tags (by exact ARN)', async () => {
      const live = await addWorkflow(t.store, 1);
      assert.equal(await purgeCancelledWorkflow(t.store, live), undefined);
      assert.equal((await t.store.workflows.get({ scope, domainName: 'd', workflowId: live }))?.status, 'NOT_STARTED', 'a live workflow is never purged');
      await t.store.workflows.removeCancelled(live);
      assert.equal((await t.store.workflows.listSteps({ scope, workflowId: live, limit: 10 })).length, 1, 'removeCancelled is guarded too');

      const id = await addWorkflow(t.store, 1);
      const uri = 'arn:aws:appflow:us-east-1:000000000000:flow/f';
      await t.store.integrations.put(scope, 'd', { uri, objectTypeName: 'Contact', workflowId: id, createdAt: T0, updatedAt: T0 });
      const arn = `arn:aws:profile:us-east-1:000000000000:domains/d/integrations/${uri}`;
      await t.store.tags.put(scope, arn, { team: 'data' });
      // A resource whose ARN merely starts with the integration's keeps its tags.
      await t.store.tags.put(scope, `${arn}/child`, { keep: 'yes' });
      await t.store.workflows.cancel({ scope, domainName: 'd', workflowId: id, now: T0 + 1 });
      const purged = await purgeCancelledWorkflow(t.store, id);
      assert.equal(purged?.workflow.workflowId, id);
      assert.equal(purged?.workflow.status, 'CANCELLED');
      assert.equal(await t.store.integrations.get(scope, 'd', uri), undefined);
      assert.deepEqual(await t.store.tags.get(scope, arn), {});
      assert.deepEqual(await t.store.tags.get(scope, `${arn}/child`), { keep: 'yes' });
      assert.equal(await purgeCancelledWorkflow(t.store, id), undefined, 'a second purge finds nothing');
      await t.store.workflows.cancel({ scope, domainName: 'd', workflowId: live, now: T0 + 2 });
      await forget(t.store, live);
    });

    test('a renewed lease outlives its first expiry: nobody takes over a step whose holder keeps renewing', async () => {
      const id = await addWorkflow(t.store, 1);
      const key = { workflowId: id, stepNo: 1 };
      await t.store.workflows.claim(lease('long', T0));
      for (let at = T0 + LEASE / 3; at < T0 + 4 * LEASE; at += LEASE / 3) {
        assert.ok(await t.store.workflows.renewLease({ owner: 'long', key, now: at, leaseMs: LEASE }));
        assert.equal(await t.store.workflows.claim(lease('other', at + LEASE / 3)), undefined, `still held at +${at - T0} ms`);
      }
      assert.ok(await t.store.workflows.checkpointPage({ owner: 'long', key, cursor: 'c', records: 1, dropped: 0, message: 'page', now: T0 + 4 * LEASE, leaseMs: LEASE }));
      assert.ok(await t.store.workflows.giveBack({ owner: 'long', key, now: T0 + 4 * LEASE }));
      const next = await t.store.workflows.claim(lease('other', T0 + 4 * LEASE));
      assert.equal(next?.tookOver, false, 'a lease given back is free at once, not a takeover');
      assert.equal(next?.step.cursor, 'c');
      await t.store.workflows.cancel({ scope, domainName: 'd', workflowId: id, now: T0 + 5 * LEASE });
      await forget(t.store, id);
    });

    test("GetWorkflowSteps' page read brings the workflow's type, and sees nothing once the workflow or its domain is missing", async () => {
      const id = await addWorkflow(t.store, 3);
      const ref = { scope, domainName: 'd', workflowId: id };
      const first = await t.store.workflows.stepPage({ ...ref, limit: 2 });
      assert.equal(first.workflowType, 'APPFLOW_INTEGRATION');
      assert.deepEqual(first.steps, (await t.store.workflows.listSteps({ scope, workflowId: id, limit: 2 })), 'the same steps as the engine reads');
      assert.deepEqual(first.steps.map((s) => s.stepNo), [1, 2]);
      assert.deepEqual((await t.store.workflows.stepPage({ ...ref, after: 2, limit: 2 })).steps.map((s) => s.stepNo), [3]);
      const none = { workflowType: undefined, steps: [] };
      assert.deepEqual(await t.store.workflows.stepPage({ ...ref, after: 3, limit: 2 }), none, 'past the last step');
      assert.deepEqual(await t.store.workflows.stepPage({ ...ref, domainName: 'elsewhere', limit: 2 }), none, 'the workflow named in another domain');
      assert.deepEqual(await t.store.workflows.stepPage({ ...ref, scope: { ...scope, accountId: '111122223333' }, limit: 2 }), none, 'another account');
      assert.deepEqual(await t.store.workflows.stepPage({ ...ref, workflowId: 'f'.repeat(32), limit: 2 }), none, 'an unknown workflow');
      await forget(t.store, id);
    });

    test("the API's reads of a domain's workflows see none once the domain's row is gone, though the rows remain", async () => {
      const id = await addWorkflow(t.store, 2);
      const ref = { scope, domainName: 'd', workflowId: id };
      const listed = async () => (await t.store.workflows.listItems({ scope, domainName: 'd', limit: 100 })).map((w) => w.workflowId);
      assert.ok((await t.store.workflows.get(ref)) !== undefined);
      assert.ok((await listed()).includes(id));
      assert.ok((await t.store.workflows.list({ scope, domainName: 'd', limit: 100 })).some((w) => w.workflowId === id));
      // As DeleteDomain leaves it until its purge reaches the workflows: the domain's row alone removed.
      await sql`delete from domains where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = 'd'`.execute(t.store.db);
      try {
        assert.equal(await t.store.workflows.get(ref), undefined);
        assert.deepEqual(await listed(), []);
        assert.deepEqual(await t.store.workflows.list({ scope, domainName: 'd', limit: 100 }), []);
        assert.deepEqual((await t.store.workflows.stepPage({ ...ref, limit: 10 })).steps, []);
        assert.equal((await t.store.workflows.listSteps({ scope, workflowId: id, limit: 10 })).length, 2, "the engine's read is not the API's");
      } finally {
        await t.store.domains.create(scope, { domainName: 'd', createdAt: T0, updatedAt: T0 });
      }
      await forget(t.store, id);
    });

    test('a failed step fails its workflow and cancels the steps not yet run', async () => {
      const id = await addWorkflow(t.store, 3);
      await t.store.workflows.claim(lease('w', T0));
      assert.ok(
        await t.store.workflows.failStep({ owner: 'w', key: { workflowId: id, stepNo: 1 }, message: 'Failed: boom', errorDescription: 'Step 1 failed: boom', now: T0 + 1 }),
      );
      const wf = await t.store.workflows.get({ scope, domainName: 'd', workflowId: id });
      assert.equal(wf?.status, 'FAILED');
      assert.equal(wf?.errorDescription, 'Step 1 failed: boom');
      const steps = await t.store.workflows.listSteps({ scope, workflowId: id, limit: 10 });
      assert.deepEqual(steps.map((s) => s.status), ['FAILED', 'CANCELLED', 'CANCELLED']);
      assert.equal(await t.store.workflows.claim(lease('w', T0 + 2)), undefined);
      await forget(t.store, id);
    });

    test('a split replaces the step by halves appended at the end and takes back its counted records', async () => {
      const id = await addWorkflow(t.store, 2);
      const key = { workflowId: id, stepNo: 1 };
      await t.store.workflows.claim(lease('w', T0));
      await t.store.workflows.checkpointPage({ owner: 'w', key, cursor: 'c', records: 7, dropped: 0, message: 'page', now: T0 + 1, leaseMs: LEASE });
      const halves: NewStep[] = [
        { windowStart: T0, windowEnd: T0 + 500, executionMessage: 'half' },
        { windowStart: T0 + 500, windowEnd: T0 + 1000, executionMessage: 'half' },
      ];
      assert.ok(await t.store.workflows.splitStep({ owner: 'w', key, halves, message: (nos) => `split into ${nos.join(' and ')}`, now: T0 + 2 }));
      const steps = await t.store.workflows.listSteps({ scope, workflowId: id, limit: 10 });
      assert.deepEqual(steps.map((s) => [s.stepNo, s.status]), [[1, 'SPLIT'], [2, 'NOT_STARTED'], [3, 'NOT_STARTED'], [4, 'NOT_STARTED']]);
      assert.equal(steps[0].executionMessage, 'split into 3 and 4', 'the message is told the numbers the halves got');
      assert.deepEqual(
        steps.map((s) => s.flowName),
        [1, 2, 3, 4].map((n) => `f-${id}-${n}`),
        'every step, planned or split off, is named after the FlowName, the workflow and its number',
      );
      const wf = await t.store.workflows.get({ scope, domainName: 'd', workflowId: id });
      assert.equal(wf?.totalSteps, 3);
      assert.equal(wf?.recordsProcessed, 0);
      const next = await t.store.workflows.claim(lease('w', T0 + 3));
      assert.equal(next?.step.stepNo, 2, 'the steps that were already planned run before the halves');
      await forget(t.store, id);
    });
  });
}

const backends = await availableBackends();
describe('concurrent claims on PostgreSQL', { skip: backends.includes('postgres') ? false : 'PostgreSQL does not answer' }, () => {
  test('many workers claiming at once never take the same step twice', async () => {
    const t = await createTestStore('postgres');
    const config = t.config;
    // Separate stores are separate connection pools, as separate processes would have.
    const workers = await Promise.all(Array.from({ length: 4 }, () => openStore(config, { migrate: false })));
    try {
      const ids = [];
      for (let i = 0; i < 40; i++) ids.push(await addWorkflow(t.store, 1, T0 + i));
      const claimed: string[] = [];
      await Promise.all(
        workers.map(async (store, w) => {
          for (;;) {
            const c = await store.workflows.claim(lease(`worker-${w}`, T0 + 100));
            if (!c) return;
            claimed.push(`${c.step.workflowId}/${c.step.stepNo}`);
          }
        }),
      );
      assert.equal(claimed.length, 40, 'every step claimed');
      assert.equal(new Set(claimed).size, 40, 'no step claimed twice');
    } finally {
      for (const w of workers) await w.close();
      await t.dispose();
    }
  });
});

describe('the claim reads only the runnable workflows and each one\'s next step, however many workflows and steps are done [sqlite]', () => {
  let dir: string;
  let workflowId: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pf-claim-plan-'));
    const store = await openStore({ backend: 'sqlite', dataDir: dir });
    workflowId = await addWorkflow(store, 1000);
    const finished = await addWorkflow(store, 1);
    await sql`update workflows set status = 'COMPLETE' where workflow_id = ${finished}`.execute(store.db);
    await sql`update workflow_steps set status = 'COMPLETE' where workflow_id = ${workflowId} and step_no <= 998`.execute(store.db);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the first unfinished step is read from the index of unfinished steps, not found past the finished ones', async () => {
    let claimed: ClaimedStep | undefined;
    const statements = await sqlitePlans(join(dir, 'profileflow.db'), async (db) => {
      claimed = await new KyselyWorkflowRepository(db as never, sqliteCapabilities).claim(lease('w1', T0));
    });
    assert.deepEqual([claimed?.step.workflowId, claimed?.step.stepNo], [workflowId, 999]);
    const { plan } = statements.find((st) => st.sql.startsWith('select'))!;
    const shown = plan.join(' | ');
    assert.ok(plan.some((d) => /^SCAN w USING INDEX workflows_runnable/.test(d)), `only the runnable workflows are read: ${shown}`);
    assert.ok(plan.some((d) => /SEARCH s2 USING (COVERING )?INDEX workflow_steps_unfinished \(workflow_id=\?\)/.test(d)), `a workflow's next step is one seek: ${shown}`);
    assert.ok(plan.some((d) => /SEARCH s USING INDEX sqlite_autoindex_workflow_steps_1 \(workflow_id=\? AND step_no=\?\)/.test(d)), `and its row another: ${shown}`);
  });

});
