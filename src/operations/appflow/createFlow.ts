import { ConflictException } from '../../api/appflow/errors.js';
import type { CreateFlowRequest, CreateFlowResponse } from '../../api/appflow/shapes.generated.js';
import { appflowFlowArn } from '../../domain/arns.js';
import type { Handler } from '../context.js';
import { earlierAnswer, tokenedCall, writeOnce } from './client-token.js';
import { callerArn, checkFlow } from './common.js';

/**
 * Creates a flow into Customer Profiles. An on-demand flow is Active at once; a scheduled or event flow
 * is a Draft until StartFlow activates it (AppFlow's documented statuses). Runs are not part of it yet.
 * Retried with its clientToken, it answers the first call's flowArn and flowStatus (client-token.ts).
 */
export const createFlow: Handler<CreateFlowRequest, CreateFlowResponse> = async (ctx, input) => {
  const call = await tokenedCall(ctx, 'CreateFlow', input);
  const earlier = await earlierAnswer<CreateFlowResponse>(ctx, call);
  if (earlier) return earlier;
  const { domainName, objectTypeName } = await checkFlow(ctx, input);
  const now = ctx.clock.now();
  const flowArn = appflowFlowArn(ctx.scope, input.flowName);
  const status = input.triggerConfig.triggerType === 'OnDemand' ? 'Active' : 'Draft';
  const by = callerArn(ctx);
  return writeOnce(ctx, call, async (store) => {
    const created = await store.flows.create(ctx.scope, {
      flowName: input.flowName,
      flowArn,
      description: input.description,
      kmsArn: input.kmsArn,
      flowStatus: status,
      triggerConfig: input.triggerConfig,
      sourceFlowConfig: input.sourceFlowConfig,
      connectorType: input.sourceFlowConfig.connectorType,
      connectorProfileName: input.sourceFlowConfig.connectorProfileName,
      destinationFlowConfigList: input.destinationFlowConfigList,
      domainName,
      objectTypeName,
      tasks: input.tasks,
      metadataCatalogConfig: input.metadataCatalogConfig,
      createdBy: by,
      lastUpdatedBy: by,
      createdAt: now,
      updatedAt: now,
      ...(status === 'Active' ? { activatedAt: now } : {}),
    });
    if (!created) throw new ConflictException(`A flow named ${input.flowName} already exists.`);
    if (input.tags && Object.keys(input.tags).length > 0) await store.tags.put(ctx.scope, flowArn, input.tags);
    return { flowArn, flowStatus: status };
  });
};
