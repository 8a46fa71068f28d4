import { ResourceNotFoundException } from '../api/errors.js';
import type { DeleteDomainRequest, DeleteDomainResponse } from '../api/shapes.generated.js';
import { domainArn } from '../domain/arns.js';
import type { Handler } from './context.js';

export const deleteDomain: Handler<DeleteDomainRequest, DeleteDomainResponse> = async (ctx, input) => {
  await ctx.store.transaction(async (store) => {
    if (!(await store.domains.delete(ctx.scope, input.DomainName))) {
      throw new ResourceNotFoundException(`Domain ${input.DomainName} was not found.`);
    }
    await store.tags.removeResource(ctx.scope, domainArn(ctx.scope, input.DomainName));
  });
  return { Message: `Domain ${input.DomainName} was deleted.` };
};
