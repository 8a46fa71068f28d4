import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * Deletions whose data is still being removed, a part at a time.
 *
 * `domain_purges`: one row per deleted domain, written by DeleteDomain in its transaction, removed once
 * the last of the domain's profiles, objects, history records, keys and merges has gone
 * (store/purge-domain.ts). `domain_id` is the id the key index knew the domain by, kept here because its
 * `domain_ids` row goes with the domain.
 *
 * `object_type_purges`: one row per deleted object type, written by DeleteProfileObjectType, removed once
 * its objects have gone and the profiles they filled are scrubbed (ingest/object-type-purge.ts): where
 * the last part stopped, in the objects (`objects_after`, a unique key; `objects_done`) and then in the
 * profiles (`profiles_after`, a profile id), so that any process goes on from there.
 *
 * The `_by_age` indexes serve the choice of the oldest. New tables: nothing to move. Text columns
 * compare by bytes on PostgreSQL (019).
 */
export const m022DomainPurges: Migration = {
  async up(db: AnyDb) {
    const text = db.getExecutor().adapter instanceof SqliteAdapter ? sql.raw('text') : sql.raw('text collate "C"');
    await sql`
      create table domain_purges (
        account_id ${text} not null,
        region ${text} not null,
        domain_name ${text} not null,
        domain_id bigint,
        deleted_at bigint not null,
        constraint domain_purges_pk primary key (account_id, region, domain_name)
      )
    `.execute(db);
    await sql`create index domain_purges_by_age on domain_purges (deleted_at)`.execute(db);
    await sql`
      create table object_type_purges (
        account_id ${text} not null,
        region ${text} not null,
        domain_name ${text} not null,
        object_type_name ${text} not null,
        deleted_at bigint not null,
        objects_after ${text},
        objects_done integer not null default 0,
        profiles_after ${text},
        constraint object_type_purges_pk primary key (account_id, region, domain_name, object_type_name)
      )
    `.execute(db);
    await sql`create index object_type_purges_by_age on object_type_purges (deleted_at)`.execute(db);
  },
};
