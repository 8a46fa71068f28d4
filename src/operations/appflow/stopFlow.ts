import { ConflictException, UnsupportedOperationException } from '../../api/appflow/errors.js';
import type { StopFlowRequest, StopFlowResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { requireFlow } from './common.js';

/**
 * "Deactivates the existing flow. For on-demand flows, this operation returns an
 * unsupportedOperationException" (the model). A Scheduled or Event flow becomes Suspended: no further
 * runs, and a run in progress is cancelled at its next page (Canceled). Stopping a flow that is not
 * Active (a Draft, one already Suspended) is a conflict.
 */
export const stopFlow: Handler<StopFlowRequest, StopFlowResponse> = async (ctx, input) => {
  const flow = await requireFlow(ctx, input.flowName);
  if (flow.triggerConfig.triggerType === 'OnDemand' || flow.triggerConfig.triggerType === undefined) {
    throw new UnsupportedOperationException(`The flow ${flow.flowName} runs on demand: only scheduled and event-triggered flows can be stopped.`);
  }
  if (flow.flowStatus !== 'Active') {
    throw new ConflictException(`The flow ${flow.flowName} is ${flow.flowStatus}, not Active: only an active flow can be stopped.`);
  }
  const now = ctx.clock.now();
  await ctx.store.transaction(async (store) => {
    await store.flowRuns.setFlowStatus(ctx.scope, flow.flowName, 'Suspended', now);
    await store.flowRuns.cancel(ctx.scope, flow.flowName, undefined, now, 'Canceled: the flow was stopped.');
  });
  return { flowArn: flow.flowArn, flowStatus: 'Suspended' };
};
