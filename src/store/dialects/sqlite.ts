import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDialectConfig } from 'kysely';
import type { Database } from '../schema.js';
import type { DialectCapabilities } from './capabilities.js';
import { monitoredDialect, type StorageMonitor } from '../storage-condition.js';
import { registerSqliteDatabase } from './sqlite-statements.js';
import { DEFAULT_KEY_STAGING, type KeyStagingPolicy } from './row-writers/sqlite-key-staging.js';

export const sqliteCapabilities: DialectCapabilities = {
  name: 'sqlite',
  skipLocked: false,
  arrayParameters: false,
  statementsRunElsewhere: false,
};

/** SQLite's page cache of the one connection, in KiB. */
const PAGE_CACHE_KIB = 32 * 1024;

/**
 * One file in the data dir. WAL lets readers (the API) proceed while the engine writes. `monitor`, when
 * given, sees every query (storage-condition.ts).
 */
export function openSqlite(file: string, monitor?: StorageMonitor, keyStaging: KeyStagingPolicy = DEFAULT_KEY_STAGING): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // Why a checkpoint every 16,384 pages (64 MiB of WAL) rather than SQLite's 1,000: one ingested page of
  // 500 records dirties ~2,500 pages at random places in the key and object indexes, so with the default
  // every engine commit also ran a checkpoint (an fsync and a copy of every page it touched). Measured
  // (bench/ingestion.ts, statement timings): time in COMMIT halved (10.5 s to 5.2 s for 50,000 records).
  database.pragma('wal_autocheckpoint = 16384');
  // Why 32 MiB of page cache rather than SQLite's 2 MiB: ingestion inserts into indexes of hundreds of MiB,
  // and with the default nearly every insert re-read its B-tree path from the OS (1,000,000 records:
  // 5,829 → 7,484 records/s with 64 MiB, before the key index was staged). Why not 64 MiB any more: since
  // the key index is staged and merged in key order, 32 MiB ingests as fast (in process, 1,000,000
  // records, alternated: 8,779 / 8,921 / 8,637 against 7,438 / 7,203 records/s; 5,000,000: 7,299 against
  // 7,483) and the process's peak RSS is 33–48 MB lower; 16 MiB was as fast at 1M and 8 MiB slower
  // (docs/performance.md, Ingestion, "A smaller page cache").
  database.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  const dialect = new SqliteDialect({ database: withStatementCache(database) });
  // total_changes() counts the rows of the ingestion's prepared statements too, which run past Kysely.
  const totalChanges = database.prepare('select total_changes()').pluck();
  const db = new Kysely<Database>({
    dialect: monitor ? monitoredDialect(dialect, monitor, () => database.inTransaction, () => Number(totalChanges.get())) : dialect,
  });
  registerSqliteDatabase(db, database, keyStaging);
  return db;
}

/**
 * Kysely's SQLite driver calls `prepare` for every query it runs; this hands it back the statement it
 * prepared for the same text before (least recently used dropped past 500 texts). Why: the API's reads
 * repeat a handful of texts, and re-preparing one (SQLite parsing and planning it again) was about a
 * fifth of ListWorkflows' store time (bench/tools/list-path.ts). Reusing a statement is safe here: the
 * dialect has one connection and Kysely runs one query on it at a time, so no statement is ever in use
 * twice at once.
 */
function withStatementCache(database: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (cache.size >= 500) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
