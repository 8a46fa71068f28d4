import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withMigrationLock } from '../../src/store/dialects/postgres.js';
import { openStore, type StoreConfig } from '../../src/store/open-store.js';
import type { KeyStagingPolicy } from '../../src/store/dialects/row-writers/sqlite-key-staging.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';

export type Backend = 'sqlite' | 'postgres';

export const POSTGRES_URL = process.env.PROFILEFLOW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** CI sets this: a missing PostgreSQL then fails the run instead of skipping its suites. */
const POSTGRES_REQUIRED = process.env.PROFILEFLOW_REQUIRE_POSTGRES === '1';

let postgresAnswer: Promise<boolean> | undefined;

/**
 * Long enough for a server busy with the rest of the suite on two cores (CI once took more than 2 s to
 * connect); a server that is not there refuses the connection at once, so this never slows a run without one.
 */
const CONNECT_TIMEOUT_MS = 15_000;

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    if (POSTGRES_REQUIRED) throw new Error(`PostgreSQL is required (PROFILEFLOW_REQUIRE_POSTGRES=1) but ${POSTGRES_URL} does not answer: ${(err as Error).message}`);
    process.stdout.write(`# notice: PostgreSQL at ${POSTGRES_URL} does not answer; its suites are skipped\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The backends to run a suite on: SQLite always, PostgreSQL when it answers (always, in CI). */
export async function availableBackends(): Promise<Backend[]> {
  postgresAnswer ??= postgresAnswers();
  return (await postgresAnswer) ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestStore {
  store: KyselyStore;
  config: StoreConfig;
  /** Closes the store and removes its data (the PostgreSQL schema). */
  dispose(): Promise<void>;
}

/** A fresh, empty, migrated store: an in-memory SQLite file, or a PostgreSQL schema of its own. */
export async function createTestStore(backend: Backend, options: { sqliteKeyStaging?: KeyStagingPolicy } = {}): Promise<TestStore> {
  if (backend === 'sqlite') {
    const config: StoreConfig = { backend: 'sqlite', dataDir: '', file: ':memory:', keyStaging: options.sqliteKeyStaging };
    const store = await openStore(config);
    return { store, config, dispose: () => store.close() };
  }
  const schema = `pf_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const config: StoreConfig = { backend: 'postgres', databaseUrl: POSTGRES_URL, schema, poolSize: 4 };
  const store = await openStore(config);
  return {
    store,
    config,
    dispose: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

/** Drops a test schema, under the migration lock so that no concurrent migration is scanning it. */
export async function dropSchema(schema: string): Promise<void> {
  await withMigrationLock(POSTGRES_URL, async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
}
