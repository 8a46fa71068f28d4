import { ConflictException, ResourceNotFoundException } from '../../api/appflow/errors.js';
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
  // A flow that does not exist is a 404 before its new definition's problems are looked at; the write
  // below reads it again, locked.
  await requireFlow(ctx, input.flowName);
  const { domainName, objectTypeName } = await checkFlow(ctx, input);
  return writeOnce(ctx, call, async (store) => {
    // Read again inside the write, and held until it commits: the columns UpdateFlow does not change (the
    // status StartFlow and StopFlow move, the integration that owns the flow) are written back as they
    // are now, not as they were before the checks.
    const stored = await requireFlow({ ...ctx, store }, input.flowName, 'no-key-update');
    // A flow Customer Profiles created is its integration's, and an integration with its flow belongs to
    // one domain (customer-profiles-flows.ts): its destination stays in that domain.
    if (stored.integrationUri !== undefined && domainName !== stored.domainName) {
      throw new ConflictException(
        `The flow ${input.flowName} is the flow of the integration ${stored.integrationUri} of domain ${stored.domainName} in Customer Profiles, ` +
          `and an integration with its flow belongs to one domain: its destination cannot move to domain ${domainName}. ` +
          'Delete that integration first (DeleteIntegration), or create a flow of another name.',
      );
    }
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
