import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { type HeldRecordsOf, objectKey, type ProfileHistoryEntry, type ProfileKey, type ProfileObjectRecord, type ProfileRecord, type StoredObjectRef } from '../../types.js';
import type { Scope } from '../../../domain/scope.js';
import * as q from './queries.js';
import type { HistoryRowWriter, KeyIndexWriter, ObjectRowWriter, ProfileRowWriter, RowWriters, StoredVersion } from './types.js';

/**
 * The write path in plain Kysely: multi-row statements of up to 1,000 rows, IN lists of up to 5,000
 * values. Correct on both backends; the dialect writers replace the parts where it is slow.
 */
export class GenericProfileRowWriter implements ProfileRowWriter {
  constructor(protected readonly db: Kysely<Database>) {}

  async insertNew(scope: Scope, domainName: string, profiles: readonly ProfileRecord[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const batch of q.chunks(profiles, q.ROWS_PER_STATEMENT)) {
      const rows = await q.insertProfiles(this.db, batch.map((p) => q.profileToRow(scope, domainName, p))).returning('profile_id').execute();
      for (const r of rows) out.add(r.profile_id);
    }
    return out;
  }

  async replace(scope: Scope, domainName: string, profiles: readonly ProfileRecord[]): Promise<void> {
    for (const batch of q.chunks(profiles, q.ROWS_PER_STATEMENT)) {
      await q.upsertProfiles(this.db, batch.map((p) => q.profileToRow(scope, domainName, p))).execute();
    }
  }
}

export class GenericKeyIndexWriter implements KeyIndexWriter {
  constructor(protected readonly db: Kysely<Database>) {}

  async domainId(scope: Scope, domainName: string, create: boolean): Promise<number | undefined> {
    const found = await q.domainIdOf(this.db, scope, domainName).executeTakeFirst();
    if (found || !create) return found && Number(found.domain_id);
    await q.addDomainId(this.db, scope, domainName).execute();
    return Number((await q.domainIdOf(this.db, scope, domainName).executeTakeFirstOrThrow()).domain_id);
  }

  async insert(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    if (keys.length === 0) return;
    const domainId = (await this.domainId(scope, domainName, true)) as number;
    for (const batch of q.chunks(keys, q.ROWS_PER_STATEMENT)) {
      await q.insertKeys(this.db, batch.map((k) => q.keyToRow(domainId, k))).execute();
    }
  }

  async find(scope: Scope, domainName: string, valuesByName: ReadonlyMap<string, ReadonlySet<string>>): Promise<ProfileKey[]> {
    // One query per key name (a batch has a handful): where `key_name IN (...) AND key_value IN (...)`
    // would seek every name × value pair.
    const out: ProfileKey[] = [];
    if (valuesByName.size === 0) return out;
    const domainId = await this.domainId(scope, domainName, false);
    if (domainId === undefined) return out;
    for (const [keyName, values] of valuesByName) {
      for (const some of q.chunks([...values], q.VALUES_PER_IN_LIST)) {
        for (const r of await q.findKeys(this.db, domainId, keyName, some).execute()) {
          out.push({ keyName, keyValue: r.key_value, profileId: r.profile_id });
        }
      }
    }
    return q.distinctKeys(out);
  }

  async remove(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void> {
    // One statement per key name (and table) for every profile at once, each (value, profile) pair a seek
    // of the primary key. One per key name and profile made the scrub of 100 profiles 800 statements,
    // most of their cost in building them.
    if (keys.length === 0) return;
    const domainId = await this.domainId(scope, domainName, false);
    if (domainId === undefined) return;
    for (const [keyName, pairs] of q.pairsByKeyName(keys)) {
      for (const part of q.chunks(pairs, q.VALUES_PER_IN_LIST / 2)) {
        for (const table of q.KEY_INDEX_TABLES) {
          await this.db
            .deleteFrom(table)
            .where('domain_id', '=', domainId)
            .where('key_name', '=', keyName)
            .where((eb) => eb(eb.refTuple('key_value', 'profile_id'), 'in', part.map(([value, profileId]) => eb.tuple(value, profileId))))
            .execute();
        }
      }
    }
  }
}

export class GenericObjectRowWriter implements ObjectRowWriter {
  constructor(
    protected readonly db: Kysely<Database>,
    /** PostgreSQL: the stored versions are read FOR UPDATE (concurrent writers exist). */
    private readonly lockRows: boolean,
  ) {}

  async findExisting(scope: Scope, domainName: string, objectTypeName: string, uniqueKeys: readonly string[]): Promise<StoredObjectRef[]> {
    const out: StoredObjectRef[] = [];
    for (const keys of q.chunks([...new Set(uniqueKeys)], q.VALUES_PER_IN_LIST)) {
      for (const r of await q.findObjects(this.db, scope, domainName, objectTypeName, keys).execute()) out.push(q.storedRef(r));
    }
    return out;
  }

  async insertNew(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const batch of q.chunks(objects, q.ROWS_PER_STATEMENT)) {
      const rows = await q
        .insertObjects(this.db, batch.map((o) => q.objectToRow(scope, domainName, o)))
        .returning(['object_type_name', 'unique_key'])
        .execute();
      for (const r of rows) out.add(objectKey(r.object_type_name, r.unique_key));
    }
    return out;
  }

  async storedVersions(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<Map<string, StoredVersion>> {
    const out = new Map<string, StoredVersion>();
    for (const batch of q.chunks(objects, q.VALUES_PER_IN_LIST)) {
      let query = q.storedObjectVersions(this.db, scope, domainName, [...new Set(batch.map((o) => o.objectTypeName))], batch.map((o) => o.uniqueKey));
      if (this.lockRows) query = query.forUpdate();
      for (const r of await query.execute()) {
        out.set(objectKey(r.object_type_name, r.unique_key), {
          sizeBytes: Number(r.size_bytes),
          sourceUpdatedAt: r.source_updated_at === null ? null : Number(r.source_updated_at),
        });
      }
    }
    return out;
  }

  async replace(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<void> {
    for (const batch of q.chunks(objects, q.ROWS_PER_STATEMENT)) {
      await q.upsertObjects(this.db, batch.map((o) => q.objectToRow(scope, domainName, o))).execute();
    }
  }
}

export class GenericHistoryRowWriter implements HistoryRowWriter {
  constructor(
    protected readonly db: Kysely<Database>,
    /**
     * Where there are concurrent writers (PostgreSQL), the rows whose records are handed over are locked
     * first: a transaction that has replaced one of them and not committed is waited for, and the record
     * handed over is then the one its version holds, not the one it already handed over.
     */
    private readonly lockRows = false,
  ) {}

  async insert(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]): Promise<void> {
    for (const batch of q.chunks(entries, q.ROWS_PER_STATEMENT)) {
      await q.insertHistory(this.db, batch.map((e) => q.historyToRow(scope, domainName, e))).execute();
    }
  }

  async keepIngestedRecords(scope: Scope, domainName: string, of: HeldRecordsOf, rowsLocked = false): Promise<void> {
    const parts: HeldRecordsOf[] =
      'profileIds' in of
        ? q.chunks([...new Set(of.profileIds)], q.VALUES_PER_IN_LIST).map((profileIds) => ({ profileIds }))
        : 'uniqueKeys' in of
          ? q.chunks([...new Set(of.uniqueKeys)], q.VALUES_PER_IN_LIST).map((uniqueKeys) => ({ objectTypeName: of.objectTypeName, uniqueKeys }))
          : [of];
    for (const part of parts) {
      if (this.lockRows && !rowsLocked) await q.objectsHolding(this.db, scope, domainName, part).select('unique_key').forUpdate().execute();
      await q.keepIngestedRecords(this.db, scope, domainName, part).execute();
    }
  }
}

export function genericRowWriters(db: Kysely<Database>, options: { lockRows: boolean }): RowWriters {
  return {
    kind: 'generic',
    profiles: new GenericProfileRowWriter(db),
    keys: new GenericKeyIndexWriter(db),
    objects: new GenericObjectRowWriter(db, options.lockRows),
    history: new GenericHistoryRowWriter(db, options.lockRows),
  };
}
