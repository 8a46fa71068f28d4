import { ResourceNotFoundException } from '../api/errors.js';
import type { MatchingResponse, RuleBasedMatchingResponse, DataStoreResponse } from '../api/shapes.generated.js';
import type { DomainRecord } from '../store/types.js';
import type { OperationContext } from './context.js';

/** Every operation on a domain's contents starts here: a missing domain is a 404 naming it. */
export async function requireDomain(ctx: Pick<OperationContext, 'store' | 'scope'>, domainName: string): Promise<DomainRecord> {
  const domain = await ctx.store.domains.get(ctx.scope, domainName);
  if (!domain) throw new ResourceNotFoundException(`Domain ${domainName} was not found.`);
  return domain;
}

/** The domain as the Create/Get/UpdateDomain outputs show it. */
export function domainOutput(domain: DomainRecord, tags: Record<string, string>) {
  return {
    DomainName: domain.domainName,
    DefaultExpirationDays: domain.defaultExpirationDays,
    DefaultEncryptionKey: domain.defaultEncryptionKey,
    DeadLetterQueueUrl: domain.deadLetterQueueUrl,
    Matching: domain.matching as MatchingResponse | undefined,
    RuleBasedMatching: ruleBasedMatchingOutput(domain.ruleBasedMatching),
    DataStore: dataStoreOutput(domain.dataStore),
    CreatedAt: new Date(domain.createdAt),
    LastUpdatedAt: new Date(domain.updatedAt),
    Tags: Object.keys(tags).length > 0 ? tags : undefined,
  };
}

/**
 * profileflow matches synchronously, so an enabled rule set is ACTIVE at once (AWS shows PENDING, then
 * IN_PROGRESS, then ACTIVE while its matching job warms up) [I].
 */
function ruleBasedMatchingOutput(request: unknown): RuleBasedMatchingResponse | undefined {
  if (!request) return undefined;
  const r = request as RuleBasedMatchingResponse;
  return { ...r, Status: r.Enabled ? 'ACTIVE' : 'PENDING' };
}

function dataStoreOutput(request: unknown): DataStoreResponse | undefined {
  if (!request) return undefined;
  const r = request as DataStoreResponse;
  return r.Enabled
    ? { Enabled: true, Readiness: { ProgressPercentage: 100, Message: 'The data store is ready.' } }
    : { Enabled: false };
}
