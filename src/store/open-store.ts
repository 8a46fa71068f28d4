import { join } from 'node:path';
import { openPostgres, postgresCapabilities, withMigrationLock } from './dialects/postgres.js';
import { openSqlite, sqliteCapabilities } from './dialects/sqlite.js';
import { KyselyStore } from './kysely-store.js';

export type StoreConfig =
  | { backend: 'sqlite'; dataDir: string; /** ':memory:' for a throwaway store */ file?: string }
  | { backend: 'postgres'; databaseUrl: string; schema?: string; poolSize?: number };

export const SQLITE_FILE_NAME = 'profileflow.db';

/** The only place that picks a dialect. Applies pending migrations unless told not to. */
export async function openStore(config: StoreConfig, options: { migrate?: boolean } = {}): Promise<KyselyStore> {
  const store =
    config.backend === 'sqlite'
      ? new KyselyStore(openSqlite(config.file ?? join(config.dataDir, SQLITE_FILE_NAME)), sqliteCapabilities)
      : new KyselyStore(
          await openPostgres({ url: config.databaseUrl, schema: config.schema, poolSize: config.poolSize }),
          postgresCapabilities,
        );
  if (options.migrate !== false) await migrateStore(config, store);
  return store;
}

/** Applies pending migrations; on PostgreSQL under the server-wide migration lock. */
export function migrateStore(config: StoreConfig, store: KyselyStore): Promise<string[]> {
  return config.backend === 'postgres' ? withMigrationLock(config.databaseUrl, () => store.migrate()) : store.migrate();
}

export function describeStore(config: StoreConfig): string {
  if (config.backend === 'sqlite') return `sqlite (${config.file ?? join(config.dataDir, SQLITE_FILE_NAME)})`;
  return `postgres (${redactUrl(config.databaseUrl)}${config.schema ? `, schema ${config.schema}` : ''})`;
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
