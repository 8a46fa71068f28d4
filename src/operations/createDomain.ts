import { BadRequestException } from '../api/errors.js';
import type { CreateDomainRequest, CreateDomainResponse } from '../api/shapes.generated.js';
import { domainArn } from '../domain/arns.js';
import type { Handler } from './context.js';
import { domainOutput } from './common.js';

export const createDomain: Handler<CreateDomainRequest, CreateDomainResponse> = async (ctx, input) => {
  const now = ctx.clock.now();
  const domain = {
    domainName: input.DomainName,
    defaultExpirationDays: input.DefaultExpirationDays,
    defaultEncryptionKey: input.DefaultEncryptionKey || undefined,
    deadLetterQueueUrl: input.DeadLetterQueueUrl || undefined,
    matching: input.Matching,
    ruleBasedMatching: input.RuleBasedMatching,
    dataStore: input.DataStore,
    createdAt: now,
    updatedAt: now,
  };
  const tags = input.Tags ?? {};
  await ctx.store.transaction(async (store) => {
    if (!(await store.domains.create(ctx.scope, domain))) {
      throw new BadRequestException(`Domain ${input.DomainName} already exists.`);
    }
    await store.tags.put(ctx.scope, domainArn(ctx.scope, input.DomainName), tags);
  });
  return domainOutput(domain, tags) as CreateDomainResponse;
};
