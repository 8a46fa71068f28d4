import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteProfileObjectTypeRequest, DeleteProfileObjectTypeResponse } from '../api/shapes.generated.js';
import { purgeDeletedObjectTypes } from '../ingest/object-type-purge.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';

/** How long DeleteProfileObjectType removes its type's objects before it answers; the engine's reaper does the rest. */
const PURGE_IN_REQUEST_MS = 1_000;

/**
 * "Removes a ProfileObjectType from a specific domain as well as removes all the ProfileObjects of that
 * type. It also disables integrations from this specific ProfileObjectType. In addition, it scrubs all
 * of the fields of the standard profile that were populated from this ProfileObjectType" (model).
 * The type and the integrations that ingest into it go in one transaction, with the purge of its objects
 * recorded there; the objects go and the profiles are scrubbed a part at a time after it
 * (ingest/object-type-purge.ts), for up to a second before the answer: a type of a thousand objects on
 * PostgreSQL, a few thousand on SQLite, is gone by then.
 * Profiles and their keys stay.
 */
export const deleteProfileObjectType: Handler<DeleteProfileObjectTypeRequest, DeleteProfileObjectTypeResponse> = async (
  ctx,
  input,
) => {
  const { DomainName: domainName, ObjectTypeName: name } = input;
  const counts = await ctx.store.transaction(async (store) => {
    await requireDomain({ ...ctx, store }, domainName);
    if (!(await store.objectTypes.delete(ctx.scope, domainName, name))) {
      throw new ResourceNotFoundException(`Object type ${name} was not found in domain ${domainName}.`);
    }
    const objects = await store.profileObjects.countOfObjectType(ctx.scope, domainName, name);
    const integrations = await store.integrations.deleteByObjectType(ctx.scope, domainName, name);
    await store.objectTypePurges.record(ctx.scope, domainName, name, ctx.clock.now());
    return { objects, integrations: integrations.length };
  });
  // A failure here loses nothing: the purge is recorded and the engine's reaper finishes it.
  await purgeDeletedObjectTypes(ctx.store, () => ctx.clock.now(), {
    only: { scope: ctx.scope, domainName, objectTypeName: name },
    until: performance.now() + PURGE_IN_REQUEST_MS,
  }).catch(() => undefined);
  return {
    Message:
      `Object type ${name} was deleted from domain ${domainName}, with ${counts.objects} ` +
      `object${counts.objects === 1 ? '' : 's'} and ${counts.integrations} integration${counts.integrations === 1 ? '' : 's'}.`,
  };
};
