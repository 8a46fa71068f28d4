import type { Kysely } from 'kysely';
import type { Database, ProfileHistoryTable, ProfileKeysTable, ProfileObjectsTable, ProfilesTable } from '../../schema.js';
import { type HeldRecordsOf, objectKey, type ProfileHistoryEntry, type ProfileKey, type ProfileObjectRecord, type ProfileRecord, type StoredObjectRef } from '../../types.js';
import type { Scope } from '../../../domain/scope.js';
import { placeholder, placeholderRow, type SqliteStatements } from '../sqlite-statements.js';
import { GenericHistoryRowWriter, GenericKeyIndexWriter } from './generic.js';
import * as q from './queries.js';
import { keyStagingOf } from './sqlite-key-staging.js';
import type { RowWriters, StoredVersion } from './types.js';

/**
 * SQLite's write path: the generic writers' queries, compiled by Kysely once with placeholders and
 * prepared once, then run one row at a time. Only on a transaction's store (sqlite-statements.ts says
 * why: the statements run on the raw connection, past Kysely's mutex, which the transaction holds).
 */

const PROFILE_COLUMNS = ['account_id', 'region', 'domain_name', 'profile_id', 'attributes', 'attribute_sources', 'is_inferred', 'created_at', 'updated_at'] as const;
/** A profile created with its CREATED record in its row (migration 015). */
const CREATED_PROFILE_COLUMNS = [...PROFILE_COLUMNS, 'created_record_id', 'created_by'] as const;
const KEY_COLUMNS = ['domain_id', 'key_name', 'key_value', 'profile_id'] as const;
const OBJECT_COLUMNS = [
  'account_id', 'region', 'domain_name', 'object_type_name', 'unique_key', 'profile_id', 'object', 'source_updated_at',
  'size_bytes', 'key_values', 'created_at', 'updated_at', 'ingested_record_id', 'ingested_by',
] as const;
const HISTORY_COLUMNS = [
  'account_id', 'region', 'domain_name', 'profile_id', 'record_id', 'object_type_name', 'action_type', 'unique_key', 'content',
  'performed_by', 'created_at', 'updated_at',
] as const;

const P = placeholder;
const placeholderScope: Scope = { accountId: P('account_id'), region: P('region') };

export function sqliteRowWriters(db: Kysely<Database>, statements: SqliteStatements): RowWriters {
  const st = {
    insertProfile: () => statements.compiled('insertProfile', () => q.insertProfiles(db, [placeholderRow<ProfilesTable>(PROFILE_COLUMNS)])),
    insertCreatedProfile: () =>
      statements.compiled('insertCreatedProfile', () => q.insertProfiles(db, [placeholderRow<ProfilesTable>(CREATED_PROFILE_COLUMNS)])),
    upsertProfile: () => statements.compiled('upsertProfile', () => q.upsertProfiles(db, [placeholderRow<ProfilesTable>(PROFILE_COLUMNS)])),
    stageKey: () => statements.compiled('stageKey', () => q.insertKeys(db, [placeholderRow<ProfileKeysTable>(KEY_COLUMNS)], 'profile_keys_recent')),
    domainId: () => statements.compiled('domainId', () => q.domainIdOf(db, placeholderScope, P('domain_name'))),
    addDomainId: () => statements.compiled('addDomainId', () => q.addDomainId(db, placeholderScope, P('domain_name'))),
    findKey: () => statements.compiled('findKey', () => q.findKeys(db, P('domain_id') as unknown as number, P('key_name'), [P('key_value')])),
    findObject: () =>
      statements.compiled('findObject', () => q.findObjects(db, placeholderScope, P('domain_name'), P('object_type_name'), [P('unique_key')])),
    storedObjectVersion: () =>
      statements.compiled('storedObjectVersion', () =>
        q.storedObjectVersions(db, placeholderScope, P('domain_name'), [P('object_type_name')], [P('unique_key')]),
      ),
    insertObject: () => statements.compiled('insertObject', () => q.insertObjects(db, [placeholderRow<ProfileObjectsTable>(OBJECT_COLUMNS)])),
    upsertObject: () => statements.compiled('upsertObject', () => q.upsertObjects(db, [placeholderRow<ProfileObjectsTable>(OBJECT_COLUMNS)])),
    insertHistory: () => statements.compiled('insertHistory', () => q.insertHistory(db, [placeholderRow<ProfileHistoryTable>(HISTORY_COLUMNS)])),
    keepIngestedRecord: () =>
      statements.compiled('keepIngestedRecord', () =>
        q.keepIngestedRecords(db, placeholderScope, P('domain_name'), { objectTypeName: P('object_type_name'), uniqueKeys: [P('unique_key')] }),
      ),
  };
  const staging = keyStagingOf(db, statements);
  const generic = new GenericHistoryRowWriter(db);
  const genericKeys = new GenericKeyIndexWriter(db);
  const where = (scope: Scope, domainName: string) => ({ account_id: scope.accountId, region: scope.region, domain_name: domainName });

  return {
    kind: 'sqlite',
    profiles: {
      async insertNew(scope: Scope, domainName: string, profiles: readonly ProfileRecord[]) {
        const out = new Set<string>();
        for (const p of profiles) {
          const { statement, bind } = p.createdRecord ? st.insertCreatedProfile() : st.insertProfile();
          if (statement.run(bind(q.profileToRow(scope, domainName, p))).changes === 1) out.add(p.profileId);
        }
        return out;
      },
      async replace(scope: Scope, domainName: string, profiles: readonly ProfileRecord[]) {
        const { statement, bind } = st.upsertProfile();
        for (const p of profiles) statement.run(bind(q.profileToRow(scope, domainName, p)));
      },
    },
    keys: {
      async domainId(scope: Scope, domainName: string, create: boolean) {
        const find = st.domainId();
        const values = where(scope, domainName);
        let found = find.statement.get(find.bind(values)) as { domain_id: number } | undefined;
        if (!found && create) {
          const add = st.addDomainId();
          add.statement.run(add.bind(values));
          found = find.statement.get(find.bind(values)) as { domain_id: number };
        }
        return found && Number(found.domain_id);
      },
      async insert(scope: Scope, domainName: string, keys: readonly ProfileKey[]) {
        // Into the recent entries' table, moved on and merged into the index in key order when enough wait
        // (sqlite-key-staging.ts).
        if (keys.length === 0) return;
        const domainId = (await this.domainId(scope, domainName, true)) as number;
        const insert = st.stageKey().positional(...KEY_COLUMNS);
        let staged = 0;
        for (const k of keys) staged += insert.run(domainId, k.keyName, k.keyValue, k.profileId).changes;
        staging.staged(staged);
      },
      async find(scope: Scope, domainName: string, valuesByName: ReadonlyMap<string, ReadonlySet<string>>) {
        // One primary-key seek per value in each table, as the IN list does, without building the list's statement.
        const out: ProfileKey[] = [];
        if (valuesByName.size === 0) return out;
        const domainId = await this.domainId(scope, domainName, false);
        if (domainId === undefined) return out;
        const { statement, bind } = st.findKey();
        const values: Record<string, unknown> = { domain_id: domainId };
        for (const [keyName, keyValues] of valuesByName) {
          values.key_name = keyName;
          for (const keyValue of keyValues) {
            values.key_value = keyValue;
            for (const r of statement.all(bind(values)) as { profile_id: string }[]) out.push({ keyName, keyValue, profileId: r.profile_id });
          }
        }
        return q.distinctKeys(out);
      },
      remove: (scope: Scope, domainName: string, keys: readonly ProfileKey[]) => genericKeys.remove(scope, domainName, keys),
    },
    objects: {
      async findExisting(scope: Scope, domainName: string, objectTypeName: string, uniqueKeys: readonly string[]) {
        const { statement, bind } = st.findObject();
        const out: StoredObjectRef[] = [];
        const values: Record<string, unknown> = { ...where(scope, domainName), object_type_name: objectTypeName };
        for (const key of new Set(uniqueKeys)) {
          values.unique_key = key;
          const r = statement.get(bind(values)) as Parameters<typeof q.storedRef>[0] | undefined;
          if (r) out.push(q.storedRef(r));
        }
        return out;
      },
      async insertNew(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]) {
        const insert = st.insertObject().positional(...OBJECT_COLUMNS);
        const out = new Set<string>();
        for (const o of objects) {
          const changes = insert.run(
            scope.accountId, scope.region, domainName, o.objectTypeName, o.uniqueKey, o.profileId, o.object, o.sourceUpdatedAt ?? null,
            o.sizeBytes, JSON.stringify(o.keyValues), o.createdAt, o.updatedAt, o.ingestedRecord?.recordId ?? null,
            o.ingestedRecord?.performedBy ?? null,
          ).changes;
          if (changes === 1) out.add(objectKey(o.objectTypeName, o.uniqueKey));
        }
        return out;
      },
      async storedVersions(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]) {
        // SQLite has one writer: what is read here cannot change before the replacing upsert.
        const { statement, bind } = st.storedObjectVersion();
        const out = new Map<string, StoredVersion>();
        const values: Record<string, unknown> = where(scope, domainName);
        for (const o of objects) {
          values.object_type_name = o.objectTypeName;
          values.unique_key = o.uniqueKey;
          const r = statement.get(bind(values)) as { size_bytes: number; source_updated_at: number | null } | undefined;
          if (r) out.set(objectKey(o.objectTypeName, o.uniqueKey), { sizeBytes: Number(r.size_bytes), sourceUpdatedAt: r.source_updated_at });
        }
        return out;
      },
      async replace(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]) {
        const { statement, bind } = st.upsertObject();
        for (const o of objects) statement.run(bind(q.objectToRow(scope, domainName, o)));
      },
    },
    history: {
      async insert(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]) {
        const insert = st.insertHistory().positional(...HISTORY_COLUMNS);
        for (const e of entries) {
          insert.run(
            scope.accountId, scope.region, domainName, e.profileId, e.recordId, e.objectTypeName, e.actionType, e.uniqueKey ?? null,
            e.content ?? null, e.performedBy, e.createdAt, e.updatedAt,
          );
        }
      },
      async keepIngestedRecords(scope: Scope, domainName: string, of: HeldRecordsOf) {
        // Named objects are ingestion's case (the versions a page replaces): one prepared statement each.
        if (!('uniqueKeys' in of)) return generic.keepIngestedRecords(scope, domainName, of);
        const { statement, bind } = st.keepIngestedRecord();
        const values: Record<string, unknown> = { ...where(scope, domainName), object_type_name: of.objectTypeName };
        for (const key of new Set(of.uniqueKeys)) {
          values.unique_key = key;
          statement.run(bind(values));
        }
      },
    },
  };
}
