import { type Kysely, sql } from 'kysely';
import type { Database, ProfileObjectsTable, ProfilesTable } from '../../schema.js';
import { type CopyValue, copyRows, mappedRows } from '../postgres-copy.js';
import { objectKey, type ProfileHistoryEntry, type ProfileKey, type ProfileObjectRecord, type ProfileRecord } from '../../types.js';
import type { Scope } from '../../../domain/scope.js';
import { chunks, distinctKeys, KEY_INDEX_TABLES, objectToRow, profileToRow, ROWS_PER_STATEMENT } from './queries.js';
import { GenericHistoryRowWriter, GenericKeyIndexWriter, GenericObjectRowWriter, GenericProfileRowWriter } from './generic.js';
import type { RowWriters } from './types.js';

/**
 * Rows as one JSON parameter for `json_to_recordset`: serialized natively, where pg encodes an array
 * element by element (the wide rows, profiles and objects, cost the client 2.6 times as much as arrays,
 * for the same server time). PostgreSQL's JSON parser refuses an escaped lone surrogate, so the rows'
 * strings taken from a source as they came (`fromSource`) get U+FFFD in its place, as pg's UTF-8
 * encoding of an array element gave them; the JSON texts among them (objects, attributes) are
 * JSON.stringify's output, which escapes nothing it could not read back.
 */
function jsonRows<Row extends object>(rows: Row[], fromSource: readonly (keyof Row & string)[]): string {
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    for (const column of fromSource) if (typeof r[column] === 'string') r[column] = toWellFormed.call(r[column]);
  }
  return JSON.stringify(rows);
}

/** ES2024's String.prototype.toWellFormed and isWellFormed, which Node 20 has and this project's ES2023 library does not declare. */
const { toWellFormed, isWellFormed } = String.prototype as unknown as { toWellFormed(this: string): string; isWellFormed(this: string): boolean };

/**
 * PostgreSQL's inserts bind one parameter per column (`unnest` of arrays: the key index) or one for all
 * (`json_to_recordset`: profiles and objects), not one per value, whatever the number of rows (the key
 * index takes 5,000 rows a statement). Fresh rows, which no conflict can meet, are copied (`copyFresh`,
 * postgres-copy.ts), and so are history rows. The rest is the generic writers' SQL.
 */
class PostgresProfileRowWriter extends GenericProfileRowWriter {
  override async insertNew(scope: Scope, domainName: string, profiles: readonly ProfileRecord[], fresh?: ReadonlySet<string>): Promise<Set<string>> {
    const out = new Set<string>();
    const checked = await copyFresh(this.db, 'profiles', profiles, {
      isFresh: (p) => fresh?.has(p.profileId) === true,
      toRow: (p) => profileToRow(scope, domainName, p),
      columnsOf: profileColumns,
      idOf: (p) => p.profileId,
    }, out);
    for (const all of chunks(checked, ROWS_PER_STATEMENT)) {
      // The CREATED record's columns are named only when a row holds one, so rows without one are
      // written as before migration 015 (whose tests write through this on the schema before it).
      const withCreated = all.some((p) => p.createdRecord);
      // Rows as the other writers write them (queries.ts); json_to_recordset reads the columns it names.
      const rows = jsonRows(all.map((p) => profileToRow(scope, domainName, p)), ['profile_id', 'created_record_id', 'created_by']);
      const created = withCreated ? sql`, created_record_id, created_by` : sql``;
      const createdTypes = withCreated ? sql`, created_record_id text, created_by text` : sql``;
      const { rows: inserted } = await sql<{ profile_id: string }>`insert into profiles (account_id, region, domain_name, profile_id, attributes,
          attribute_sources, is_inferred, created_at, updated_at${created})
        select ${scope.accountId}, ${scope.region}, ${domainName}, x.* from json_to_recordset(${rows}::json) as x (profile_id text,
          attributes text, attribute_sources text, is_inferred int4, created_at int8, updated_at int8${createdTypes})
        on conflict do nothing returning profile_id`.execute(this.db);
      for (const r of inserted) out.add(r.profile_id);
    }
    return out;
  }
}

/** A profile row's columns, the CREATED record's only when a row holds one (as insertNew's JSON rows). */
function profileColumns(profiles: readonly ProfileRecord[]): (keyof ProfilesTable)[] {
  const columns: (keyof ProfilesTable)[] = [
    'account_id', 'region', 'domain_name', 'profile_id', 'attributes', 'attribute_sources', 'is_inferred', 'created_at', 'updated_at',
  ];
  return profiles.some((p) => p.createdRecord) ? [...columns, 'created_record_id', 'created_by'] : columns;
}

/**
 * Copies the rows `isFresh` picks, which no conflict can meet and so are inserted by definition (their
 * ids go into `inserted`), and answers the others, for the conflict-checked insert.
 */
async function copyFresh<R, Row extends object>(
  db: Kysely<Database>,
  table: string,
  rows: readonly R[],
  how: { isFresh: (r: R) => boolean; toRow: (r: R) => Row; columnsOf: (fresh: readonly R[]) => readonly (keyof Row & string)[]; idOf: (r: R) => string },
  inserted: Set<string>,
): Promise<R[]> {
  const fresh: R[] = [];
  const checked: R[] = [];
  for (const r of rows) (how.isFresh(r) ? fresh : checked).push(r);
  if (fresh.length === 0) return checked;
  const columns = how.columnsOf(fresh);
  for (const batch of chunks(fresh, COPY_ROWS)) {
    await db.executeQuery(copyRows(table, columns, mappedRows(batch, (r) => {
      const row = how.toRow(r);
      return columns.map((c) => (row[c] ?? null) as CopyValue);
    })));
  }
  for (const r of fresh) inserted.add(how.idOf(r));
  return checked;
}

/** Rows a COPY statement carries: a statement's rows are held until it ends, so a page's are split. */
const COPY_ROWS = 20_000;

class PostgresKeyIndexWriter extends GenericKeyIndexWriter {
  /**
   * Every key name's values in one statement, the domain's id read in it: one round trip per page. The
   * values are an array joined through a LATERAL subquery naming the whole primary key but profile_id,
   * and `OFFSET 0` keeps the planner from flattening it into a join: each value is one seek whatever
   * the statistics say. Every table of the index is read (queries.ts, KEY_INDEX_TABLES); PostgreSQL
   * writes straight into profile_keys, so its other seeks find empty tables. An `IN (…)` list of a
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
        ${sql.join(
          KEY_INDEX_TABLES.map((table) => sql`select profile_id from ${sql.table(table)} where domain_id = (${domainId}) and key_name = v.key_name and key_value = v.key_value`),
          sql` union all `,
        )}
        offset 0
      ) k`.execute(this.db);
    return distinctKeys(rows.map((r) => ({ keyName: r.key_name, keyValue: r.key_value, profileId: r.profile_id })));
  }

  /**
   * Every entry in one statement per table, found as `find` finds values: one seek of the whole primary key
   * per entry through a LATERAL subquery, and the rows deleted by their ctid. A list of (value, profile)
   * pairs, planned against a domain id known only at run time, scanned the key name's whole range (109 ms
   * a statement at 100,000 entries).
   */
  override async remove(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    if (keys.length === 0) return;
    const domainId = sql`select domain_id from domain_ids where account_id = ${scope.accountId} and region = ${scope.region} and domain_name = ${domainName}`;
    for (const batch of chunks(distinctKeys(keys), ROWS_PER_STATEMENT * 5)) {
      const names = batch.map((k) => k.keyName);
      const values = batch.map((k) => k.keyValue);
      const ids = batch.map((k) => k.profileId);
      for (const table of KEY_INDEX_TABLES) {
        await sql`delete from ${sql.table(table)} where ctid = any(array(
          select k.ctid from unnest(${names}::text[], ${values}::text[], ${ids}::text[]) as v (key_name, key_value, profile_id)
          cross join lateral (
            select ctid from ${sql.table(table)}
            where domain_id = (${domainId}) and key_name = v.key_name and key_value = v.key_value and profile_id = v.profile_id
            offset 0
          ) k))`.execute(this.db);
      }
    }
  }

  override async insert(scope: Scope, domainName: string, keys: readonly ProfileKey[], ofNewProfiles = false): Promise<void> {
    if (keys.length === 0) return;
    const domainId = (await this.domainId(scope, domainName, true)) as number;
    // Entries of profiles this transaction inserted cannot be stored yet, by this or any transaction: they
    // are copied, with no conflict check (whose speculative insertion cost a quarter more server time per
    // entry). Each entry once, as PostgreSQL will store it (a lone surrogate becomes U+FFFD, so two values
    // can become one).
    const rows = ofNewProfiles
      ? distinctKeys(keys.map((k) => ({ keyName: toWellFormed.call(k.keyName), keyValue: toWellFormed.call(k.keyValue), profileId: toWellFormed.call(k.profileId) })))
      : keys;
    if (ofNewProfiles) {
      for (const batch of chunks(rows, COPY_ROWS)) {
        await this.db.executeQuery(copyRows('profile_keys', ['domain_id', 'key_name', 'key_value', 'profile_id'], mappedRows(batch, (k) => [domainId, k.keyName, k.keyValue, k.profileId])));
      }
      return;
    }
    for (const batch of chunks(rows, ROWS_PER_STATEMENT * 5)) {
      await sql`insert into profile_keys (domain_id, key_name, key_value, profile_id)
        select ${domainId}::int8, * from unnest(${batch.map((k) => k.keyName)}::text[],
          ${batch.map((k) => k.keyValue)}::text[], ${batch.map((k) => k.profileId)}::text[])
        on conflict do nothing`.execute(this.db);
    }
  }
}

class PostgresObjectRowWriter extends GenericObjectRowWriter {
  override async insertNew(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[], fresh?: ReadonlySet<string>): Promise<Set<string>> {
    const out = new Set<string>();
    const checked = await copyFresh(this.db, 'profile_objects', objects, {
      // A unique key with a lone surrogate is stored with U+FFFD in its place, where two keys of a batch
      // can become one: those take the conflict check.
      isFresh: (o) => fresh?.has(objectKey(o.objectTypeName, o.uniqueKey)) === true && isWellFormed.call(o.uniqueKey),
      toRow: (o) => objectToRow(scope, domainName, o),
      columnsOf: () => OBJECT_COLUMNS,
      idOf: (o) => objectKey(o.objectTypeName, o.uniqueKey),
    }, out);
    for (const all of chunks(checked, ROWS_PER_STATEMENT)) {
      const rows = jsonRows(all.map((o) => objectToRow(scope, domainName, o)), [
        'object_type_name', 'unique_key', 'profile_id', 'ingested_record_id', 'ingested_by',
      ]);
      const { rows: inserted } = await sql<{ object_type_name: string; unique_key: string }>`insert into profile_objects (account_id, region,
          domain_name, object_type_name, unique_key, profile_id, object, source_updated_at, size_bytes, key_values, created_at, updated_at,
          ingested_record_id, ingested_by)
        select ${scope.accountId}, ${scope.region}, ${domainName}, x.* from json_to_recordset(${rows}::json) as x (object_type_name text,
          unique_key text, profile_id text, object text, source_updated_at int8, size_bytes int8, key_values text, created_at int8,
          updated_at int8, ingested_record_id text, ingested_by text)
        on conflict do nothing returning object_type_name, unique_key`.execute(this.db);
      for (const r of inserted) out.add(objectKey(r.object_type_name, r.unique_key));
    }
    return out;
  }
}

const OBJECT_COLUMNS: readonly (keyof ProfileObjectsTable)[] = [
  'account_id', 'region', 'domain_name', 'object_type_name', 'unique_key', 'profile_id', 'object', 'source_updated_at', 'size_bytes',
  'key_values', 'created_at', 'updated_at', 'ingested_record_id', 'ingested_by',
];

const HISTORY_COLUMNS = [
  'account_id', 'region', 'domain_name', 'profile_id', 'record_id', 'object_type_name',
  'action_type', 'unique_key', 'content', 'performed_by', 'created_at', 'updated_at',
] as const;

/**
 * History rows are copied: their record ids are new, so no conflict clause is asked for, and a clash
 * fails the page as the insert it replaces did.
 */
class PostgresHistoryRowWriter extends GenericHistoryRowWriter {
  override async insert(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]): Promise<void> {
    // A history row carries a profile's or an object's JSON, so fewer rows a statement than the others.
    for (const batch of chunks(entries, COPY_ROWS / 10)) {
      const rows = mappedRows(batch, (e): CopyValue[] => [
        scope.accountId, scope.region, domainName, e.profileId, e.recordId, e.objectTypeName,
        e.actionType, e.uniqueKey ?? null, e.content ?? null, e.performedBy, e.createdAt, e.updatedAt,
      ]);
      await this.db.executeQuery(copyRows('profile_history', HISTORY_COLUMNS, rows));
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
