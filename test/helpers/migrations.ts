import { randomBytes } from 'node:crypto';
import { Migrator } from 'kysely';
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
