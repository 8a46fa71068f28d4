import type { DescribeFlowRequest, DescribeFlowResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { requireFlow } from './common.js';

/** A flow of the caller's account and region, whole, with its tags. */
export const describeFlow: Handler<DescribeFlowRequest, DescribeFlowResponse> = async (ctx, input) => {
  const flow = await requireFlow(ctx, input.flowName);
  const tags = await ctx.store.tags.get(ctx.scope, flow.flowArn);
  return {
    flowArn: flow.flowArn,
    description: flow.description,
    flowName: flow.flowName,
    kmsArn: flow.kmsArn,
    flowStatus: flow.flowStatus,
    sourceFlowConfig: flow.sourceFlowConfig,
    destinationFlowConfigList: flow.destinationFlowConfigList,
    triggerConfig: flow.triggerConfig,
    tasks: flow.tasks,
    metadataCatalogConfig: flow.metadataCatalogConfig,
    createdAt: new Date(flow.createdAt),
    lastUpdatedAt: new Date(flow.updatedAt),
    createdBy: flow.createdBy,
    lastUpdatedBy: flow.lastUpdatedBy,
    tags,
  } as never;
};
