import { ResourceNotFoundException } from '../../api/appflow/errors.js';
import type { DeleteFlowRequest, DeleteFlowResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';

/** Deletes a flow and its tags. (forceDelete matters for a running flow; flows do not run yet.) */
export const deleteFlow: Handler<DeleteFlowRequest, DeleteFlowResponse> = async (ctx, input) => {
  await ctx.store.transaction(async (store) => {
    const flow = await store.flows.get(ctx.scope, input.flowName);
    if (!flow || !(await store.flows.delete(ctx.scope, input.flowName))) {
      throw new ResourceNotFoundException(`The flow ${input.flowName} does not exist.`);
    }
    await store.tags.removeResource(ctx.scope, flow.flowArn);
  });
  return {};
};
