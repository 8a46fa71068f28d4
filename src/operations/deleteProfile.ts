import type { DeleteProfileRequest, DeleteProfileResponse } from '../api/shapes.generated.js';
import { keysOfProfiles, ProfileChanges } from '../ingest/profile-changes.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireProfile } from './profile-common.js';

/**
 * Removes a profile with its objects and every index entry it holds, so that neither SearchProfiles nor
 * an object's keys find it again; GetDomain's Stats drop by the profile, its objects and their sizes.
 * Its history stays (with a DELETED_BY_CUSTOMER record) until the domain's expiration days pass.
 */
export const deleteProfile: Handler<DeleteProfileRequest, DeleteProfileResponse> = async (ctx, input) => {
  const now = ctx.clock.now();
  await ctx.store.transaction(async (store) => {
    const domain = await requireDomain({ ...ctx, store }, input.DomainName);
    // Locked: an ingestion landing objects on the profile (which holds it, ProfileRepository.holdExisting)
    // either commits first, and its objects are deleted here with their history, or finds it gone.
    const profile = await requireProfile(ctx, input.DomainName, input.ProfileId, store, 'update');
    const { keys } = await keysOfProfiles(store, ctx.scope, input.DomainName, [profile]);
    const changes = new ProfileChanges(store, ctx.scope, input.DomainName, now, { kind: 'api' }, domain.defaultExpirationDays);
    changes.removeKeys(keys);
    changes.deleteProfiles([profile.profileId], 'DELETED_BY_CUSTOMER');
    await changes.commit();
  });
  return { Message: `Profile ${input.ProfileId} was deleted from domain ${input.DomainName}.` };
};
