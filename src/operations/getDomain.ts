import type { GetDomainRequest, GetDomainResponse } from '../api/shapes.generated.js';
import { domainArn } from '../domain/arns.js';
import type { Handler } from './context.js';
import { domainOutput, requireDomain } from './common.js';

export const getDomain: Handler<GetDomainRequest, GetDomainResponse> = async (ctx, input) => {
  const domain = await requireDomain(ctx, input.DomainName);
  const [tags, stats] = await Promise.all([
    ctx.store.tags.get(ctx.scope, domainArn(ctx.scope, input.DomainName)),
    ctx.store.domains.stats(ctx.scope, input.DomainName),
  ]);
  return { ...domainOutput(domain, tags), Stats: stats };
};
