import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { ManualClock } from '../../src/engine/clock.js';
import { genericRowWriters, postgresRowWriters } from '../../src/store/dialects/row-writers/index.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Scope } from '../../src/domain/scope.js';
import { availableBackends, createTestStore } from '../helpers/backends.js';
import { assertFixtureKeysFindTheirProfiles, everyStoreRow, migrateStoreTo, openUnmigratedStore, writeHistoryFixture } from '../helpers/migrations.js';
import { answersOf } from '../fixtures/history-before-015/scenario.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';

// Migration 020: on PostgreSQL the key index is found through (domain_id, a hash of key name and value),
// and its primary key is gone; on SQLite nothing changes. What must hold: the rows and answers of a store
// written before it, every key still finding its profile, no entry stored twice by the writers, and every
// read and removal of the index served by the new index rather than a scan of the whole table.

/** profile_keys' indexes as `name: definition`, and whether it has a primary key (PostgreSQL). */
async function keyIndexLayout(db: Kysely<any>): Promise<{ indexes: string[]; primaryKey: boolean }> {
  const { rows } = await sql<{ name: string; primary: boolean; definition: string }>`
    select i.relname as name, x.indisprimary as primary, pg_get_indexdef(x.indexrelid) as definition
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema() and t.relname = 'profile_keys' order by 1`.execute(db);
  return { indexes: rows.map((r) => r.name), primaryKey: rows.some((r) => r.primary) };
}


for (const backend of await availableBackends()) {
  describe(`migration 020: the key index by a hash of its values [${backend}]`, () => {
    test('a store written before it keeps every row and every answer, and every key still finds its profile', async () => {
      const { store, config, dispose } = await openUnmigratedStore(backend);
      try {
        const db = store.db as unknown as Kysely<any>;
        await writeHistoryFixture(store, config, '019-text-compared-as-bytes');
        const clock = new ManualClock(fixture.now);
        const before = await everyStoreRow(store);
        const knownIds = Object.fromEntries(Object.entries(fixture.answers).map(([k, a]) => [k, Object.keys((a as { records: object }).records)]));
        const answersBefore = await answersOf(store, clock, knownIds);
        if (backend === 'postgres') assert.deepEqual(await keyIndexLayout(db), { indexes: ['profile_keys_pk'], primaryKey: true });

        await migrateStoreTo(store, config, '020-key-index-by-value-hash');

        if (backend === 'postgres') assert.deepEqual(await keyIndexLayout(db), { indexes: ['profile_keys_by_value_hash'], primaryKey: false });
        assert.deepEqual(await everyStoreRow(store), before, 'every row of every table as it was');
        assert.deepEqual(await answersOf(store, clock, knownIds), answersBefore, 'the history operations answer as before');
        await assertFixtureKeysFindTheirProfiles(store, clock);
      } finally {
        await dispose();
      }
    });
  });
}

if ((await availableBackends()).includes('postgres')) {
  describe('the key index by a hash of its values [postgres]', () => {
    const scope: Scope = { accountId: '000000000000', region: 'us-east-1' };
    const entries = [
      { keyName: '_email', keyValue: 'a@x', profileId: 'p1' },
      { keyName: '_email', keyValue: 'a@x', profileId: 'p2' },
      { keyName: '_phone', keyValue: 'a@x', profileId: 'p1' },
      { keyName: 'Note', keyValue: 'tab\there', profileId: 'p1' },
    ];

    for (const kind of ['postgres', 'generic'] as const) {
      test(`${kind} writer: an entry written again, or twice in one batch, is stored once`, async () => {
        const { store, dispose } = await createTestStore('postgres');
        try {
          await store.transaction(async (tx) => {
            const writers = kind === 'postgres' ? postgresRowWriters((tx as KyselyStore).db) : genericRowWriters((tx as KyselyStore).db, { lockRows: true });
            await writers.keys.insert(scope, 'd', [...entries, entries[0]]);
            await writers.keys.insert(scope, 'd', entries);
          });
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from profile_keys`.execute((store as KyselyStore).db);
          assert.equal(rows[0].n, entries.length);
          const found = await store.profiles.findByKeys(scope, 'd', entries);
          assert.deepEqual(found.map((k) => `${k.keyName}=${k.keyValue}:${k.profileId}`).sort(), entries.map((k) => `${k.keyName}=${k.keyValue}:${k.profileId}`).sort());
        } finally {
          await dispose();
        }
      });
    }

    test('every read and removal of the index seeks through profile_keys_by_value_hash, never a scan of the table', async () => {
      const { store, dispose } = await createTestStore('postgres');
      try {
        await store.transaction(async (tx) => {
          // With scans priced out, a statement the index cannot serve still scans (there is nothing else):
          // the transaction's own counters then show it.
          await sql`set local enable_seqscan = off`.execute((tx as KyselyStore).db);
          // The counters also hold this connection's earlier transactions not yet reported (the schema's
          // creation scanned the table): what counts is how they move.
          const counters = async () =>
            (
              await sql<{ seq_scan: number; idx_scan: number; idx_tup_fetch: number }>`
                select seq_scan::int, idx_scan::int, idx_tup_fetch::int from pg_stat_xact_user_tables
                where schemaname = current_schema() and relname = 'profile_keys'`.execute((tx as KyselyStore).db)
            ).rows[0];
          // Entries of the same domain that no statement below asks for: a statement that read the domain's
          // whole range of the index would fetch them all.
          const filler = Array.from({ length: 300 }, (_, i) => ({ keyName: '_email', keyValue: `filler-${i}@x`, profileId: `f${i}` }));
          await tx.profiles.addKeys(scope, 'd', filler, true);
          const start = await counters();
          await tx.profiles.addKeys(scope, 'd', entries, true);
          await tx.profiles.addKeys(scope, 'd', entries);
          assert.equal((await tx.profiles.findByKeys(scope, 'd', entries)).length, entries.length);
          assert.deepEqual(await tx.profiles.searchByKey(scope, 'd', '_email', ['a@x'], undefined, 10), ['p1', 'p2']);
          assert.deepEqual(await tx.profiles.searchByKey(scope, 'd', '_email', ['a@x'], 'p1', 10), ['p2']);
          assert.equal((await tx.profiles.keysAmong(scope, 'd', '_email', ['a@x'], ['p2'])).length, 1);
          await tx.profiles.removeKeys(scope, 'd', [entries[0]]);
          assert.deepEqual(await tx.profiles.searchByKey(scope, 'd', '_email', ['a@x'], undefined, 10), ['p2']);
          const end = await counters();
          assert.equal(end.seq_scan - start.seq_scan, 0, 'no statement scanned profile_keys');
          assert.ok(end.idx_scan - start.idx_scan >= 7, `the index served the statements (${end.idx_scan - start.idx_scan} index scans)`);
          const fetched = end.idx_tup_fetch - start.idx_tup_fetch;
          assert.ok(fetched < 40, `each statement sought its values, not the domain's range (${fetched} rows fetched through the index)`);
        });
      } finally {
        await dispose();
      }
    });
  });
}
