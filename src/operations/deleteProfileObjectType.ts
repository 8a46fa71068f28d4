import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteProfileObjectTypeRequest, DeleteProfileObjectTypeResponse } from '../api/shapes.generated.js';
import { scrubObjectType } from '../domain/object-type-mapping/index.js';
import { ProfileChanges } from '../ingest/profile-changes.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';

const SCRUB_PAGE = 500;

/**
 * "Removes a ProfileObjectType from a specific domain as well as removes all the ProfileObjects of that
 * type. It also disables integrations from this specific ProfileObjectType. In addition, it scrubs all
 * of the fields of the standard profile that were populated from this ProfileObjectType" (model).
 * Integrations that ingest into the type are removed with it; profiles and their keys stay. All in one
 * transaction, so a failure leaves the type as it was.
 */
export const deleteProfileObjectType: Handler<DeleteProfileObjectTypeRequest, DeleteProfileObjectTypeResponse> = async (
  ctx,
  input,
) => {
  const { DomainName: domainName, ObjectTypeName: name } = input;
  const now = ctx.clock.now();
  const counts = await ctx.store.transaction(async (store) => {
    await requireDomain({ ...ctx, store }, domainName);
    if (!(await store.objectTypes.delete(ctx.scope, domainName, name))) {
      throw new ResourceNotFoundException(`Object type ${name} was not found in domain ${domainName}.`);
    }
    // The profiles keep the index entries of the objects (as extra keys) and their history the objects'
    // last text; scrubbed attributes are an update of the profile, through ProfileChanges.
    const kept = new ProfileChanges(store, ctx.scope, domainName, now, { kind: 'api' });
    kept.addExtraKeys(await store.profileObjects.keysOfObjectType(ctx.scope, domainName, name));
    await kept.commit();
    await store.profileHistory.keepIngestedRecords(ctx.scope, domainName, { objectTypeName: name });
    const objects = await store.profileObjects.deleteByObjectType(ctx.scope, domainName, name);
    const integrations = await store.integrations.deleteByObjectType(ctx.scope, domainName, name);
    // Each page of profiles is read locked (no-key-update, in id order) and rewritten scrubbed: a writer
    // already at one of them (an ingestion of another type, an UpdateProfile) is waited for and its change
    // scrubbed along, where reading without the lock wrote the copy from before back over it.
    let after: string | undefined;
    for (;;) {
      const page = await store.profiles.listSourcedFrom(ctx.scope, domainName, name, after, SCRUB_PAGE, 'no-key-update');
      const changes = new ProfileChanges(store, ctx.scope, domainName, now, { kind: 'api' });
      for (const profile of page) {
        const before = structuredClone(profile.attributes);
        if (!scrubObjectType(profile, name)) continue;
        changes.saveProfile({ ...profile, updatedAt: Math.max(now, profile.createdAt) }, 'UPDATED');
        changes.followStandardKeys(profile.profileId, before, profile.attributes);
      }
      await changes.commit();
      if (page.length < SCRUB_PAGE) break;
      after = page[page.length - 1].profileId;
    }
    return { objects, integrations: integrations.length };
  });
  return {
    Message:
      `Object type ${name} was deleted from domain ${domainName}, with ${counts.objects} ` +
      `object${counts.objects === 1 ? '' : 's'} and ${counts.integrations} integration${counts.integrations === 1 ? '' : 's'}.`,
  };
};
