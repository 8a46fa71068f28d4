import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteWorkflowRequest, DeleteWorkflowResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { purgeWorkflow } from '../engine/purge-workflow.js';

/**
 * Answers at once ("an async process", per the model). The workflow disappears from every read
 * immediately; a step that a worker is running stops at its next page, and that worker removes what
 * is left. Records already ingested stay. WorkflowId is 1..255 free text here (no hex pattern), so an
 * unknown id is a 404, not a 400 (SPEC §7.2).
 */
export const deleteWorkflow: Handler<DeleteWorkflowRequest, DeleteWorkflowResponse> = async (ctx, input) => {
  await requireDomain(ctx, input.DomainName);
  const state = await ctx.store.workflows.markDeleted(ctx.scope, input.DomainName, input.WorkflowId, ctx.clock.now());
  if (state === 'missing') {
    throw new ResourceNotFoundException(`Workflow ${input.WorkflowId} was not found in domain ${input.DomainName}.`);
  }
  if (state === 'idle') await purgeWorkflow(ctx.store, ctx.scope, input.DomainName, input.WorkflowId);
  return {};
};
