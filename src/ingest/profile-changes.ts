import { historyRecordId, idSeed } from '../domain/ids.js';
import { PROFILE_RECORD_TYPE, profileContent } from '../domain/profile-history.js';
import { PROFILE_ID_KEY, standardProfileKeys } from '../domain/object-type-mapping/index.js';
import {
  objectKey,
  type ProfileHistoryEntry,
  type ProfileKey,
  type ProfileObjectRecord,
  type ProfileRecord,
  type Store,
} from '../store/types.js';
import { objectHoldingRecord, profileHoldingRecord } from '../store/profile-types.js';
import type { Scope } from '../domain/scope.js';

/**
 * The one way a profile changes. Ingestion (PutProfileObject and the workflow engine, through
 * `putProfileObjects`) and the profile operations (UpdateProfile, DeleteProfile, Add/DeleteProfileKey,
 * MergeProfiles) describe what they change as a `ProfileChanges` set and commit it: the profile rows,
 * the key index, the extra keys, the objects, Stats (through the repositories) and the history records
 * follow from that set alone, so no caller can change one and forget another.
 */

/** The model's ActionType values. */
export type ActionType =
  | 'ADDED_PROFILE_KEY'
  | 'DELETED_PROFILE_KEY'
  | 'CREATED'
  | 'UPDATED'
  | 'INGESTED'
  | 'DELETED_BY_CUSTOMER'
  | 'EXPIRED'
  | 'MERGED'
  | 'DELETED_BY_MERGE';

/** Who made a change: an API call of the account, or a workflow step ingesting a source's records. */
export type ChangeSource =
  | { kind: 'api' }
  | { kind: 'workflow'; workflowId?: string; stepNo?: number }
  | { kind: 'flow-run'; flowName: string; executionId: string };

/**
 * PerformedBy: "the ARN of the person or service principal who performed the action" (model). Callers
 * are authenticated as accounts, so an API change names the account's root principal; a workflow step
 * names the service principal that runs flows (AppFlow), followed by the workflow step or the flow run
 * that ingested the record when known, so a record's source can be traced and filtered on [I].
 */
export function performedBy(scope: Scope, source: ChangeSource): string {
  if (source.kind === 'api') return `arn:aws:iam::${scope.accountId}:root`;
  if (source.kind === 'flow-run') return `appflow.amazonaws.com/flows/${source.flowName}/executions/${source.executionId}`;
  if (!source.workflowId) return 'appflow.amazonaws.com';
  const step = source.stepNo === undefined ? '' : `/steps/${source.stepNo}`;
  return `appflow.amazonaws.com/workflows/${source.workflowId}${step}`;
}

function contentOf(profile: ProfileRecord): string {
  return profileContent(profile.profileId, profile.attributes);
}

function entryId(k: ProfileKey): string {
  return `${k.profileId}\u0000${k.keyName}\u0000${k.keyValue}`;
}

/**
 * What one transaction does to the profiles of one domain. Collect, then `commit` once: every write is
 * one multi-row statement per table (prepared statements on SQLite), whatever the number of changes.
 */
export class ProfileChanges {
  private readonly profiles = new Map<string, ProfileRecord>();
  /**
   * Entries to add, as given (the store ignores one already present): ingestion adds several per record,
   * so no map is built unless this set also removes entries, which only the profile operations do.
   */
  private keysAdded: ProfileKey[] = [];
  private readonly keysRemoved = new Map<string, ProfileKey>();
  private readonly extrasAdded = new Map<string, ProfileKey>();
  private readonly extrasRemoved = new Map<string, ProfileKey>();
  private readonly objects: ProfileObjectRecord[] = [];
  /** Where each object of `objects` is, by objectKey: an object ingested again in this set replaces its entry. */
  private readonly objectAt = new Map<string, number>();
  private readonly objectsDeleted: ProfileObjectRecord[] = [];
  private readonly deleted = new Set<string>();
  private readonly moves: { from: string[]; to: string }[] = [];
  private readonly history: ProfileHistoryEntry[] = [];
  /** Profiles this set creates whose rows hold their CREATED record, with the record's Id. */
  private readonly createdHere = new Map<string, { profile: ProfileRecord; recordId: string }>();
  /** Every profile this set creates under a new id (CreateProfile, ingestion), changed again since or not. */
  private readonly createdNow = new Set<string>();
  /** Objects (by `objectKey`) the caller knows no stored row holds (putObjects' `isFresh`). */
  private readonly freshObjects = new Set<string>();
  /** Objects (by `objectKey`) the caller found stored (putObjects' `isStored`). */
  private readonly storedObjects = new Set<string>();
  /** Profiles whose rows the caller's transaction holds (`holding`): written with no insert tried first. */
  private readonly heldProfiles = new Set<string>();
  readonly performedBy: string;

  constructor(
    private readonly store: Store,
    private readonly scope: Scope,
    private readonly domainName: string,
    private readonly now: number,
    source: ChangeSource,
    /** The domain's DefaultExpirationDays: records older than that are purged for the profiles touched. */
    private readonly retentionDays?: number,
  ) {
    this.performedBy = performedBy(scope, source);
  }

  /**
   * Writes the profile as it is now (created or changed), with a history record when `action` says.
   * A profile created now keeps its CREATED record in its row (ProfileRecord.createdRecord) instead of
   * a history row of its own, until the profile first changes: the record's Id is taken here all the
   * same, so the records of this set are in the order they would have had as rows.
   */
  saveProfile(profile: ProfileRecord, action?: 'CREATED' | 'UPDATED' | 'MERGED'): void {
    this.keepCreatedHere(profile.profileId);
    this.profiles.set(profile.profileId, profile);
    if (action === 'CREATED' && profile.createdAt === this.now) {
      this.createdNow.add(profile.profileId);
      this.createdHere.set(profile.profileId, { profile, recordId: historyRecordId(this.now) });
      return;
    }
    if (action) this.record(profile.profileId, action, { content: () => contentOf(profile) });
  }

  /**
   * A profile created in this set changes again before the set is committed: its CREATED record
   * becomes a history row after all, with the Id it was given and the profile as first saved.
   */
  private keepCreatedHere(profileId: string): void {
    const created = this.createdHere.get(profileId);
    if (!created) return;
    this.createdHere.delete(profileId);
    this.history.push(this.entry(profileId, 'CREATED', created.recordId, { content: () => contentOf(created.profile) }));
  }

  /** Index entries to add (an entry removed earlier in this set is added back). */
  addKeys(keys: Iterable<ProfileKey>): void {
    for (const k of keys) {
      if (this.keysRemoved.size > 0) this.keysRemoved.delete(entryId(k));
      this.keysAdded.push(k);
    }
  }

  removeKeys(keys: Iterable<ProfileKey>): void {
    const removed = new Set<string>();
    for (const k of keys) {
      const id = entryId(k);
      removed.add(id);
      this.keysRemoved.set(id, k);
    }
    if (removed.size > 0 && this.keysAdded.length > 0) this.keysAdded = this.keysAdded.filter((k) => !removed.has(entryId(k)));
  }

  /** Entries the profile keeps that its attributes and objects do not show. */
  addExtraKeys(keys: Iterable<ProfileKey>): void {
    for (const k of keys) {
      if (k.keyName === PROFILE_ID_KEY) continue;
      const id = entryId(k);
      this.extrasRemoved.delete(id);
      this.extrasAdded.set(id, k);
    }
  }

  removeExtraKeys(keys: Iterable<ProfileKey>): void {
    for (const k of keys) {
      const id = entryId(k);
      this.extrasAdded.delete(id);
      this.extrasRemoved.set(id, k);
    }
  }

  /**
   * The standard attributes changed from `before` to the profile's attributes now: the standard search
   * keys follow (entries of values it no longer has go, entries of its new values come).
   */
  followStandardKeys(profileId: string, before: Record<string, unknown>, after: Record<string, unknown>): void {
    const old = new Map(standardProfileKeys(before).map((k) => [`${k.keyName}\u0000${k.keyValue}`, k] as const));
    const now = new Map(standardProfileKeys(after).map((k) => [`${k.keyName}\u0000${k.keyValue}`, k] as const));
    this.removeKeys([...old].filter(([id]) => !now.has(id)).map(([, k]) => ({ ...k, profileId })));
    this.addKeys([...now].filter(([id]) => !old.has(id)).map(([, k]) => ({ ...k, profileId })));
  }

  /**
   * Objects ingested: one INGESTED record each, which the object's row holds while that version is stored
   * (ProfileObjectRecord.ingestedRecord), so ingestion does not write each object twice. The record's Id
   * is taken here, so the records of this set are in the order they would have had as rows.
   */
  putObjects(objects: Iterable<ProfileObjectRecord>, known: { isFresh?: (o: ProfileObjectRecord) => boolean; isStored?: (o: ProfileObjectRecord) => boolean } = {}): void {
    for (const o of objects) {
      const held = objectHoldingRecord(o, { recordId: historyRecordId(this.now), performedBy: this.performedBy });
      const key = objectKey(o.objectTypeName, o.uniqueKey);
      const at = this.objectAt.get(key);
      if (at === undefined) {
        this.objectAt.set(key, this.objects.length);
        this.objects.push(held);
      } else {
        // Ingested twice in one set (a batch or a page holding the same object twice): the earlier version
        // never becomes a row, so the INGESTED record it holds goes to the history, as a replaced stored
        // version's does, and the object is written once, as its later version.
        const earlier = this.objects[at]!;
        const record = earlier.ingestedRecord!;
        this.history.push({ ...this.entry(earlier.profileId, 'INGESTED', record.recordId, { objectTypeName: earlier.objectTypeName, uniqueKey: earlier.uniqueKey, content: earlier.object }), performedBy: record.performedBy });
        this.objects[at] = held;
      }
      if (known.isFresh?.(o)) this.freshObjects.add(objectKey(o.objectTypeName, o.uniqueKey));
      else if (known.isStored?.(o)) this.storedObjects.add(objectKey(o.objectTypeName, o.uniqueKey));
    }
  }

  /** Profiles read under a lock this transaction holds until it ends: their rows cannot have gone. */
  holding(profileIds: Iterable<string>): void {
    for (const id of profileIds) this.heldProfiles.add(id);
  }

  /**
   * Deletes one object (DeleteProfileObject): its latest record keeps its text, and its profile keeps
   * its index entries, as extra keys.
   */
  deleteObject(object: ProfileObjectRecord): void {
    this.objectsDeleted.push(object);
    this.addExtraKeys(Object.entries(object.keyValues).map(([keyName, keyValue]) => ({ keyName, keyValue, profileId: object.profileId })));
  }

  /** Gives every object of `from` to `to`. */
  moveObjects(from: string[], to: string): void {
    this.moves.push({ from, to });
  }

  /** Removes the profiles with their objects and extra keys (their index entries: `removeKeys`). */
  deleteProfiles(profileIds: Iterable<string>, action: 'DELETED_BY_CUSTOMER' | 'DELETED_BY_MERGE'): void {
    for (const id of profileIds) {
      this.keepCreatedHere(id);
      this.deleted.add(id);
      this.profiles.delete(id);
      this.record(id, action, {});
    }
  }

  /** A history record; Content is computed at commit, so it shows the profile as the set leaves it. */
  record(
    profileId: string,
    actionType: ActionType,
    details: { objectTypeName?: string; uniqueKey?: string; content?: string | (() => string) },
  ): void {
    this.history.push(this.entry(profileId, actionType, historyRecordId(this.now), details));
  }

  private entry(
    profileId: string,
    actionType: ActionType,
    recordId: string,
    details: { objectTypeName?: string; uniqueKey?: string; content?: string | (() => string) },
  ): ProfileHistoryEntry {
    return {
      recordId,
      profileId,
      objectTypeName: details.objectTypeName ?? PROFILE_RECORD_TYPE,
      actionType,
      uniqueKey: details.uniqueKey,
      content: details.content as string | undefined,
      performedBy: this.performedBy,
      createdAt: this.now,
      updatedAt: this.now,
    };
  }

  /**
   * Writes the set on the store it was given (the caller's transaction makes it atomic). Order: profiles
   * first (Stats count them), then the index, the objects, moves and deletions, and the history last.
   */
  async commit(): Promise<void> {
    const { store, scope, domainName } = this;
    // Rows about to be rewritten or deleted hand the CREATED record they hold to the history first.
    const rewritten = [...this.profiles.keys()].filter((id) => !this.createdHere.has(id));
    if (rewritten.length > 0 || this.deleted.size > 0) await store.profileHistory.keepCreatedRecords(scope, domainName, [...rewritten, ...this.deleted]);
    // The profiles this set created under a new id: nothing can have stored one of them, or indexed it.
    // Not a profile inserted again after a concurrent deletion (an UpdateProfile's), which may have left
    // entries behind; not with seeded ids, which a run started again gives again.
    const fresh = idSeed() === undefined ? this.createdNow : new Set<string>();
    let inserted = new Set<string>();
    if (this.profiles.size > 0) {
      const rows = [...this.profiles.values()].map((p) => {
        const created = this.createdHere.get(p.profileId);
        return created ? profileHoldingRecord(p, { recordId: created.recordId, performedBy: this.performedBy }) : p;
      });
      inserted = await store.profiles.upsert(scope, domainName, rows, { fresh, stored: this.heldProfiles });
    }
    if (this.keysRemoved.size > 0) await store.profiles.removeKeys(scope, domainName, [...this.keysRemoved.values()]);
    if (this.keysAdded.length > 0) {
      // The entries of the fresh profiles, apart: written without a conflict check.
      const isNew = (id: string) => inserted.has(id) && fresh.has(id);
      const ofNew = inserted.size > 0 && fresh.size > 0 ? this.keysAdded.filter((k) => isNew(k.profileId)) : [];
      const others = ofNew.length > 0 ? this.keysAdded.filter((k) => !isNew(k.profileId)) : this.keysAdded;
      if (ofNew.length > 0) await store.profiles.addKeys(scope, domainName, ofNew, true);
      if (others.length > 0) await store.profiles.addKeys(scope, domainName, others);
    }
    if (this.extrasRemoved.size > 0) await store.profiles.removeExtraKeys(scope, domainName, [...this.extrasRemoved.values()]);
    if (this.extrasAdded.size > 0) await store.profiles.addExtraKeys(scope, domainName, [...this.extrasAdded.values()]);
    // Objects about to be moved or deleted hand the INGESTED records they hold to the history first (the
    // objects repository does the same for the versions an upsert replaces).
    for (const o of this.objectsDeleted) {
      await store.profileHistory.keepIngestedRecords(scope, domainName, { objectTypeName: o.objectTypeName, uniqueKeys: [o.uniqueKey] });
    }
    const leaving = [...new Set([...this.moves.flatMap((m) => m.from), ...this.deleted])];
    if (leaving.length > 0) await store.profileHistory.keepIngestedRecords(scope, domainName, { profileIds: leaving });
    if (this.objects.length > 0) await store.profileObjects.upsert(scope, domainName, this.objects, { fresh: this.freshObjects, stored: this.storedObjects });
    for (const o of this.objectsDeleted) await store.profileObjects.delete(scope, domainName, o.objectTypeName, o.uniqueKey);
    for (const m of this.moves) await store.profileObjects.moveToProfile(scope, domainName, m.from, m.to, this.now);
    if (this.deleted.size > 0) {
      const ids = [...this.deleted];
      await store.profileObjects.deleteOfProfiles(scope, domainName, ids);
      await store.profiles.deleteExtraKeys(scope, domainName, ids);
      await store.profiles.delete(scope, domainName, ids);
    }
    for (const e of this.history) {
      if (typeof e.content === 'function') e.content = (e.content as () => string)();
    }
    await store.profileHistory.add(scope, domainName, this.history);
    if (this.retentionDays !== undefined) {
      const touched = [...new Set([...this.history, ...this.objects].map((e) => e.profileId))];
      await store.profileHistory.purge(scope, domainName, touched, this.now - this.retentionDays * 86_400_000);
    }
  }
}

/**
 * Every index entry a profile holds, as far as it can be known without an index of profile_keys by
 * profile (002 says why there is none): the standard keys of its attributes, the keys of its objects,
 * and its extra keys. Entries are removed by exact (name, value, profile), so one listed here that is
 * not in the index costs nothing.
 */
export async function keysOfProfiles(
  store: Store,
  scope: Scope,
  domainName: string,
  profiles: readonly ProfileRecord[],
): Promise<{ keys: ProfileKey[]; objects: ProfileObjectRecord[] }> {
  const ids = profiles.map((p) => p.profileId);
  const out = new Map<string, ProfileKey>();
  const add = (k: ProfileKey) => {
    if (k.keyName !== PROFILE_ID_KEY) out.set(entryId(k), k);
  };
  for (const p of profiles) for (const k of standardProfileKeys(p.attributes)) add({ keyName: k.keyName, keyValue: k.keyValue, profileId: p.profileId });
  const objects = await store.profileObjects.ofProfiles(scope, domainName, ids);
  for (const o of objects) {
    for (const [keyName, keyValue] of Object.entries(o.keyValues)) add({ keyName, keyValue, profileId: o.profileId });
  }
  for (const k of await store.profiles.extraKeys(scope, domainName, ids)) add(k);
  return { keys: [...out.values()], objects };
}
