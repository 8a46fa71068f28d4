import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * On SQLite, `profile_keys` becomes a WITHOUT ROWID table.
 *
 * Why: its primary key is the whole row, so as an ordinary (rowid) table SQLite kept every key twice,
 * in the table's rowid B-tree and in the primary key's index, and ingestion writes several key rows per
 * record (the object type's keys and the standard search keys): the key-index insert was the largest
 * share of ingestion's CPU profile (docs/performance.md). Clustered on its primary key, each key row is
 * written once. The rows are small (a few short texts), the case SQLite's documentation recommends
 * WITHOUT ROWID for. PostgreSQL has no rowid B-tree: nothing changes there.
 */
export const m007ProfileKeysWithoutRowid: Migration = {
  async up(db: AnyDb) {
    if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
    await sql`
      create table profile_keys_clustered (
        account_id text not null,
        region text not null,
        domain_name text not null,
        key_name text not null,
        key_value text not null,
        profile_id text not null,
        constraint profile_keys_pk primary key (account_id, region, domain_name, key_name, key_value, profile_id)
      ) without rowid
    `.execute(db);
    await sql`insert into profile_keys_clustered select account_id, region, domain_name, key_name, key_value, profile_id from profile_keys`.execute(db);
    await sql`drop table profile_keys`.execute(db);
    await sql`alter table profile_keys_clustered rename to profile_keys`.execute(db);
  },
};
