import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * The key index gains a table for the entries of the last few writes: on SQLite, ingestion inserts a
 * page's entries here, and they move into `profile_keys_staged` together once enough wait
 * (dialects/row-writers/sqlite-key-staging.ts).
 *
 * Why: inserted straight into the staging table, a page's entries landed on nearly every page of it, and
 * every commit rewrote the whole table: two thirds of what a commit wrote at 1M records (measured:
 * docs/performance.md, "Recent entries apart").
 *
 * The index is the union of the three tables: every read and delete of the index names each. Nothing moves
 * on migration: the table starts empty. Text columns compare by bytes on PostgreSQL (019).
 */
export const m023RecentKeyEntries: Migration = {
  async up(db: AnyDb) {
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    const text = sql.raw(sqlite ? 'text' : 'text collate "C"');
    await sql`
      create table profile_keys_recent (
        domain_id bigint not null,
        key_name ${text} not null,
        key_value ${text} not null,
        profile_id ${text} not null,
        constraint profile_keys_recent_pk primary key (domain_id, key_name, key_value, profile_id)
      )${sql.raw(sqlite ? ' without rowid' : '')}
    `.execute(db);
  },
};
