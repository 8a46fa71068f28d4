import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteDomainRequest, DeleteDomainResponse } from '../api/shapes.generated.js';
import { domainArn } from '../domain/arns.js';
import type { Store } from '../store/types.js';
import type { WorkflowSummary } from '../store/workflow-types.js';
import type { Handler, OperationContext } from './context.js';
import { purgeDeletedDomains } from '../store/purge-domain.js';

/** How long DeleteDomain removes its domain's data before it answers; the engine's reaper does the rest. */
const PURGE_IN_REQUEST_MS = 1_000;

const FINISHED = new Set(['COMPLETE', 'FAILED', 'CANCELLED']);

export const deleteDomain: Handler<DeleteDomainRequest, DeleteDomainResponse> = async (ctx, input) => {
  await ctx.store.transaction(async (store) => {
    // Read before the rows go; queued in this transaction, so a rolled-back deletion announces nothing.
    if (ctx.webhooks) await queueCancelled(ctx, store, input.DomainName);
    // The flows its integrations and workflows created go with it, their runs and tags too. Runs before
    // the rest, as the domain's workflow steps are (DomainRepository.delete): a run's page in flight
    // locks its run row first, so the deletion waits for it before deleting a row it could wait for.
    const flowArns = await store.flows.deleteByDomain(ctx.scope, input.DomainName);
    if (!(await store.domains.delete(ctx.scope, input.DomainName, ctx.clock.now()))) {
      throw new ResourceNotFoundException(`Domain ${input.DomainName} was not found.`);
    }
    await store.tags.removeResource(ctx.scope, domainArn(ctx.scope, input.DomainName));
    for (const flowArn of flowArns) await store.tags.removeResource(ctx.scope, flowArn);
  });
  ctx.webhooks?.wake();
  // The domain is gone for every caller now. Its data goes a part at a time: all of it before the answer
  // for a domain of some thousands of records, the rest in the background (the engine's reaper). A
  // failure here loses nothing: the purge is recorded and the reaper finishes it.
  await purgeDeletedDomains(ctx.store, { only: { scope: ctx.scope, domainName: input.DomainName }, until: performance.now() + PURGE_IN_REQUEST_MS }).catch(() => undefined);
  return { Message: `Domain ${input.DomainName} was deleted.` };
};

/**
 * A CANCELLED webhook for each unfinished workflow the deletion removes, as DeleteWorkflow sends one.
 * Workflows already deleted are not listed (theirs was queued then); finished ones had their event.
 */
async function queueCancelled(ctx: OperationContext, store: Store, domainName: string): Promise<void> {
  const now = ctx.clock.now();
  let after: [number, string] | undefined;
  for (;;) {
    const page: WorkflowSummary[] = await store.workflows.list({ scope: ctx.scope, domainName, after, limit: 100 });
    for (const workflow of page) {
      if (FINISHED.has(workflow.status)) continue;
      await ctx.webhooks!.enqueueCancelled({ scope: ctx.scope, deleted: true, workflow: { ...workflow, status: 'CANCELLED', updatedAt: now } }, store);
    }
    if (page.length < 100) return;
    const last = page[page.length - 1];
    after = [last.createdAt, last.workflowId];
  }
}
