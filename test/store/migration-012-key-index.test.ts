import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import type { FlowDefinition } from '../../src/api/shapes.generated.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateStore } from '../../src/store/open-store.js';
import type { Scope } from '../../src/domain/scope.js';
import { availableBackends } from '../helpers/backends.js';
import { migrateStoreTo, openUnmigratedStore } from '../helpers/migrations.js';

// Migration 012 on a database as the code before it wrote one: every row of every table is still there,
// unchanged, and the key index holds the same entries, found the same way.

const home: Scope = { accountId: '000000000000', region: 'us-east-1' };
const other: Scope = { accountId: '111122223333', region: 'eu-west-1' };
const T0 = Date.UTC(2026, 0, 1);
const FLOW: FlowDefinition = {
  FlowName: 'f',
  KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
  SourceFlowConfig: { ConnectorType: 'Salesforce', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
  Tasks: [],
  TriggerConfig: { TriggerType: 'OnDemand' },
};

/** The key index as the code before 012 wrote it: (account, region, domain) texts at the head of each row. */
const OLD_KEYS: [Scope, string, string, string, string][] = [
  [home, 'shop', '_email', 'a@x.com', 'a'.repeat(32)],
  [home, 'shop', '_email', 'shared@x.com', 'a'.repeat(32)],
  [home, 'shop', '_email', 'shared@x.com', 'b'.repeat(32)],
  [home, 'shop', 'Id', 'order-1', 'a'.repeat(32)],
  [other, 'shop', '_email', 'a@x.com', 'c'.repeat(32)],
  // A domain name with index entries and no domain row (the repositories never required one).
  [home, 'loose', '_phone', '+15550100', 'd'.repeat(32)],
];

/** Every table but the key index (and Kysely's own), each as its rows sorted. */
async function snapshot(store: KyselyStore): Promise<Record<string, string[]>> {
  const names =
    store.backend === 'postgres'
      ? (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(store.db)).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(store.db)).rows;
  const out: Record<string, string[]> = {};
  for (const { name } of names) {
    if (name.startsWith('kysely_') || name === 'profile_keys' || name === 'domain_ids') continue;
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(store.db)).rows;
    out[name] = rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))).sort();
  }
  return out;
}

for (const backend of await availableBackends()) {
  describe(`migration 012: the key index by domain id [${backend}]`, () => {
    test('a database written before it keeps every row, and its key index finds the same profiles', async () => {
      const { store, config, dispose } = await openUnmigratedStore(backend);
      try {
        await migrateStoreTo(store, config, '011-flow-runs');
        // Written through the repositories whose tables 012 leaves as they are.
        const domain = { domainName: 'shop', defaultExpirationDays: 30, createdAt: T0, updatedAt: T0 } as Parameters<KyselyStore['domains']['create']>[1];
        await store.domains.create(home, domain);
        await store.domains.create(other, domain);
        await store.workflows.create(
          home,
          {
            workflowId: 'w'.repeat(32), domainName: 'shop', workflowType: 'APPFLOW_INTEGRATION', status: 'NOT_STARTED', objectTypeName: 'Contact',
            connectorType: 'Salesforce', connectorProfileName: 'p', roleArn: 'arn:aws:iam::123456789012:role/r', definition: { flowDefinition: FLOW },
            recordsProcessed: 0, stepsCompleted: 0, totalSteps: 1, createdAt: T0, updatedAt: T0,
          },
          [{ windowStart: T0, windowEnd: T0 + 1000, executionMessage: 'waiting' }],
        );
        await store.transaction(async (trx) => {
          await trx.profiles.upsert(home, 'shop', ['a', 'b'].map((c) => ({
            profileId: c.repeat(32), attributes: { EmailAddress: `${c}@x.com` }, attributeSources: {}, inferred: false, createdAt: T0, updatedAt: T0,
          })));
          // The object row as the code of the time wrote it (018 added columns the objects repository writes now).
          await (trx as KyselyStore).db.insertInto('profile_objects').values({
            account_id: home.accountId, region: home.region, domain_name: 'shop', object_type_name: 'Order', unique_key: 'order-1',
            profile_id: 'a'.repeat(32), object: '{"Id":"order-1"}', key_values: JSON.stringify({ Id: 'order-1' }), source_updated_at: T0,
            size_bytes: 16, created_at: T0, updated_at: T0,
          }).execute();
          await trx.profileHistory.add(home, 'shop', [{
            recordId: '0'.repeat(31) + '1', profileId: 'a'.repeat(32), objectTypeName: 'Order', actionType: 'INGESTED', uniqueKey: 'order-1',
            performedBy: 'appflow.amazonaws.com', createdAt: T0, updatedAt: T0,
          }]);
          await trx.profiles.addExtraKeys(home, 'shop', [{ keyName: '_account', keyValue: 'acc-1', profileId: 'b'.repeat(32) }]);
        });
        for (const [scope, domainName, keyName, keyValue, profileId] of OLD_KEYS) {
          await sql`insert into profile_keys (account_id, region, domain_name, key_name, key_value, profile_id)
            values (${scope.accountId}, ${scope.region}, ${domainName}, ${keyName}, ${keyValue}, ${profileId})`.execute(store.db);
        }
        const before = await snapshot(store);
        assert.ok(before.workflows.length === 1 && before.workflow_steps.length === 1 && before.profile_history.length === 1);

        await migrateStoreTo(store, config, '012-key-index-domain-ids');
        const after = await snapshot(store);
        // The tables and columns that existed before.
        const columnsOf = (rows: string[]) => (rows.length > 0 ? Object.keys(JSON.parse(rows[0]) as object) : []);
        const kept = Object.fromEntries(
          Object.keys(before).map((t) => {
            const columns = columnsOf(before[t]);
            const rows = after[t].map((r) => JSON.parse(r) as Record<string, unknown>);
            return [t, rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, r[c]])))).sort()];
          }),
        );
        assert.deepEqual(kept, before, 'every other table is unchanged');
        // The repositories read the layout of the latest migration.
        await migrateStore(config, store);
        const entries = await store.db
          .selectFrom('profile_keys')
          .innerJoin('domain_ids', 'domain_ids.domain_id', 'profile_keys.domain_id')
          .select(['account_id', 'region', 'domain_name', 'key_name', 'key_value', 'profile_id'])
          .execute();
        assert.deepEqual(
          entries.map((e) => [e.account_id, e.region, e.domain_name, e.key_name, e.key_value, e.profile_id].join('|')).sort(),
          OLD_KEYS.map(([s, d, n, v, p]) => [s.accountId, s.region, d, n, v, p].join('|')).sort(),
        );
        // Found as before: by key, by search (a shared value finds both profiles), per account.
        assert.deepEqual(
          (await store.profiles.findByKeys(home, 'shop', [{ keyName: '_email', keyValue: 'shared@x.com' }])).map((k) => k.profileId).sort(),
          ['a'.repeat(32), 'b'.repeat(32)],
        );
        assert.deepEqual(await store.profiles.searchByKey(other, 'shop', '_email', ['a@x.com'], undefined, 10), ['c'.repeat(32)]);
        assert.deepEqual(await store.profiles.searchByKey(home, 'loose', '_phone', ['+15550100'], undefined, 10), ['d'.repeat(32)]);
        // New entries go to the same domain's id; deleting the domain takes its entries and its id, and a
        // domain created again under the name starts with an empty index.
        await store.transaction((trx) => trx.profiles.addKeys(home, 'shop', [{ keyName: '_email', keyValue: 'new@x.com', profileId: 'a'.repeat(32) }]));
        assert.deepEqual(await store.profiles.searchByKey(home, 'shop', '_email', ['new@x.com'], undefined, 10), ['a'.repeat(32)]);
        await store.domains.delete(home, 'shop', 1);
        await store.domains.create(home, domain);
        assert.deepEqual(await store.profiles.searchByKey(home, 'shop', '_email', ['a@x.com'], undefined, 10), []);
        assert.deepEqual(await store.profiles.searchByKey(other, 'shop', '_email', ['a@x.com'], undefined, 10), ['c'.repeat(32)]);
        // A reset of one account removes its entries and leaves the other's.
        await store.reset(home.accountId);
        assert.deepEqual(await store.profiles.searchByKey(home, 'loose', '_phone', ['+15550100'], undefined, 10), []);
        assert.deepEqual(await store.profiles.searchByKey(other, 'shop', '_email', ['a@x.com'], undefined, 10), ['c'.repeat(32)]);
      } finally {
        await dispose();
      }
    });
  });
}
