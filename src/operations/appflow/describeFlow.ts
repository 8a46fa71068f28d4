import type { DescribeFlowRequest, DescribeFlowResponse, ExecutionDetails } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import type { FlowRecord, FlowRunRecord } from '../../store/types.js';
import { requireFlow } from './common.js';
import { detailsMessage } from './runs.js';

/** flowStatusMessage: "an error message if the flow status is in a suspended or error state" (the model). */
function statusMessage(flow: FlowRecord): string | undefined {
  if (flow.flowStatus !== 'Suspended') return undefined;
  return (flow.consecutiveFailures ?? 0) > 0
    ? `The flow was deactivated after ${flow.consecutiveFailures} failed runs in a row.`
    : 'The flow was stopped with StopFlow. StartFlow activates it again.';
}

/** ExecutionDetails of a flow's most recent run, as DescribeFlow and ListFlows show it. */
export function lastRunDetails(last: FlowRunRecord): ExecutionDetails {
  return {
    mostRecentExecutionMessage: detailsMessage(last.errorMessage ?? `${last.status}: ${last.recordsProcessed} records processed.`),
    mostRecentExecutionTime: new Date(last.startedAt ?? last.createdAt),
    mostRecentExecutionStatus: last.status,
  };
}

/** A flow of the caller's account and region, whole, with its tags and its most recent run. */
export const describeFlow: Handler<DescribeFlowRequest, DescribeFlowResponse> = async (ctx, input) => {
  const flow = await requireFlow(ctx, input.flowName);
  const tags = await ctx.store.tags.get(ctx.scope, flow.flowArn);
  const [last] = await ctx.store.flowRuns.list(ctx.scope, flow.flowName, undefined, 1);
  return {
    flowArn: flow.flowArn,
    description: flow.description,
    flowName: flow.flowName,
    kmsArn: flow.kmsArn,
    flowStatus: flow.flowStatus,
    flowStatusMessage: statusMessage(flow),
    lastRunExecutionDetails: last && lastRunDetails(last),
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
  };
};
