import { ResourceNotFoundException } from '../api/errors.js';
import type { WorkflowSummary } from '../store/workflow-types.js';
import type { OperationContext } from './context.js';
import { requireDomain } from './common.js';

/**
 * The domain must exist (404 naming it), then the workflow in it (404 naming it). One read when both do:
 * the store sees a workflow only while its domain exists, and looks the domain up on its own only to say
 * which of the two is missing.
 */
export async function requireWorkflow(ctx: Pick<OperationContext, 'store' | 'scope'>, domainName: string, workflowId: string): Promise<WorkflowSummary> {
  const workflow = await ctx.store.workflows.get({ scope: ctx.scope, domainName, workflowId });
  if (workflow) return workflow;
  await requireDomain(ctx, domainName);
  throw new ResourceNotFoundException(`Workflow ${workflowId} was not found in domain ${domainName}.`);
}

/**
 * Runs `read`, a page read whose statement itself requires the resources `check` looks up (the store's
 * reads of a domain's workflows and steps see them only while the domain, and the workflow, exist), and
 * answers as if `check` had run first: when the read fails, or finds nothing, `check` runs, and a missing
 * resource is reported before any other problem of the request. Why: the page then takes one round trip
 * to the database, where looking the resources up first took one more for each. `checked` is what
 * `check` returned, when it ran.
 */
export async function readCheckedWhenEmpty<P extends { items: readonly unknown[] }, C>(
  check: () => Promise<C>,
  read: () => Promise<P>,
): Promise<{ page: P; checked?: C }> {
  let page: P;
  try {
    page = await read();
  } catch (err) {
    await check();
    throw err;
  }
  return page.items.length > 0 ? { page } : { page, checked: await check() };
}
