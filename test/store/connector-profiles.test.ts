import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConnectorProfile } from '../../src/connectors/types.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

function profile(name: string, extra: Partial<ConnectorProfile> = {}): ConnectorProfile {
  return { name, kind: 'files', connectorTypes: ['Salesforce', 'S3'], settings: { directory: `/data/${name}` }, ...extra };
}

for (const backend of await availableBackends()) {
  describe(`connector profile repository [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t.dispose());

    test('a stored profile reads back whole, with its source and times', async () => {
      const p = profile('crm/main@eu', {
        kind: 'synthetic',
        connectorTypes: ['Marketo'],
        settings: { seed: 'x', faults: [{ page: 2, kind: 'transient', times: 3 }], nested: { apiToken: 't' } },
      });
      const stored = await t.store.connectorProfiles.put(p, 'api', 1_700_000_000_123);
      const expected = { ...p, source: 'api', createdAt: 1_700_000_000_123, updatedAt: 1_700_000_000_123 };
      assert.deepEqual(stored, expected);
      assert.deepEqual(await t.store.connectorProfiles.get('crm/main@eu'), expected);
    });

    test('an unknown name reads as undefined', async () => {
      assert.equal(await t.store.connectorProfiles.get('never-stored'), undefined);
    });

    test('putting a profile again replaces it, keeps its creation time and records the new source', async () => {
      await t.store.connectorProfiles.put(profile('replace-me'), 'config', 1000);
      const replaced = await t.store.connectorProfiles.put(
        profile('replace-me', { kind: 'synthetic', connectorTypes: ['Zendesk'], settings: { recordsPerDay: 5 } }),
        'api',
        2000,
      );
      assert.deepEqual(replaced, {
        name: 'replace-me',
        kind: 'synthetic',
        connectorTypes: ['Zendesk'],
        settings: { recordsPerDay: 5 },
        source: 'api',
        createdAt: 1000,
        updatedAt: 2000,
      });
    });

    test('list returns every profile ordered by name (code-point order on both backends)', async () => {
      const names = ['list-b', 'list-A', 'list-a', 'list-_', 'list-a/1'];
      for (const name of names) await t.store.connectorProfiles.put(profile(name), 'api', 1);
      const listed = (await t.store.connectorProfiles.list()).map((p) => p.name).filter((n) => n.startsWith('list-'));
      assert.deepEqual(listed, ['list-A', 'list-_', 'list-a', 'list-a/1', 'list-b']);
    });

    test('delete removes the profile and answers whether there was one', async () => {
      await t.store.connectorProfiles.put(profile('delete-me'), 'api', 1);
      assert.equal(await t.store.connectorProfiles.delete('delete-me'), true);
      assert.equal(await t.store.connectorProfiles.get('delete-me'), undefined);
      assert.equal(await t.store.connectorProfiles.delete('delete-me'), false);
    });

    test('writes inside a transaction that fails are rolled back', async () => {
      await assert.rejects(
        t.store.transaction(async (trx) => {
          await trx.connectorProfiles.put(profile('rolled-back'), 'config', 1);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await t.store.connectorProfiles.get('rolled-back'), undefined);
    });
  });
}
