import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { ManualClock } from '../../src/engine/clock.js';
import { operations } from '../../src/operations/index.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { m023RecentKeyEntries } from '../../src/store/migrations/023-recent-key-entries.js';
import { STORE_TABLES } from '../../src/store/schema.js';
import { availableBackends, createTestStore, POSTGRES_URL } from '../helpers/backends.js';
import { assertFixtureKeysFindTheirProfiles, everyStoreRow, migrateStoreTo, openUnmigratedStore, writeHistoryFixture } from '../helpers/migrations.js';
import { answersOf, contextOf } from '../fixtures/history-before-015/scenario.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';

// Migration 019: on PostgreSQL every text column of the store compares by bytes (COLLATE "C"), whatever
// the database's locale. Tested in a database created with ICU's en-US collation, where the order of
// names differs from SQLite's; the tests' own database (C.UTF-8) could not tell the two apart.

/** Names whose order under en-US (case folded first) is not their byte order (capitals first). */
const NAMES = ['beta', 'Alpha', 'alpha-2', 'Beta_1', 'ZULU', 'mike'];
const byteOrder = [...NAMES].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** The store's text columns that do not compare by bytes, as `table.column collation`. */
async function columnsNotInC(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname || '.' || a.attname || ' ' || coalesce(l.collname, '?') as name
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_collation l on l.oid = a.attcollation
    where n.nspname = current_schema() and c.relkind = 'r' and c.relname = any(${Object.keys(STORE_TABLES)}::text[])
      and a.attnum > 0 and not a.attisdropped and a.attcollation <> 0 and a.attcollation <> 'pg_catalog."C"'::regcollation
    order by 1`.execute(db);
  return rows.map((r) => r.name);
}

async function listedDomains(store: KyselyStore, clock: ManualClock): Promise<string[]> {
  const out = (await operations.ListDomains(contextOf(store, clock), {} as never)) as { Items: { DomainName: string }[] };
  return out.Items.map((d) => d.DomainName).filter((n) => NAMES.includes(n));
}

/**
 * The domains' rows, written through the store (CreateDomain itself reads what later migrations create:
 * the purges of deleted domains, 022).
 */
async function createDomains(store: KyselyStore, clock: ManualClock): Promise<void> {
  const { scope } = contextOf(store, clock);
  for (const name of NAMES) await store.domains.create(scope, { domainName: name, defaultExpirationDays: 30, createdAt: clock.now(), updatedAt: clock.now() });
}

/** A database of its own, created with ICU's en-US collation; dropped by the returned function. */
async function languageCollatedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `pf_test_en_us_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}" template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

for (const backend of await availableBackends()) {
  describe(`text compared as bytes [${backend}]`, () => {
    test('a freshly migrated store lists names in byte order, and on PostgreSQL every text column compares by bytes', async () => {
      const { store, dispose } = await createTestStore(backend);
      try {
        const clock = new ManualClock(fixture.now);
        await createDomains(store, clock);
        assert.deepEqual(await listedDomains(store, clock), byteOrder);
        if (backend === 'postgres') assert.deepEqual(await columnsNotInC(store.db as unknown as Kysely<any>), [], 'a table made by a later migration declares COLLATE "C"');
      } finally {
        await dispose();
      }
    });
  });
}

if ((await availableBackends()).includes('postgres')) {
  describe('migration 019: text compared as bytes [postgres]', () => {
    test('a database created with a language collation keeps every row and every answer, and then lists in byte order as SQLite does', async () => {
      const database = await languageCollatedDatabase();
      const { store, config, dispose } = await openUnmigratedStore('postgres', database.url);
      try {
        const db = store.db as unknown as Kysely<any>;
        await writeHistoryFixture(store, config, '018-object-ingested-record');
        // The key index's reads name the table of its recent entries, which a later migration makes (023):
        // made here first, as that migration makes it, so that the operations answer on this database.
        await m023RecentKeyEntries.up(db);
        const clock = new ManualClock(fixture.now);
        await createDomains(store, clock);
        const collatedOrder = await listedDomains(store, clock);
        assert.notDeepEqual(collatedOrder, byteOrder, `the database orders by its locale before 019: ${collatedOrder.join(', ')}`);
        assert.ok((await columnsNotInC(db)).length > 0);
        const before = await everyStoreRow(store);
        const knownIds = Object.fromEntries(Object.entries(fixture.answers).map(([k, a]) => [k, Object.keys((a as { records: object }).records)]));
        const answersBefore = await answersOf(store, clock, knownIds);

        await migrateStoreTo(store, config, '019-text-compared-as-bytes');

        assert.deepEqual(await columnsNotInC(db), []);
        assert.deepEqual(await everyStoreRow(store), before, 'every row of every table as it was');
        assert.deepEqual(await answersOf(store, clock, knownIds), answersBefore, 'the history operations answer as before');
        assert.deepEqual(await listedDomains(store, clock), byteOrder);

        // The rebuilt key index still finds every profile by each of its keys.
        await assertFixtureKeysFindTheirProfiles(store, clock);
      } finally {
        await dispose();
        await database.drop();
      }
    });
  });
}
