import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import { parseResourceArn } from '../domain/arns.js';
import type { OperationContext } from './context.js';

/**
 * Finds the resource an ARN names, in the caller's own account and region only: an ARN of another
 * account or region answers exactly as a missing resource does, so nothing can be inferred from it.
 */
export async function requireTaggable(ctx: OperationContext, arn: string): Promise<void> {
  const parsed = parseResourceArn(arn);
  if (!parsed.ok) throw new BadRequestException(`The resource ARN ${arn} is not valid: ${parsed.reason}.`);
  const notFound = new ResourceNotFoundException(`The resource ${arn} was not found.`);
  if (parsed.accountId !== ctx.scope.accountId || parsed.region !== ctx.scope.region) throw notFound;
  const { resource } = parsed;
  const domain = await ctx.store.domains.get(ctx.scope, resource.domainName);
  if (!domain) throw notFound;
  switch (resource.kind) {
    case 'domain':
      return;
    case 'object-type':
    case 'integration':
      // Object types and integrations come with the workflows issue; until then none can exist.
      throw notFound;
  }
}
