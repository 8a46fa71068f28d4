import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { FLOW_T0, flowRecord } from '../helpers/flow-records.js';

const scope = { accountId: '111122223333', region: 'us-east-1' };
const T0 = FLOW_T0;

/** A flow as Customer Profiles writes it for an integration of `domainName` (integrationUri set), or as CreateFlow does (none). */
const flowOf = (name: string, domainName: string, integrationUri: string | undefined, at = T0) =>
  flowRecord(name, { domainName, integrationUri, createdAt: at, updatedAt: at });

for (const backend of await availableBackends()) {
  describe(`flows.put, Customer Profiles' write of an integration's flow [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t?.dispose());

    test('creates a flow, and replaces one of the same domain, whichever integration of it wrote it', async () => {
      assert.equal(await t.store.flows.put(scope, flowOf('mine', 'a', 's3://one')), true);
      assert.equal(await t.store.flows.put(scope, flowOf('mine', 'a', 's3://two', T0 + 1)), true);
      const stored = await t.store.flows.get(scope, 'mine');
      assert.equal(stored?.integrationUri, 's3://two');
      assert.equal(stored?.updatedAt, T0 + 1);
      assert.equal(stored?.createdAt, T0, 'its creation time is kept');
    });

    test("answers false and changes nothing for a flow of another domain's integration, or one CreateFlow made", async () => {
      await t.store.flows.put(scope, flowOf('held', 'a', 's3://one'));
      const held = await t.store.flows.get(scope, 'held');
      assert.equal(held?.domainName, 'a');
      assert.equal(await t.store.flows.put(scope, flowOf('held', 'b', 's3://one', T0 + 5)), false);
      assert.deepEqual(await t.store.flows.get(scope, 'held'), held);
      assert.equal(await t.store.flows.create(scope, flowOf('appflows', 'a', undefined)), true);
      const appflows = await t.store.flows.get(scope, 'appflows');
      assert.equal(appflows?.integrationUri, undefined);
      assert.equal(await t.store.flows.put(scope, flowOf('appflows', 'a', 's3://one', T0 + 5)), false);
      assert.deepEqual(await t.store.flows.get(scope, 'appflows'), appflows);
      // Another account's flow of the same name is another flow.
      assert.equal(await t.store.flows.put({ ...scope, accountId: '444455556666' }, flowOf('held', 'b', 's3://one')), true);
    });

    test('of two transactions writing one new flow for two domains at once, the second waits for the first and is refused', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let firstWrote!: () => void;
      const wrote = new Promise<void>((resolve) => (firstWrote = resolve));
      const first = t.store.transaction(async (tx) => {
        const put = await tx.flows.put(scope, flowOf('raced', 'a', 's3://one'));
        firstWrote();
        await held;
        return put;
      });
      await wrote;
      const second = t.store.transaction((tx) => tx.flows.put(scope, flowOf('raced', 'b', 's3://one')));
      release();
      assert.deepEqual(await Promise.all([first, second]), [true, false]);
      assert.equal((await t.store.flows.get(scope, 'raced'))?.domainName, 'a');
    });
  });
}
