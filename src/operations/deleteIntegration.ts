import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteIntegrationRequest, DeleteIntegrationResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';

/** Removes the integration and its tags; the objects it brought in stay. */
export const deleteIntegration: Handler<DeleteIntegrationRequest, DeleteIntegrationResponse> = async (ctx, input) => {
  await ctx.store.transaction(async (store) => {
    await requireDomain({ ...ctx, store }, input.DomainName);
    if (!(await store.integrations.delete(ctx.scope, input.DomainName, input.Uri))) {
      throw new ResourceNotFoundException(`The integration with Uri ${input.Uri} was not found in domain ${input.DomainName}.`);
    }
    // The AppFlow flow Customer Profiles created for it goes with it, tags included.
    for (const flowArn of await store.flows.deleteByIntegration(ctx.scope, input.DomainName, input.Uri)) {
      await store.tags.removeResource(ctx.scope, flowArn);
    }
  });
  return { Message: `The integration with Uri ${input.Uri} was deleted from domain ${input.DomainName}.` };
};
