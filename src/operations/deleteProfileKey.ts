import type { DeleteProfileKeyRequest, DeleteProfileKeyResponse } from '../api/shapes.generated.js';
import { ProfileChanges } from '../ingest/profile-changes.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { profileKeyValues, requireProfile } from './profile-common.js';

/**
 * "Removes a searchable key from a customer profile" (model): the profile's index entries for KeyName
 * with those values go, whichever source gave them (AddProfileKey, an object, a standard attribute),
 * so SearchProfiles no longer finds it by them. Objects and attributes are left as they are; a later
 * object or UpdateProfile carrying the value indexes it again [I]. Values the profile does not hold are
 * ignored.
 */
export const deleteProfileKey: Handler<DeleteProfileKeyRequest, DeleteProfileKeyResponse> = async (ctx, input) => {
  const now = ctx.clock.now();
  await ctx.store.transaction(async (store) => {
    const domain = await requireDomain({ ...ctx, store }, input.DomainName);
    const values = await profileKeyValues(ctx, store, input.DomainName, input.KeyName, input.Values);
    await requireProfile(ctx, input.DomainName, input.ProfileId, store);
    const keys = values.map((keyValue) => ({ keyName: input.KeyName, keyValue, profileId: input.ProfileId }));
    const changes = new ProfileChanges(store, ctx.scope, input.DomainName, now, { kind: 'api' }, domain.defaultExpirationDays);
    changes.removeKeys(keys);
    changes.removeExtraKeys(keys);
    changes.record(input.ProfileId, 'DELETED_PROFILE_KEY', { content: JSON.stringify({ KeyName: input.KeyName, Values: values }) });
    await changes.commit();
  });
  return { Message: `Key ${input.KeyName} was removed from profile ${input.ProfileId} for ${input.Values.length} value(s).` };
};
