import type { CancelFlowExecutionsRequest, CancelFlowExecutionsResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { requireFlow } from './common.js';

/**
 * "Cancels active runs for a flow": those named, or all when executionIds is omitted. A run in progress
 * becomes CancelStarted and stops at its next page (then Canceled); one waiting for a retry is Canceled
 * at once. Named runs that are not active (finished, unknown) are answered in invalidExecutions.
 */
export const cancelFlowExecutions: Handler<CancelFlowExecutionsRequest, CancelFlowExecutionsResponse> = async (ctx, input) => {
  await requireFlow(ctx, input.flowName);
  const result = await ctx.store.flowRuns.cancel(ctx.scope, input.flowName, input.executionIds, ctx.clock.now(), 'Canceled by CancelFlowExecutions.');
  return { invalidExecutions: result.invalid };
};
