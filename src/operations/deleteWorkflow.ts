import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteWorkflowRequest, DeleteWorkflowResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';

/**
 * "An async process" (the model): one transaction cancels the workflow and its unfinished steps and
 * queues its CANCELLED webhooks; the engine purges it later (its steps, its row, the integration it
 * created and that integration's tags). Until then GetWorkflow, ListWorkflows and GetWorkflowSteps show
 * it CANCELLED, and records already ingested stay.
 *
 * Deleting it again before the purge answers 200 and changes nothing: the workflow is still there to
 * be read, so a 404 would contradict GetWorkflow, and a client retrying a timed-out DeleteWorkflow must
 * not be told it failed. Its webhook is not queued twice. WorkflowId is 1..255 free text here (no hex
 * pattern), so an unknown id is a 404, not a 400.
 */
export const deleteWorkflow: Handler<DeleteWorkflowRequest, DeleteWorkflowResponse> = async (ctx, input) => {
  await requireDomain(ctx, input.DomainName);
  const ref = { scope: ctx.scope, domainName: input.DomainName, workflowId: input.WorkflowId };
  const result = await ctx.store.transaction(async (store) => {
    const cancelled = await store.workflows.cancel({ ...ref, now: ctx.clock.now() });
    // Queued in this transaction, so a rolled-back deletion announces nothing.
    if (cancelled.state === 'cancelled') await ctx.webhooks?.enqueueCancelled({ scope: ctx.scope, deleted: true, workflow: cancelled.workflow }, store);
    return cancelled;
  });
  if (result.state === 'missing') {
    throw new ResourceNotFoundException(`Workflow ${input.WorkflowId} was not found in domain ${input.DomainName}.`);
  }
  ctx.webhooks?.wake();
  // An idle engine of this process purges it now rather than at its next poll.
  ctx.engine?.wake();
  return {};
};
