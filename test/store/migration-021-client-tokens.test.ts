import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/engine/clock.js';
import { appflowOperations } from '../../src/operations/appflow/index.js';
import { migrateStore } from '../../src/store/open-store.js';
import { availableBackends } from '../helpers/backends.js';
import { servicenowProfile } from '../helpers/appflow.js';
import { testConnectorPolicy } from '../helpers/connector-policy.js';
import { collatedColumns, everyStoreRow, migrateStoreTo, openUnmigratedStore, writeHistoryFixture } from '../helpers/migrations.js';
import { answersOf, contextOf } from '../fixtures/history-before-015/scenario.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';

// Migration 021 on a database the code before it wrote (test/fixtures/history-before-015, brought to 020
// by the migrations in between): every row of every table is as it was, the clientToken table starts
// empty (its text compared by bytes on PostgreSQL), and an AppFlow write retried with its clientToken
// then answers its first answer.

for (const backend of await availableBackends()) {
  describe(`migration 021: AppFlow clientTokens [${backend}]`, () => {
    test('a database written before it keeps every row, and a retried CreateConnectorProfile then answers its first answer', async () => {
      const { store, config, dispose } = await openUnmigratedStore(backend);
      try {
        await writeHistoryFixture(store, config, '020-claim-indexes');
        const rowsBefore = await everyStoreRow(store);
        assert.equal(rowsBefore.client_tokens, undefined, 'no clientToken table before 021');

        await migrateStoreTo(store, config, '021-client-tokens');
        const rowsAfter = await everyStoreRow(store);
        assert.deepEqual(rowsAfter.client_tokens, []);
        delete rowsAfter.client_tokens;
        assert.deepEqual(rowsAfter, rowsBefore);
        if (backend === 'postgres') {
          assert.deepEqual(
            await collatedColumns(store, 'client_tokens'),
            ['account_id', 'region', 'operation', 'resource_name', 'client_token', 'fingerprint', 'response'].map((c) => `${c} C`),
          );
        }

        await migrateStore(config, store);
        const clock = new ManualClock(fixture.now);
        const ctx = { ...contextOf(store, clock), connectorPolicy: testConnectorPolicy() };
        const request = { ...servicenowProfile('after-021'), clientToken: 'retried-after-021' };
        const first: unknown = await appflowOperations.CreateConnectorProfile(ctx, request);
        clock.advance(1000);
        assert.deepEqual(await appflowOperations.CreateConnectorProfile(ctx, request), first);
        const stored = await store.db.selectFrom('client_tokens').select(['operation', 'client_token', 'response']).execute();
        assert.deepEqual(stored, [{ operation: 'CreateConnectorProfile', client_token: 'retried-after-021', response: JSON.stringify(first) }]);
        // The history the fixture holds answers as before.
        const knownIds = Object.fromEntries(Object.entries(fixture.answers).map(([k, a]) => [k, Object.keys((a as { records: object }).records)]));
        assert.deepEqual(await answersOf(store, clock, knownIds), fixture.answers);
      } finally {
        await dispose();
      }
    });
  });
}
