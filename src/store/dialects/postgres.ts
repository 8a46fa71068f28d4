import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../schema.js';
import type { DialectCapabilities } from './capabilities.js';
import { monitoredDialect, type StorageMonitor } from '../storage-condition.js';
import { acceptCopyRows } from './postgres-copy.js';
import { preparedCompiledReads } from './postgres-prepared.js';

export const postgresCapabilities: DialectCapabilities = {
  name: 'postgres',
  skipLocked: true,
  arrayParameters: true,
  statementsRunElsewhere: true,
};

// int8 columns hold epoch milliseconds and counts, all far below 2^53: read them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

export interface PostgresOptions {
  url: string;
  /** A schema to live in (created when missing); tests give each run its own. */
  schema?: string;
  poolSize?: number;
  /** Sees every query (storage-condition.ts). */
  monitor?: StorageMonitor;
  /**
   * `service` (the default): a statement running past `statementTimeoutMs` is cancelled by the server, and
   * one whose answer never comes is given up after 30 s. `migrations`: neither, since converting a large
   * database legitimately takes minutes; one connection.
   */
  purpose?: 'service' | 'migrations';
  /** Default 25 s: less than the 30 s after which a silent server counts as unreachable. */
  statementTimeoutMs?: number;
}

/**
 * The server cancels a statement of the service after this long (SQLSTATE 57014), so a slow statement
 * is an error of that statement, and only a server that does not answer at all reaches the client's
 * 30 s read timeout, which marks it unreachable.
 */
export const STATEMENT_TIMEOUT_MS = 25_000;
const QUERY_READ_TIMEOUT_MS = 30_000;

/**
 * Creates the database a URL names when the server says it does not exist (SQLSTATE 3D000), connecting
 * to the server's `postgres` database to do it, and returns its name then; undefined when it was there.
 * What `createdb` would do, so that a first `serve --database-url …/profileflow` just works.
 */
export async function createDatabaseIfMissing(url: string): Promise<string | undefined> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return undefined;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // Another process created it meanwhile (two serve starting together): that is the wanted state.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end().catch(() => undefined);
  }
  return name;
}

export async function openPostgres(options: PostgresOptions): Promise<Kysely<Database>> {
  const migrations = options.purpose === 'migrations';
  const statementTimeout = migrations ? 0 : (options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS);
  // Set, and below the read timeout: otherwise a slow statement, a COPY the server is slow to take in
  // among them, reaches the client's read timeout first and counts as an unreachable server.
  if (!migrations && !(Number.isInteger(statementTimeout) && statementTimeout > 0 && statementTimeout < QUERY_READ_TIMEOUT_MS)) {
    throw new Error(`The service's statement timeout must be a whole number of milliseconds above 0 and below ${QUERY_READ_TIMEOUT_MS} (${statementTimeout}).`);
  }
  const schema = options.schema ?? schemaFromUrl(options.url);
  if (schema) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid PostgreSQL schema name '${schema}'.`);
    const admin = new pg.Client({ connectionString: options.url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: migrations ? 1 : (options.poolSize ?? 10),
    options: [schema ? `-c search_path="${schema}"` : '', `-c statement_timeout=${statementTimeout}`].filter(Boolean).join(' '),
    // While the database is unreachable a request must fail (500) promptly, not wait forever: a
    // connection attempt gives up after 5 s, a query whose answer never comes after 30 s, and TCP
    // keep-alive finds connections that died silently.
    connectionTimeoutMillis: 5_000,
    query_timeout: migrations ? undefined : QUERY_READ_TIMEOUT_MS,
    keepAlive: true,
  });
  // A pool error on an idle client (the server restarted) must not crash the process; the next query
  // reconnects.
  pool.on('error', () => undefined);
  // The same for a checked-out client between two queries (Kysely holds one for a whole transaction):
  // a connection that dies then emits 'error' with no listener, which would kill the process. The error
  // reaches the caller through its next query instead, and pg-pool discards the dead client on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    preparedCompiledReads(client);
    acceptCopyRows(client);
  });
  const dialect = new PostgresDialect({ pool });
  const db = new Kysely<Database>({ dialect: options.monitor ? monitoredDialect(dialect, options.monitor) : dialect });
  await sql`select 1`.execute(db);
  return db;
}

function schemaFromUrl(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('schema') ?? undefined;
  } catch {
    return undefined;
  }
}

/** One key for every profileflow process sharing a PostgreSQL server. */
export const MIGRATION_LOCK_KEY = 7_304_512_019;

/**
 * Runs `work` holding a server-wide advisory lock. Kysely's migrator introspects the tables of every
 * schema; a schema dropped by another process during that scan makes it fail with a catalog error, and
 * two processes starting at once would race to create the same tables. Migrations (and tests that drop
 * schemas) therefore take this lock.
 */
export async function withMigrationLock<T>(url: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await work();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
