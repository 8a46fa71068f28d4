import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * Deleted domains whose data is still being removed: one row per domain, written by DeleteDomain in its
 * transaction, removed once the last of the domain's profiles, objects, history records, keys and merges
 * has gone (store/purge-domain.ts). `domain_id` is the id the key index knew the domain by, kept here
 * because its `domain_ids` row goes with the domain. `domain_purges_by_age` serves the purge's choice of
 * the oldest. A new table: nothing to move. Text columns compare by bytes on PostgreSQL (019).
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
  },
};
