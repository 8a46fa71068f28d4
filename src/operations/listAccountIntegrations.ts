import type { ListAccountIntegrationsRequest, ListAccountIntegrationsResponse } from '../api/shapes.generated.js';
import { integrationArn } from '../domain/arns.js';
import { paginate } from './paginate.js';
import type { Handler } from './context.js';
import { integrationOutput } from './profile-common.js';

/**
 * "Lists all of the integrations associated to a specific URI in the AWS account" (model): the
 * integration of that Uri in each of the account's domains (in the caller's region), ordered by domain.
 * Hidden ones only with IncludeHidden, as ListIntegrations.
 */
export const listAccountIntegrations: Handler<ListAccountIntegrationsRequest, ListAccountIntegrationsResponse> = async (ctx, input) => {
  const includeHidden = input.IncludeHidden === true;
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListAccountIntegrations', ctx.scope, input.Uri, includeHidden],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: (after: string | undefined, limit) => ctx.store.integrations.listByUri(ctx.scope, input.Uri, after, limit, includeHidden),
    keyOf: (i) => i.domainName,
  });
  const items = await Promise.all(
    page.items.map(async (i) =>
      integrationOutput(i.domainName, i, await ctx.store.tags.get(ctx.scope, integrationArn(ctx.scope, i.domainName, i.uri))),
    ),
  );
  return { Items: items, NextToken: page.nextToken };
};
