import { type Migration, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * GetDomain's Stats as counters (`domain_stats`), kept in the same transaction as the rows they count.
 *
 * Why counters rather than COUNT(*)/SUM(size_bytes) at read time: at a million objects the SUM reads
 * every row of profile_objects (size_bytes is in no index), and a covering index for it would add a
 * fourth write to every ingested object. The repositories report what their statements really did
 * (rows inserted, sizes replaced) and the store adds it up once per transaction, just before commit
 * (`repositories/domain-stats.ts`), so the counter row is locked only for the commit itself.
 *
 * Existing data is counted once here, so an upgraded database starts with true figures.
 */
export const m006ProfileSearch: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('domain_stats')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('profile_count', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('object_count', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('total_size', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('domain_stats_pk', ['account_id', 'region', 'domain_name'])
      .execute();

    await sql`
      insert into domain_stats (account_id, region, domain_name, profile_count, object_count, total_size)
      select d.account_id, d.region, d.domain_name,
        (select count(*) from profiles p
          where p.account_id = d.account_id and p.region = d.region and p.domain_name = d.domain_name),
        (select count(*) from profile_objects o
          where o.account_id = d.account_id and o.region = d.region and o.domain_name = d.domain_name),
        (select coalesce(sum(o.size_bytes), 0) from profile_objects o
          where o.account_id = d.account_id and o.region = d.region and o.domain_name = d.domain_name)
      from domains d
    `.execute(db);
  },
};
