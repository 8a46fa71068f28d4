import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import { KyselyFlowRepository } from '../../src/store/repositories/appflow.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { FLOW_T0, flowRecord } from '../helpers/flow-records.js';
import { sqlitePlans } from '../helpers/sqlite-plans.js';

const scope = { accountId: '111122223333', region: 'us-east-1' };
const T0 = FLOW_T0;
const hourly = { triggerType: 'Scheduled' as const, triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)' } } };

const flowOf = (name: string, workflowId: string | undefined, domainName = 'd') => flowRecord(name, { domainName, workflowId });

const workflowIds = Array.from({ length: 120 }, (_, i) => `wf-${String(i).padStart(3, '0')}`);

for (const backend of await availableBackends()) {
  describe(`the flows of a ListWorkflows page [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
      // Every other workflow has a flow; flows of other domains and flows of no workflow stand beside them.
      for (const [i, id] of workflowIds.entries()) if (i % 2 === 0) await t.store.flows.put(scope, flowOf(`flow-${i}`, id));
      await t.store.flows.put(scope, flowOf('other-domain', 'wf-elsewhere', 'e'));
      await t.store.flows.put(scope, flowOf('no-workflow', undefined));
    });
    after(() => t?.dispose());

    test('answers, for each page size up to the largest, the flows of exactly the workflows named, with what their description reads', async () => {
      for (const size of [1, 2, 7, 100]) {
        const page = workflowIds.slice(size, 2 * size);
        const found = await t.store.flows.byWorkflows(scope, 'd', page);
        const expected = page.filter((id) => workflowIds.indexOf(id) % 2 === 0);
        assert.deepEqual(found.map((f) => f.workflowId).sort(), expected, `page of ${size}`);
        for (const f of found) {
          assert.equal(f.flowStatus, 'Active');
          assert.deepEqual(f.triggerConfig, hourly);
          assert.equal(f.createdAt, T0);
          assert.equal(f.activatedAt, T0 + 1);
          assert.equal(f.nextRunAt, undefined);
        }
      }
      const all = await t.store.flows.byWorkflows(scope, 'd', workflowIds);
      assert.deepEqual(all.map((f) => f.workflowId).sort(), workflowIds.filter((_, i) => i % 2 === 0), 'more ids than a page: every one looked up');
      assert.deepEqual(await t.store.flows.byWorkflows(scope, 'd', []), []);
      assert.deepEqual(await t.store.flows.byWorkflows(scope, 'd', ['wf-elsewhere']), [], 'another domain’s flow is not this domain’s');
      assert.deepEqual(await t.store.flows.byWorkflows({ ...scope, region: 'eu-west-1' }, 'd', workflowIds.slice(0, 4)), [], 'another region sees none');
    });
  });
}

describe('the flows of a ListWorkflows page are found through an index, however many flows the account has [sqlite]', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pf-flows-plan-'));
    const store = await openStore({ backend: 'sqlite', dataDir: dir });
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the lookup searches by workflow id rather than reading every flow of the account', async () => {
    const statements = await sqlitePlans(join(dir, 'profileflow.db'), (db) => new KyselyFlowRepository(db as never).byWorkflows(scope, 'd', workflowIds.slice(0, 100)));
    assert.equal(statements.length, 1);
    const { plan } = statements[0]!;
    assert.ok(
      plan.some((d) => /SEARCH flows USING (COVERING )?INDEX \S+ \(account_id=\? AND region=\? AND workflow_id=\?\)/.test(d)),
      `the plan seeks each workflow id: ${plan.join(' | ')}`,
    );
  });

});
