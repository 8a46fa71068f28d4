import { BadRequestException, ThrottlingException } from '../api/errors.js';
import type { CreateDomainRequest, CreateDomainResponse } from '../api/shapes.generated.js';
import { domainArn } from '../domain/arns.js';
import type { Handler } from './context.js';
import { domainOutput } from './common.js';
import { purgeDeletedDomains } from '../store/purge-domain.js';

/** How long CreateDomain removes a deleted namesake's data before it answers 429 (the SDKs retry it). */
const WAIT_FOR_PURGE_MS = 10_000;

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
  // A domain deleted under this name may still have data being removed: that must finish first, or the
  // purge would take the new domain's records with the old's.
  if (await ctx.store.domainPurges.of(ctx.scope, input.DomainName)) {
    await purgeDeletedDomains(ctx.store, { only: { scope: ctx.scope, domainName: input.DomainName }, until: performance.now() + WAIT_FOR_PURGE_MS });
  }
  await ctx.store.transaction(async (store) => {
    if (await store.domainPurges.of(ctx.scope, input.DomainName)) {
      throw new ThrottlingException(
        `Domain ${input.DomainName} was deleted and its data is still being removed; a domain of that name can be created once that is done. Retry shortly.`,
      );
    }
    if (!(await store.domains.create(ctx.scope, domain))) {
      throw new BadRequestException(`Domain ${input.DomainName} already exists.`);
    }
    await store.tags.put(ctx.scope, domainArn(ctx.scope, input.DomainName), tags);
  });
  return domainOutput(domain, tags) as CreateDomainResponse;
};
