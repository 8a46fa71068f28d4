import type { HeldRecordsOf, ProfileHistoryEntry, ProfileKey, ProfileObjectRecord, ProfileRecord, StoredObjectRef } from '../../types.js';
import type { Scope } from '../../../domain/scope.js';

/**
 * The ingestion write path, one writer per table. The repositories (profiles, objects, history) decide
 * what to write and keep Stats; a writer only moves rows. Each backend has its own implementation of
 * the same primitives (generic.ts: plain Kysely; postgres.ts: arrays through `unnest`; sqlite.ts:
 * prepared statements compiled from the same Kysely queries), picked once, in `rowWritersFor`.
 */
export interface ProfileRowWriter {
  /**
   * Inserts the profiles not stored yet, leaving stored ones alone; returns the ids it inserted. `fresh`:
   * ids no stored profile can have (created by this transaction under a new, unseeded id), which a writer
   * may insert without a conflict check; a conflict on one then fails the statement.
   */
  insertNew(scope: Scope, domainName: string, profiles: readonly ProfileRecord[], fresh?: ReadonlySet<string>): Promise<Set<string>>;
  /**
   * Writes attributes, sources, the inferred flag and updatedAt over the stored profiles (createdAt
   * kept); a profile deleted meanwhile is inserted again. Where the backend has concurrent writers, a
   * stored row is rewritten with a lock no stronger than RowLock's `no-key-update` (PostgreSQL's
   * `ON CONFLICT DO UPDATE` of non-key columns), which does not wait for others' key-share holds.
   */
  replace(scope: Scope, domainName: string, profiles: readonly ProfileRecord[]): Promise<void>;
}

export interface KeyIndexWriter {
  /** The domain's id in the key index (migration 012); with `create`, one is allocated when it has none. */
  domainId(scope: Scope, domainName: string, create: boolean): Promise<number | undefined>;
  /**
   * Adds index entries; entries already present are left as they are. `ofNewProfiles`: every entry names
   * a profile this transaction inserted, so none can be present (another transaction cannot see the
   * profile to index it); a writer may then skip the conflict check.
   */
  insert(scope: Scope, domainName: string, keys: readonly ProfileKey[], ofNewProfiles?: boolean): Promise<void>;
  /** The entries holding one of the values of each key name. */
  find(scope: Scope, domainName: string, valuesByName: ReadonlyMap<string, ReadonlySet<string>>): Promise<ProfileKey[]>;
  /** Deletes these entries from every table of the index; entries not present are ignored. */
  remove(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void>;
}

/** What replacing an object changes in Stats: its stored size, and whether the replacement happens. */
export interface StoredVersion {
  sizeBytes: number;
  sourceUpdatedAt: number | null;
}

export interface ObjectRowWriter {
  /** The stored objects of one type among `uniqueKeys` (no bodies). */
  findExisting(scope: Scope, domainName: string, objectTypeName: string, uniqueKeys: readonly string[]): Promise<StoredObjectRef[]>;
  /**
   * Inserts the objects not stored yet; returns `objectKey` of each it inserted. `fresh`: the objects (by
   * `objectKey`) no stored row can hold, which a writer may insert without a conflict check; a conflict
   * on one then fails the statement.
   */
  insertNew(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[], fresh?: ReadonlySet<string>): Promise<Set<string>>;
  /**
   * The stored versions of the objects, by `objectKey`. Where the backend has concurrent writers the
   * rows stay locked until the transaction ends, so `replace` changes exactly what was read.
   */
  storedVersions(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<Map<string, StoredVersion>>;
  /** Inserts or replaces, never replacing a newer source version (domain/staleness.ts). */
  replace(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[]): Promise<void>;
}

export interface HistoryRowWriter {
  insert(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]): Promise<void>;
  /**
   * queries.ts's keepIngestedRecords: the records objects' rows hold, into the history with their text.
   * `rowsLocked`: the caller has locked the rows already (the objects repository, reading the versions it
   * replaces), so a backend with concurrent writers need not lock them again.
   */
  keepIngestedRecords(scope: Scope, domainName: string, of: HeldRecordsOf, rowsLocked?: boolean): Promise<void>;
}

export interface RowWriters {
  /** Which implementation: tests name the one they exercise. */
  readonly kind: 'generic' | 'postgres' | 'sqlite';
  readonly profiles: ProfileRowWriter;
  readonly keys: KeyIndexWriter;
  readonly objects: ObjectRowWriter;
  readonly history: HistoryRowWriter;
}
