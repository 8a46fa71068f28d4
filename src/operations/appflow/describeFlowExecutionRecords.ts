import type { DescribeFlowExecutionRecordsRequest, DescribeFlowExecutionRecordsResponse } from '../../api/appflow/shapes.generated.js';
import type { FlowRunRecord } from '../../store/types.js';
import type { Handler } from '../context.js';
import { paginate } from '../paginate.js';
import { APPFLOW_DEFAULT_MAX_RESULTS, requireFlow } from './common.js';
import { executionRecord } from './runs.js';


/** A flow's runs, newest first, as ExecutionRecords, in pages bound to the flow. */
export const describeFlowExecutionRecords: Handler<DescribeFlowExecutionRecordsRequest, DescribeFlowExecutionRecordsResponse> = async (ctx, input) => {
  await requireFlow(ctx, input.flowName);
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['DescribeFlowExecutionRecords', ctx.scope, input.flowName],
    maxResults: input.maxResults ?? APPFLOW_DEFAULT_MAX_RESULTS,
    nextToken: input.nextToken,
    fetch: (after: [number, string] | undefined, limit) => ctx.store.flowRuns.list(ctx.scope, input.flowName, after, limit),
    keyOf: (r: FlowRunRecord): [number, string] => [r.createdAt, r.executionId],
  });
  return { flowExecutions: page.items.map(executionRecord), nextToken: page.nextToken };
};
