import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { Database, ProfileHistoryTable, ProfileKeysTable, ProfileObjectsTable, ProfilesTable } from '../../schema.js';
import type { HeldRecordsOf, ProfileHistoryEntry, ProfileKey, ProfileObjectRecord, ProfileRecord, StoredObjectRef } from '../../types.js';
import type { Scope } from '../../../domain/scope.js';
import { ProfilesByKey } from '../../../domain/profiles-by-key.js';

/**
 * The write path's queries, built once here: the generic writer runs them with values, the SQLite writer
 * compiles them with placeholders and prepares the text (sqlite.ts), so both run the same SQL.
 */

export function insertProfiles(db: Kysely<Database>, rows: readonly ProfilesTable[]) {
  return db.insertInto('profiles').values(rows).onConflict((oc) => oc.doNothing());
}

export function upsertProfiles(db: Kysely<Database>, rows: readonly ProfilesTable[]) {
  return db
    .insertInto('profiles')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['account_id', 'region', 'domain_name', 'profile_id']).doUpdateSet((eb) => ({
        attributes: eb.ref('excluded.attributes'),
        attribute_sources: eb.ref('excluded.attribute_sources'),
        is_inferred: eb.ref('excluded.is_inferred'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    );
}

/**
 * The key index's id of a domain (migration 012), as a scalar subquery: the index's reads name their
 * domain with it in the same statement. No row (no entry ever written for the domain) matches nothing.
 */
export function domainIdOf(db: Kysely<Database>, scope: Scope, domainName: string) {
  return db
    .selectFrom('domain_ids')
    .select('domain_id')
    .where('account_id', '=', scope.accountId)
    .where('region', '=', scope.region)
    .where('domain_name', '=', domainName);
}

/** Gives the domain an id in the key index if it has none yet (ids are allocated, never reused). */
export function addDomainId(db: Kysely<Database>, scope: Scope, domainName: string) {
  return db
    .insertInto('domain_ids')
    .values({ account_id: scope.accountId, region: scope.region, domain_name: domainName })
    .onConflict((oc) => oc.doNothing());
}

/**
 * The key index is three tables (migrations 017 and 023): entries merged into `profile_keys`, entries
 * staged beside it until a merge moves them, and the last writes' entries until they move into the
 * staging table (sqlite-key-staging.ts). An entry may be in more than one for a while (written again
 * before it moved on); every read of the index is a union, every delete names each table.
 */
export const KEY_INDEX_TABLES = ['profile_keys', 'profile_keys_staged', 'profile_keys_recent'] as const;
export type KeyIndexTable = (typeof KEY_INDEX_TABLES)[number];

export function insertKeys(db: Kysely<Database>, rows: readonly ProfileKeysTable[], table: KeyIndexTable = 'profile_keys') {
  return db.insertInto(table).values(rows).onConflict((oc) => oc.doNothing());
}

/**
 * The entries of one key name holding one of `values`, from every table: `key_name = ? AND key_value
 * IN (...)` is one primary-key seek per value in each. Rows found in two tables come twice (UNION ALL:
 * a deduplicating UNION would sort); callers that count entries use `distinctKeys`.
 */
export function findKeys(db: Kysely<Database>, domainId: number | DomainIdQuery, keyName: string, values: readonly string[], profileIds?: readonly string[]) {
  const arm = (table: KeyIndexTable) => {
    const query = db
      .selectFrom(table)
      .select(['key_value', 'profile_id'])
      .where('domain_id', '=', domainId)
      .where('key_name', '=', keyName)
      .where('key_value', 'in', values);
    return profileIds ? query.where('profile_id', 'in', profileIds) : query;
  };
  return overKeyIndex(arm, 'all');
}

type DomainIdQuery = ReturnType<typeof domainIdOf>;

/** One query per table of the index, as one UNION ALL, or a UNION where the rows must come once. */
export function overKeyIndex<Q extends { union(other: Q): Q; unionAll(other: Q): Q }>(arm: (table: KeyIndexTable) => Q, rows: 'all' | 'distinct'): Q {
  const [first, ...rest] = KEY_INDEX_TABLES;
  return rest.reduce((union, table) => (rows === 'all' ? union.unionAll(arm(table)) : union.union(arm(table))), arm(first));
}

/** Each key name's distinct (value, profile) pairs: what a removal of entries deletes, per key name. */
export function pairsByKeyName(keys: readonly ProfileKey[]): Map<string, [value: string, profileId: string][]> {
  const byName = new Map<string, Map<string, [string, string]>>();
  for (const k of keys) {
    let pairs = byName.get(k.keyName);
    if (!pairs) byName.set(k.keyName, (pairs = new Map()));
    pairs.set(`${k.keyValue}\u0000${k.profileId}`, [k.keyValue, k.profileId]);
  }
  return new Map([...byName].map(([name, pairs]) => [name, [...pairs.values()]]));
}

/** Entries without the repeats an entry held by two tables gives, each kept where it first came. */
export function distinctKeys(keys: readonly ProfileKey[]): ProfileKey[] {
  const seen = new ProfilesByKey();
  return keys.filter((k) => seen.add(k.keyName, k.keyValue, k.profileId));
}

export function findObjects(db: Kysely<Database>, scope: Scope, domainName: string, objectTypeName: string, uniqueKeys: readonly string[]) {
  return db
    .selectFrom('profile_objects')
    .select(['unique_key', 'profile_id', 'source_updated_at', 'key_values'])
    .where('account_id', '=', scope.accountId)
    .where('region', '=', scope.region)
    .where('domain_name', '=', domainName)
    .where('object_type_name', '=', objectTypeName)
    .where('unique_key', 'in', uniqueKeys);
}

export function storedObjectVersions(db: Kysely<Database>, scope: Scope, domainName: string, objectTypeNames: readonly string[], uniqueKeys: readonly string[]) {
  return db
    .selectFrom('profile_objects')
    .select(['object_type_name', 'unique_key', 'size_bytes', 'source_updated_at'])
    .where('account_id', '=', scope.accountId)
    .where('region', '=', scope.region)
    .where('domain_name', '=', domainName)
    .where('object_type_name', 'in', objectTypeNames)
    .where('unique_key', 'in', uniqueKeys);
}

export function insertObjects(db: Kysely<Database>, rows: readonly ProfileObjectsTable[]) {
  return db.insertInto('profile_objects').values(rows).onConflict((oc) => oc.doNothing());
}

/**
 * The SQL form of domain/staleness.ts's `isStale`, negated: the incoming row (`excluded`) replaces the
 * stored one unless both have a source time and the incoming one is older.
 */
export function notStale(eb: ExpressionBuilder<any, any>) {
  return eb.or([
    eb('excluded.source_updated_at', 'is', null),
    eb('profile_objects.source_updated_at', 'is', null),
    eb('excluded.source_updated_at', '>=', eb.ref('profile_objects.source_updated_at')),
  ]);
}

export function upsertObjects(db: Kysely<Database>, rows: readonly ProfileObjectsTable[]) {
  return db
    .insertInto('profile_objects')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'region', 'domain_name', 'object_type_name', 'unique_key'])
        .doUpdateSet((eb) => ({
          profile_id: eb.ref('excluded.profile_id'),
          object: eb.ref('excluded.object'),
          source_updated_at: eb.ref('excluded.source_updated_at'),
          size_bytes: eb.ref('excluded.size_bytes'),
          key_values: eb.ref('excluded.key_values'),
          updated_at: eb.ref('excluded.updated_at'),
          ingested_record_id: eb.ref('excluded.ingested_record_id'),
          ingested_by: eb.ref('excluded.ingested_by'),
        }))
        .where(notStale),
    );
}

export function insertHistory(db: Kysely<Database>, rows: readonly ProfileHistoryTable[]) {
  return db.insertInto('profile_history').values(rows);
}

/** The object rows `of` names, with a held INGESTED record (migration 018). */
export function objectsHolding(db: Kysely<Database>, scope: Scope, domainName: string, of: HeldRecordsOf) {
  let rows = db
    .selectFrom('profile_objects')
    .where('account_id', '=', scope.accountId)
    .where('region', '=', scope.region)
    .where('domain_name', '=', domainName);
  if ('profileIds' in of) rows = rows.where('profile_id', 'in', of.profileIds);
  else rows = rows.where('object_type_name', '=', of.objectTypeName);
  if ('uniqueKeys' in of) rows = rows.where('unique_key', 'in', of.uniqueKeys);
  return rows.where('ingested_record_id', 'is not', null);
}

/**
 * Writes the INGESTED records that objects' rows hold into the history, each with the object's text,
 * before the rows are replaced, moved or deleted. Copied inside the database, in one statement:
 * ingestion never reads an object's body to keep its history. The caller's next statement replaces,
 * moves (which clears the columns) or deletes the rows. A record already in the history (handed over by
 * a transaction that committed while this one waited for the rows) is left as it is.
 */
export function keepIngestedRecords(db: Kysely<Database>, scope: Scope, domainName: string, of: HeldRecordsOf) {
  const held = objectsHolding(db, scope, domainName, of).select([
    'account_id', 'region', 'domain_name', 'profile_id', 'ingested_record_id', 'object_type_name', sql.lit('INGESTED').as('action_type'),
    'unique_key', 'object', 'ingested_by', 'updated_at', 'updated_at as last_updated_at',
  ]);
  return db
    .insertInto('profile_history')
    .columns([
      'account_id', 'region', 'domain_name', 'profile_id', 'record_id', 'object_type_name', 'action_type', 'unique_key', 'content',
      'performed_by', 'created_at', 'updated_at',
    ])
    .expression(held)
    .onConflict((oc) => oc.doNothing());
}

export function profileToRow(scope: Scope, domainName: string, p: ProfileRecord): ProfilesTable {
  const row: ProfilesTable = {
    account_id: scope.accountId,
    region: scope.region,
    domain_name: domainName,
    profile_id: p.profileId,
    attributes: JSON.stringify(p.attributes),
    attribute_sources: Object.keys(p.attributeSources).length > 0 ? JSON.stringify(p.attributeSources) : null,
    is_inferred: p.inferred ? 1 : 0,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
  // Named only when there is a record to hold, so rows without one are written as before 015. Assigned,
  // not spread: a spread object literal costs several times a plain one, once per row ingested.
  if (p.createdRecord) {
    row.created_record_id = p.createdRecord.recordId;
    row.created_by = p.createdRecord.performedBy;
  }
  return row;
}

export function keyToRow(domainId: number, k: ProfileKey): ProfileKeysTable {
  return { domain_id: domainId, key_name: k.keyName, key_value: k.keyValue, profile_id: k.profileId };
}

export function objectToRow(scope: Scope, domainName: string, o: ProfileObjectRecord): ProfileObjectsTable {
  return {
    account_id: scope.accountId,
    region: scope.region,
    domain_name: domainName,
    object_type_name: o.objectTypeName,
    unique_key: o.uniqueKey,
    profile_id: o.profileId,
    object: o.object,
    source_updated_at: o.sourceUpdatedAt ?? null,
    size_bytes: o.sizeBytes,
    key_values: JSON.stringify(o.keyValues),
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    ingested_record_id: o.ingestedRecord?.recordId ?? null,
    ingested_by: o.ingestedRecord?.performedBy ?? null,
  };
}

export function historyToRow(scope: Scope, domainName: string, e: ProfileHistoryEntry): ProfileHistoryTable {
  return {
    account_id: scope.accountId,
    region: scope.region,
    domain_name: domainName,
    profile_id: e.profileId,
    record_id: e.recordId,
    object_type_name: e.objectTypeName,
    action_type: e.actionType,
    unique_key: e.uniqueKey ?? null,
    content: e.content ?? null,
    performed_by: e.performedBy,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

export function storedRef(r: { unique_key: string; profile_id: string; source_updated_at: number | null; key_values: string | null }): StoredObjectRef {
  return {
    uniqueKey: r.unique_key,
    profileId: r.profile_id,
    sourceUpdatedAt: r.source_updated_at === null ? undefined : Number(r.source_updated_at),
    keyValues: r.key_values ? (JSON.parse(r.key_values) as Record<string, string>) : {},
  };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Rows per multi-row statement and values per IN list: every statement stays under SQLite's 32,766 and
 * PostgreSQL's 65,535 bound parameters (14 columns × 1,000 rows = 14,000; an IN list of 5,000 values plus
 * a few).
 */
export const ROWS_PER_STATEMENT = 1000;
export const VALUES_PER_IN_LIST = 5000;
