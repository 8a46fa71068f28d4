import type { StructureShape } from '../api/model-types.js';
import { shapeOf } from '../api/service.js';
import type { UpdateProfileRequest, UpdateProfileResponse } from '../api/shapes.generated.js';
import { getOwn, setOwn } from '../domain/own-properties.js';
import { ProfileChanges } from '../ingest/profile-changes.js';
import type { AttributeSource, ProfileRecord } from '../store/types.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireProfile } from './profile-common.js';

/** The members of UpdateProfileRequest that are profile attributes (all but DomainName and ProfileId). */
const MEMBERS = Object.entries((shapeOf('UpdateProfileRequest') as StructureShape).members)
  .filter(([name]) => name !== 'DomainName' && name !== 'ProfileId')
  .map(([name, ref]) => ({ name, shape: ref.shape }));

/**
 * Changes a profile's attributes: "specifying an empty string value means that any existing value will
 * be removed. Not specifying a string value means that any value already there will be kept" (model).
 * The addresses (UpdateAddress) and Attributes merge member by member the same way; an address or
 * Attributes left empty is removed. EngagementPreferences, a structure of lists, is replaced when given.
 * A value the API sets or removes is the API's: its object-type source is forgotten, so SourcePriority
 * no longer protects it [I]. The standard search keys follow the new values (the index entries of
 * values the profile no longer has go, those of its new values come), all through ProfileChanges.
 */
export const updateProfile: Handler<UpdateProfileRequest, UpdateProfileResponse> = async (ctx, input) => {
  const now = ctx.clock.now();
  await ctx.store.transaction(async (store) => {
    const domain = await requireDomain({ ...ctx, store }, input.DomainName);
    // Locked: a DeleteProfile or MergeProfiles of it, or another UpdateProfile, finishes first and this
    // sees what it left (a deleted profile is not written back), or waits for this one.
    const before = await requireProfile(ctx, input.DomainName, input.ProfileId, store, 'update');
    const updated: ProfileRecord = {
      ...before,
      attributes: structuredClone(before.attributes),
      attributeSources: { ...before.attributeSources },
      inferred: false,
      updatedAt: Math.max(now, before.createdAt),
    };
    applyUpdate(updated, input as unknown as Record<string, unknown>);
    const changes = new ProfileChanges(store, ctx.scope, input.DomainName, now, { kind: 'api' }, domain.defaultExpirationDays);
    changes.saveProfile(updated, 'UPDATED');
    changes.followStandardKeys(updated.profileId, before.attributes, updated.attributes);
    await changes.commit();
  });
  return { ProfileId: input.ProfileId };
};

function applyUpdate(profile: ProfileRecord, input: Record<string, unknown>): void {
  const attrs = profile.attributes;
  const sources = profile.attributeSources as Record<string, AttributeSource>;
  const forget = (path: string) => delete sources[path];
  for (const { name, shape } of MEMBERS) {
    const value = getOwn(input, name);
    if (value === undefined || value === null) continue;
    if (shape === 'UpdateAddress' || shape === 'UpdateAttributes') {
      const current: Record<string, unknown> = {};
      for (const [field, v] of Object.entries((getOwn(attrs, name) as Record<string, unknown> | undefined) ?? {})) setOwn(current, field, v);
      for (const [field, v] of Object.entries(value as Record<string, string>)) {
        forget(`${name}.${field}`);
        if (v === '') delete current[field];
        else setOwn(current, field, v);
      }
      if (Object.keys(current).length > 0) attrs[name] = current;
      else delete attrs[name];
      continue;
    }
    forget(name);
    // An empty string, or a structure given empty (EngagementPreferences: {}), leaves nothing to keep.
    const empty = value === '' || (typeof value === 'object' && Object.keys(value as object).length === 0);
    if (empty) delete attrs[name];
    else attrs[name] = structuredClone(value);
  }
}
