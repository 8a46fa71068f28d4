import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { ManualClock } from '../../src/engine/clock.js';
import { migrateStore } from '../../src/store/open-store.js';
import { availableBackends } from '../helpers/backends.js';
import { collatedColumns, everyStoreRow, migrateStoreTo, openUnmigratedStore, writeHistoryFixture } from '../helpers/migrations.js';
import { answersOf, HOME } from '../fixtures/history-before-015/scenario.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';

// Migration 023 on a database the code before it wrote (test/fixtures/history-before-015, brought to 022
// by the migrations in between, with entries waiting in the staging table as a SQLite ingestion leaves
// them): every row of every table is as it was, the recent entries' table starts empty (its text compared
// by bytes on PostgreSQL), and the index answers as before, its staged entries among the answers.

for (const backend of await availableBackends()) {
  describe(`migration 023: the key index's recent entries [${backend}]`, () => {
    test('a database written before it keeps every row, staged entries too, and its index answers as before', async () => {
      const { store, config, dispose } = await openUnmigratedStore(backend);
      try {
        const db = store.db as unknown as Kysely<any>;
        await writeHistoryFixture(store, config, '022-domain-purges');
        const [merged] = fixture.tables.profile_keys;
        const domainName = fixture.tables.domain_ids.find((d) => d.domain_id === merged.domain_id)?.domain_name as string;
        // Waiting to be merged: a profile of a value the index already holds, and a value it does not.
        await db
          .insertInto('profile_keys_staged')
          .values([
            { domain_id: merged.domain_id, key_name: merged.key_name, key_value: merged.key_value, profile_id: 'staged-profile' },
            { domain_id: merged.domain_id, key_name: merged.key_name, key_value: 'only-staged', profile_id: 'staged-profile' },
          ])
          .execute();
        const rowsBefore = await everyStoreRow(store);
        assert.equal(rowsBefore.profile_keys_recent, undefined, 'no recent entries table before 023');
        assert.equal(rowsBefore.profile_keys_staged.length, 2);

        await migrateStoreTo(store, config, '023-recent-key-entries');
        const rowsAfter = await everyStoreRow(store);
        assert.deepEqual(rowsAfter.profile_keys_recent, []);
        delete rowsAfter.profile_keys_recent;
        assert.deepEqual(rowsAfter, rowsBefore);
        if (backend === 'postgres') assert.deepEqual(await collatedColumns(store, 'profile_keys_recent'), ['key_name C', 'key_value C', 'profile_id C']);

        await migrateStore(config, store);
        const search = (value: string) => store.profiles.searchByKey(HOME, domainName, String(merged.key_name), [value], undefined, 100);
        assert.ok((await search(String(merged.key_value))).includes('staged-profile'));
        assert.ok((await search(String(merged.key_value))).includes(String(merged.profile_id)));
        assert.deepEqual(await search('only-staged'), ['staged-profile']);
        await db.deleteFrom('profile_keys_staged').execute();
        const knownIds = Object.fromEntries(Object.entries(fixture.answers).map(([k, a]) => [k, Object.keys((a as { records: object }).records)]));
        assert.deepEqual(await answersOf(store, new ManualClock(fixture.now), knownIds), fixture.answers);
      } finally {
        await dispose();
      }
    });
  });
}
