import { integrationArn } from '../domain/arns.js';
import type { Store } from '../store/types.js';
import type { Scope } from '../domain/scope.js';

/**
 * Removes a deleted workflow for good: its steps, itself, and the integration it created (with that
 * integration's tags). Shared by DeleteWorkflow and by the engine when a running step sees the deletion.
 */
export async function purgeWorkflow(store: Store, scope: Scope, domainName: string, workflowId: string): Promise<void> {
  await store.transaction(async (tx) => {
    const uris = await tx.integrations.deleteByWorkflow(scope, domainName, workflowId);
    for (const uri of uris) await tx.tags.removeResource(scope, integrationArn(scope, domainName, uri));
    await tx.workflows.purge(workflowId);
  });
}
