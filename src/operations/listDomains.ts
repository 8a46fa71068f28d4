import type { ListDomainsRequest, ListDomainsResponse } from '../api/shapes.generated.js';
import { domainArn } from '../domain/arns.js';
import { paginate } from './paginate.js';
import type { Handler } from './context.js';

/**
 * Ordered by domain name. The token is bound to the account and region, not to the access key: any
 * credentials of the same account may continue a walk.
 */
export const listDomains: Handler<ListDomainsRequest, ListDomainsResponse> = async (ctx, input) => {
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListDomains', ctx.scope],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: (after: string | undefined, limit) => ctx.store.domains.list(ctx.scope, after, limit),
    keyOf: (d) => d.domainName,
  });
  const items = await Promise.all(
    page.items.map(async (d) => {
      const tags = await ctx.store.tags.get(ctx.scope, domainArn(ctx.scope, d.domainName));
      return {
        DomainName: d.domainName,
        CreatedAt: new Date(d.createdAt),
        LastUpdatedAt: new Date(d.updatedAt),
        Tags: Object.keys(tags).length > 0 ? tags : undefined,
      };
    }),
  );
  return { Items: items, NextToken: page.nextToken };
};
