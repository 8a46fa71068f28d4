import type { AddProfileKeyRequest, AddProfileKeyResponse } from '../api/shapes.generated.js';
import { ProfileChanges } from '../ingest/profile-changes.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { profileKeyValues, requireProfile } from './profile-common.js';

/**
 * "Associates a new key value with a specific profile" (model): SearchProfiles then finds the profile
 * by it, and so does an object whose PROFILE key has that name and value. KeyName is a key the domain
 * knows (a standard search key or an object type's key); values are indexed as that key normalizes
 * them. The answer echoes KeyName and Values as given.
 */
export const addProfileKey: Handler<AddProfileKeyRequest, AddProfileKeyResponse> = async (ctx, input) => {
  const now = ctx.clock.now();
  await ctx.store.transaction(async (store) => {
    const domain = await requireDomain({ ...ctx, store }, input.DomainName);
    const values = await profileKeyValues(ctx, store, input.DomainName, input.KeyName, input.Values);
    await requireProfile(ctx, input.DomainName, input.ProfileId, store);
    const keys = values.map((keyValue) => ({ keyName: input.KeyName, keyValue, profileId: input.ProfileId }));
    const changes = new ProfileChanges(store, ctx.scope, input.DomainName, now, { kind: 'api' }, domain.defaultExpirationDays);
    changes.addKeys(keys);
    changes.addExtraKeys(keys);
    changes.record(input.ProfileId, 'ADDED_PROFILE_KEY', { content: JSON.stringify({ KeyName: input.KeyName, Values: values }) });
    await changes.commit();
  });
  return { KeyName: input.KeyName, Values: input.Values };
};
