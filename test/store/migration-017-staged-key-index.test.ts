import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { ManualClock } from '../../src/engine/clock.js';
import { migrateStore } from '../../src/store/open-store.js';
import { availableBackends } from '../helpers/backends.js';
import { everyStoreRow, migrateStoreTo, openUnmigratedStore, writeHistoryFixture } from '../helpers/migrations.js';
import { answersOf, HOME } from '../fixtures/history-before-015/scenario.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';

// Migration 017 on a database the code before it wrote (test/fixtures/history-before-015: profiles,
// objects, key index entries, history and merges, brought to 016 by the migrations in between): every
// row of every table is as it was, the staging table starts empty, and the index answers as before.

/** Every key value of the fixture's index, searched: profile ids per (domain, key name, value). */
async function searches(read: (domain: string, keyName: string, value: string) => Promise<string[]>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const k of fixture.tables.profile_keys) {
    const domain = fixture.tables.domain_ids.find((d) => d.domain_id === k.domain_id)?.domain_name as string;
    const id = `${domain}/${String(k.key_name)}=${String(k.key_value)}`;
    out[id] ??= await read(domain, k.key_name as string, k.key_value as string);
  }
  return out;
}

for (const backend of await availableBackends()) {
  describe(`migration 017: the staged key index [${backend}]`, () => {
    test('a database written before it keeps every row, and its index answers as before', async () => {
      const { store, config, dispose } = await openUnmigratedStore(backend);
      try {
        const db = store.db as unknown as Kysely<any>;
        await writeHistoryFixture(store, config, '016-flows-by-workflow');
        const rowsBefore = await everyStoreRow(store);
        assert.equal(rowsBefore.profile_keys_staged, undefined, 'no staging table before 017');
        const searchedBefore = await searches(async (domain, keyName, value) =>
          (
            await db
              .selectFrom('profile_keys')
              .innerJoin('domain_ids', 'domain_ids.domain_id', 'profile_keys.domain_id')
              .select('profile_id')
              .where('domain_name', '=', domain)
              .where('key_name', '=', keyName)
              .where('key_value', '=', value)
              .orderBy('profile_id')
              .execute()
          ).map((r: { profile_id: string }) => r.profile_id),
        );

        await migrateStoreTo(store, config, '017-staged-key-index');
        const rowsAfter = await everyStoreRow(store);
        assert.deepEqual(rowsAfter.profile_keys_staged, []);
        delete rowsAfter.profile_keys_staged;
        assert.deepEqual(rowsAfter, rowsBefore);
        assert.ok(rowsBefore.profile_keys.length === fixture.tables.profile_keys.length && rowsBefore.profile_keys.length > 0);

        // The operations read the layout of the latest migration (the index's recent entries: 023).
        await migrateStore(config, store);
        const searchedAfter = await searches((domain, keyName, value) => store.profiles.searchByKey(HOME, domain, keyName, [value], undefined, 100));
        assert.deepEqual(searchedAfter, searchedBefore);
        const knownIds = Object.fromEntries(Object.entries(fixture.answers).map(([k, a]) => [k, Object.keys((a as { records: object }).records)]));
        assert.deepEqual(await answersOf(store, new ManualClock(fixture.now), knownIds), fixture.answers);
      } finally {
        await dispose();
      }
    });
  });
}
