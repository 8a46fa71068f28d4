import { type Kysely, sql } from 'kysely';
import type { Database, ProfileObjectsTable, ProfilesTable } from '../schema.js';
import type {
  AttributeSource,
  ProfileKey,
  ProfileObjectQuery,
  ProfileObjectRecord,
  ProfileObjectRepository,
  ProfileRecord,
  ProfileRepository,
  Scope,
  StoredObjectRef,
} from '../types.js';

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

export class KyselyProfileRepository implements ProfileRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
    for (const batch of chunks(profiles, ROWS_PER_STATEMENT)) {
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
  constructor(private readonly db: Kysely<Database>) {}

  async findExisting(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    uniqueKeys: readonly string[],
  ): Promise<StoredObjectRef[]> {
    const out: StoredObjectRef[] = [];
    for (const keys of chunks([...new Set(uniqueKeys)], VALUES_PER_IN_LIST)) {
      const rows = await this.db
        .selectFrom('profile_objects')
        .select(['unique_key', 'profile_id', 'source_updated_at'])
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('object_type_name', '=', objectTypeName)
        .where('unique_key', 'in', keys)
        .execute();
      for (const r of rows) {
        out.push({
          uniqueKey: r.unique_key,
          profileId: r.profile_id,
          sourceUpdatedAt: r.source_updated_at === null ? undefined : Number(r.source_updated_at),
        });
      }
    }
    return out;
  }

  async upsert(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<void> {
    for (const batch of chunks(objects, ROWS_PER_STATEMENT)) {
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
    const result = await this.db
      .deleteFrom('profile_objects')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName)
      .where('unique_key', '=', uniqueKey)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async deleteByObjectType(scope: Scope, domainName: string, objectTypeName: string): Promise<number> {
    const result = await this.db
      .deleteFrom('profile_objects')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('object_type_name', '=', objectTypeName)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
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
        if (!filter || filter.values.has(record.keyValues[filter.keyName])) out.push(record);
        if (out.length === limit) return out;
      }
      if (rows.length < chunk) return out;
      after = rows[rows.length - 1].unique_key;
    }
  }
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
