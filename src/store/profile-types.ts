/**
 * Repository interfaces for object types, profiles (with their key index), profile objects and
 * integrations. Re-exported by `types.ts`; callers import them from there.
 */
import type { ObjectTypeField, ObjectTypeKey } from '../api/shapes.generated.js';
import type { Scope } from '../domain/scope.js';

/**
 * What the caller of an upsert knows of its rows: `fresh`, rows no stored row can conflict with (copied
 * where the backend can); `stored`, rows known to be stored, which need no insert tried before their
 * replacement. Either only saves work: the upsert is right without them.
 */
export interface RowsKnown {
  fresh?: ReadonlySet<string>;
  stored?: ReadonlySet<string>;
}

/** A profile object type: PutProfileObjectType's members in camelCase, plus its times. */
export interface ObjectTypeRecord {
  objectTypeName: string;
  description: string;
  templateId?: string;
  expirationDays?: number;
  encryptionKey?: string;
  allowProfileCreation?: boolean;
  sourceLastUpdatedTimestampFormat?: string;
  maxProfileObjectCount?: number;
  sourcePriority?: number;
  /** As the model spells them: field name → {Source, Target, ContentType}. */
  fields?: Record<string, ObjectTypeField>;
  /** As the model spells them: key name → [{StandardIdentifiers, FieldNames}]. */
  keys?: Record<string, ObjectTypeKey[]>;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

/**
 * A row lock a read takes, until the transaction ends, where the backend has concurrent writers
 * (PostgreSQL; SQLite has one writer at a time and takes none):
 * - `update`: the caller is about to delete or rewrite the row, or change what hangs off it
 *   (DeleteProfile, MergeProfiles, UpdateProfile). It waits for every writer holding the row in any
 *   way, and they for it.
 * - `no-key-update`: the caller rewrites the row's own columns from what it read (ingestion applying
 *   values to a profile's attributes, DeleteProfileObjectType scrubbing them). It waits for another such
 *   writer and for `update`, which then see what it wrote, but not for `key-share` holders: the rewrite
 *   itself (an upsert setting non-key columns) locks at this strength too, so a writer holding a profile
 *   key-share can go on to rewrite it while another does.
 * - `key-share`: the caller adds to what hangs off the row (objects onto a profile, objects of a type).
 *   It does not stop other such writers, nor updates of the row's other columns, but a deletion waits
 *   for it, and it for a deletion, which it then sees.
 */
export type RowLock = 'update' | 'no-key-update' | 'key-share';

/** A deleted object type whose objects are still being removed, or the profiles they filled scrubbed. */
export interface ObjectTypePurge {
  scope: Scope;
  domainName: string;
  objectTypeName: string;
  /** The last unique key whose object is gone; null before the first part. */
  objectsAfter: string | null;
  /** Every object is gone: the profiles' scrub goes on. */
  objectsDone: boolean;
  /** The last profile id the scrub passed; null before the first. */
  profilesAfter: string | null;
}

export interface ObjectTypePurgeRepository {
  /** In DeleteProfileObjectType's transaction. */
  record(scope: Scope, domainName: string, objectTypeName: string, deletedAt: number): Promise<void>;
  /**
   * The purge of a type of this name, while it runs (a new type of the name waits for it). `lock`: held
   * until the transaction ends; undefined while another transaction holds it (PostgreSQL).
   */
  of(scope: Scope, domainName: string, objectTypeName: string, lock?: boolean): Promise<ObjectTypePurge | undefined>;
  /** The purge deleted longest ago. */
  oldest(): Promise<ObjectTypePurge | undefined>;
  /** Where the purge stopped. */
  save(purge: ObjectTypePurge): Promise<void>;
  finish(purge: ObjectTypePurge): Promise<void>;
  /** With its domain (DomainRepository.delete): the domain's own purge removes what is left. */
  deleteOfDomain(scope: Scope, domainName: string): Promise<void>;
}

export interface ObjectTypeRepository {
  /** Inserts or replaces the type; replacing keeps the stored createdAt. */
  put(scope: Scope, domainName: string, record: ObjectTypeRecord): Promise<void>;
  get(scope: Scope, domainName: string, objectTypeName: string, lock?: RowLock): Promise<ObjectTypeRecord | undefined>;
  /**
   * Removes the type and its tags; false when it did not exist. Its objects and integrations are
   * removed through their own repositories.
   */
  delete(scope: Scope, domainName: string, objectTypeName: string): Promise<boolean>;
  /** Ordered by name; keyset after `afterName`. */
  list(scope: Scope, domainName: string, afterName: string | undefined, limit: number): Promise<ObjectTypeRecord[]>;
  /** Every type of the domain (a domain has few), ordered by name. */
  all(scope: Scope, domainName: string): Promise<ObjectTypeRecord[]>;
}

/** Where a standard profile attribute came from: DeleteProfileObjectType scrubs by it, SourcePriority ranks by it. */
export interface AttributeSource {
  objectTypeName: string;
  sourcePriority?: number;
}

export interface ProfileRecord {
  /** 32 lowercase hex characters. */
  profileId: string;
  /** The standard profile, shaped and spelled as the model's Profile (without ProfileId). */
  attributes: Record<string, unknown>;
  /** Dotted attribute path (`FirstName`, `Address.City`, `Attributes.tier`) → its source. */
  attributeSources: Record<string, AttributeSource>;
  /** Created by an object that mapped nothing onto the standard profile (AWS "inferred profile"). */
  inferred: boolean;
  createdAt: number;
  updatedAt: number;
  /**
   * Only on a profile being created: its CREATED history record (created at `createdAt`, Content the
   * profile), which the row holds until the profile first changes (migration 015). Never read back.
   */
  createdRecord?: { recordId: string; performedBy: string };
}

/** `p` with the CREATED record its row is to hold, field by field for the reason objectHoldingRecord gives. */
export function profileHoldingRecord(p: ProfileRecord, createdRecord: { recordId: string; performedBy: string }): ProfileRecord {
  return {
    profileId: p.profileId,
    attributes: p.attributes,
    attributeSources: p.attributeSources,
    inferred: p.inferred,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    createdRecord,
  };
}

/** One entry of the key index: the value of a key found on an object, and the profile it belongs to. */
export interface ProfileKey {
  keyName: string;
  keyValue: string;
  profileId: string;
}

export interface ProfileRepository {
  get(scope: Scope, domainName: string, profileId: string, lock?: RowLock): Promise<ProfileRecord | undefined>;
  getMany(scope: Scope, domainName: string, profileIds: readonly string[], lock?: RowLock): Promise<ProfileRecord[]>;
  /**
   * Which of the profiles are stored, each held with a `key-share` lock: ingestion lands objects on
   * them, and a DeleteProfile or MergeProfiles of one of them must either see those objects or have
   * finished before, when the profile is no longer among the answer.
   */
  holdExisting(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<Set<string>>;
  /**
   * Until the transaction ends, no other transaction gets past this call for the same domain: ingestion
   * calls it before it looks a batch's keys up, so that of two batches with a customer neither finds
   * stored, the second looks up after the first has committed the profile it created, and finds it.
   * A backend with one writer at a time (SQLite) is serial already, and takes nothing. Outside a
   * transaction the lock ends with its own statement and holds nothing back.
   */
  serializeIngestion(scope: Scope, domainName: string): Promise<void>;
  /**
   * Inserts the profiles that are new and replaces attributes, sources, the inferred flag and updatedAt
   * of those that exist (createdAt is kept), in multi-row statements. The caller moves the CREATED
   * record a replaced row holds into the history first (ProfileHistoryRepository.keepCreatedRecords).
   * Answers the ids it inserted. `known.fresh`: the ids no stored profile can have (ProfileRowWriter.insertNew);
   * `known.stored`: ids whose rows the caller's transaction holds, so they are replaced with no insert tried first.
   */
  upsert(scope: Scope, domainName: string, profiles: readonly ProfileRecord[], known?: RowsKnown): Promise<Set<string>>;
  /** The index entries for any of the given (keyName, keyValue) pairs. */
  findByKeys(
    scope: Scope,
    domainName: string,
    keys: readonly { keyName: string; keyValue: string }[],
  ): Promise<ProfileKey[]>;
  /**
   * SearchProfiles: the ids of the profiles one of whose index entries for `keyName` has one of the
   * (normalized) values, ascending, after `afterProfileId`, at most `limit`.
   */
  searchByKey(
    scope: Scope,
    domainName: string,
    keyName: string,
    values: readonly string[],
    afterProfileId: string | undefined,
    limit: number,
  ): Promise<string[]>;
  /** The index entries for `keyName` with one of `values` that belong to one of `profileIds`. */
  keysAmong(
    scope: Scope,
    domainName: string,
    keyName: string,
    values: readonly string[],
    profileIds: readonly string[],
  ): Promise<ProfileKey[]>;
  /**
   * Adds index entries; entries already present are left as they are. `ofNewProfiles`: every entry names
   * a profile this transaction created and inserted (see KeyIndexWriter.insert).
   */
  addKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[], ofNewProfiles?: boolean): Promise<void>;
  /** Removes index entries (each names its profile); entries not present are ignored. */
  removeKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void>;
  /** Removes the profiles (not their keys, objects or history); returns how many existed. */
  delete(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<number>;
  /**
   * The index entries of the profiles that neither their attributes nor their objects' key values show
   * (added by AddProfileKey, left by an object deleted or moved away); ordered by profile, name, value.
   */
  extraKeys(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<ProfileKey[]>;
  addExtraKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void>;
  removeExtraKeys(scope: Scope, domainName: string, keys: readonly ProfileKey[]): Promise<void>;
  deleteExtraKeys(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<void>;
  /**
   * Profiles holding at least one attribute that came from the object type, among the next `limit` whose
   * sources mention its name; keyset by profile id. `scannedTo`: the last profile id looked at, the next
   * call's `afterProfileId`, or undefined when none is left. With `lock`, every profile read is locked so
   * (in id order) until the transaction ends.
   */
  listSourcedFrom(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    afterProfileId: string | undefined,
    limit: number,
    lock?: RowLock,
  ): Promise<{ profiles: ProfileRecord[]; scannedTo: string | undefined }>;
}

export interface ProfileObjectRecord {
  objectTypeName: string;
  /** ProfileObjectUniqueKey: derived from the object's UNIQUE key, opaque to callers. */
  uniqueKey: string;
  profileId: string;
  /** The object as a JSON string (ListProfileObjects' `Object`). */
  object: string;
  /** The object's key values at ingestion: key name → normalized value. */
  keyValues: Record<string, string>;
  /** The source's last-updated time (epoch ms) when the object type defines one. */
  sourceUpdatedAt?: number;
  sizeBytes: number;
  createdAt: number;
  updatedAt: number;
  /**
   * The INGESTED history record of this version, which the row holds instead of a history row of its own
   * until the version is replaced, moved or deleted (migration 018): its Id and PerformedBy; its times
   * are `updatedAt`, its Content `object`. Written by ingestion; not read back with the object.
   */
  ingestedRecord?: { recordId: string; performedBy: string };
}

/**
 * `o` with the INGESTED record its row is to hold. Written field by field rather than spread: V8 copies a
 * spread object several times slower than it builds a literal, and ingestion makes one per record.
 */
export function objectHoldingRecord(o: ProfileObjectRecord, ingestedRecord: { recordId: string; performedBy: string }): ProfileObjectRecord {
  return {
    objectTypeName: o.objectTypeName,
    uniqueKey: o.uniqueKey,
    profileId: o.profileId,
    object: o.object,
    keyValues: o.keyValues,
    sourceUpdatedAt: o.sourceUpdatedAt,
    sizeBytes: o.sizeBytes,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    ingestedRecord,
  };
}

/** What ingestion needs to know about an object already stored. */
export interface StoredObjectRef {
  uniqueKey: string;
  profileId: string;
  sourceUpdatedAt?: number;
  /** The key values it was stored with: the keys its profile keeps if the object moves or changes. */
  keyValues: Record<string, string>;
}

export interface ProfileObjectQuery {
  objectTypeName: string;
  profileId: string;
  /** Only objects whose key `keyName` has one of `values` (already normalized). */
  keyFilter?: { keyName: string; values: readonly string[] };
}

export interface ProfileObjectRepository {
  /** The stored objects among `uniqueKeys` (no bodies). */
  findExisting(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    uniqueKeys: readonly string[],
  ): Promise<StoredObjectRef[]>;
  /**
   * Inserts or replaces objects in multi-row statements (one row per unique key in `objects`).
   * Replacing keeps createdAt, and never replaces an object whose sourceUpdatedAt is newer. By `objectKey`,
   * `known.fresh`: the objects no stored row can hold (ObjectRowWriter.insertNew); `known.stored`: those a
   * look-up found stored, which go straight to the replacement (one deleted since is inserted and counted there).
   */
  upsert(scope: Scope, domainName: string, objects: readonly ProfileObjectRecord[], known?: RowsKnown): Promise<void>;
  get(scope: Scope, domainName: string, objectTypeName: string, uniqueKey: string): Promise<ProfileObjectRecord | undefined>;
  delete(scope: Scope, domainName: string, objectTypeName: string, uniqueKey: string): Promise<boolean>;
  /** Every object of the profiles (bodies included), ordered by profile, type and unique key. */
  ofProfiles(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<ProfileObjectRecord[]>;
  /** Removes every object of the profiles; returns how many. */
  deleteOfProfiles(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<number>;
  /** Gives every object of `fromProfileIds` to `toProfileId`; returns how many moved. */
  moveToProfile(scope: Scope, domainName: string, fromProfileIds: readonly string[], toProfileId: string, now: number): Promise<number>;
  /** How many objects of the type the domain holds. */
  countOfObjectType(scope: Scope, domainName: string, objectTypeName: string): Promise<number>;
  /**
   * Up to `limit` objects of the type after `afterUniqueKey`, in unique-key order: their unique keys, and
   * the key values they carry with the profile each is on.
   */
  keysOfObjectType(
    scope: Scope,
    domainName: string,
    objectTypeName: string,
    afterUniqueKey: string | undefined,
    limit: number,
  ): Promise<{ uniqueKeys: string[]; keys: ProfileKey[] }>;
  /** Removes these objects of the type; returns how many. */
  deleteByObjectType(scope: Scope, domainName: string, objectTypeName: string, uniqueKeys: readonly string[]): Promise<number>;
  /** One profile's objects of one type, ordered by unique key; keyset after `afterUniqueKey`. */
  list(
    scope: Scope,
    domainName: string,
    query: ProfileObjectQuery,
    afterUniqueKey: string | undefined,
    limit: number,
  ): Promise<ProfileObjectRecord[]>;
}

/** An integration; PutIntegration writes one, and so does the workflow engine when a workflow completes. */
export interface IntegrationRecord {
  uri: string;
  objectTypeName?: string;
  objectTypeNames?: Record<string, string>;
  workflowId?: string;
  roleArn?: string;
  eventTriggerNames?: string[];
  scope?: 'PROFILE' | 'DOMAIN';
  isUnstructured?: boolean;
  flowDefinition?: unknown;
  /** Listed by ListIntegrations only with include-hidden=true (integrations made for internal use). */
  hidden?: boolean;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface IntegrationRepository {
  /** Inserts or replaces; replacing keeps the stored createdAt. */
  put(scope: Scope, domainName: string, record: IntegrationRecord): Promise<void>;
  get(scope: Scope, domainName: string, uri: string): Promise<IntegrationRecord | undefined>;
  /** Removes the integration and its tags; false when it did not exist. */
  delete(scope: Scope, domainName: string, uri: string): Promise<boolean>;
  /** Removes the integrations a workflow created, and their tags; returns their URIs. */
  deleteByWorkflow(scope: Scope, domainName: string, workflowId: string): Promise<string[]>;
  /** Removes the integrations that ingest into the object type, and their tags; returns their URIs. */
  deleteByObjectType(scope: Scope, domainName: string, objectTypeName: string): Promise<string[]>;
  /** The integrations of every domain of the account (and region) with this URI, ordered by domain. */
  listByUri(
    scope: Scope,
    uri: string,
    afterDomain: string | undefined,
    limit: number,
    includeHidden?: boolean,
  ): Promise<(IntegrationRecord & { domainName: string })[]>;
  /** Ordered by URI; keyset after `afterUri`; hidden ones only when asked for. */
  list(
    scope: Scope,
    domainName: string,
    afterUri: string | undefined,
    limit: number,
    includeHidden?: boolean,
  ): Promise<IntegrationRecord[]>;
}

/** One change to a profile (ListProfileHistoryRecords' ProfileHistoryRecord, with its Content). */
export interface ProfileHistoryEntry {
  /** 32 hex, time first: ascending ids are the order of the changes. */
  recordId: string;
  profileId: string;
  /** The object type of an object's change; `_profile` for the profile itself. */
  objectTypeName: string;
  actionType: string;
  /** ProfileObjectUniqueKey of the object a change was about. */
  uniqueKey?: string;
  /** JSON: the profile (or object) as it was after the change; none for a deletion. */
  content?: string;
  performedBy: string;
  createdAt: number;
  updatedAt: number;
}

/** Which objects' held INGESTED records to write into the history: one object's, a type's, or profiles'. */
export type HeldRecordsOf =
  | { objectTypeName: string; uniqueKeys: readonly string[] }
  | { objectTypeName: string }
  | { profileIds: readonly string[] };

export interface ProfileHistoryFilter {
  objectTypeName?: string;
  actionType?: string;
  performedBy?: string;
  /** Records created before this (epoch ms) are expired: never answered. */
  notBefore: number;
}

/** One MergeProfiles: what the event stream's profileMerge event and the PROFILES_MERGED webhook tell. */
export interface ProfileMerge {
  /** 32 hex, time first, as history record ids: unique, so a delivery or an event is about one merge. */
  mergeId: string;
  domainName: string;
  mainProfileId: string;
  /** In the request's order, without repeats. */
  mergedProfileIds: string[];
  mergedAt: number;
}

/** A merge with the account and region it happened in. */
export interface ScopedProfileMerge {
  scope: Scope;
  merge: ProfileMerge;
}

export interface ProfileHistoryRepository {
  /** Notes a merge for the event stream and webhooks (in the merge's transaction). */
  addMerge(scope: Scope, merge: ProfileMerge): Promise<void>;
  /** Merges with mergedAt ≥ `since`, every account, in (mergedAt, mergeId) order after `after`. */
  mergedSince(since: number, after: { mergedAt: number; mergeId: string } | undefined, limit: number): Promise<ScopedProfileMerge[]>;
  add(scope: Scope, domainName: string, entries: readonly ProfileHistoryEntry[]): Promise<void>;
  /**
   * One profile's records in the order they were made, keyset after `afterRecordId`, with Content; the
   * CREATED record its row holds (ProfileRecord.createdRecord) among them.
   */
  list(
    scope: Scope,
    domainName: string,
    profileId: string,
    filter: ProfileHistoryFilter,
    afterRecordId: string | undefined,
    limit: number,
  ): Promise<ProfileHistoryEntry[]>;
  get(scope: Scope, domainName: string, profileId: string, recordId: string): Promise<ProfileHistoryEntry | undefined>;
  /**
   * Writes the INGESTED records that objects' rows hold (ProfileObjectRecord.ingestedRecord) into the
   * history, each with the object's text, before the rows are moved or deleted: one object's, the
   * profiles' objects' (before a merge moves them or a deletion), or a type's (DeleteProfileObjectType).
   * Replacing a version writes its record in the objects repository, which knows which versions it replaces.
   */
  keepIngestedRecords(scope: Scope, domainName: string, of: HeldRecordsOf): Promise<void>;
  /**
   * Writes the CREATED records the profiles' rows hold into the history, with the rows' Content, and
   * empties the rows' hold on them, before the rows are replaced or deleted (ProfileRecord.createdRecord).
   * Where there are concurrent writers
   * the rows stay locked until the transaction ends, so one record is written once.
   */
  keepCreatedRecords(scope: Scope, domainName: string, profileIds: readonly string[]): Promise<void>;
  /** Removes the profiles' records created before `before` (those their rows hold included); returns how many. */
  purge(scope: Scope, domainName: string, profileIds: readonly string[], before: number): Promise<number>;
}
