import { ResourceNotFoundException } from '../../api/appflow/errors.js';
import type { UpdateFlowRequest, UpdateFlowResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { earlierAnswer, tokenedCall, writeOnce } from './client-token.js';
import { callerArn, checkFlow, requireFlow } from './common.js';

/**
 * Replaces a flow's description, trigger, source, destination, tasks and catalog; its status stays.
 * Retried with its clientToken, it answers the first call's flowStatus (client-token.ts).
 */
export const updateFlow: Handler<UpdateFlowRequest, UpdateFlowResponse> = async (ctx, input) => {
  const call = await tokenedCall(ctx, 'UpdateFlow', input);
  const earlier = await earlierAnswer<UpdateFlowResponse>(ctx, call);
  if (earlier) return earlier;
  const stored = await requireFlow(ctx, input.flowName);
  const { domainName, objectTypeName } = await checkFlow(ctx, input);
  return writeOnce(ctx, call, async (store) => {
    const updated = await store.flows.update(ctx.scope, {
      ...stored,
      description: input.description,
      triggerConfig: input.triggerConfig,
      sourceFlowConfig: input.sourceFlowConfig,
      connectorType: input.sourceFlowConfig.connectorType,
      connectorProfileName: input.sourceFlowConfig.connectorProfileName,
      destinationFlowConfigList: input.destinationFlowConfigList,
      domainName,
      objectTypeName,
      tasks: input.tasks,
      metadataCatalogConfig: input.metadataCatalogConfig,
      lastUpdatedBy: callerArn(ctx),
      updatedAt: Math.max(ctx.clock.now(), stored.createdAt),
    });
    if (!updated) throw new ResourceNotFoundException(`The flow ${input.flowName} does not exist.`);
    return { flowStatus: stored.flowStatus };
  });
};
