import { BadRequestException } from '../api/errors.js';
import { characterCount } from '../domain/characters.js';
import { profileIdPool } from '../domain/ids.js';
import { MAX_PROFILE_OBJECT_CHARACTERS } from '../domain/json-object.js';
import {
  applyProfileValues,
  chooseProfile,
  compiledFor,
  type CompiledObjectType,
  keysToPersist,
  mapRecord,
  type MappedRecord,
  PROFILE_ID_KEY,
  standardProfileKeys,
} from '../domain/object-type-mapping/index.js';
import { isStale } from '../domain/staleness.js';
import { jsonDepthProblem, MAX_JSON_DEPTH } from '../protocol/json.js';
import type { ObjectTypeRecord, ProfileKey, ProfileObjectRecord, ProfileRecord, Store, TransactionOptions } from '../store/types.js';
import type { Scope } from '../domain/scope.js';
import { ProfilesByKey } from '../domain/profiles-by-key.js';
import { type ChangeSource, ProfileChanges } from './profile-changes.js';

/** What happened to one record. */
export interface PutObjectResult {
  /** ProfileObjectUniqueKey of the object the record became (or, when it was stale, left alone). */
  uniqueKey: string;
  profileId: string;
  /** True when no object with this unique key existed before the record. */
  created: boolean;
}

export interface PutObjectsOptions {
  /**
   * Called for each record that cannot become an object (not a JSON object, no UNIQUE key value, a
   * timestamp that does not match the format, nested deeper than MAX_JSON_DEPTH); such records are then
   * skipped and have no result.
   * Without it, the first such record throws a BadRequestException before anything is written.
   */
  onRejected?: (index: number, message: string) => void;
  /**
   * Who ingests, for the history records (PerformedBy). Without it, a workflow step: the engine is the
   * caller that gives none.
   */
  source?: ChangeSource;
}

/**
 * The turn (Store.transaction) a transaction calling putProfileObjects for a domain takes: a domain's
 * ingestions go one at a time from their look-up to their commit (serializeIngestion), so those of one
 * process wait in line before they take a connection rather than while holding one.
 */
export function ingestionTurn(scope: Scope, domainName: string): TransactionOptions {
  return { turn: `ingestion\u0000${scope.accountId}\u0000${scope.region}\u0000${domainName}` };
}

/** A batch of records mapped and checked (mapForIngestion), ready to be written (putMappedObjects). */
export interface MappedBatch {
  type: CompiledObjectType;
  batch: { mapped: MappedRecord; object: string }[];
}

/** How one record maps: its mapped form and stored text, or the sentence rejecting it. */
type RecordMapping = { ok: true; item: MappedBatch['batch'][number] } | { ok: false; message: string };

/**
 * The object type's mappings compiled, and the check and mapping of one record at a time: for a caller
 * that maps a page in slices between other work (runPages). Throws a BadRequestException when the object
 * type cannot map anything.
 */
export function ingestionMapper(objectType: ObjectTypeRecord): { type: CompiledObjectType; map(record: Record<string, unknown>): RecordMapping } {
  const compiled = compiledFor(objectType);
  if (!compiled.ok) {
    throw new BadRequestException(
      `Objects of type ${objectType.objectTypeName} cannot be ingested: ${compiled.problems.join(' ')}`,
    );
  }
  const type = compiled.type;
  return {
    type,
    map(record) {
      const result = mapRecord(type, record);
      if (!result.ok) return result;
      const stored = storedText(record);
      if (!stored.ok) return stored;
      return { ok: true, item: { mapped: result.mapped, object: stored.text } };
    },
  };
}

/**
 * Step 1 of putProfileObjects, pure: the object type's mappings compiled and each record mapped and
 * checked. A rejection throws a BadRequestException, unless `onRejected` collects it. Exported for a call
 * to make its checks before it waits for its domain's turn (putProfileObject).
 */
export function mapForIngestion(
  objectType: ObjectTypeRecord,
  records: Record<string, unknown>[],
  onRejected?: PutObjectsOptions['onRejected'],
): MappedBatch {
  const mapper = ingestionMapper(objectType);
  const batch: MappedBatch['batch'] = [];
  records.forEach((record, index) => {
    const mapping = mapper.map(record);
    if (mapping.ok) batch.push(mapping.item);
    else if (onRejected) onRejected(index, mapping.message);
    else throw new BadRequestException(mapping.message);
  });
  return { type: mapper.type, batch };
}

/**
 * Ingests records of one object type: the path shared by PutProfileObject and the workflow engine.
 *
 * Runs on the store it is given and opens no transaction of its own: the caller's transaction makes
 * the batch atomic (the engine commits it with the step's cursor). Built for batches of hundreds: the
 * mapping is pure, then lookups for the whole batch at once (stored objects, the key index by key name,
 * the profiles to update) and three multi-row writes (profiles, keys, objects), whatever its size.
 *
 * Semantics (Customer Profiles admin guide, model documentation; [I] where they are silent):
 * - the UNIQUE key identifies the object: a record seen again replaces its object, unless the object
 *   type has a SourceLastUpdatedTimestampFormat and the stored object's source time is newer;
 * - PROFILE (then SECONDARY) keys find the profile: within a tier the first key, in Keys order, whose
 *   value leads to exactly one profile decides; a value shared by several profiles is no match ("the
 *   match is rejected", admin guide). When two keys lead to two different profiles the earlier key wins
 *   and the object's other key values are still added to the winner's index [I: the admin guide's
 *   flowchart persists every key that is not LOOKUP_ONLY/NEW_ONLY; the shared value then stops
 *   matching either profile]. A key named `_profileId` finds the profile of that ProfileId (so do
 *   keys named after the standard search keys `_email`, `_phone`, `_account`, `_fullName`, which find
 *   the entries every profile has for its standard attributes, CreateProfile's included);
 *   otherwise an object seen before stays on its profile;
 * - otherwise a profile is created (32 hex characters). With AllowProfileCreation it takes the record's
 *   `_profile.…` values; without (or when there are none) it is an inferred profile holding only the
 *   first EMAIL_ADDRESS and PHONE_NUMBER values ("Inferred profiles", admin guide; the model's
 *   PutProfileObject documentation). An object always belongs to a profile:
 *   ListProfileObjects and DeleteProfileObject address objects through their profile [I];
 * - `_profile.…` values of later records update the profile they land on, ranked by SourcePriority;
 * - key values are added to the profile's key index (LOOKUP_ONLY never; NEW_ONLY only on creation),
 *   and so are the standard search keys of the profile's new standard attribute values (the admin
 *   guide's "standard profile object is indexed by" _email, _phone, _account, _fullName).
 * Records later in a batch see the effects of earlier ones, exactly as if they had come one by one.
 */
export async function putProfileObjects(
  store: Store,
  scope: Scope,
  domainName: string,
  objectType: ObjectTypeRecord,
  records: Record<string, unknown>[],
  now: number,
  options: PutObjectsOptions = {},
): Promise<PutObjectResult[]> {
  // 1. Map every record (pure). A rejection throws before any write, unless the caller collects them.
  return putMappedObjects(store, scope, domainName, mapForIngestion(objectType, records, options.onRejected), now, options);
}

/** putProfileObjects from step 2 on, for records mapped beforehand (mapForIngestion, ingestionMapper). */
export async function putMappedObjects(
  store: Store,
  scope: Scope,
  domainName: string,
  { type, batch }: MappedBatch,
  now: number,
  options: Pick<PutObjectsOptions, 'source'> = {},
): Promise<PutObjectResult[]> {
  if (batch.length === 0) return [];

  // 2. Look up, for the whole batch at once, the objects stored already and the profiles the keys lead
  // to, and hold those profiles (lookUpAndHold). The domain's ingestions look up and create one at a
  // time (serializeIngestion): two batches each finding a new customer missing made two profiles of it,
  // and a value two profiles hold matches neither, so every later record of the customer made another.
  await store.profiles.serializeIngestion(scope, domainName);
  const { objects, index, complete } = await lookUpAndHold(store, scope, domainName, type.objectTypeName, batch.map((b) => b.mapped));
  const profilesFor = (name: string, value: string) => index.get(name, value) ?? [];
  // An object the look-up did not find is stored nowhere: objects are inserted only here, holding the
  // domain's ingestion lock taken above (serializeIngestion, on backends with concurrent writers). Not
  // when a profile found went away meanwhile: its objects were left out of what was found, not out of
  // the table.
  const found = new Set(objects.keys());
  const storedBefore = complete ? found : undefined;

  // 3. Decide, record by record, which profile each object lands on.
  const newProfileId = profileIdPool(batch.length);
  const results: PutObjectResult[] = [];
  const newProfiles = new Map<string, ProfileRecord>();
  // Each entry once: `index` holds every (key, profile) pair stored or added, so it is the only check.
  const newKeys: ProfileKey[] = [];
  // Every version, in order: an object twice in the batch is written once, its earlier version's INGESTED
  // record kept in the history (ProfileChanges.putObjects).
  const writes: ProfileObjectRecord[] = [];
  const profileWork: { profileId: string; mapped: MappedRecord; createdHere: boolean }[] = [];
  // The index entries an object leaves behind when it moves to another profile or comes back with other
  // key values: they stay in the index (keys are never taken back by ingestion), so the profile keeps
  // them as extra keys, where DeleteProfile and MergeProfiles find them.
  const leftBehind: ProfileKey[] = [];
  for (const { mapped, object } of batch) {
    const before = objects.get(mapped.uniqueKey);
    if (before && isStale(mapped.sourceUpdatedAt, before.sourceUpdatedAt)) {
      results.push({ uniqueKey: mapped.uniqueKey, profileId: before.profileId, created: false });
      continue;
    }
    let profileId = chooseProfile(mapped.keys, profilesFor) ?? before?.profileId;
    const createdHere = profileId === undefined;
    if (profileId === undefined) {
      profileId = newProfileId();
      newProfiles.set(profileId, {
        profileId,
        attributes: {},
        attributeSources: {},
        inferred: true,
        createdAt: now,
        updatedAt: now,
      });
    }
    for (const k of keysToPersist(mapped.keys, createdHere)) {
      if (index.add(k.name, k.value, profileId)) newKeys.push({ keyName: k.name, keyValue: k.value, profileId });
    }
    if (before?.keyValues) {
      for (const [keyName, keyValue] of Object.entries(before.keyValues)) {
        if (before.profileId !== profileId || mapped.keyValues[keyName] !== keyValue) {
          leftBehind.push({ keyName, keyValue, profileId: before.profileId });
        }
      }
    }
    writes.push({
      objectTypeName: type.objectTypeName,
      uniqueKey: mapped.uniqueKey,
      profileId,
      object,
      keyValues: mapped.keyValues,
      sourceUpdatedAt: mapped.sourceUpdatedAt,
      sizeBytes: Buffer.byteLength(object, 'utf8'),
      createdAt: now,
      updatedAt: now,
    });
    objects.set(mapped.uniqueKey, { profileId, sourceUpdatedAt: mapped.sourceUpdatedAt, keyValues: mapped.keyValues });
    profileWork.push({ profileId, mapped, createdHere });
    results.push({ uniqueKey: mapped.uniqueKey, profileId, created: before === undefined });
  }

  // 4. Apply the records' values to their profiles, loading only the existing profiles that get some.
  const toLoad = new Set<string>();
  for (const w of profileWork) {
    if (!newProfiles.has(w.profileId) && w.mapped.profileValues.length > 0) toLoad.add(w.profileId);
  }
  const profiles = new Map<string, ProfileRecord>(newProfiles);
  const standardBefore = new ProfilesByKey();
  // The attributes as they were, so that only a visible change is an UPDATED history record (a source
  // taking over an equal value changes the stored sources alone).
  const attributesBefore = new Map<string, string>();
  // Locked until the page commits (no-key-update): another writer's change to one of them is either
  // already committed and read here, or waits for this page and is then made to what it wrote. A read
  // without the lock was rewritten over a change committed between this read and this page's write.
  const loaded = await store.profiles.getMany(scope, domainName, [...toLoad], 'no-key-update');
  for (const p of loaded) {
    profiles.set(p.profileId, p);
    attributesBefore.set(p.profileId, JSON.stringify(p.attributes));
    for (const k of standardProfileKeys(p.attributes)) standardBefore.add(k.keyName, k.keyValue, p.profileId);
  }
  const dirty = new Set<string>(newProfiles.keys());
  const origin = { objectTypeName: type.objectTypeName, sourcePriority: type.sourcePriority };
  for (const { profileId, mapped, createdHere } of profileWork) {
    const profile = profiles.get(profileId);
    if (!profile) continue; // a stored profile the record gives no values: not loaded (toLoad), nothing to apply
    if (createdHere && !(type.allowProfileCreation && mapped.profileValues.length > 0)) {
      applyProfileValues(profile, mapped.contactValues, origin);
      continue;
    }
    if (mapped.profileValues.length === 0) continue;
    if (applyProfileValues(profile, mapped.profileValues, origin) || profile.inferred) {
      profile.inferred = false;
      profile.updatedAt = now;
      dirty.add(profileId);
    }
  }

  // The standard search keys of the values the batch gave its profiles. One more index row per new
  // profile at most per standard key (usually _fullName alone: a type's own `_email` key value is the
  // same row); existing profiles only for values they did not have.
  for (const profileId of dirty) {
    for (const k of standardProfileKeys((profiles.get(profileId) as ProfileRecord).attributes)) {
      if (standardBefore.get(k.keyName, k.keyValue)?.includes(profileId)) continue;
      if (index.add(k.keyName, k.keyValue, profileId)) newKeys.push({ keyName: k.keyName, keyValue: k.keyValue, profileId });
    }
  }

  // 5. Write the batch through the one module that changes profiles: one multi-row statement per table
  // (per 1,000 rows), history records included.
  const changes = new ProfileChanges(store, scope, domainName, now, options.source ?? { kind: 'workflow' });
  // History in the order things happened: profiles created, objects ingested, profiles they updated.
  for (const id of newProfiles.keys()) changes.saveProfile(profiles.get(id) as ProfileRecord, 'CREATED');
  changes.holding(loaded.map((p) => p.profileId));
  changes.putObjects(writes, {
    isFresh: (o) => storedBefore !== undefined && !storedBefore.has(o.uniqueKey),
    // Found by the look-up: no insert is tried first (the replacement inserts one deleted since).
    isStored: (o) => found.has(o.uniqueKey),
  });
  for (const id of dirty) {
    if (newProfiles.has(id)) continue;
    const profile = profiles.get(id) as ProfileRecord;
    changes.saveProfile(profile, JSON.stringify(profile.attributes) !== attributesBefore.get(id) ? 'UPDATED' : undefined);
  }
  changes.addKeys(newKeys);
  changes.addExtraKeys(leftBehind);
  await changes.commit();
  return results;
}

type StoredObjects = Map<string, { profileId: string; sourceUpdatedAt?: number; keyValues?: Record<string, string> }>;

/** How many times a batch looks up again after profiles it found were deleted or merged meanwhile. */
const MAX_LOOKUPS = 5;

/**
 * The stored objects of the batch's unique keys and the profiles its keys lead to, every such profile
 * held until the transaction ends (ProfileRepository.holdExisting). A DeleteProfile or MergeProfiles of
 * one of them then either waits for this batch, and deletes or moves the objects it lands there with
 * their history, or committed before the hold: the profile is gone, and what was read before it went
 * is stale (a merge moved its objects and index entries to the main profile). Then the batch looks up
 * again, those profiles forgotten, until every profile it found is held; a profile still named after
 * that (an index entry it left behind) is no match, and an object on it is new. `complete`: no profile
 * found went away, so what was found is every stored object of the batch's unique keys.
 */
async function lookUpAndHold(
  store: Store,
  scope: Scope,
  domainName: string,
  objectTypeName: string,
  batch: readonly MappedRecord[],
): Promise<{ objects: StoredObjects; index: ProfilesByKey; complete: boolean }> {
  const gone = new Set<string>();
  for (let lookups = 1; ; lookups++) {
    const found = withoutGone(await lookUp(store, scope, domainName, objectTypeName, batch), gone);
    const candidates = new Set<string>();
    for (const id of found.index.profileIds()) candidates.add(id);
    for (const o of found.objects.values()) candidates.add(o.profileId);
    if (candidates.size === 0) return { ...found, complete: gone.size === 0 };
    const held = await store.profiles.holdExisting(scope, domainName, [...candidates]);
    if (held.size === candidates.size) return { ...found, complete: gone.size === 0 };
    for (const id of candidates) if (!held.has(id)) gone.add(id);
    if (lookups === MAX_LOOKUPS) return { ...withoutGone(found, gone), complete: false };
  }
}

/** What was found, without what names a profile in `gone`. */
function withoutGone(found: { objects: StoredObjects; index: ProfilesByKey }, gone: ReadonlySet<string>) {
  if (gone.size === 0) return found;
  found.index.forget(gone);
  for (const [uniqueKey, o] of found.objects) if (gone.has(o.profileId)) found.objects.delete(uniqueKey);
  return found;
}

async function lookUp(
  store: Store,
  scope: Scope,
  domainName: string,
  objectTypeName: string,
  batch: readonly MappedRecord[],
): Promise<{ objects: StoredObjects; index: ProfilesByKey }> {
  const stored = await store.profileObjects.findExisting(scope, domainName, objectTypeName, batch.map((m) => m.uniqueKey));
  const objects: StoredObjects = new Map(
    stored.map((o) => [o.uniqueKey, { profileId: o.profileId, sourceUpdatedAt: o.sourceUpdatedAt, keyValues: o.keyValues }]),
  );
  // Repeats included: findByKeys looks each (name, value) up once.
  const matchKeys: { keyName: string; keyValue: string }[] = [];
  const profileIdValues = new Set<string>();
  for (const mapped of batch) {
    for (const k of mapped.keys) {
      if (k.match === 'none') continue;
      if (k.name === PROFILE_ID_KEY) profileIdValues.add(k.value);
      else matchKeys.push({ keyName: k.name, keyValue: k.value });
    }
  }
  const index = new ProfilesByKey();
  if (profileIdValues.size > 0) {
    for (const p of await store.profiles.getMany(scope, domainName, [...profileIdValues])) index.add(PROFILE_ID_KEY, p.profileId, p.profileId);
  }
  for (const k of await store.profiles.findByKeys(scope, domainName, matchKeys)) index.add(k.keyName, k.keyValue, k.profileId);
  return { objects, index };
}

/**
 * The record as it is stored. Records from a source's API were never bounded as request bodies are:
 * one nested deeper than MAX_JSON_DEPTH is rejected here, before JSON.stringify's recursion could
 * exhaust the stack on it, and one longer than PutProfileObject accepts is rejected as that call would.
 */
function storedText(record: Record<string, unknown>): { ok: true; text: string } | { ok: false; message: string } {
  let text: string;
  try {
    text = JSON.stringify(record);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // The other RangeError is a text longer than a string can hold, far past what an object may be.
    if (!/call stack/i.test(err.message)) return { ok: false, message: `The object is too large to be written as JSON: at most ${MAX_PROFILE_OBJECT_CHARACTERS} characters are accepted.` };
    return { ok: false, message: `The object nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects: at most ${MAX_JSON_DEPTH} are accepted.` };
  }
  if (text.length > MAX_PROFILE_OBJECT_CHARACTERS) {
    const length = characterCount(text);
    if (length > MAX_PROFILE_OBJECT_CHARACTERS) return { ok: false, message: `The object is ${length} characters long as JSON: at most ${MAX_PROFILE_OBJECT_CHARACTERS} are accepted.` };
  }
  const tooDeep = jsonDepthProblem(text, 'the object');
  return tooDeep ? { ok: false, message: tooDeep } : { ok: true, text };
}
