import { ConflictException, ResourceNotFoundException } from '../../api/appflow/errors.js';
import type { DeleteFlowRequest, DeleteFlowResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';

/**
 * Deletes a flow and its tags. A flow with a run in progress is deleted only with forceDelete; its run
 * is then cancelled at its next page (the run machine stops runs of a flow that no longer exists).
 */
export const deleteFlow: Handler<DeleteFlowRequest, DeleteFlowResponse> = async (ctx, input) => {
  await ctx.store.transaction(async (store) => {
    const flow = await store.flows.get(ctx.scope, input.flowName);
    if (flow && !input.forceDelete && (await store.flowRuns.list(ctx.scope, flow.flowName, undefined, 1))[0]?.status === 'InProgress') {
      throw new ConflictException(`The flow ${input.flowName} has a run in progress: delete it with forceDelete, or cancel the run first.`);
    }
    if (!flow || !(await store.flows.delete(ctx.scope, input.flowName))) {
      throw new ResourceNotFoundException(`The flow ${input.flowName} does not exist.`);
    }
    await store.tags.removeResource(ctx.scope, flow.flowArn);
  });
  return {};
};
