import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * On PostgreSQL, the key index (`profile_keys`) is found through a B-tree of the domain and a 64-bit hash
 * of the key name and value, `(domain_id, hashtextextended(key_value, hashtext(key_name)))`, instead of
 * its primary key `(domain_id, key_name, key_value, profile_id)`, which is dropped.
 *
 * Why: the key index takes five entries a record, and each entry was stored twice, once in the heap and
 * once in a primary key as wide as the row. Past the buffer pool (about 200,000 records on a default
 * server) every entry of a page landed on its own leaf of that primary key, and writing the entries was
 * half the time of a page's statements. The hash index's entries are a third the size, and compare as
 * two integers. Measured: docs/performance.md, "The key index by a hash of its values".
 *
 * A hash only finds candidates: every read still compares `key_name` and `key_value` themselves, so two
 * values with one hash cannot be confused (a collision costs a second row read, never a wrong match).
 * There is no unique constraint any more: the PostgreSQL writer leaves out the entries already present
 * (row-writers/postgres.ts), and every read takes the entries as a set (queries.ts, `distinctKeys`,
 * `union`), as they already did for an entry held by both tables of the index.
 *
 * SQLite keeps its primary key: there `profile_keys` is a WITHOUT ROWID table, whose primary key is the
 * table itself, and entries reach it in key order (migration 017). `profile_keys_staged` keeps its
 * primary key on both: PostgreSQL never stages, so it stays empty there.
 */
export const m020KeyIndexByValueHash: Migration = {
  async up(db: AnyDb) {
    if (db.getExecutor().adapter instanceof SqliteAdapter) return;
    await sql`create index profile_keys_by_value_hash on profile_keys (domain_id, hashtextextended(key_value, hashtext(key_name)))`.execute(db);
    await sql`alter table profile_keys drop constraint profile_keys_pk`.execute(db);
  },
};
