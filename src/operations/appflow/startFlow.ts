import type { StartFlowRequest, StartFlowResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { earlierAnswer, tokenedCall, writeOnce } from './client-token.js';
import { requireFlow } from './common.js';
import { startRunNow } from './runs.js';

/**
 * "Activates an existing flow. For on-demand flows, this operation runs the flow immediately. For
 * schedule and event-triggered flows, this operation activates the flow" (the model). So: an OnDemand
 * flow gets a run (its executionId answered); a Scheduled or Event flow becomes Active (a suspended one
 * resumes, its schedule counted from now) and executionId is absent, as the model says it is null then.
 * Retried with its clientToken (scoped to the flow, as created), it answers the first call's executionId and starts
 * no second run (client-token.ts).
 */
export const startFlow: Handler<StartFlowRequest, StartFlowResponse> = async (ctx, input) => {
  // The token is the flow's, this flow's: retried after the flow was deleted (and perhaps created again
  // under its name), the first answer would name a run the flow does not have.
  const flow = await requireFlow(ctx, input.flowName);
  const call = await tokenedCall(ctx, 'StartFlow', input, `${flow.flowName}@${flow.createdAt}`);
  const earlier = await earlierAnswer<StartFlowResponse>(ctx, call);
  if (earlier) return earlier;
  const now = ctx.clock.now();
  const answer = await writeOnce<StartFlowResponse>(ctx, call, async (store) => {
    // Activated as well as run: a flow made OnDemand by UpdateFlow kept the Draft of its old trigger.
    if (flow.flowStatus !== 'Active') await store.flowRuns.setFlowStatus(ctx.scope, flow.flowName, 'Active', now);
    if (flow.triggerConfig.triggerType === 'OnDemand' || flow.triggerConfig.triggerType === undefined) {
      const executionId = await startRunNow(store, ctx.scope, flow, now);
      return { flowArn: flow.flowArn, flowStatus: 'Active', executionId };
    }
    return { flowArn: flow.flowArn, flowStatus: 'Active' };
  });
  ctx.engine?.wake();
  return answer;
};
