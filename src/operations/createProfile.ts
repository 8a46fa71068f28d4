import { newProfileId } from '../domain/ids.js';
import type { CreateProfileRequest, CreateProfileResponse } from '../api/shapes.generated.js';
import { ProfileChanges } from '../ingest/profile-changes.js';
import type { ProfileRecord } from '../store/types.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { profileAttributesOf } from './profile-common.js';

/**
 * Creates a standard profile from the request's members (everything but DomainName, as the model's
 * Profile spells them) and answers its ProfileId (32 lowercase hex, the model's `uuid`).
 *
 * The profile is indexed under the standard search keys of its attributes (admin guide, Standard profile
 * definition: _email, _phone, _account, _fullName; _profileId is its id), in the same transaction, so
 * SearchProfiles finds it at once and objects whose PROFILE keys carry those key names (an object type
 * key named `_email`, say) land on it rather than on a new profile [I: the admin guide's mapping examples
 * name their keys after the standard index].
 */
export const createProfile: Handler<CreateProfileRequest, CreateProfileResponse> = async (ctx, input) => {
  const { DomainName, ...members } = input;
  const now = ctx.clock.now();
  const profile: ProfileRecord = {
    profileId: newProfileId(),
    attributes: profileAttributesOf(members as Record<string, unknown>),
    attributeSources: {},
    inferred: false,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.transaction(async (store) => {
    const domain = await requireDomain({ ...ctx, store }, DomainName);
    const changes = new ProfileChanges(store, ctx.scope, DomainName, now, { kind: 'api' }, domain.defaultExpirationDays);
    changes.saveProfile(profile, 'CREATED');
    changes.followStandardKeys(profile.profileId, {}, profile.attributes);
    await changes.commit();
  });
  return { ProfileId: profile.profileId };
};
