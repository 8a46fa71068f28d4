import { type Kysely, sql } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';
import type { SqliteStatements } from '../dialects/sqlite-statements.js';
import type { Database, ProfileObjectsTable, ProfilesTable } from '../schema.js';
import type { StatsLedger } from './domain-stats.js';
import { getOwn } from '../../domain/own-properties.js';
import type {
  AttributeSource,
  ProfileKey,
  ProfileObjectQuery,
  ProfileObjectRecord,
  ProfileObjectRepository,
  ProfileRecord,
  ProfileRepository,
  StoredObjectRef,
} from '../types.js';
import type { Scope } from '../../domain/scope.js';

/**
 * Rows per multi-row statement and values per IN list. Why: ingestion writes whole batches in a few
 * statements (Kysely prepares every statement afresh, so one statement per batch beats one per row);
 * the bounds keep every statement under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
 * (12 columns × 1,000 rows = 12,000; an IN list of 5,000 values plus a few).
 */
const ROWS_PER_STATEMENT = 1000;
const VALUES_PER_IN_LIST = 5000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

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

export class KyselyProfileRepository implements ProfileRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    private readonly ledger: StatsLedger,
    /** Set on a SQLite transaction's store: the hot path's rows go through prepared statements. */
    private readonly statements?: SqliteStatements,
  ) {}

  async get(scope: Scope, domainName: string, profileId: string): Promise<ProfileRecord | undefined> {
    const [profile] = await this.getMany(scope, domainName, [profileId]);
    return profile;
  }

  async getMany(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<ProfileRecord[]> {
    const out: ProfileRecord[] = [];
    for (const ids of chunks([...new Set(profileIds)], VALUES_PER_IN_LIST)) {
      const rows = await this.db
        .selectFrom('profiles')
        .selectAll()
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('profile_id', 'in', ids)
        .execute();
      out.push(...rows.map(profileFromRow));
    }
    return out;
  }

  async upsert(scope: Scope, domainName: string, profiles: readonly ProfileRecord[]): Promise<void> {
    if (this.statements) return this.upsertRowByRow(this.statements, scope, domainName, profiles);
    let inserted = 0;
    for (const all of chunks(profiles, ROWS_PER_STATEMENT)) {
      // Stats count profiles, so inserts are told apart from updates by what the database did (not by a
      // read before, which a concurrent transaction could make stale): insert what is new, then update
      // the rest. A batch of new profiles is one statement, as before; updates cost one statement more.
      const added = this.capabilities.arrayParameters
        ? (
            await sql<{ profile_id: string }>`insert into profiles (account_id, region, domain_name, profile_id, attributes,
                attribute_sources, is_inferred, created_at, updated_at)
              select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${all.map((p) => p.profileId)}::text[],
                ${all.map((p) => JSON.stringify(p.attributes))}::text[],
                ${all.map((p) => (Object.keys(p.attributeSources).length > 0 ? JSON.stringify(p.attributeSources) : null))}::text[],
                ${all.map((p) => (p.inferred ? 1 : 0))}::int4[], ${all.map((p) => p.createdAt)}::int8[], ${all.map((p) => p.updatedAt)}::int8[])
              on conflict do nothing returning profile_id`.execute(this.db)
          ).rows
        : await this.db
            .insertInto('profiles')
            .values(all.map((p) => profileToRow(scope, domainName, p)))
            .onConflict((oc) => oc.doNothing())
            .returning('profile_id')
            .execute();
      inserted += added.length;
      if (added.length === all.length) continue;
      const addedIds = new Set(added.map((r) => r.profile_id));
      const batch = all.filter((p) => !addedIds.has(p.profileId));
      await this.db
        .insertInto('profiles')
        .values(batch.map((p) => profileToRow(scope, domainName, p)))
        .onConflict((oc) =>
          oc.columns(['account_id', 'region', 'domain_name', 'profile_id']).doUpdateSet((eb) => ({
            attributes: eb.ref('excluded.attributes'),
            attribute_sources: eb.ref('excluded.attribute_sources'),
            is_inferred: eb.ref('excluded.is_inferred'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
    await this.ledger.add(scope, domainName, { profiles: inserted, objects: 0, bytes: 0 });
  }

  /** upsert on SQLite inside a transaction: the same two statements, prepared once, one row at a time. */
  private async upsertRowByRow(statements: SqliteStatements, scope: Scope, domainName: string, profiles: readonly ProfileRecord[]): Promise<void> {
    let inserted = 0;
    const rest = statements.insertEach(INSERT_PROFILE, profiles, (p) => profileParams(scope, domainName, p), () => inserted++);
    if (rest.length > 0) {
      const update = statements.get(UPSERT_PROFILE);
      for (const p of rest) update.run(profileParams(scope, domainName, p));
    }
    await this.ledger.add(scope, domainName, { profiles: inserted, objects: 0, bytes: 0 });
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
    // The primary key (…, key_name, key_value, profile_id) serves one value as an ordered range; several
    // values are merged by a sort of the few rows they hold.
    let query = this.db
      .selectFrom('profile_keys')
      .select('profile_id')
      .distinct()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('key_name', '=', keyName)
      .where('key_value', 'in', [...new Set(values)]);
    if (afterProfileId !== undefined) query = query.where('profile_id', '>', afterProfileId);
    const rows = await query.orderBy('profile_id').limit(limit).execute();
    return rows.map((r) => r.profile_id);
  }

  async keysAmong(
    scope: Scope,
    domainName: string,
    keyName: string,
    values: readonly string[],
    profileIds: readonly string[],
  ): Promise<ProfileKey[]> {
    if (values.length === 0 || profileIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('profile_keys')
      .select(['key_value', 'profile_id'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('key_name', '=', keyName)
      .where('key_value', 'in', [...new Set(values)])
      .where('profile_id', 'in', [...new Set(profileIds)])
      .execute();
    return rows.map((r) => ({ keyName, keyValue: r.key_value, profileId: r.profile_id }));
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
    const out: ProfileKey[] = [];
    if (this.statements) {
      // One primary-key seek per value, as the IN list does, without building the list's statement.
      const find = this.statements.get(FIND_PROFILES_BY_KEY).pluck();
      for (const [name, values] of byName) {
        for (const value of values) {
          for (const profileId of find.all(scope.accountId, scope.region, domainName, name, value) as string[]) {
            out.push({ keyName: name, keyValue: value, profileId });
          }
        }
      }
      return out;
    }
    for (const [name, values] of byName) {
      for (const someValues of chunks([...values], VALUES_PER_IN_LIST)) {
        const rows = await this.db
          .selectFrom('profile_keys')
          .select(['key_value', 'profile_id'])
          .where('account_id', '=', scope.accountId)
          .where('region', '=', scope.region)
          .where('domain_name', '=', domainName)
          .where('key_name', '=', name)
          .where('key_value', 'in', someValues)
          .execute();
        for (const r of rows) out.push({ keyName: name, keyValue: r.key_value, profileId: r.profile_id });
      }
    }
    return out;
  }

  async addKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    if (this.statements) {
      const insert = this.statements.get(INSERT_PROFILE_KEY);
      for (const k of keys) insert.run(scope.accountId, scope.region, domainName, k.keyName, k.keyValue, k.profileId);
      return;
    }
    if (this.capabilities.arrayParameters) {
      // Why: five key rows per record make this the widest write of a batch; as arrays it is 3 constants
      // and 3 arrays per statement, whatever the number of rows.
      for (const batch of chunks(keys, ROWS_PER_STATEMENT * 5)) {
        await sql`insert into profile_keys (account_id, region, domain_name, key_name, key_value, profile_id)
          select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${batch.map((k) => k.keyName)}::text[],
            ${batch.map((k) => k.keyValue)}::text[], ${batch.map((k) => k.profileId)}::text[])
          on conflict do nothing`.execute(this.db);
      }
      return;
    }
    for (const batch of chunks(keys, ROWS_PER_STATEMENT)) {
      await this.db
        .insertInto('profile_keys')
        .values(
          batch.map((k) => ({
            account_id: scope.accountId,
            region: scope.region,
            domain_name: domainName,
            key_name: k.keyName,
            key_value: k.keyValue,
            profile_id: k.profileId,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async removeKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    // One statement per key name and profile (a removal names a handful): the primary key's prefix
    // (…, key_name, key_value) finds each value, profile_id the entry.
    for (const [, group] of groupKeys(keys)) {
      for (const values of chunks([...new Set(group.values)], VALUES_PER_IN_LIST)) {
        await this.db
          .deleteFrom('profile_keys')
          .where('account_id', '=', scope.accountId)
          .where('region', '=', scope.region)
          .where('domain_name', '=', domainName)
          .where('key_name', '=', group.keyName)
          .where('key_value', 'in', values)
          .where('profile_id', '=', group.profileId)
          .execute();
      }
    }
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
  ): Promise<ProfileRecord[]> {
    // LIKE narrows the scan to profiles whose sources mention the name (SQLite's LIKE ignores ASCII
    // case, PostgreSQL's does not); the exact check is made on the decoded sources below.
    const needle = `%${likeEscape(JSON.stringify({ objectTypeName }).slice(1, -1))}%`;
    const out: ProfileRecord[] = [];
    let after = afterProfileId;
    while (out.length < limit) {
      let query = this.db
        .selectFrom('profiles')
        .selectAll()
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where(sql<boolean>`attribute_sources like ${needle} escape '\\'`);
      if (after !== undefined) query = query.where('profile_id', '>', after);
      const rows = await query.orderBy('profile_id').limit(limit).execute();
      for (const row of rows) {
        const profile = profileFromRow(row);
        if (Object.values(profile.attributeSources).some((s) => s.objectTypeName === objectTypeName)) out.push(profile);
        if (out.length === limit) break;
      }
      if (rows.length < limit) break;
      after = rows[rows.length - 1].profile_id;
    }
    return out;
  }
}

export class KyselyProfileObjectRepository implements ProfileObjectRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    private readonly ledger: StatsLedger,
    /** Set on a SQLite transaction's store: the hot path's rows go through prepared statements. */
    private readonly statements?: SqliteStatements,
  ) {}

  async findExisting(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    uniqueKeys: readonly string[],
  ): Promise<StoredObjectRef[]> {
    const out: StoredObjectRef[] = [];
    if (this.statements) {
      const find = this.statements.get(FIND_OBJECT);
      for (const key of new Set(uniqueKeys)) {
        const r = find.get(scope.accountId, scope.region, domainName, objectTypeName, key) as
          | { profile_id: string; source_updated_at: number | null; key_values: string | null }
          | undefined;
        if (r) out.push(storedRef(key, r));
      }
      return out;
    }
    for (const keys of chunks([...new Set(uniqueKeys)], VALUES_PER_IN_LIST)) {
      const rows = await this.db
        .selectFrom('profile_objects')
        .select(['unique_key', 'profile_id', 'source_updated_at', 'key_values'])
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('object_type_name', '=', objectTypeName)
        .where('unique_key', 'in', keys)
        .execute();
      for (const r of rows) out.push(storedRef(r.unique_key, r));
    }
    return out;
  }

  async upsert(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<void> {
    if (this.statements) return this.upsertRowByRow(this.statements, scope, domainName, objects);
    const delta = { profiles: 0, objects: 0, bytes: 0 };
    for (const all of chunks(objects, ROWS_PER_STATEMENT)) {
      // Stats: what is new is inserted first and counted from RETURNING (a first import is still one
      // statement per 1,000 objects). The rest exist; their stored sizes are read under a row lock
      // (PostgreSQL: no concurrent writer can change them before this transaction ends; SQLite has one
      // writer) so TotalSize moves by exactly new - old for every object the update below replaces.
      const added = this.capabilities.arrayParameters
        ? (
            await sql<{ unique_key: string }>`insert into profile_objects (account_id, region, domain_name, object_type_name,
                unique_key, profile_id, object, source_updated_at, size_bytes, key_values, created_at, updated_at)
              select ${scope.accountId}, ${scope.region}, ${domainName}, * from unnest(${all.map((o) => o.objectTypeName)}::text[],
                ${all.map((o) => o.uniqueKey)}::text[], ${all.map((o) => o.profileId)}::text[], ${all.map((o) => o.object)}::text[],
                ${all.map((o) => o.sourceUpdatedAt ?? null)}::int8[], ${all.map((o) => o.sizeBytes)}::int8[],
                ${all.map((o) => JSON.stringify(o.keyValues))}::text[], ${all.map((o) => o.createdAt)}::int8[],
                ${all.map((o) => o.updatedAt)}::int8[])
              on conflict do nothing returning unique_key`.execute(this.db)
          ).rows
        : await this.db
            .insertInto('profile_objects')
            .values(all.map((o) => objectToRow(scope, domainName, o)))
            .onConflict((oc) => oc.doNothing())
            .returning('unique_key')
            .execute();
      const addedKeys = new Set(added.map((r) => r.unique_key));
      const batch: ProfileObjectRecord[] = [];
      for (const o of all) {
        if (addedKeys.has(o.uniqueKey)) {
          delta.objects += 1;
          delta.bytes += o.sizeBytes;
        } else {
          batch.push(o);
        }
      }
      if (batch.length === 0) continue;
      let before = this.db
        .selectFrom('profile_objects')
        .select(['object_type_name', 'unique_key', 'size_bytes', 'source_updated_at'])
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('object_type_name', 'in', [...new Set(batch.map((o) => o.objectTypeName))])
        .where('unique_key', 'in', batch.map((o) => o.uniqueKey));
      // FOR UPDATE exists wherever SKIP LOCKED does (PostgreSQL).
      if (this.capabilities.skipLocked) before = before.forUpdate();
      const stored = new Map(
        (await before.execute()).map((r) => [`${r.object_type_name}\u0000${r.unique_key}`, r] as const),
      );
      for (const o of batch) {
        const old = stored.get(`${o.objectTypeName}\u0000${o.uniqueKey}`);
        if (!old) {
          // Deleted since the insert above: the update below inserts it after all.
          delta.objects += 1;
          delta.bytes += o.sizeBytes;
        } else if (replaces(o.sourceUpdatedAt, old.source_updated_at)) {
          delta.bytes += o.sizeBytes - Number(old.size_bytes);
        }
      }
      await this.db
        .insertInto('profile_objects')
        .values(batch.map((o) => objectToRow(scope, domainName, o)))
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
            }))
            // Why in SQL as well as in the ingestion code: two PostgreSQL transactions may write the same
            // object concurrently; whichever commits last must still not replace a newer source version.
            .where((eb) =>
              eb.or([
                eb('excluded.source_updated_at', 'is', null),
                eb('profile_objects.source_updated_at', 'is', null),
                eb('excluded.source_updated_at', '>=', eb.ref('profile_objects.source_updated_at')),
              ]),
            ),
        )
        .execute();
    }
    await this.ledger.add(scope, domainName, delta);
  }

  /**
   * upsert on SQLite inside a transaction: the same statements, prepared once, one row at a time. SQLite
   * has one writer, so the stored size read before the replacing upsert cannot change in between.
   */
  private async upsertRowByRow(
    statements: SqliteStatements,
    scope: Scope,
    domainName: string,
    objects: readonly ProfileObjectRecord[],
  ): Promise<void> {
    const delta = { profiles: 0, objects: 0, bytes: 0 };
    const rest = statements.insertEach(INSERT_OBJECT, objects, (o) => objectParams(scope, domainName, o), (o) => {
      delta.objects += 1;
      delta.bytes += o.sizeBytes;
    });
    if (rest.length > 0) {
      const before = statements.get(STORED_OBJECT_SIZE);
      const upsert = statements.get(UPSERT_OBJECT);
      for (const o of rest) {
        const old = before.get(scope.accountId, scope.region, domainName, o.objectTypeName, o.uniqueKey) as
          | { size_bytes: number; source_updated_at: number | null }
          | undefined;
        if (!old) {
          delta.objects += 1;
          delta.bytes += o.sizeBytes;
        } else if (replaces(o.sourceUpdatedAt, old.source_updated_at)) {
          delta.bytes += o.sizeBytes - Number(old.size_bytes);
        }
        upsert.run(objectParams(scope, domainName, o));
      }
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
    const rows = await this.db
      .deleteFrom('profile_objects')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName)
      .where('unique_key', '=', uniqueKey)
      .returning('size_bytes')
      .execute();
    await this.ledger.add(scope, domainName, { profiles: 0, objects: -rows.length, bytes: -sumSizes(rows) });
    return rows.length === 1;
  }

  async deleteByObjectType(scope: Scope, domainName: string, objectTypeName: string): Promise<number> {
    // RETURNING the sizes of exactly the rows deleted keeps TotalSize true even if objects of the type
    // are being ingested concurrently (a SUM read first could miss or double-count them).
    const rows = await this.db
      .deleteFrom('profile_objects')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName)
      .returning('size_bytes')
      .execute();
    await this.ledger.add(scope, domainName, { profiles: 0, objects: -rows.length, bytes: -sumSizes(rows) });
    return rows.length;
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

  async keysOfObjectType(scope: Scope, domainName: string, objectTypeName: string): Promise<ProfileKey[]> {
    const rows = await this.db
      .selectFrom('profile_objects')
      .select(['profile_id', 'key_values'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName)
      .execute();
    const out: ProfileKey[] = [];
    for (const r of rows) {
      const values = r.key_values ? (JSON.parse(r.key_values) as Record<string, string>) : {};
      for (const [keyName, keyValue] of Object.entries(values)) out.push({ keyName, keyValue, profileId: r.profile_id });
    }
    return out;
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
        .set({ profile_id: toProfileId, updated_at: now })
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

function storedRef(uniqueKey: string, r: { profile_id: string; source_updated_at: number | null; key_values: string | null }): StoredObjectRef {
  return {
    uniqueKey,
    profileId: r.profile_id,
    sourceUpdatedAt: r.source_updated_at === null ? undefined : Number(r.source_updated_at),
    keyValues: r.key_values ? (JSON.parse(r.key_values) as Record<string, string>) : {},
  };
}

function sumSizes(rows: readonly { size_bytes: number }[]): number {
  return rows.reduce((sum, r) => sum + Number(r.size_bytes), 0);
}

/** The upsert's guard in JavaScript: an incoming version replaces a stored one unless it is older. */
function replaces(incoming: number | undefined, stored: number | null): boolean {
  return incoming === undefined || stored === null || incoming >= Number(stored);
}

// The SQLite hot path's statements: the same SQL the Kysely builders above produce for one row.
const INSERT_PROFILE =
  'insert into "profiles" ("account_id", "region", "domain_name", "profile_id", "attributes", "attribute_sources", ' +
  '"is_inferred", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing';
const UPSERT_PROFILE =
  'insert into "profiles" ("account_id", "region", "domain_name", "profile_id", "attributes", "attribute_sources", ' +
  '"is_inferred", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
  'on conflict ("account_id", "region", "domain_name", "profile_id") do update set "attributes" = "excluded"."attributes", ' +
  '"attribute_sources" = "excluded"."attribute_sources", "is_inferred" = "excluded"."is_inferred", "updated_at" = "excluded"."updated_at"';
const INSERT_PROFILE_KEY =
  'insert into "profile_keys" ("account_id", "region", "domain_name", "key_name", "key_value", "profile_id") ' +
  'values (?, ?, ?, ?, ?, ?) on conflict do nothing';
const FIND_PROFILES_BY_KEY =
  'select "profile_id" from "profile_keys" where "account_id" = ? and "region" = ? and "domain_name" = ? ' +
  'and "key_name" = ? and "key_value" = ?';
const FIND_OBJECT =
  'select "profile_id", "source_updated_at", "key_values" from "profile_objects" where "account_id" = ? and "region" = ? ' +
  'and "domain_name" = ? and "object_type_name" = ? and "unique_key" = ?';
const STORED_OBJECT_SIZE =
  'select "size_bytes", "source_updated_at" from "profile_objects" where "account_id" = ? and "region" = ? ' +
  'and "domain_name" = ? and "object_type_name" = ? and "unique_key" = ?';
const OBJECT_COLUMNS =
  '("account_id", "region", "domain_name", "object_type_name", "unique_key", "profile_id", "object", "source_updated_at", ' +
  '"size_bytes", "key_values", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_OBJECT = `insert into "profile_objects" ${OBJECT_COLUMNS} on conflict do nothing`;
const UPSERT_OBJECT =
  `insert into "profile_objects" ${OBJECT_COLUMNS} on conflict ("account_id", "region", "domain_name", "object_type_name", "unique_key") ` +
  'do update set "profile_id" = "excluded"."profile_id", "object" = "excluded"."object", ' +
  '"source_updated_at" = "excluded"."source_updated_at", "size_bytes" = "excluded"."size_bytes", ' +
  '"key_values" = "excluded"."key_values", "updated_at" = "excluded"."updated_at" ' +
  'where ("excluded"."source_updated_at" is null or "profile_objects"."source_updated_at" is null ' +
  'or "excluded"."source_updated_at" >= "profile_objects"."source_updated_at")';

function profileParams(scope: Scope, domainName: string, p: ProfileRecord): unknown[] {
  const r = profileToRow(scope, domainName, p);
  return [r.account_id, r.region, r.domain_name, r.profile_id, r.attributes, r.attribute_sources, r.is_inferred, r.created_at, r.updated_at];
}

function objectParams(scope: Scope, domainName: string, o: ProfileObjectRecord): unknown[] {
  return [
    scope.accountId,
    scope.region,
    domainName,
    o.objectTypeName,
    o.uniqueKey,
    o.profileId,
    o.object,
    o.sourceUpdatedAt ?? null,
    o.sizeBytes,
    JSON.stringify(o.keyValues),
    o.createdAt,
    o.updatedAt,
  ];
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function profileToRow(scope: Scope, domainName: string, p: ProfileRecord): ProfilesTable {
  return {
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

function objectToRow(scope: Scope, domainName: string, o: ProfileObjectRecord): ProfileObjectsTable {
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
