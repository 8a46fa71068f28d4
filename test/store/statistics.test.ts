import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { withMigrationLock } from '../../src/store/dialects/postgres.js';
import { analyzeTablesDue } from '../../src/store/dialects/postgres-statistics.js';
import { availableBackends, createTestStore, POSTGRES_URL } from '../helpers/backends.js';
import { eventually } from '../helpers/poll.js';

// The planner's statistics, kept by the store where the server does not (autovacuum off): a table is
// analyzed once its changes pass autovacuum's threshold, and the page lookups are then planned as seeks.

const objectRows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    account_id: '000000000000', region: 'us-east-1', domain_name: 'd', object_type_name: 'Contact', unique_key: `k${i}`,
    profile_id: `p${i}`, object: '{}', source_updated_at: null, size_bytes: 2, key_values: '{}', created_at: 0, updated_at: 0,
  }));

/** Why a test of the store's own analysis is skipped: the server analyzes by itself, and the store leaves it to. */
const AUTOVACUUM_ON = 'the PostgreSQL server runs autovacuum, so the store analyzes nothing itself (checked: refreshStatistics returned [])';

for (const backend of await availableBackends()) {
  describe(`refreshStatistics [${backend}]`, () => {
    if (backend === 'sqlite') {
      test('SQLite needs none: nothing is analyzed', async () => {
        const { store, dispose } = await createTestStore(backend);
        try {
          await store.db.insertInto('profile_objects').values(objectRows(500)).execute();
          assert.deepEqual(await store.refreshStatistics(), []);
        } finally {
          await dispose();
        }
      });
      return;
    }

    test('a table of the store grown past the threshold is analyzed once, then its lookups seek the primary key; another application\'s is left alone', async (t) => {
      const { store, dispose } = await createTestStore(backend);
      try {
        const { rows: [{ autovacuum }] } = await sql<{ autovacuum: string }>`select current_setting('autovacuum') as autovacuum`.execute(store.db);
        // Another application's table in the same schema, changed as much: its own rules, not the store's.
        // Under the migration lock: another test's migrator reads every schema's tables meanwhile.
        await withMigrationLock(POSTGRES_URL, () => sql`create table other_app (x int)`.execute(store.db));
        await sql`insert into other_app select generate_series(1, 5000)`.execute(store.db);
        const rows20k = objectRows(20_000);
        for (let i = 0; i < rows20k.length; i += 4_000) await store.db.insertInto('profile_objects').values(rows20k.slice(i, i + 4_000)).execute();
        if (autovacuum === 'on') {
          // The server analyzes by itself: the store leaves it alone, and what this test is about is unused.
          assert.deepEqual(await store.refreshStatistics(), []);
          return t.skip(AUTOVACUUM_ON);
        }
        // Each pooled backend reports its changes some time after its commit, not all at once. Wait until
        // every insert is counted: an analyze that ran between two reports would leave the later ones as
        // changes since it, and the count checked below would not be 0.
        await eventually(async () => {
          const { rows: [stat] } = await sql<{ inserted: string }>`select n_tup_ins as inserted from pg_stat_user_tables
            where schemaname = current_schema() and relname = 'profile_objects'`.execute(store.db);
          return Number(stat?.inserted ?? 0) >= rows20k.length ? true : undefined;
        }, 'every insert into profile_objects to be counted', 30_000);
        const analyzed = await store.refreshStatistics();
        assert.ok(analyzed.includes('profile_objects'), analyzed.join(', '));
        assert.ok(!analyzed.includes('workflows'), 'a table without changes is not analyzed');
        assert.ok(!analyzed.includes('other_app'), 'a table that is not the store\'s is not analyzed');
        const { rows: [stat] } = await sql<{ n: string; mods: string }>`select n_live_tup as n, n_mod_since_analyze as mods from pg_stat_user_tables
          where schemaname = current_schema() and relname = 'profile_objects'`.execute(store.db);
        assert.equal(Number(stat.mods), 0);
        assert.ok(!(await store.refreshStatistics()).includes('profile_objects'), 'nothing changed since: not analyzed again');

        const keys = Array.from({ length: 20 }, (_, i) => `k${i * 997}`);
        const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) select unique_key, profile_id from profile_objects
          where account_id = '000000000000' and region = 'us-east-1' and domain_name = 'd' and object_type_name = 'Contact'
          and unique_key in (${sql.join(keys)})`.execute(store.db);
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        assert.match(plan, /"Index Name":"profile_objects_pk"/, plan);
      } finally {
        await dispose();
      }
    });

    test('a table analyzed within the server\'s naptime waits for it, unless it has more than doubled since', async (t) => {
      const { store, dispose } = await createTestStore(backend);
      try {
        const { rows: [{ autovacuum }] } = await sql<{ autovacuum: string }>`select current_setting('autovacuum') as autovacuum`.execute(store.db);
        if (autovacuum === 'on') {
          assert.deepEqual(await store.refreshStatistics(), []);
          return t.skip(AUTOVACUUM_ON);
        }
        let inserted = 0;
        const insert = async (n: number) => {
          const rows = objectRows(inserted + n).slice(inserted);
          for (let i = 0; i < rows.length; i += 4_000) await store.db.insertInto('profile_objects').values(rows.slice(i, i + 4_000)).execute();
          inserted += n;
          await eventually(async () => {
            const { rows: [stat] } = await sql<{ inserted: string }>`select n_tup_ins as inserted from pg_stat_user_tables
              where schemaname = current_schema() and relname = 'profile_objects'`.execute(store.db);
            return Number(stat?.inserted ?? 0) >= inserted ? true : undefined;
          }, 'every insert into profile_objects to be counted', 30_000);
        };
        await insert(20_000);
        assert.ok((await analyzeTablesDue(store.db)).includes('profile_objects'), 'never analyzed: analyzed at once');
        // A fifth more: past autovacuum's threshold (a tenth), not doubled, and analyzed moments ago.
        await insert(4_000);
        assert.ok(!(await analyzeTablesDue(store.db)).includes('profile_objects'), 'within the naptime: left for now');
        assert.ok((await analyzeTablesDue(store.db, { againAfterMs: 0 })).includes('profile_objects'), 'once the naptime has passed: analyzed');
        // More rows changed than the table had at its last analyze: analyzed whatever the time.
        await insert(25_000);
        assert.ok((await analyzeTablesDue(store.db)).includes('profile_objects'), 'more than doubled: analyzed at once');
      } finally {
        await dispose();
      }
    });

    test('two nodes checking at once analyze each table once', async (t) => {
      const { store, config, dispose } = await createTestStore(backend);
      const { openStore } = await import('../../src/store/open-store.js');
      const other = await openStore(config);
      try {
        const { rows: [{ autovacuum }] } = await sql<{ autovacuum: string }>`select current_setting('autovacuum') as autovacuum`.execute(store.db);
        if (autovacuum === 'on') {
          assert.deepEqual(await other.refreshStatistics(), []);
          return t.skip(AUTOVACUUM_ON);
        }
        await store.db.insertInto('profile_objects').values(objectRows(1_000)).execute();
        const seen: string[] = [];
        await eventually(async () => {
          const [a, b] = await Promise.all([store.refreshStatistics(), other.refreshStatistics()]);
          seen.push(...a, ...b);
          return seen.includes('profile_objects') ? true : undefined;
        }, 'profile_objects to be analyzed', 20_000);
        assert.equal(seen.filter((t) => t === 'profile_objects').length, 1, seen.join(', '));
      } finally {
        await other.close();
        await dispose();
      }
    });
  });
}
