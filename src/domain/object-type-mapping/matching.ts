import type { MappedKey } from './map-record.js';

// Matching.

/** The key whose values are profile ids: it finds a profile by its ProfileId (admin guide) and is never indexed. */
export const PROFILE_ID_KEY = '_profileId';

/**
 * The profile an object belongs to: primary keys first, then SECONDARY ones; the first key whose value
 * leads to exactly one profile decides. A value shared by several profiles is no match for that key
 * ("If more than one profile is found when searching for this key, the match is rejected", admin
 * guide). Undefined when nothing matches.
 */
export function chooseProfile(
  keys: readonly MappedKey[],
  profilesFor: (keyName: string, keyValue: string) => readonly string[],
): string | undefined {
  for (const tier of ['primary', 'secondary'] as const) {
    for (const key of keys) {
      if (key.match !== tier) continue;
      const found = profilesFor(key.name, key.value);
      if (found.length === 1) return found[0];
    }
  }
  return undefined;
}

/**
 * The keys to add to the profile's index (admin guide flowchart: LOOKUP_ONLY never, NEW_ONLY only on
 * creation). `_profileId` values are the profile's own id: found through the profile, never indexed.
 */
export function keysToPersist(keys: readonly MappedKey[], profileCreated: boolean): MappedKey[] {
  return keys.filter(
    (k) => k.name !== PROFILE_ID_KEY && (k.persist === 'always' || (k.persist === 'new-only' && profileCreated)),
  );
}
