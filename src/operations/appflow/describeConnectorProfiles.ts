import type { DescribeConnectorProfilesRequest, DescribeConnectorProfilesResponse } from '../../api/appflow/shapes.generated.js';
import { paginate } from '../paginate.js';
import type { Handler } from '../context.js';
import { APPFLOW_DEFAULT_MAX_RESULTS, connectorProfileOutput } from './common.js';


/**
 * The caller's own connector profiles (the operator's shared ones are configuration, not the account's
 * resources), narrowed by names and connector type, ordered by name. Credentials are never answered.
 */
export const describeConnectorProfiles: Handler<DescribeConnectorProfilesRequest, DescribeConnectorProfilesResponse> = async (ctx, input) => {
  const filter = { connectorType: input.connectorType, names: input.connectorProfileNames };
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['DescribeConnectorProfiles', ctx.scope, filter],
    maxResults: input.maxResults ?? APPFLOW_DEFAULT_MAX_RESULTS,
    nextToken: input.nextToken,
    fetch: (after: string | undefined, limit) => ctx.store.accountConnectorProfiles.list(ctx.scope, filter, after, limit),
    keyOf: (p) => p.name,
  });
  return { connectorProfileDetails: page.items.map((p) => connectorProfileOutput(ctx, p)), nextToken: page.nextToken };
};
