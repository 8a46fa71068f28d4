/**
 * What a profile's history says about the profile itself, shared by the code that writes the records
 * (ingest/profile-changes.ts) and the store, which answers a profile's CREATED record from the profile's
 * row until the profile first changes (migration 015).
 */

/** ObjectTypeName of the history records about the profile itself [I: the standard profile's type name]. */
export const PROFILE_RECORD_TYPE = '_profile';

/** The profile as history Content and the API show it: the model's Profile. */
export function profileContent(profileId: string, attributes: Record<string, unknown>): string {
  return JSON.stringify({ ProfileId: profileId, ...attributes });
}
