import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type Kysely, Migrator, sql } from 'kysely';
import type { Clock } from '../../src/engine/clock.js';
import { operations } from '../../src/operations/index.js';
import { STORE_TABLES } from '../../src/store/schema.js';
import { fixture } from '../fixtures/history-before-015/fixture.js';
import { contextOf } from '../fixtures/history-before-015/scenario.js';
import { withMigrationLock } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openStore, type StoreConfig } from '../../src/store/open-store.js';
import { dropSchema, POSTGRES_URL } from './backends.js';

/**
 * A store with no migration run (SQLite in memory, or a PostgreSQL schema of its own), for migration tests.
 * `databaseUrl`: another PostgreSQL database than the tests' own (the schema is then left to whoever drops it).
 */
export async function openUnmigratedStore(
  backend: 'sqlite' | 'postgres',
  databaseUrl = POSTGRES_URL,
): Promise<{ store: KyselyStore; config: StoreConfig; dispose: () => Promise<void> }> {
  const config: StoreConfig =
    backend === 'sqlite'
      ? { backend: 'sqlite', dataDir: '', file: ':memory:' }
      : { backend: 'postgres', databaseUrl, schema: `pf_test_${process.pid}_${randomBytes(4).toString('hex')}`, poolSize: 2 };
  const store = await openStore(config, { migrate: false });
  const schema = config.backend === 'postgres' ? config.schema : undefined;
  return {
    store,
    config,
    dispose: async () => {
      await store.close();
      if (schema && databaseUrl === POSTGRES_URL) await dropSchema(schema);
    },
  };
}

/** Runs the migrations up to and including `name`, on PostgreSQL under the migration lock as serve does. */
export async function migrateStoreTo(store: KyselyStore, config: StoreConfig, name: string): Promise<void> {
  const run = async () => {
    const migrationTableSchema = config.backend === 'postgres' ? config.schema : undefined;
    const { error } = await new Migrator({ db: store.db, provider: migrationProvider, migrationTableSchema }).migrateTo(name);
    if (error) throw error instanceof Error ? error : new Error(String(error));
  };
  if (config.backend === 'postgres') await withMigrationLock(config.databaseUrl, run);
  else await run();
}

/** Every store table that exists, its rows as sorted JSON (each backend's own value types). */
export async function everyStoreRow(store: KyselyStore): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of Object.keys(STORE_TABLES).sort()) {
    try {
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
      out[table] = rows.map((r) => JSON.stringify(r)).sort();
    } catch (err) {
      // Not created yet at this point of the migrations; any other failure is the test's.
      if (!/no such table|does not exist/.test(String((err as Error).message))) throw err;
    }
  }
  return out;
}

/** Every entry of the history fixture's key index finds its profile through SearchProfiles. */
export async function assertFixtureKeysFindTheirProfiles(store: KyselyStore, clock: Clock): Promise<void> {
  const domainNames = new Map(fixture.tables.domain_ids.map((d) => [d.domain_id, String(d.domain_name)]));
  assert.ok(fixture.tables.profile_keys.length > 0);
  for (const key of fixture.tables.profile_keys) {
    const found = (await operations.SearchProfiles(contextOf(store, clock), {
      DomainName: domainNames.get(key.domain_id),
      KeyName: key.key_name,
      Values: [key.key_value],
    } as never)) as { Items: { ProfileId: string }[] };
    assert.ok(found.Items.some((p) => p.ProfileId === key.profile_id), `${String(key.key_name)}=${String(key.key_value)} finds ${String(key.profile_id)}`);
  }
}

/**
 * The history fixture written as the release before migration 015 wrote it (its tables at 013), then the
 * migrations up to and including `name`, when given.
 */
export async function writeHistoryFixture(store: KyselyStore, config: StoreConfig, name?: string): Promise<void> {
  await migrateStoreTo(store, config, '013-profile-merges');
  const db = store.db as unknown as Kysely<any>;
  for (const [table, rows] of Object.entries(fixture.tables)) await db.insertInto(table).values(rows).execute();
  if (name) await migrateStoreTo(store, config, name);
}

/** PostgreSQL: each collatable column of `table` in the store's schema, as "name collation", in column order. */
export async function collatedColumns(store: KyselyStore, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select a.attname || ' ' || coalesce(l.collname, '-') as name
    from pg_attribute a join pg_class c on c.oid = a.attrelid left join pg_collation l on l.oid = a.attcollation
    where c.relname = ${table} and c.relnamespace = current_schema()::regnamespace and a.attnum > 0 and a.attcollation <> 0
    order by a.attnum`.execute(store.db as unknown as Kysely<any>);
  return rows.map((r) => r.name);
}
