import { setImmediate as nextTurn } from 'node:timers/promises';
import { scrubObjectType } from '../domain/object-type-mapping/index.js';
import type { Scope } from '../domain/scope.js';
import type { ObjectTypePurge } from '../store/profile-types.js';
import type { Store } from '../store/types.js';
import { ProfileChanges } from './profile-changes.js';

/**
 * Objects a part removes, and profiles whose sources a part looks at, each part in a transaction of its
 * own: DeleteProfileObjectType did it all in one, and a type of 100,000 objects held SQLite's only thread
 * 19 s and took 256 MB more memory, all its keys read at once. A profile's scrub costs more than an
 * object's removal (an UPDATED record, its standard keys followed), hence fewer a part: at 100,000
 * profiles on SQLite, 500 a part held the thread up to 0.73 s, 100 up to 0.18 s.
 */
const OBJECTS_PER_PART = 500;
const PROFILES_PER_PART = 100;

/** While another runner's part holds the purge: how long to wait before looking again. */
const HELD_RETRY_MS = 50;

/**
 * The one purge path of deleted object types (DeleteProfileObjectType leaves it), run by
 * DeleteProfileObjectType for its own type for up to a second (a type of a thousand objects or so is
 * gone before it answers), by PutProfileObjectType for a name still being purged, and by the engine's
 * reaper for the rest. What a part does is what the deletion did in one transaction, for some of the objects: the
 * profiles keep the objects' key index entries (as extra keys) and their history the objects' last text,
 * then the objects go; once none is left, the profiles' attributes that came from the type are scrubbed,
 * an UPDATED change each. Each part locks the purge's row (PostgreSQL) and saves where it stopped, so
 * any process goes on from there, and a DeleteDomain waits for the part in flight.
 */
export async function purgeDeletedObjectTypes(
  store: Store,
  now: () => number,
  options: { only?: { scope: Scope; domainName: string; objectTypeName: string }; until?: number } = {},
): Promise<'done' | 'pending'> {
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const { only } = options;
  const nextPurge = () => (only ? store.objectTypePurges.of(only.scope, only.domainName, only.objectTypeName) : store.objectTypePurges.oldest());
  for (;;) {
    const next = await nextPurge();
    if (!next) return 'done';
    const outcome = await store.transaction((tx) => purgePart(tx, next, now()));
    if (outcome === 'done' && only) return 'done';
    if (performance.now() >= until) return (await nextPurge()) ? 'pending' : 'done';
    if (outcome === 'held') await new Promise((resolve) => setTimeout(resolve, HELD_RETRY_MS));
    else await nextTurn();
  }
}

async function purgePart(store: Store, seen: ObjectTypePurge, now: number): Promise<'more' | 'done' | 'held'> {
  const { scope, domainName, objectTypeName } = seen;
  // Read again under its lock: another runner may have moved it on, or finished it, meanwhile, or hold it.
  const purge = await store.objectTypePurges.of(scope, domainName, objectTypeName, true);
  if (!purge) return (await store.objectTypePurges.of(scope, domainName, objectTypeName)) ? 'held' : 'done';
  if (!purge.objectsDone) {
    const page = await store.profileObjects.keysOfObjectType(scope, domainName, objectTypeName, purge.objectsAfter ?? undefined, OBJECTS_PER_PART);
    if (page.uniqueKeys.length > 0) {
      const kept = new ProfileChanges(store, scope, domainName, now, { kind: 'api' });
      kept.addExtraKeys(page.keys);
      await kept.commit();
      await store.profileHistory.keepIngestedRecords(scope, domainName, { objectTypeName, uniqueKeys: page.uniqueKeys });
      await store.profileObjects.deleteByObjectType(scope, domainName, objectTypeName, page.uniqueKeys);
    }
    const objectsAfter = page.uniqueKeys.length > 0 ? page.uniqueKeys[page.uniqueKeys.length - 1] : purge.objectsAfter;
    await store.objectTypePurges.save({ ...purge, objectsAfter, objectsDone: page.uniqueKeys.length < OBJECTS_PER_PART });
    return 'more';
  }
  // Each profile is read locked (no-key-update, in id order) and rewritten scrubbed: a writer already at
  // one of them (an ingestion of another type, an UpdateProfile) is waited for and its change scrubbed
  // along, where reading without the lock wrote the copy from before back over it.
  const page = await store.profiles.listSourcedFrom(scope, domainName, objectTypeName, purge.profilesAfter ?? undefined, PROFILES_PER_PART, 'no-key-update');
  const changes = new ProfileChanges(store, scope, domainName, now, { kind: 'api' });
  for (const profile of page.profiles) {
    const before = structuredClone(profile.attributes);
    if (!scrubObjectType(profile, objectTypeName)) continue;
    changes.saveProfile({ ...profile, updatedAt: Math.max(now, profile.createdAt) }, 'UPDATED');
    changes.followStandardKeys(profile.profileId, before, profile.attributes);
  }
  await changes.commit();
  if (page.scannedTo === undefined) {
    await store.objectTypePurges.finish(purge);
    return 'done';
  }
  await store.objectTypePurges.save({ ...purge, profilesAfter: page.scannedTo });
  return 'more';
}
