import { type Kysely, sql } from 'kysely';
import type { Database } from '../../schema.js';
import type { ProfileHistoryEntry, ProfileKey, ProfileObjectRecord, ProfileRecord } from '../../types.js';
import type { Scope } from '../../../domain/scope.js';
import { chunks, distinctKeys, ROWS_PER_STATEMENT } from './queries.js';
import { GenericHistoryRowWriter, GenericKeyIndexWriter, GenericObjectRowWriter, GenericProfileRowWriter } from './generic.js';
import { objectKey, type RowWriters } from './types.js';

/**
 * PostgreSQL's inserts as arrays: `INSERT … SELECT FROM unnest($1::text[], …)` binds one parameter per
 * column instead of one per value, whatever the number of rows (the widest writes of a batch, the key
 * index and the history, take 5,000 rows a statement). The rest is the generic writers' SQL.
 */
class PostgresProfileRowWriter extends GenericProfileRowWriter {
  override async insertNew(scope: Scope, domainName: string, profiles: readonly ProfileRecord[]): Promise<Set<string>> {
    const out = new Set<string>();
    // Profiles created with their CREATED record in the row (migration 015), and the others, whose rows
    // are written as before it.
    const created = profiles.filter((p) => p.createdRecord);
    const plain = created.length === profiles.length ? [] : profiles.filter((p) => !p.createdRecord);
    for (const all of chunks(created, ROWS_PER_STATEMENT)) {
      const { rows } = await sql<{ profile_id: string }>`insert into profiles (account_id, region, domain_name, profile_id, attributes,
          attribute_sources, is_inferred, created_at, updated_at, created_record_id, created_by)
        select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${all.map((p) => p.profileId)}::text[],
          ${all.map((p) => JSON.stringify(p.attributes))}::text[],
          ${all.map((p) => (Object.keys(p.attributeSources).length > 0 ? JSON.stringify(p.attributeSources) : null))}::text[],
          ${all.map((p) => (p.inferred ? 1 : 0))}::int4[], ${all.map((p) => p.createdAt)}::int8[], ${all.map((p) => p.updatedAt)}::int8[],
          ${all.map((p) => p.createdRecord?.recordId)}::text[], ${all.map((p) => p.createdRecord?.performedBy)}::text[])
        on conflict do nothing returning profile_id`.execute(this.db);
      for (const r of rows) out.add(r.profile_id);
    }
    for (const all of chunks(plain, ROWS_PER_STATEMENT)) {
      const { rows } = await sql<{ profile_id: string }>`insert into profiles (account_id, region, domain_name, profile_id, attributes,
          attribute_sources, is_inferred, created_at, updated_at)
        select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${all.map((p) => p.profileId)}::text[],
          ${all.map((p) => JSON.stringify(p.attributes))}::text[],
          ${all.map((p) => (Object.keys(p.attributeSources).length > 0 ? JSON.stringify(p.attributeSources) : null))}::text[],
          ${all.map((p) => (p.inferred ? 1 : 0))}::int4[], ${all.map((p) => p.createdAt)}::int8[], ${all.map((p) => p.updatedAt)}::int8[])
        on conflict do nothing returning profile_id`.execute(this.db);
      for (const r of rows) out.add(r.profile_id);
    }
    return out;
  }
}

class PostgresKeyIndexWriter extends GenericKeyIndexWriter {
  /**
   * Every key name's values in one statement, the domain's id read in it: one round trip per page. The
   * values are an array joined through a LATERAL subquery naming the whole primary key but profile_id,
   * and `OFFSET 0` keeps the planner from flattening it into a join: each value is one seek whatever
   * the statistics say. Both tables of the index are read (queries.ts, KEY_INDEX_TABLES); PostgreSQL
   * writes straight into profile_keys, so its second seek finds an empty table. An `IN (…)` list of a
   * page's values, planned without statistics, scanned the key name's whole range (642 ms against 11 ms
   * for 1,000 values among 2,000,000 entries).
   */
  override async find(scope: Scope, domainName: string, valuesByName: ReadonlyMap<string, ReadonlySet<string>>): Promise<ProfileKey[]> {
    const names: string[] = [];
    const values: string[] = [];
    for (const [keyName, keyValues] of valuesByName) {
      for (const keyValue of keyValues) {
        names.push(keyName);
        values.push(keyValue);
      }
    }
    if (names.length === 0) return [];
    const domainId = sql`select domain_id from domain_ids where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = ${domainName}`;
    const { rows } = await sql<{ key_name: string; key_value: string; profile_id: string }>`
      select v.key_name, v.key_value, k.profile_id
      from unnest(${names}::text[], ${values}::text[]) as v (key_name, key_value)
      cross join lateral (
        select profile_id from profile_keys
        where domain_id = (${domainId}) and key_name = v.key_name and key_value = v.key_value
        union all
        select profile_id from profile_keys_staged
        where domain_id = (${domainId}) and key_name = v.key_name and key_value = v.key_value
        offset 0
      ) k`.execute(this.db);
    return distinctKeys(rows.map((r) => ({ keyName: r.key_name, keyValue: r.key_value, profileId: r.profile_id })));
  }

  override async insert(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    if (keys.length === 0) return;
    const domainId = (await this.domainId(scope, domainName, true)) as number;
    for (const batch of chunks(keys, ROWS_PER_STATEMENT * 5)) {
      await sql`insert into profile_keys (domain_id, key_name, key_value, profile_id)
        select ${domainId}::int8, * from unnest(${batch.map((k) => k.keyName)}::text[],
          ${batch.map((k) => k.keyValue)}::text[], ${batch.map((k) => k.profileId)}::text[])
        on conflict do nothing`.execute(this.db);
    }
  }
}

class PostgresObjectRowWriter extends GenericObjectRowWriter {
  override async insertNew(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const all of chunks(objects, ROWS_PER_STATEMENT)) {
      const { rows } = await sql<{ object_type_name: string; unique_key: string }>`insert into profile_objects (account_id, region, domain_name,
          object_type_name, unique_key, profile_id, object, source_updated_at, size_bytes, key_values, created_at, updated_at,
          ingested_record_id, ingested_by)
        select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${all.map((o) => o.objectTypeName)}::text[],
          ${all.map((o) => o.uniqueKey)}::text[], ${all.map((o) => o.profileId)}::text[], ${all.map((o) => o.object)}::text[],
          ${all.map((o) => o.sourceUpdatedAt ?? null)}::int8[], ${all.map((o) => o.sizeBytes)}::int8[],
          ${all.map((o) => JSON.stringify(o.keyValues))}::text[], ${all.map((o) => o.createdAt)}::int8[],
          ${all.map((o) => o.updatedAt)}::int8[], ${all.map((o) => o.ingestedRecord?.recordId ?? null)}::text[],
          ${all.map((o) => o.ingestedRecord?.performedBy ?? null)}::text[])
        on conflict do nothing returning object_type_name, unique_key`.execute(this.db);
      for (const r of rows) out.add(objectKey(r.object_type_name, r.unique_key));
    }
    return out;
  }
}

class PostgresHistoryRowWriter extends GenericHistoryRowWriter {
  override async insert(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]): Promise<void> {
    for (const b of chunks(entries, ROWS_PER_STATEMENT * 5)) {
      await sql`insert into profile_history (account_id, region, domain_name, profile_id, record_id, object_type_name,
          action_type, unique_key, content, performed_by, created_at, updated_at)
        select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${b.map((e) => e.profileId)}::text[],
          ${b.map((e) => e.recordId)}::text[], ${b.map((e) => e.objectTypeName)}::text[], ${b.map((e) => e.actionType)}::text[],
          ${b.map((e) => e.uniqueKey ?? null)}::text[], ${b.map((e) => e.content ?? null)}::text[],
          ${b.map((e) => e.performedBy)}::text[], ${b.map((e) => e.createdAt)}::int8[], ${b.map((e) => e.updatedAt)}::int8[])`.execute(this.db);
    }
  }
}

export function postgresRowWriters(db: Kysely<Database>): RowWriters {
  return {
    kind: 'postgres',
    profiles: new PostgresProfileRowWriter(db),
    keys: new PostgresKeyIndexWriter(db),
    objects: new PostgresObjectRowWriter(db, true),
    history: new PostgresHistoryRowWriter(db, true),
  };
}
