import { ResourceNotFoundException } from '../api/errors.js';
import type { ActionType, GetProfileHistoryRecordRequest, GetProfileHistoryRecordResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { historyCutoff } from './profile-common.js';

/**
 * One history record with its Content: the profile (or, for INGESTED, the object; for a key change,
 * the key and values) as it was right after the change. An expired record answers as a missing one.
 */
export const getProfileHistoryRecord: Handler<GetProfileHistoryRecordRequest, GetProfileHistoryRecordResponse> = async (ctx, input) => {
  const domain = await requireDomain(ctx, input.DomainName);
  const r = await ctx.store.profileHistory.get(ctx.scope, input.DomainName, input.ProfileId, input.Id);
  if (!r || r.createdAt < historyCutoff(domain, ctx.clock.now())) {
    throw new ResourceNotFoundException(
      `History record ${input.Id} of profile ${input.ProfileId} was not found in domain ${input.DomainName}.`,
    );
  }
  return {
    Id: r.recordId,
    ObjectTypeName: r.objectTypeName,
    CreatedAt: new Date(r.createdAt),
    LastUpdatedAt: new Date(r.updatedAt),
    ActionType: r.actionType as ActionType,
    ProfileObjectUniqueKey: r.uniqueKey,
    Content: r.content,
    PerformedBy: r.performedBy,
  };
};
