import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Scope } from '../../src/domain/scope.js';
import type { NewStep, WorkflowRecord } from '../../src/store/workflow-types.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

const scope: Scope = { accountId: '000000000000', region: 'us-east-1' };
const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;

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
    definition: { flowDefinition: { FlowName: 'f' } },
    recordsProcessed: 0,
    stepsCompleted: 0,
    totalSteps: steps,
    createdAt,
    updatedAt: createdAt,
  };
  const newSteps: NewStep[] = Array.from({ length: steps }, (_, i) => ({
    flowName: `f-${workflowId}-${i + 1}`,
    windowStart: T0 + i * 1000,
    windowEnd: T0 + (i + 1) * 1000,
    executionMessage: 'waiting',
  }));
  await store.workflows.create(scope, workflow, newSteps);
  return workflowId;
}

for (const backend of await availableBackends()) {
  describe(`step claims and leases [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    test('steps of one workflow are claimed strictly in order, one at a time', async () => {
      const id = await addWorkflow(t.store, 3);
      const first = await t.store.workflows.claim('w1', T0, LEASE);
      assert.equal(first?.step.workflowId, id);
      assert.equal(first?.step.stepNo, 1);
      assert.equal(await t.store.workflows.claim('w2', T0, LEASE), undefined, 'step 2 waits for step 1');
      const done = await t.store.workflows.complete('w1', { workflowId: id, stepNo: 1 }, 'ok', T0 + 1);
      assert.deepEqual(done, { owned: true, workflowComplete: false });
      const second = await t.store.workflows.claim('w2', T0 + 2, LEASE);
      assert.equal(second?.step.stepNo, 2);
      await t.store.workflows.complete('w2', { workflowId: id, stepNo: 2 }, 'ok', T0 + 3);
      const third = await t.store.workflows.claim('w1', T0 + 4, LEASE);
      assert.equal(third?.step.stepNo, 3);
      const last = await t.store.workflows.complete('w1', { workflowId: id, stepNo: 3 }, 'ok', T0 + 5);
      assert.deepEqual(last, { owned: true, workflowComplete: true });
      const wf = await t.store.workflows.get(scope, 'd', id);
      assert.equal(wf?.status, 'COMPLETE');
      assert.equal(wf?.stepsCompleted, 3);
      await t.store.workflows.purge(id);
    });

    test('a live lease blocks others; an expired one is taken over and the old owner can no longer write', async () => {
      const id = await addWorkflow(t.store, 1);
      const key = { workflowId: id, stepNo: 1 };
      const a = await t.store.workflows.claim('crashed', T0, LEASE);
      assert.equal(a?.tookOver, false);
      assert.ok(await t.store.workflows.recordPage('crashed', key, 'c1', 10, 'page 1', T0 + 1, LEASE));
      assert.equal(await t.store.workflows.claim('rescuer', T0 + LEASE, LEASE), undefined, 'lease still live at its last instant');
      const b = await t.store.workflows.claim('rescuer', T0 + 1 + LEASE, LEASE);
      assert.equal(b?.tookOver, true);
      assert.equal(b?.step.cursor, 'c1', 'the new owner resumes from the last committed cursor');
      assert.equal(b?.step.recordsProcessed, 10);
      assert.equal(await t.store.workflows.recordPage('crashed', key, 'c2', 10, 'late', T0 + 2 + LEASE, LEASE), false);
      assert.equal(await t.store.workflows.heartbeat('crashed', key, T0 + 2 + LEASE, LEASE), false);
      assert.deepEqual(await t.store.workflows.complete('crashed', key, 'late', T0 + 3 + LEASE), { owned: false, workflowComplete: false });
      assert.ok(await t.store.workflows.recordPage('rescuer', key, 'c2', 5, 'page 2', T0 + 3 + LEASE, LEASE));
      const wf = await t.store.workflows.get(scope, 'd', id);
      assert.equal(wf?.recordsProcessed, 15, 'the crashed owner counted nothing after losing its lease');
      await t.store.workflows.purge(id);
    });

    test('a retrying step is not claimable before its back-off has passed', async () => {
      const id = await addWorkflow(t.store, 1);
      const key = { workflowId: id, stepNo: 1 };
      await t.store.workflows.claim('w', T0, LEASE);
      assert.ok(await t.store.workflows.retryLater('w', key, 1, T0 + 1000, 'retry 1', T0));
      assert.equal(await t.store.workflows.claim('w', T0 + 999, LEASE), undefined);
      const again = await t.store.workflows.claim('w', T0 + 1000, LEASE);
      assert.equal(again?.step.status, 'IN_PROGRESS');
      assert.equal(again?.step.attempts, 1);
      await t.store.workflows.purge(id);
    });

    test('a deleted workflow is never claimed and its running owner loses the right to write', async () => {
      const id = await addWorkflow(t.store, 2);
      const key = { workflowId: id, stepNo: 1 };
      await t.store.workflows.claim('w', T0, LEASE);
      assert.equal(await t.store.workflows.markDeleted(scope, 'd', id, T0 + 1), 'running');
      assert.equal(await t.store.workflows.get(scope, 'd', id), undefined, 'gone from reads at once');
      assert.equal(await t.store.workflows.recordPage('w', key, 'c', 1, 'page', T0 + 2, LEASE), false);
      assert.equal(await t.store.workflows.claim('other', T0 + 10 * LEASE, LEASE), undefined);
      assert.ok(await t.store.workflows.isDeleted(id));
      await t.store.workflows.purge(id);
    });

    test('a failed step fails its workflow and cancels the steps not yet run', async () => {
      const id = await addWorkflow(t.store, 3);
      await t.store.workflows.claim('w', T0, LEASE);
      assert.ok(await t.store.workflows.fail('w', { workflowId: id, stepNo: 1 }, 'Failed: boom', 'Step 1 failed: boom', T0 + 1));
      const wf = await t.store.workflows.get(scope, 'd', id);
      assert.equal(wf?.status, 'FAILED');
      assert.equal(wf?.errorDescription, 'Step 1 failed: boom');
      const steps = await t.store.workflows.listSteps(scope, id, undefined, 10);
      assert.deepEqual(steps.map((s) => s.status), ['FAILED', 'CANCELLED', 'CANCELLED']);
      assert.equal(await t.store.workflows.claim('w', T0 + 2, LEASE), undefined);
      await t.store.workflows.purge(id);
    });

    test('a split replaces the step by halves appended at the end and takes back its counted records', async () => {
      const id = await addWorkflow(t.store, 2);
      const key = { workflowId: id, stepNo: 1 };
      await t.store.workflows.claim('w', T0, LEASE);
      await t.store.workflows.recordPage('w', key, 'c', 7, 'page', T0 + 1, LEASE);
      const halves: NewStep[] = [
        { flowName: 'h1', windowStart: T0, windowEnd: T0 + 500, executionMessage: 'half' },
        { flowName: 'h2', windowStart: T0 + 500, windowEnd: T0 + 1000, executionMessage: 'half' },
      ];
      assert.ok(await t.store.workflows.split('w', key, halves, 'split', T0 + 2));
      const steps = await t.store.workflows.listSteps(scope, id, undefined, 10);
      assert.deepEqual(steps.map((s) => [s.stepNo, s.status]), [[1, 'SPLIT'], [2, 'NOT_STARTED'], [3, 'NOT_STARTED'], [4, 'NOT_STARTED']]);
      const wf = await t.store.workflows.get(scope, 'd', id);
      assert.equal(wf?.totalSteps, 3);
      assert.equal(wf?.recordsProcessed, 0);
      const next = await t.store.workflows.claim('w', T0 + 3, LEASE);
      assert.equal(next?.step.stepNo, 2, 'the steps that were already planned run before the halves');
      await t.store.workflows.purge(id);
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
            const c = await store.workflows.claim(`worker-${w}`, T0 + 100, LEASE);
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
