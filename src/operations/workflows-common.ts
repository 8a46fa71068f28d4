import { ResourceNotFoundException } from '../api/errors.js';
import type { WorkflowSummary } from '../store/workflow-types.js';
import type { OperationContext } from './context.js';
import { requireDomain } from './common.js';

/** The domain must exist (404 naming it), then the workflow in it (404 naming it). */
export async function requireWorkflow(ctx: Pick<OperationContext, 'store' | 'scope'>, domainName: string, workflowId: string): Promise<WorkflowSummary> {
  await requireDomain(ctx, domainName);
  const workflow = await ctx.store.workflows.get({ scope: ctx.scope, domainName, workflowId });
  if (!workflow) throw new ResourceNotFoundException(`Workflow ${workflowId} was not found in domain ${domainName}.`);
  return workflow;
}

