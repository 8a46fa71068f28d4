import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * The profile lifecycle: every change to a profile as a history record (ListProfileHistoryRecords,
 * GetProfileHistoryRecord), and the index entries a profile holds that neither its standard attributes
 * nor its objects' key values show (AddProfileKey's values, the keys of objects deleted or moved away),
 * so that DeleteProfile and MergeProfiles find every key of a profile without an index of profile_keys
 * by profile, which ingestion would have to maintain for every key row it writes.
 *
 * Why both are keyed by profile first: every read is one profile's (its history page, its extra keys),
 * and a domain-wide read (DeleteDomain) scans the domain prefix anyway. On SQLite both are WITHOUT ROWID
 * (clustered on the primary key): ingestion writes a history row per object, and a rowid table would
 * write each row twice (table and primary-key index), as 007 says for profile_keys.
 */
export const m010ProfileHistory: Migration = {
  async up(db: AnyDb) {
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    const withoutRowid = sqlite ? sql.raw(' without rowid') : sql.raw('');
    // record_id: 32 hex, time first (see domain/ids.ts historyRecordId), so the primary key's order
    // within a profile is the order the changes were made.
    await sql`
      create table profile_history (
        account_id text not null,
        region text not null,
        domain_name text not null,
        profile_id text not null,
        record_id text not null,
        object_type_name text not null,
        action_type text not null,
        unique_key text,
        content text,
        performed_by text not null,
        created_at bigint not null,
        updated_at bigint not null,
        constraint profile_history_pk primary key (account_id, region, domain_name, profile_id, record_id)
      )${withoutRowid}
    `.execute(db);
    await sql`
      create table profile_extra_keys (
        account_id text not null,
        region text not null,
        domain_name text not null,
        profile_id text not null,
        key_name text not null,
        key_value text not null,
        constraint profile_extra_keys_pk primary key (account_id, region, domain_name, profile_id, key_name, key_value)
      )${withoutRowid}
    `.execute(db);
  },
};
