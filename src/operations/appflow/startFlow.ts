import type { StartFlowRequest, StartFlowResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { requireFlow } from './common.js';
import { startRunNow } from './runs.js';

/**
 * "Activates an existing flow. For on-demand flows, this operation runs the flow immediately. For
 * schedule and event-triggered flows, this operation activates the flow" (the model). So: an OnDemand
 * flow gets a run (its executionId answered); a Scheduled or Event flow becomes Active (a suspended one
 * resumes, its schedule counted from now) and executionId is absent, as the model says it is null then.
 */
export const startFlow: Handler<StartFlowRequest, StartFlowResponse> = async (ctx, input) => {
  const flow = await requireFlow(ctx, input.flowName);
  const now = ctx.clock.now();
  if (flow.triggerConfig.triggerType === 'OnDemand' || flow.triggerConfig.triggerType === undefined) {
    // Activated as well as run: a flow made OnDemand by UpdateFlow kept the Draft of its old trigger.
    if (flow.flowStatus !== 'Active') await ctx.store.flowRuns.setFlowStatus(ctx.scope, flow.flowName, 'Active', now);
    const executionId = await startRunNow(ctx.store, ctx.scope, flow, now);
    ctx.engine?.wake();
    return { flowArn: flow.flowArn, flowStatus: 'Active', executionId };
  }
  if (flow.flowStatus !== 'Active') await ctx.store.flowRuns.setFlowStatus(ctx.scope, flow.flowName, 'Active', now);
  ctx.engine?.wake();
  return { flowArn: flow.flowArn, flowStatus: 'Active' };
};
