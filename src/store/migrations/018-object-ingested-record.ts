import { type Migration, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * An object's latest INGESTED history record is held by the object's row while that version is stored:
 * `ingested_record_id` and `ingested_by` are the record's Id and PerformedBy; its times are the row's
 * `updated_at`, its Content the row's object. Whatever replaces, moves or deletes the version first
 * writes the record into profile_history with the text it replaces (ingest/profile-changes.ts and the
 * objects repository), and a move clears the columns.
 *
 * Why: every record ingested wrote a history row beside its object, a second row with a primary key
 * of five text columns, for a record that the object row already answers. Without it the same final
 * rows copy 26 % faster (docs/performance.md, "Layout levers").
 *
 * Until now such a record was a history row without Content, which readers took from the object. Each
 * one the row reproduces (the same profile, both times the row's `updated_at`) moves into the row; the
 * others take the object's text now, which is what they answered (one whose object is gone, which the
 * code before never left, stays without it, as it answered). Set-based statements: each is one pass over
 * the tables, whatever their size.
 */
export const m018ObjectIngestedRecord: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('profile_objects').addColumn('ingested_record_id', 'text').execute();
    await db.schema.alterTable('profile_objects').addColumn('ingested_by', 'text').execute();
    // The newest such record of the version, should a database hold more than one.
    const held = (column: string) => sql`(select ${sql.ref(`h.${column}`)} from profile_history h where ${reproduces()}
      order by h.record_id desc limit 1)`;
    await sql`update profile_objects set ingested_record_id = ${held('record_id')}, ingested_by = ${held('performed_by')}
      where exists (select 1 from profile_history h where ${reproduces()})`.execute(db);
    await sql`delete from profile_history where action_type = 'INGESTED' and content is null and exists (
      select 1 from profile_objects o where o.account_id = profile_history.account_id and o.region = profile_history.region
        and o.domain_name = profile_history.domain_name and o.object_type_name = profile_history.object_type_name
        and o.unique_key = profile_history.unique_key and o.profile_id = profile_history.profile_id
        and o.ingested_record_id = profile_history.record_id)`.execute(db);
    await sql`update profile_history set content = (select o.object from profile_objects o
        where o.account_id = profile_history.account_id and o.region = profile_history.region
          and o.domain_name = profile_history.domain_name and o.object_type_name = profile_history.object_type_name
          and o.unique_key = profile_history.unique_key)
      where action_type = 'INGESTED' and content is null`.execute(db);
  },
};

/** A history row `h` without Content that the object row being updated answers field by field. */
function reproduces() {
  return sql`h.account_id = profile_objects.account_id and h.region = profile_objects.region
    and h.domain_name = profile_objects.domain_name and h.profile_id = profile_objects.profile_id
    and h.object_type_name = profile_objects.object_type_name and h.unique_key = profile_objects.unique_key
    and h.action_type = 'INGESTED' and h.content is null
    and h.created_at = profile_objects.updated_at and h.updated_at = profile_objects.updated_at`;
}
