import type { DescribeConnectorProfilesRequest, DescribeConnectorProfilesResponse } from '../../api/appflow/shapes.generated.js';
import { paginate } from '../paginate.js';
import type { Handler } from '../context.js';
import { APPFLOW_DEFAULT_MAX_RESULTS, connectorProfileOutput } from './common.js';


/**
 * The caller's own connector profiles (the operator's shared ones are configuration, not the account's
 * resources), narrowed by names, connector type and connector label, ordered by name. Credentials are
 * never answered. A label names a custom connector's registration, and profileflow registers none, so
 * no profile has one: narrowed by a label, the list is empty, as AppFlow's is for a label nobody uses.
 */
export const describeConnectorProfiles: Handler<DescribeConnectorProfilesRequest, DescribeConnectorProfilesResponse> = async (ctx, input) => {
  const filter = { connectorType: input.connectorType, names: input.connectorProfileNames };
  const labelled = input.connectorLabel !== undefined;
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['DescribeConnectorProfiles', ctx.scope, filter, input.connectorLabel ?? null],
    maxResults: input.maxResults ?? APPFLOW_DEFAULT_MAX_RESULTS,
    nextToken: input.nextToken,
    fetch: async (after: string | undefined, limit) => (labelled ? [] : ctx.store.accountConnectorProfiles.list(ctx.scope, filter, after, limit)),
    keyOf: (p) => p.name,
  });
  return { connectorProfileDetails: page.items.map((p) => connectorProfileOutput(ctx, p)), nextToken: page.nextToken };
};
