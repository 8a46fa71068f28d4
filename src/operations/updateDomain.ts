import { ResourceNotFoundException } from '../api/errors.js';
import type { UpdateDomainRequest, UpdateDomainResponse } from '../api/shapes.generated.js';
import { domainArn } from '../domain/arns.js';
import type { Handler } from './context.js';
import { domainOutput, requireDomain } from './common.js';
import { checkTagLimit } from './tagging.js';

/**
 * Members that are present replace the stored ones; absent ones are kept. An empty
 * DefaultEncryptionKey or DeadLetterQueueUrl clears it (AWS documentation). Tags given here are
 * added to the domain's tags, as TagResource would.
 */
export const updateDomain: Handler<UpdateDomainRequest, UpdateDomainResponse> = async (ctx, input) => {
  const arn = domainArn(ctx.scope, input.DomainName);
  return ctx.store.transaction(async (store) => {
    const current = await requireDomain({ ...ctx, store }, input.DomainName);
    const updated = {
      ...current,
      defaultExpirationDays: input.DefaultExpirationDays ?? current.defaultExpirationDays,
      defaultEncryptionKey:
        input.DefaultEncryptionKey === undefined ? current.defaultEncryptionKey : input.DefaultEncryptionKey || undefined,
      deadLetterQueueUrl:
        input.DeadLetterQueueUrl === undefined ? current.deadLetterQueueUrl : input.DeadLetterQueueUrl || undefined,
      matching: input.Matching ?? current.matching,
      ruleBasedMatching: input.RuleBasedMatching ?? current.ruleBasedMatching,
      dataStore: input.DataStore ?? current.dataStore,
      updatedAt: Math.max(ctx.clock.now(), current.createdAt),
    };
    if (!(await store.domains.update(ctx.scope, updated))) {
      throw new ResourceNotFoundException(`Domain ${input.DomainName} was not found.`);
    }
    if (input.Tags) {
      checkTagLimit(arn, await store.tags.get(ctx.scope, arn), input.Tags);
      await store.tags.put(ctx.scope, arn, input.Tags);
    }
    return domainOutput(updated, await store.tags.get(ctx.scope, arn)) as UpdateDomainResponse;
  });
};
