import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/engine/clock.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { migrations } from '../../src/store/migrations/index.js';
import { migrateStore } from '../../src/store/open-store.js';
import { operations } from '../../src/operations/index.js';
import { availableBackends } from '../helpers/backends.js';
import { openUnmigratedStore, writeHistoryFixture } from '../helpers/migrations.js';
import { answersOf, contextOf } from '../fixtures/history-before-015/scenario.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';

// Migration 015 on a database the code before it wrote (test/fixtures/history-before-015: the rows of a
// domain with every kind of history, and what the two history operations answered about each profile
// then): after the migration, the same answers, record for record, while the CREATED records the rows
// can hold have left the history table.


const createdRows = (store: KyselyStore) =>
  store.db.selectFrom('profile_history').select(['profile_id', 'record_id']).where('action_type', '=', 'CREATED').orderBy('profile_id').execute();

for (const backend of await availableBackends()) {
  describe(`migration 015: CREATED records held by profile rows [${backend}]`, () => {
    test('a database written before it answers every history record as before', async () => {
      const { store, config, dispose } = await openUnmigratedStore(backend);
      try {
        await writeHistoryFixture(store, config);
        const before = await createdRows(store);

        // Every migration after the fixture's point runs, 015 among them; later ones are other tests' concern.
        const ran = await migrateStore(config, store);
        assert.deepEqual(ran.slice(0, 2), ['014-step-read-position', '015-profile-created-record']);
        assert.deepEqual(ran, Object.keys(migrations).filter((name) => name > '013-profile-merges').sort());

        const clock = new ManualClock(fixture.now);
        // Every record answered before is asked for again, wherever it is stored now.
        const knownIds = Object.fromEntries(Object.entries(fixture.answers).map(([k, a]) => [k, Object.keys((a as { records: object }).records)]));
        assert.deepEqual(await answersOf(store, clock, knownIds), fixture.answers);
        // The rows that were never rewritten hold their profile's CREATED record; the others (updated,
        // merged, deleted) left theirs in the history.
        const unchanged = fixture.tables.profiles.filter((p) => p.created_at === p.updated_at).map((p) => p.profile_id as string).sort();
        const held = await store.db.selectFrom('profiles').select(['profile_id', 'created_record_id']).where('created_record_id', 'is not', null).orderBy('profile_id').execute();
        assert.deepEqual(held.map((r) => r.profile_id), unchanged);
        assert.ok(unchanged.length >= 3 && unchanged.length < fixture.tables.profiles.length, 'the fixture has profiles of both kinds');
        const after = await createdRows(store);
        assert.deepEqual(
          [...after, ...held.map((r) => ({ profile_id: r.profile_id, record_id: r.created_record_id as string }))].sort((a, b) => a.profile_id.localeCompare(b.profile_id)),
          before,
          'every CREATED record is in one place or the other, under its Id',
        );

        // A held record leaves its row unchanged when the profile first changes.
        const ctx = contextOf(store, clock);
        for (const { profile_id: ProfileId, created_record_id: Id } of held) {
          const [domain] = fixture.tables.profiles.filter((p) => p.profile_id === ProfileId).map((p) => p.domain_name as string);
          const get = () => operations.GetProfileHistoryRecord(ctx, { DomainName: domain, ProfileId, Id });
          const expected = domain === 'brief' ? undefined : JSON.stringify(await get());
          await operations.UpdateProfile(ctx, { DomainName: domain, ProfileId, AccountNumber: 'changed' });
          if (expected) assert.equal(JSON.stringify(await get()), expected);
        }
        assert.equal((await store.db.selectFrom('profiles').select('profile_id').where('created_record_id', 'is not', null).execute()).length, 0);
      } finally {
        await dispose();
      }
    });
  });
}
