import { ResourceNotFoundException } from '../api/errors.js';
import type { ListProfileHistoryRecordsRequest, ListProfileHistoryRecordsResponse } from '../api/shapes.generated.js';
import { paginate } from './paginate.js';
import type { ProfileHistoryEntry } from '../store/types.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { historyCutoff } from './profile-common.js';

/**
 * One profile's history, in the order the changes were made, narrowed by ObjectTypeName, ActionType and
 * PerformedBy when given. A deleted or merged-away profile keeps its history (its last record says how
 * it went) until the domain's DefaultExpirationDays pass; records older than that are never answered.
 * A profile with neither a row nor a record is a 404.
 */
export const listProfileHistoryRecords: Handler<ListProfileHistoryRecordsRequest, ListProfileHistoryRecordsResponse> = async (
  ctx,
  input,
) => {
  const domain = await requireDomain(ctx, input.DomainName);
  const filter = {
    objectTypeName: input.ObjectTypeName,
    actionType: input.ActionType,
    performedBy: input.PerformedBy,
    notBefore: historyCutoff(domain, ctx.clock.now()),
  };
  const exists =
    (await ctx.store.profiles.get(ctx.scope, input.DomainName, input.ProfileId)) !== undefined ||
    (await ctx.store.profileHistory.list(ctx.scope, input.DomainName, input.ProfileId, { notBefore: filter.notBefore }, undefined, 1)).length > 0;
  if (!exists) throw new ResourceNotFoundException(`Profile ${input.ProfileId} was not found in domain ${input.DomainName}.`);
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListProfileHistoryRecords', ctx.scope, input.DomainName, input.ProfileId, input.ObjectTypeName ?? null, input.ActionType ?? null, input.PerformedBy ?? null],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: (after: string | undefined, limit) =>
      ctx.store.profileHistory.list(ctx.scope, input.DomainName, input.ProfileId, filter, after, limit),
    keyOf: (r: ProfileHistoryEntry) => r.recordId,
  });
  return {
    ProfileHistoryRecords: page.items.map((r) => ({
      Id: r.recordId,
      ObjectTypeName: r.objectTypeName,
      CreatedAt: new Date(r.createdAt),
      LastUpdatedAt: new Date(r.updatedAt),
      ActionType: r.actionType as NonNullable<ListProfileHistoryRecordsRequest['ActionType']>,
      ProfileObjectUniqueKey: r.uniqueKey,
      PerformedBy: r.performedBy,
    })),
    NextToken: page.nextToken,
  };
};
