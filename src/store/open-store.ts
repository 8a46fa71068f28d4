import { join } from 'node:path';
import { KyselyStore } from './kysely-store.js';
import type { KeyStagingPolicy } from './dialects/row-writers/sqlite-key-staging.js';
import { postgresFaultOf, sqliteFaultOf, StorageMonitor } from './storage-condition.js';

// The dialects are imported when a store of their kind is opened: a SQLite service never loads the
// PostgreSQL driver, nor a PostgreSQL one better-sqlite3 (start-up time and idle memory, bench/startup.ts).
const sqliteDialect = () => import('./dialects/sqlite.js');
const postgresDialect = () => import('./dialects/postgres.js');

export type StoreConfig =
  | {
      backend: 'sqlite';
      dataDir: string;
      /** ':memory:' for a throwaway store */
      file?: string;
      /** When staged key index entries are merged; the default suits ingestion (sqlite-key-staging.ts). */
      keyStaging?: KeyStagingPolicy;
    }
  | { backend: 'postgres'; databaseUrl: string; schema?: string; poolSize?: number };

export const SQLITE_FILE_NAME = 'profileflow.db';

/** The only place that picks a dialect. Applies pending migrations unless told not to. */
export async function openStore(
  config: StoreConfig,
  options: { migrate?: boolean; /** PostgreSQL: create the database when it is missing, telling `onCreated`. */ createDatabase?: (name: string) => void } = {},
): Promise<KyselyStore> {
  let store: KyselyStore;
  if (config.backend === 'sqlite') {
    const { openSqlite, sqliteCapabilities } = await sqliteDialect();
    const file = sqliteFileOf(config);
    const monitor = new StorageMonitor(sqliteFaultOf(file));
    store = new KyselyStore(openSqlite(file, monitor, config.keyStaging), sqliteCapabilities, undefined, monitor);
  } else {
    const { createDatabaseIfMissing, openPostgres, postgresCapabilities } = await postgresDialect();
    if (options.createDatabase) {
      const created = await createDatabaseIfMissing(config.databaseUrl);
      if (created !== undefined) options.createDatabase(created);
    }
    const monitor = new StorageMonitor(postgresFaultOf(postgresServerOf(config.databaseUrl)));
    store = new KyselyStore(
      await openPostgres({ url: config.databaseUrl, schema: config.schema, poolSize: config.poolSize, monitor }),
      postgresCapabilities,
      undefined,
      monitor,
    );
  }
  if (options.migrate !== false) await migrateStore(config, store);
  return store;
}

/** Applies pending migrations; on PostgreSQL under the server-wide migration lock. */
export async function migrateStore(config: StoreConfig, store: KyselyStore): Promise<string[]> {
  if (config.backend !== 'postgres') return store.migrate();
  const { withMigrationLock, openPostgres } = await postgresDialect();
  return withMigrationLock(config.databaseUrl, async () => {
    const db = await openPostgres({ url: config.databaseUrl, schema: config.schema, purpose: 'migrations' });
    try {
      return await store.migrate(db);
    } finally {
      await db.destroy();
    }
  });
}

export function sqliteFileOf(config: StoreConfig & { backend: 'sqlite' }): string {
  return config.file ?? join(config.dataDir, SQLITE_FILE_NAME);
}

export function describeStore(config: StoreConfig): string {
  if (config.backend === 'sqlite') return `sqlite (${sqliteFileOf(config)})`;
  return `postgres (${redactUrl(config.databaseUrl)}${config.schema ? `, schema ${config.schema}` : ''})`;
}

/** host:port/database of a PostgreSQL URL: what a storage fault names (no user, password or options). */
export function postgresServerOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgres://…';
  }
}

/** A database URL with its password hidden, for banners and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
