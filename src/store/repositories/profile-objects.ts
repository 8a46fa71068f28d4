import { type Kysely, sql } from 'kysely';
import type { RowWriters } from '../dialects/row-writers/index.js';
import {
  chunks,
  distinctKeys,
  domainIdOf,
  findKeys,
  type KeyIndexTable,
  overKeyIndex,
  ROWS_PER_STATEMENT,
  VALUES_PER_IN_LIST,
} from '../dialects/row-writers/queries.js';
import { isStale } from '../../domain/staleness.js';
import type { Database, ProfileObjectsTable, ProfilesTable } from '../schema.js';
import type { StatsLedger } from './domain-stats.js';
import { withRowLock } from './row-lock.js';
import { getOwn } from '../../domain/own-properties.js';
import {
  type AttributeSource,
  objectKey,
  type ProfileKey,
  type ProfileObjectQuery,
  type ProfileObjectRecord,
  type ProfileObjectRepository,
  type ProfileRecord,
  type ProfileRepository,
  type RowLock,
  type RowsKnown,
  type StoredObjectRef,
} from '../types.js';
import type { Scope } from '../../domain/scope.js';

/** Keys grouped by (profile, key name): the statements that remove them take one of each. */
function groupKeys(keys: readonly ProfileKey[]): Map<string, { profileId: string; keyName: string; values: string[] }> {
  const out = new Map<string, { profileId: string; keyName: string; values: string[] }>();
  for (const k of keys) {
    const id = `${k.profileId}\u0000${k.keyName}`;
    const group = out.get(id);
    if (group) group.values.push(k.keyValue);
    else out.set(id, { profileId: k.profileId, keyName: k.keyName, values: [k.keyValue] });
  }
  return out;
}

/** The first key of the advisory locks serializeIngestion takes: "pfin" as a 32-bit integer. */
export const INGESTION_LOCK_CLASS = 0x7066696e;

export class KyselyProfileRepository implements ProfileRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ledger: StatsLedger,
    /** The write path of this store's backend (dialects/row-writers). */
    private readonly writers: RowWriters,
    /** The backend has concurrent writers: reads take the locks they are asked for. */
    private readonly rowLocks: boolean,
  ) {}

  async get(scope: Scope, domainName: string, profileId: string, lock?: RowLock): Promise<ProfileRecord | undefined> {
    const [profile] = await this.getMany(scope, domainName, [profileId], lock);
    return profile;
  }

  async getMany(scope: Scope, domainName: string, profileIds: readonly string[], lock?: RowLock): Promise<ProfileRecord[]> {
    const out: ProfileRecord[] = [];
    // One statement per chunk, the ids in key order: transactions locking overlapping sets of profiles
    // take them in the same order, so they wait for each other instead of deadlocking.
    for (const ids of chunks([...new Set(profileIds)].sort(), VALUES_PER_IN_LIST)) {
      const rows = await withRowLock(this.ofIds(scope, domainName, ids).selectAll(), lock, this.rowLocks).execute();
      out.push(...rows.map(profileFromRow));
    }
    return out;
  }

  async holdExisting(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const ids of chunks([...new Set(profileIds)].sort(), VALUES_PER_IN_LIST)) {
      const rows = await withRowLock(this.ofIds(scope, domainName, ids).select('profile_id'), 'key-share', this.rowLocks).execute();
      for (const r of rows) out.add(r.profile_id);
    }
    return out;
  }

  async serializeIngestion(scope: Scope, domainName: string): Promise<void> {
    if (!this.rowLocks) return;
    // A transaction-scoped advisory lock, the two-key form (whose keys never meet the one-key migration
    // lock's): the first key names this use, the second the domain within this schema. Two domains whose
    // hashes collide only wait for each other.
    await sql`select pg_advisory_xact_lock(${INGESTION_LOCK_CLASS},
      hashtext(current_schema() || '/' || ${scope.accountId} || '/' || ${scope.region} || '/' || ${domainName}))`.execute(this.db);
  }

  private ofIds(scope: Scope, domainName: string, ids: readonly string[]) {
    return this.db
      .selectFrom('profiles')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('profile_id', 'in', ids)
      .orderBy('profile_id');
  }

  async upsert(scope: Scope, domainName: string, profiles: readonly ProfileRecord[], known: RowsKnown = {}): Promise<Set<string>> {
    // Stats count profiles, so inserts are told apart from updates by what the database did (not by a
    // read before, which a concurrent transaction could make stale): insert what is new, then update
    // the rest. Rows the caller's transaction holds cannot have gone: no insert is tried for them.
    const { fresh, stored } = known;
    const candidates = stored?.size ? profiles.filter((p) => !stored.has(p.profileId)) : profiles;
    const inserted = candidates.length > 0 ? await this.writers.profiles.insertNew(scope, domainName, candidates, fresh) : new Set<string>();
    if (inserted.size < profiles.length) {
      await this.writers.profiles.replace(scope, domainName, profiles.filter((p) => !inserted.has(p.profileId)));
    }
    await this.ledger.add(scope, domainName, { profiles: inserted.size, objects: 0, bytes: 0 });
    return inserted;
  }

  async searchByKey(
    scope: Scope,
    domainName: string,
    keyName: string,
    values: readonly string[],
    afterProfileId: string | undefined,
    limit: number,
  ): Promise<string[]> {
    if (values.length === 0) return [];
    // Each table's primary key (…, key_name, key_value, profile_id) serves one value as an ordered
    // range; the values and the tables (KEY_INDEX_TABLES) are merged by a sort of the few rows they hold.
    const arm = (table: KeyIndexTable, some: readonly string[]) => {
      const query = this.db
        .selectFrom(table)
        .select('profile_id')
        .where('domain_id', '=', domainIdOf(this.db, scope, domainName))
        .where('key_name', '=', keyName)
        .where('key_value', 'in', some);
      return afterProfileId === undefined ? query : query.where('profile_id', '>', afterProfileId);
    };
    // A list longer than a statement may bind (SQLite's 32,766 variables, PostgreSQL's 65,535) is asked in
    // parts: the smallest `limit` ids of all the values lie among the smallest `limit` of each part.
    const parts = chunks([...new Set(values)], VALUES_PER_IN_LIST);
    const found = new Set<string>();
    for (const some of parts) {
      const rows = await this.db
        .selectFrom(overKeyIndex((table) => arm(table, some), 'distinct').as('k'))
        .select('profile_id')
        .orderBy('profile_id')
        .limit(limit)
        .execute();
      for (const r of rows) found.add(r.profile_id);
    }
    return parts.length === 1 ? [...found] : [...found].sort().slice(0, limit);
  }

  async keysAmong(
    scope: Scope,
    domainName: string,
    keyName: string,
    values: readonly string[],
    profileIds: readonly string[],
  ): Promise<ProfileKey[]> {
    if (values.length === 0 || profileIds.length === 0) return [];
    const rows: { key_value: string; profile_id: string }[] = [];
    for (const someValues of chunks([...new Set(values)], VALUES_PER_IN_LIST)) {
      for (const someIds of chunks([...new Set(profileIds)], VALUES_PER_IN_LIST)) {
        rows.push(...(await findKeys(this.db, domainIdOf(this.db, scope, domainName), keyName, someValues, someIds).execute()));
      }
    }
    return distinctKeys(rows.map((r) => ({ keyName, keyValue: r.key_value, profileId: r.profile_id })));
  }

  async findByKeys(
    scope: Scope,
    domainName: string,
    keys: readonly { keyName: string; keyValue: string }[],
  ): Promise<ProfileKey[]> {
    // One query per key name (a batch has a handful): `key_name = ? AND key_value IN (...)` is one
    // primary-key seek per value, where `key_name IN (...) AND key_value IN (...)` would seek every
    // name × value pair. A row-value IN list would do the same, but its Kysely form differs per dialect.
    const byName = new Map<string, Set<string>>();
    for (const k of keys) {
      const values = byName.get(k.keyName);
      if (values) values.add(k.keyValue);
      else byName.set(k.keyName, new Set([k.keyValue]));
    }
    return this.writers.keys.find(scope, domainName, byName);
  }

  async addKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[], ofNewProfiles = false): Promise<void> {
    await this.writers.keys.insert(scope, domainName, keys, ofNewProfiles);
  }

  async removeKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    await this.writers.keys.remove(scope, domainName, keys);
  }

  async delete(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const ids of chunks([...new Set(profileIds)], VALUES_PER_IN_LIST)) {
      const rows = await this.db
        .deleteFrom('profiles')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .returning('profile_id')
        .execute();
      deleted += rows.length;
    }
    await this.ledger.add(scope, domainName, { profiles: -deleted, objects: 0, bytes: 0 });
    return deleted;
  }

  async extraKeys(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<ProfileKey[]> {
    const out: ProfileKey[] = [];
    for (const ids of chunks([...new Set(profileIds)], VALUES_PER_IN_LIST)) {
      const rows = await this.db
        .selectFrom('profile_extra_keys')
        .select(['profile_id', 'key_name', 'key_value'])
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .orderBy('profile_id')
        .orderBy('key_name')
        .orderBy('key_value')
        .execute();
      for (const r of rows) out.push({ profileId: r.profile_id, keyName: r.key_name, keyValue: r.key_value });
    }
    return out;
  }

  async addExtraKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    for (const batch of chunks(keys, ROWS_PER_STATEMENT)) {
      await this.db
        .insertInto('profile_extra_keys')
        .values(
          batch.map((k) => ({
            account_id: scope.accountId,
            region: scope.region,
            domain_name: domainName,
            profile_id: k.profileId,
            key_name: k.keyName,
            key_value: k.keyValue,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async removeExtraKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    for (const [, group] of groupKeys(keys)) {
      for (const values of chunks([...new Set(group.values)], VALUES_PER_IN_LIST)) {
        await this.db
          .deleteFrom('profile_extra_keys')
          .where('account_id', '=', scope.accountId)
          .where('region', '=', scope.region)
          .where('domain_name', '=', domainName)
          .where('profile_id', '=', group.profileId)
          .where('key_name', '=', group.keyName)
          .where('key_value', 'in', values)
          .execute();
      }
    }
  }

  async deleteExtraKeys(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<void> {
    for (const ids of chunks([...new Set(profileIds)], VALUES_PER_IN_LIST)) {
      await this.db
        .deleteFrom('profile_extra_keys')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .execute();
    }
  }

  async listSourcedFrom(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    afterProfileId: string | undefined,
    limit: number,
    lock?: RowLock,
  ): Promise<{ profiles: ProfileRecord[]; scannedTo: string | undefined }> {
    // LIKE narrows the scan to profiles whose sources mention the name (SQLite's LIKE ignores ASCII
    // case, PostgreSQL's does not); the exact check is made on the decoded sources below.
    const needle = `%${likeEscape(JSON.stringify({ objectTypeName }).slice(1, -1))}%`;
    let query = this.db
      .selectFrom('profiles')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where(sql<boolean>`attribute_sources like ${needle} escape '\\'`);
    if (afterProfileId !== undefined) query = query.where('profile_id', '>', afterProfileId);
    const rows = await withRowLock(query.orderBy('profile_id').limit(limit), lock, this.rowLocks).execute();
    const profiles = rows.map(profileFromRow).filter((p) => Object.values(p.attributeSources).some((s) => s.objectTypeName === objectTypeName));
    return { profiles, scannedTo: rows.length < limit ? undefined : rows[rows.length - 1].profile_id };
  }
}

export class KyselyProfileObjectRepository implements ProfileObjectRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ledger: StatsLedger,
    /** The write path of this store's backend (dialects/row-writers). */
    private readonly writers: RowWriters,
  ) {}

  async findExisting(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    uniqueKeys: readonly string[],
  ): Promise<StoredObjectRef[]> {
    return this.writers.objects.findExisting(scope, domainName, objectTypeName, uniqueKeys);
  }

  async upsert(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[], known: RowsKnown = {}): Promise<void> {
    // Stats: what is new is inserted first and counted from what the database did. The rest exist; their
    // stored versions are read (locked where there are concurrent writers, see the writer) so TotalSize
    // moves by exactly new - old for every object the replacement below writes. Objects known stored
    // skip the insert: one deleted since is found missing below and inserted by the replacement.
    const delta = { profiles: 0, objects: 0, bytes: 0 };
    const { fresh, stored } = known;
    const candidates = stored?.size ? objects.filter((o) => !stored.has(objectKey(o.objectTypeName, o.uniqueKey))) : objects;
    const inserted = candidates.length > 0 ? await this.writers.objects.insertNew(scope, domainName, candidates, fresh) : new Set<string>();
    const rest: ProfileObjectRecord[] = [];
    for (const o of objects) {
      if (inserted.has(objectKey(o.objectTypeName, o.uniqueKey))) {
        delta.objects += 1;
        delta.bytes += o.sizeBytes;
      } else {
        rest.push(o);
      }
    }
    if (rest.length > 0) {
      const stored = await this.writers.objects.storedVersions(scope, domainName, rest);
      // The versions this replaces hand the INGESTED records their rows hold to the history first (the
      // rows are locked by the read above). Only those the replacement really overwrites: a stale object
      // leaves its row, and its record, alone.
      const replacedByType = new Map<string, string[]>();
      for (const o of rest) {
        const old = stored.get(objectKey(o.objectTypeName, o.uniqueKey));
        if (!old) {
          // Deleted since the insert above: the replacement inserts it after all.
          delta.objects += 1;
          delta.bytes += o.sizeBytes;
        } else if (!isStale(o.sourceUpdatedAt, old.sourceUpdatedAt)) {
          delta.bytes += o.sizeBytes - old.sizeBytes;
          const keys = replacedByType.get(o.objectTypeName);
          if (keys) keys.push(o.uniqueKey);
          else replacedByType.set(o.objectTypeName, [o.uniqueKey]);
        }
      }
      for (const [objectTypeName, uniqueKeys] of replacedByType) {
        await this.writers.history.keepIngestedRecords(scope, domainName, { objectTypeName, uniqueKeys }, true);
      }
      await this.writers.objects.replace(scope, domainName, rest);
    }
    await this.ledger.add(scope, domainName, delta);
  }

  async get(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    uniqueKey: string,
  ): Promise<ProfileObjectRecord | undefined> {
    const row = await this.db
      .selectFrom('profile_objects')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName)
      .where('unique_key', '=', uniqueKey)
      .executeTakeFirst();
    return row && objectFromRow(row);
  }

  async delete(scope: Scope, domainName: string, objectTypeName: string, uniqueKey: string): Promise<boolean> {
    return (await this.deleteByObjectType(scope, domainName, objectTypeName, [uniqueKey])) === 1;
  }

  async countOfObjectType(scope: Scope, domainName: string, objectTypeName: string): Promise<number> {
    const row = await this.ofType(scope, domainName, objectTypeName).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async deleteByObjectType(scope: Scope, domainName: string, objectTypeName: string, uniqueKeys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const keys of chunks(uniqueKeys, VALUES_PER_IN_LIST)) {
      // RETURNING the sizes of exactly the rows deleted keeps TotalSize true (a SUM read first could
      // count a row another transaction deletes meanwhile).
      const rows = await this.db
        .deleteFrom('profile_objects')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('object_type_name', '=', objectTypeName)
        .where('unique_key', 'in', keys)
        .returning('size_bytes')
        .execute();
      await this.ledger.add(scope, domainName, { profiles: 0, objects: -rows.length, bytes: -sumSizes(rows) });
      deleted += rows.length;
    }
    return deleted;
  }

  private ofType(scope: Scope, domainName: string, objectTypeName: string) {
    return this.db
      .selectFrom('profile_objects')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName);
  }

  async ofProfiles(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<ProfileObjectRecord[]> {
    const out: ProfileObjectRecord[] = [];
    for (const ids of chunks([...new Set(profileIds)], VALUES_PER_IN_LIST)) {
      const rows = await this.db
        .selectFrom('profile_objects')
        .selectAll()
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .orderBy('profile_id')
        .orderBy('object_type_name')
        .orderBy('unique_key')
        .execute();
      out.push(...rows.map(objectFromRow));
    }
    return out;
  }

  async keysOfObjectType(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    afterUniqueKey: string | undefined,
    limit: number,
  ): Promise<{ uniqueKeys: string[]; keys: ProfileKey[] }> {
    let query = this.ofType(scope, domainName, objectTypeName).select(['unique_key', 'profile_id', 'key_values']);
    if (afterUniqueKey !== undefined) query = query.where('unique_key', '>', afterUniqueKey);
    const rows = await query.orderBy('unique_key').limit(limit).execute();
    const keys: ProfileKey[] = [];
    for (const r of rows) {
      const values = r.key_values ? (JSON.parse(r.key_values) as Record<string, string>) : {};
      for (const [keyName, keyValue] of Object.entries(values)) keys.push({ keyName, keyValue, profileId: r.profile_id });
    }
    return { uniqueKeys: rows.map((r) => r.unique_key), keys };
  }

  async deleteOfProfiles(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const ids of chunks([...new Set(profileIds)], VALUES_PER_IN_LIST)) {
      // RETURNING the sizes of the rows deleted, for the same reason as deleteByObjectType.
      const rows = await this.db
        .deleteFrom('profile_objects')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .returning('size_bytes')
        .execute();
      deleted += rows.length;
      await this.ledger.add(scope, domainName, { profiles: 0, objects: -rows.length, bytes: -sumSizes(rows) });
    }
    return deleted;
  }

  async moveToProfile(scope: Scope, domainName: string, fromProfileIds: readonly string[], toProfileId: string, now: number): Promise<number> {
    let moved = 0;
    for (const ids of chunks([...new Set(fromProfileIds)], VALUES_PER_IN_LIST)) {
      const result = await this.db
        .updateTable('profile_objects')
        // The records the rows held are in the history by now (ProfileChanges hands them over first), under
        // the profiles the objects leave.
        .set({ profile_id: toProfileId, updated_at: now, ingested_record_id: null, ingested_by: null })
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .executeTakeFirst();
      moved += Number(result.numUpdatedRows);
    }
    return moved;
  }

  async list(
    scope: Scope,
    domainName: string,
    query: ProfileObjectQuery,
    afterUniqueKey: string | undefined,
    limit: number,
  ): Promise<ProfileObjectRecord[]> {
    const filter = query.keyFilter && { keyName: query.keyFilter.keyName, values: new Set(query.keyFilter.values) };
    const out: ProfileObjectRecord[] = [];
    let after = afterUniqueKey;
    // Why filter here rather than in SQL: key values are a JSON column (an index table of every object
    // key would slow ingestion down for a filter that only ever scans one profile's objects of one type).
    // Without a filter this is one query; with one, it reads on in chunks until the page is full.
    const chunk = filter ? Math.max(limit, 200) : limit;
    for (;;) {
      let q = this.db
        .selectFrom('profile_objects')
        .selectAll()
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', '=', query.profileId)
        .where('object_type_name', '=', query.objectTypeName);
      if (after !== undefined) q = q.where('unique_key', '>', after);
      const rows = await q.orderBy('unique_key').limit(chunk).execute();
      for (const row of rows) {
        const record = objectFromRow(row);
        if (!filter || filter.values.has(getOwn(record.keyValues, filter.keyName) as string)) out.push(record);
        if (out.length === limit) return out;
      }
      if (rows.length < chunk) return out;
      after = rows[rows.length - 1].unique_key;
    }
  }
}

function sumSizes(rows: readonly { size_bytes: number }[]): number {
  return rows.reduce((sum, r) => sum + Number(r.size_bytes), 0);
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function profileFromRow(row: ProfilesTable): ProfileRecord {
  return {
    profileId: row.profile_id,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    attributeSources: row.attribute_sources
      ? (JSON.parse(row.attribute_sources) as Record<string, AttributeSource>)
      : {},
    inferred: Number(row.is_inferred) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function objectFromRow(row: ProfileObjectsTable): ProfileObjectRecord {
  return {
    objectTypeName: row.object_type_name,
    uniqueKey: row.unique_key,
    profileId: row.profile_id,
    object: row.object,
    keyValues: row.key_values ? (JSON.parse(row.key_values) as Record<string, string>) : {},
    sourceUpdatedAt: row.source_updated_at === null ? undefined : Number(row.source_updated_at),
    sizeBytes: Number(row.size_bytes),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
