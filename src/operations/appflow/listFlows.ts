import type { FlowDefinition, ListFlowsRequest, ListFlowsResponse } from '../../api/appflow/shapes.generated.js';
import { paginate } from '../paginate.js';
import type { Handler } from '../context.js';
import { APPFLOW_DEFAULT_MAX_RESULTS } from './common.js';
import { lastRunDetails } from './describeFlow.js';

/** The flows of the caller's account and region, ordered by name, each as AppFlow's FlowDefinition summary. */
export const listFlows: Handler<ListFlowsRequest, ListFlowsResponse> = async (ctx, input) => {
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListFlows', ctx.scope],
    maxResults: input.maxResults ?? APPFLOW_DEFAULT_MAX_RESULTS,
    nextToken: input.nextToken,
    fetch: (after: string | undefined, limit) => ctx.store.flows.list(ctx.scope, after, limit),
    keyOf: (f) => f.flowName,
  });
  const flows = await Promise.all(
    page.items.map(async (f): Promise<FlowDefinition> => ({
      flowArn: f.flowArn,
      description: f.description,
      flowName: f.flowName,
      flowStatus: f.flowStatus,
      sourceConnectorType: f.connectorType,
      destinationConnectorType: 'CustomerProfiles',
      triggerType: f.triggerConfig.triggerType,
      createdAt: new Date(f.createdAt),
      lastUpdatedAt: new Date(f.updatedAt),
      createdBy: f.createdBy,
      lastUpdatedBy: f.lastUpdatedBy,
      tags: await ctx.store.tags.get(ctx.scope, f.flowArn),
      lastRunExecutionDetails: await ctx.store.flowRuns.list(ctx.scope, f.flowName, undefined, 1).then(([last]) => last && lastRunDetails(last)),
    })),
  );
  return { flows, nextToken: page.nextToken };
};
