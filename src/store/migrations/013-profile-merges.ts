import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * Profile merges as the event stream and webhooks announce them: one row per MergeProfiles, written in
 * its transaction, with the main profile and the profiles merged into it.
 *
 * Why a table of its own rather than a read of profile_history: the history's MERGED record is under
 * the main profile and each DELETED_BY_MERGE under a merged one, with nothing but the instant to tie
 * them, so two merges in one domain in the same millisecond could not be told apart; and a sweep over
 * every account's recent history would need an index that ingestion, which writes a record per object,
 * would pay for on every row. `profile_merges_by_time` answers the sweep's (merged_at, merge_id) order.
 */
export const m013ProfileMerges: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('profile_merges')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('merge_id', 'text', (c) => c.notNull())
      .addColumn('main_profile_id', 'text', (c) => c.notNull())
      .addColumn('merged_profile_ids', 'text', (c) => c.notNull())
      .addColumn('merged_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('profile_merges_pk', ['account_id', 'region', 'domain_name', 'merge_id'])
      .execute();
    await db.schema.createIndex('profile_merges_by_time').on('profile_merges').columns(['merged_at', 'merge_id']).execute();
  },
};
