import type { ListIntegrationsRequest, ListIntegrationsResponse } from '../api/shapes.generated.js';
import { integrationArn } from '../domain/arns.js';
import { paginate } from './paginate.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { integrationOutput } from './profile-common.js';

/**
 * The domain's integrations, ordered by Uri. Hidden ones (made for internal use, never by PutIntegration)
 * only with IncludeHidden, which "Defaults to False" (model).
 */
export const listIntegrations: Handler<ListIntegrationsRequest, ListIntegrationsResponse> = async (ctx, input) => {
  await requireDomain(ctx, input.DomainName);
  const includeHidden = input.IncludeHidden === true;
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListIntegrations', ctx.scope, input.DomainName, includeHidden],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: (after: string | undefined, limit) =>
      ctx.store.integrations.list(ctx.scope, input.DomainName, after, limit, includeHidden),
    keyOf: (i) => i.uri,
  });
  const items = await Promise.all(
    page.items.map(async (i) =>
      integrationOutput(
        input.DomainName,
        i,
        await ctx.store.tags.get(ctx.scope, integrationArn(ctx.scope, input.DomainName, i.uri)),
      ),
    ),
  );
  return { Items: items, NextToken: page.nextToken };
};
