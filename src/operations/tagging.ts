import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import { domainArn, parseResourceArn } from '../domain/arns.js';
import type { TagMap } from '../store/types.js';
import type { OperationContext } from './context.js';

/** "You can associate as many as 50 tags with a resource" (TagResource documentation). */
export const MAX_TAGS_PER_RESOURCE = 50;

/**
 * Finds the resource an ARN names, in the caller's own partition, account and region only: an ARN of
 * another partition, account or region answers exactly as a missing resource does, so nothing can be
 * inferred from it, and tags never land under a second spelling of a resource's ARN.
 */
export async function requireTaggable(ctx: OperationContext, arn: string): Promise<void> {
  const parsed = parseResourceArn(arn);
  if (!parsed.ok) throw new BadRequestException(`The resource ARN ${arn} is not valid: ${parsed.reason}.`);
  const notFound = new ResourceNotFoundException(`The resource ${arn} was not found.`);
  const { resource } = parsed;
  const own = domainArn(ctx.scope, resource.domainName);
  if (arn !== own && !arn.startsWith(`${own}/`)) throw notFound;
  const domain = await ctx.store.domains.get(ctx.scope, resource.domainName);
  if (!domain) throw notFound;
  switch (resource.kind) {
    case 'domain':
      return;
    case 'object-type':
      if (!(await ctx.store.objectTypes.get(ctx.scope, resource.domainName, resource.objectTypeName))) throw notFound;
      return;
    case 'integration':
      if (!(await ctx.store.integrations.get(ctx.scope, resource.domainName, resource.uri))) throw notFound;
      return;
  }
}

/** Throws when adding `added` to `existing` would leave the resource with more than 50 tags. */
export function checkTagLimit(arn: string, existing: TagMap, added: TagMap): void {
  const count = new Set([...Object.keys(existing), ...Object.keys(added)]).size;
  if (count > MAX_TAGS_PER_RESOURCE) {
    throw new BadRequestException(
      `The resource ${arn} would have ${count} tags: a resource can have at most ${MAX_TAGS_PER_RESOURCE} tags.`,
    );
  }
}
