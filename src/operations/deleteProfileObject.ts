import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteProfileObjectRequest, DeleteProfileObjectResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireObjectTypeOrTemplate } from './profile-common.js';
import { ProfileChanges } from '../ingest/profile-changes.js';

/**
 * Removes one object of a profile. An object that exists but belongs to another profile answers as a
 * missing one. The profile and its keys stay.
 */
export const deleteProfileObject: Handler<DeleteProfileObjectRequest, DeleteProfileObjectResponse> = async (ctx, input) => {
  const { DomainName: domainName, ObjectTypeName: typeName, ProfileObjectUniqueKey: key, ProfileId: profileId } = input;
  await ctx.store.transaction(async (store) => {
    await requireDomain({ ...ctx, store }, domainName);
    await requireObjectTypeOrTemplate(ctx, domainName, typeName, store);
    const object = await store.profileObjects.get(ctx.scope, domainName, typeName, key);
    if (!object || object.profileId !== profileId) {
      throw new ResourceNotFoundException(
        `Profile object ${key} of type ${typeName} was not found on profile ${profileId} in domain ${domainName}.`,
      );
    }
    // Through ProfileChanges: the profile keeps the object's index entries (as extra keys, which
    // DeleteProfile and MergeProfiles find) and its history keeps the object's last text.
    const changes = new ProfileChanges(store, ctx.scope, domainName, ctx.clock.now(), { kind: 'api' });
    changes.deleteObject(object);
    await changes.commit();
  });
  return { Message: `Profile object ${key} of type ${typeName} was deleted from profile ${profileId}.` };
};
