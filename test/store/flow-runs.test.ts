import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TriggerConfig } from '../../src/api/appflow/shapes.generated.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

const scope = { accountId: '111122223333', region: 'us-east-1' };
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const LEASE = { leaseMs: 10_000 };

for (const backend of await availableBackends()) {
  describe(`flow run repository [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
      await t.store.domains.create(scope, { domainName: 'd', defaultExpirationDays: 30, createdAt: T0, updatedAt: T0 } as never);
    });
    after(() => t.dispose());

    async function flow(name: string, trigger: TriggerConfig): Promise<void> {
      const ok = await t.store.flows.create(scope, {
        flowName: name,
        flowArn: `arn:aws:appflow:us-east-1:111122223333:flow/${name}`,
        flowStatus: 'Active',
        triggerConfig: trigger,
        sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: 'p', sourceConnectorProperties: { Salesforce: { object: 'Contact' } } },
        connectorType: 'Salesforce',
        connectorProfileName: 'p',
        destinationFlowConfigList: [],
        domainName: 'd',
        objectTypeName: 'Contact',
        tasks: [],
        createdBy: 'x',
        lastUpdatedBy: 'x',
        createdAt: T0,
        updatedAt: T0,
        activatedAt: T0,
      });
      assert.ok(ok);
    }
    const hourly: TriggerConfig = { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)' } } };

    test('two schedulers seeing the same due tick create one run; missed ticks collapse into the newest', async () => {
      await flow('sched', hourly);
      assert.deepEqual(await t.store.flowRuns.scheduleDueRuns(T0), [], 'the first pass only learns the next tick');
      const [a, b] = await Promise.all([t.store.flowRuns.scheduleDueRuns(T0 + 3 * HOUR + 5), t.store.flowRuns.scheduleDueRuns(T0 + 3 * HOUR + 5)]);
      const created = [...a, ...b].filter((k) => k.flowName === 'sched');
      assert.equal(created.length, 1, 'exactly one run for three missed ticks and two schedulers');
      const run = await t.store.flowRuns.get(created[0]!);
      assert.equal(run?.windowStart, T0);
      assert.equal(run?.windowEnd, T0 + 3 * HOUR);
      assert.equal((await t.store.flows.get(scope, 'sched'))?.nextRunAt, T0 + 4 * HOUR);
      // While that run is active, a due tick creates no second one.
      assert.deepEqual((await t.store.flowRuns.scheduleDueRuns(T0 + 5 * HOUR)).filter((k) => k.flowName === 'sched'), []);
    });

    test('a lapsed lease is taken over from the cursor; the old holder writes nothing more', async () => {
      await flow('od', { triggerType: 'OnDemand' });
      const id = await t.store.flowRuns.createRun(scope, 'od', { triggerType: 'OnDemand', windowStart: T0, windowEnd: T0 + HOUR, now: T0 });
      assert.ok(id);
      assert.equal(await t.store.flowRuns.createRun(scope, 'od', { triggerType: 'OnDemand', windowStart: T0, windowEnd: T0 + HOUR, now: T0 }), undefined, 'one active run per flow');
      const key = { scope, flowName: 'od', executionId: id };
      let claimed = await t.store.flowRuns.claim({ owner: 'w1', now: T0 + 1, ...LEASE });
      while (claimed && claimed.run.flowName !== 'od') claimed = await t.store.flowRuns.claim({ owner: 'w1', now: T0 + 1, ...LEASE });
      assert.equal(claimed?.run.executionId, id);
      assert.ok(await t.store.flowRuns.checkpointPage({ owner: 'w1', key, now: T0 + 2, ...LEASE, cursor: 'c1', records: 5, dropped: 1, droppedByReason: { bad: 1 } }));
      // w1 dies; before its lease expires the run is still its own, after that w2 takes over.
      assert.equal((await t.store.flowRuns.claim({ owner: 'w2', now: T0 + 1 + LEASE.leaseMs, ...LEASE }))?.run.flowName === 'od', false);
      let taken = await t.store.flowRuns.claim({ owner: 'w2', now: T0 + 3 + LEASE.leaseMs, ...LEASE });
      while (taken && taken.run.flowName !== 'od') taken = await t.store.flowRuns.claim({ owner: 'w2', now: T0 + 3 + LEASE.leaseMs, ...LEASE });
      assert.equal(taken?.tookOver, true);
      assert.equal(taken?.run.cursor, 'c1');
      assert.equal(taken?.run.recordsProcessed, 5);
      assert.deepEqual(taken?.run.droppedByReason, { bad: 1 });
      assert.equal(await t.store.flowRuns.checkpointPage({ owner: 'w1', key, now: T0 + 4 + LEASE.leaseMs, ...LEASE, cursor: 'c2', records: 9, dropped: 0, droppedByReason: {} }), false);
      assert.ok(await t.store.flowRuns.retryRun({ owner: 'w2', key, now: T0 + 5 + LEASE.leaseMs, attempts: 1, runAfter: T0 + HOUR, message: 'transient' }));
      assert.equal(await t.store.flowRuns.claim({ owner: 'w3', now: T0 + HOUR - 1, ...LEASE }).then((c) => c?.run.executionId === id), false, 'not before its back-off');
      let again = await t.store.flowRuns.claim({ owner: 'w3', now: T0 + HOUR, ...LEASE });
      while (again && again.run.executionId !== id) again = await t.store.flowRuns.claim({ owner: 'w3', now: T0 + HOUR, ...LEASE });
      assert.equal(again?.run.attempts, 1);
      assert.ok(await t.store.flowRuns.finishRun({ owner: 'w3', key, now: T0 + HOUR + 1 }));
      const done = await t.store.flowRuns.get(key);
      assert.equal(done?.status, 'Successful');
      assert.equal(done?.recordsProcessed, 5);
      assert.equal((await t.store.flows.get(scope, 'od'))?.watermark, T0 + HOUR, 'the watermark moves to the window end');
    });

    test('a renewal never moves the lease back: a checkpoint with an older time keeps the later expiry a heartbeat wrote', async () => {
      await flow('renew', { triggerType: 'OnDemand' });
      const id = await t.store.flowRuns.createRun(scope, 'renew', { triggerType: 'OnDemand', windowStart: T0, windowEnd: T0 + HOUR, now: T0 });
      assert.ok(id);
      const key = { scope, flowName: 'renew', executionId: id };
      let claimed = await t.store.flowRuns.claim({ owner: 'h', now: T0, ...LEASE });
      while (claimed && claimed.run.executionId !== id) claimed = await t.store.flowRuns.claim({ owner: 'h', now: T0, ...LEASE });
      assert.ok(claimed);
      // The heartbeat commits at T0+500; the page that began at T0+100 checkpoints after it.
      assert.ok(await t.store.flowRuns.renewLease({ key, owner: 'h', now: T0 + 500, ...LEASE }));
      assert.ok(await t.store.flowRuns.checkpointPage({ owner: 'h', key, now: T0 + 100, ...LEASE, cursor: 'c', records: 1, dropped: 0, droppedByReason: {} }));
      assert.equal((await t.store.flowRuns.get(key))?.leaseExpiresAt, T0 + 500 + LEASE.leaseMs);
      assert.ok(await t.store.flowRuns.renewLease({ key, owner: 'h', now: T0 + 200, ...LEASE }));
      assert.equal((await t.store.flowRuns.get(key))?.leaseExpiresAt, T0 + 500 + LEASE.leaseMs);
      // So a rival between the two expiries finds the run held.
      const rival = await t.store.flowRuns.claim({ owner: 'rival', now: T0 + 100 + LEASE.leaseMs + 1, ...LEASE });
      assert.notEqual(rival?.run.executionId, id);
      assert.ok(await t.store.flowRuns.renewLease({ key, owner: 'h', now: T0 + 900, ...LEASE }));
      assert.equal((await t.store.flowRuns.get(key))?.leaseExpiresAt, T0 + 900 + LEASE.leaseMs, 'a later renewal still extends it');
      assert.ok(await t.store.flowRuns.finishRun({ owner: 'h', key, now: T0 + 1000 }));
    });

    test('cancel: a held run becomes CancelStarted and its holder ends it; a free one is Canceled at once', async () => {
      await flow('c', { triggerType: 'OnDemand' });
      const id = (await t.store.flowRuns.createRun(scope, 'c', { triggerType: 'OnDemand', windowStart: T0, windowEnd: T0 + HOUR, now: T0 + 2 * HOUR }))!;
      const key = { scope, flowName: 'c', executionId: id };
      let claimed = await t.store.flowRuns.claim({ owner: 'w', now: T0 + 2 * HOUR, ...LEASE });
      while (claimed && claimed.run.executionId !== id) claimed = await t.store.flowRuns.claim({ owner: 'w', now: T0 + 2 * HOUR, ...LEASE });
      const res = await t.store.flowRuns.cancel(scope, 'c', [id, 'unknown'], T0 + 2 * HOUR + 1, 'asked');
      assert.deepEqual(res, { cancelled: [id], invalid: ['unknown'] });
      assert.equal((await t.store.flowRuns.get(key))?.status, 'CancelStarted');
      assert.equal(await t.store.flowRuns.checkpointPage({ owner: 'w', key, now: T0 + 2 * HOUR + 2, ...LEASE, cursor: 'x', records: 1, dropped: 0, droppedByReason: {} }), false);
      assert.ok(await t.store.flowRuns.endCancelled({ owner: 'w', key, now: T0 + 2 * HOUR + 3, message: 'stopped' }));
      assert.equal((await t.store.flowRuns.get(key))?.status, 'Canceled');
      const free = (await t.store.flowRuns.createRun(scope, 'c', { triggerType: 'OnDemand', windowStart: T0, windowEnd: T0 + HOUR, now: T0 + 3 * HOUR }))!;
      await t.store.flowRuns.cancel(scope, 'c', undefined, T0 + 3 * HOUR, 'all');
      assert.equal((await t.store.flowRuns.get({ scope, flowName: 'c', executionId: free }))?.status, 'Canceled');
    });
  });
}
