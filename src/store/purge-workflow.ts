import type { Store, WorkflowChange } from './types.js';

/**
 * The one purge path of a cancelled workflow, run by the engine (the worker that finds its step
 * cancelled, and the reaper of cancelled workflows): in one transaction, the integration the workflow
 * created (with that integration's tags, removed by its exact ARN, and its flow with the flow's runs), then the workflow's steps and row.
 * The records it ingested stay. A workflow that is not cancelled is left alone, so a late or repeated
 * call (two reapers, a worker and a reaper) is harmless.
 *
 * Returns the workflow as it was last seen (CANCELLED), for the event stream; undefined when there
 * was nothing to purge.
 */
export async function purgeCancelledWorkflow(store: Store, workflowId: string): Promise<WorkflowChange | undefined> {
  return store.transaction(async (tx) => {
    const found = await tx.activity.workflowById(workflowId);
    if (!found?.deleted) return undefined;
    for (const uri of await tx.integrations.deleteByWorkflow(found.scope, found.workflow.domainName, workflowId)) {
      // The integration's flow goes with it, runs and tags too, as DeleteIntegration does.
      for (const flowArn of await tx.flows.deleteByIntegration(found.scope, found.workflow.domainName, uri)) await tx.tags.removeResource(found.scope, flowArn);
    }
    await tx.workflows.removeCancelled(workflowId);
    return found;
  });
}
