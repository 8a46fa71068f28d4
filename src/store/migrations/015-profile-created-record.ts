import { type Migration, sql } from 'kysely';
import { PROFILE_RECORD_TYPE, profileContent } from '../../domain/profile-history.js';
import type { AnyDb } from './index.js';

/**
 * A profile's CREATED history record is held by the profile's row until the profile first changes:
 * `created_record_id` and `created_by` are the record's Id and PerformedBy; its times are the row's
 * `created_at`, its Content the row's attributes, which are the profile as it was created as long as
 * the row has not been rewritten. Whatever rewrites or deletes the row first writes the record into
 * profile_history (ingest/profile-changes.ts), and the columns go back to null.
 *
 * Why: ingestion creates a profile for most records it reads, and the CREATED record was a second row
 * the width of the profile itself (its Content is the profile) written beside it, for a record that in
 * most profiles never differs from the row.
 *
 * The existing CREATED records that the rows reproduce exactly (the same Content, the row's created_at
 * for both times) move into their rows; the others stay where they are.
 */
export const m015ProfileCreatedRecord: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('profiles').addColumn('created_record_id', 'text').execute();
    await db.schema.alterTable('profiles').addColumn('created_by', 'text').execute();
    // A batch at a time, in primary-key order of the history, so that a large database is converted
    // without holding every record in memory.
    let after: { a: string; r: string; d: string; p: string; id: string } | undefined;
    for (;;) {
      let q = db
        .selectFrom('profile_history as h')
        .innerJoin('profiles as p', (j) =>
          j
            .onRef('p.account_id', '=', 'h.account_id')
            .onRef('p.region', '=', 'h.region')
            .onRef('p.domain_name', '=', 'h.domain_name')
            .onRef('p.profile_id', '=', 'h.profile_id'),
        )
        .select([
          'h.account_id', 'h.region', 'h.domain_name', 'h.profile_id', 'h.record_id', 'h.content', 'h.performed_by',
          'h.created_at', 'h.updated_at', 'h.unique_key', 'p.attributes', 'p.created_at as profile_created_at',
        ])
        .where('h.action_type', '=', 'CREATED')
        .where('h.object_type_name', '=', PROFILE_RECORD_TYPE);
      if (after) {
        const a = after;
        q = q.where(sql<boolean>`(h.account_id, h.region, h.domain_name, h.profile_id, h.record_id) > (${a.a}, ${a.r}, ${a.d}, ${a.p}, ${a.id})`);
      }
      const rows = (await q
        .orderBy('h.account_id')
        .orderBy('h.region')
        .orderBy('h.domain_name')
        .orderBy('h.profile_id')
        .orderBy('h.record_id')
        .limit(BATCH)
        .execute()) as HistoryJoinRow[];
      for (const r of rows) {
        if (!reproducible(r)) continue;
        const pk = { account_id: r.account_id, region: r.region, domain_name: r.domain_name, profile_id: r.profile_id };
        // A profile has one CREATED record; `created_record_id is null` keeps a second one, should a
        // database hold one, in the history.
        const moved = await db
          .updateTable('profiles')
          .set({ created_record_id: r.record_id, created_by: r.performed_by })
          .where('account_id', '=', pk.account_id)
          .where('region', '=', pk.region)
          .where('domain_name', '=', pk.domain_name)
          .where('profile_id', '=', pk.profile_id)
          .where('created_record_id', 'is', null)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) continue;
        await db
          .deleteFrom('profile_history')
          .where('account_id', '=', pk.account_id)
          .where('region', '=', pk.region)
          .where('domain_name', '=', pk.domain_name)
          .where('profile_id', '=', pk.profile_id)
          .where('record_id', '=', r.record_id)
          .execute();
      }
      if (rows.length < BATCH) break;
      const last = rows[rows.length - 1];
      after = { a: last.account_id, r: last.region, d: last.domain_name, p: last.profile_id, id: last.record_id };
    }
  },
};

const BATCH = 1000;

interface HistoryJoinRow {
  account_id: string;
  region: string;
  domain_name: string;
  profile_id: string;
  record_id: string;
  content: string | null;
  performed_by: string;
  created_at: number | string;
  updated_at: number | string;
  unique_key: string | null;
  attributes: string;
  profile_created_at: number | string;
}

/** The record is what the row would answer, field by field. */
function reproducible(r: HistoryJoinRow): boolean {
  const at = Number(r.profile_created_at);
  return (
    r.unique_key === null &&
    Number(r.created_at) === at &&
    Number(r.updated_at) === at &&
    r.content === profileContent(r.profile_id, JSON.parse(r.attributes) as Record<string, unknown>)
  );
}
