import type { ListProfileObjectTypesRequest, ListProfileObjectTypesResponse } from '../api/shapes.generated.js';
import { objectTypeArn } from '../domain/arns.js';
import { paginate } from './paginate.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { maxAvailableProfileObjectCount } from './profile-common.js';

/** The domain's object types, ordered by name. */
export const listProfileObjectTypes: Handler<ListProfileObjectTypesRequest, ListProfileObjectTypesResponse> = async (
  ctx,
  input,
) => {
  await requireDomain(ctx, input.DomainName);
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListProfileObjectTypes', ctx.scope, input.DomainName],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: (after: string | undefined, limit) => ctx.store.objectTypes.list(ctx.scope, input.DomainName, after, limit),
    keyOf: (t) => t.objectTypeName,
  });
  const all = page.items.length > 0 ? await ctx.store.objectTypes.all(ctx.scope, input.DomainName) : [];
  const items = await Promise.all(
    page.items.map(async (t) => {
      const tags = await ctx.store.tags.get(ctx.scope, objectTypeArn(ctx.scope, input.DomainName, t.objectTypeName));
      return {
        ObjectTypeName: t.objectTypeName,
        Description: t.description,
        CreatedAt: new Date(t.createdAt),
        LastUpdatedAt: new Date(t.updatedAt),
        MaxProfileObjectCount: t.maxProfileObjectCount,
        MaxAvailableProfileObjectCount: maxAvailableProfileObjectCount(all, t.objectTypeName),
        SourcePriority: t.sourcePriority,
        Tags: Object.keys(tags).length > 0 ? tags : undefined,
      };
    }),
  );
  return { Items: items, NextToken: page.nextToken };
};
