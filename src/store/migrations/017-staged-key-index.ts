import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * The key index gains a staging table: on SQLite, ingestion appends a page's entries here and moves
 * them into `profile_keys` in key order, a slice at a time (dialects/row-writers/sqlite-key-staging.ts).
 *
 * Why: past SQLite's page cache, each of a page's entries landed on a different leaf of the index, so
 * every commit read and rewrote thousands of scattered pages. Staged entries are merged when many wait,
 * so one leaf takes several at once (measured: docs/performance.md, "A staged key index").
 *
 * The index is the union of both tables: every read and delete of the index names both. Nothing moves
 * on migration: the table starts empty, and `profile_keys` keeps every entry it had.
 */
export const m017StagedKeyIndex: Migration = {
  async up(db: AnyDb) {
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    await sql`
      create table profile_keys_staged (
        domain_id bigint not null,
        key_name text not null,
        key_value text not null,
        profile_id text not null,
        constraint profile_keys_staged_pk primary key (domain_id, key_name, key_value, profile_id)
      )${sql.raw(sqlite ? ' without rowid' : '')}
    `.execute(db);
  },
};
