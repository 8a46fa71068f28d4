import { BadRequestException } from '../api/errors.js';
import type { FoundByKeyValue, SearchProfilesRequest, SearchProfilesResponse } from '../api/shapes.generated.js';
import { normalizeKeyValue, PROFILE_ID_KEY, searchKeyContentType } from '../domain/object-type-mapping/index.js';
import { paginate } from './paginate.js';
import type { Store } from '../store/types.js';
import type { Scope } from '../domain/scope.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { profileOutput } from './profile-common.js';

/** "The default is 20 if this parameter is not included in the request" (model, SearchProfiles MaxResults). */
const DEFAULT_SEARCH_PAGE_SIZE = 20;

/**
 * The predefined search keys the model's SearchProfiles KeyName documentation lists. Those outside the
 * standard profile index (_assetId, _salesforceContactId, …) are filled by object types whose keys carry
 * those names; until one does, searching them finds nothing rather than failing.
 */
const PREDEFINED_SEARCH_KEYS = new Set([
  '_account', '_profileId', '_assetId', '_caseId', '_orderId', '_fullName', '_phone', '_email', '_ctrContactId',
  '_marketoLeadId', '_salesforceAccountId', '_salesforceContactId', '_salesforceAssetId', '_zendeskUserId',
  '_zendeskExternalId', '_zendeskTicketId', '_serviceNowSystemId', '_serviceNowIncidentId', '_segmentUserId',
  '_shopifyCustomerId', '_shopifyOrderId',
]);

/** One search key of the request, its values as the index holds them, and how each was asked for. */
interface Criterion {
  keyName: string;
  /** Normalized value → the request's spellings of it (FoundByItems answers those). */
  values: Map<string, string[]>;
}

/**
 * Profiles whose index has any of the Values under KeyName, combined with AdditionalSearchKeys by
 * LogicalOperator (OR unless told: model). KeyName may be a standard search key (_email, _phone,
 * _account, _fullName, _profileId: the standard profile's index, admin guide), another predefined one,
 * or a key of any object type of the domain; values are compared as that key indexes them (a phone
 * number in any format, an email address in any case). Items are ordered by ProfileId; keyset pages
 * with tokens bound to the domain, keys, values and operator. FoundByItems only with AdditionalSearchKeys
 * (model): for AND every key and value asked for, for OR the keys and values the profile was found by.
 */
export const searchProfiles: Handler<SearchProfilesRequest, SearchProfilesResponse> = async (ctx, input) => {
  await requireDomain(ctx, input.DomainName);
  const requested = [{ KeyName: input.KeyName, Values: input.Values }, ...(input.AdditionalSearchKeys ?? [])];
  const operator = input.LogicalOperator ?? 'OR';

  const types = await ctx.store.objectTypes.all(ctx.scope, input.DomainName);
  const problems: string[] = [];
  for (const { KeyName, Values } of requested) {
    if (!PREDEFINED_SEARCH_KEYS.has(KeyName) && !types.some((t) => t.keys?.[KeyName])) {
      problems.push(
        `The search key ${KeyName} is neither a predefined search key (such as _email, _phone, _account, _fullName, _profileId) ` +
          `nor a key of an object type of domain ${input.DomainName}.`,
      );
    }
    if (Values.length === 0) problems.push(`The search key ${KeyName} has no Values: give at least one.`);
  }
  if (problems.length > 0) throw new BadRequestException(problems.join(' '));

  const criteria: Criterion[] = requested.map(({ KeyName, Values }) => {
    const contentType = KeyName === PROFILE_ID_KEY ? undefined : searchKeyContentType(KeyName, types);
    const values = new Map<string, string[]>();
    for (const raw of Values) {
      const normalized = KeyName === PROFILE_ID_KEY ? raw.trim().toLowerCase() || undefined : normalizeKeyValue(contentType, raw);
      if (normalized === undefined) continue;
      const spellings = values.get(normalized);
      if (spellings) spellings.push(raw);
      else values.set(normalized, [raw]);
    }
    return { keyName: KeyName, values };
  });

  const search = new ProfileSearch(ctx.store, ctx.scope, input.DomainName);
  const page = await paginate({
    tokens: ctx.tokens,
    binding: [
      'SearchProfiles',
      ctx.scope,
      input.DomainName,
      criteria.map((c) => [c.keyName, [...c.values.keys()].sort()]),
      criteria.length > 1 ? operator : null,
    ],
    maxResults: input.MaxResults ?? DEFAULT_SEARCH_PAGE_SIZE,
    nextToken: input.NextToken,
    fetch: (after: string | undefined, limit) =>
      operator === 'AND' ? search.all(criteria, after, limit) : search.any(criteria, after, limit),
    keyOf: (profileId) => profileId,
  });

  const profiles = new Map(
    (await ctx.store.profiles.getMany(ctx.scope, input.DomainName, page.items)).map((p) => [p.profileId, p] as const),
  );
  const withFoundBy = input.AdditionalSearchKeys !== undefined;
  const foundBy = withFoundBy ? await search.foundBy(criteria, page.items, operator) : undefined;
  return {
    Items: page.items.flatMap((id) => {
      const p = profiles.get(id);
      if (!p) return [];
      const item = profileOutput(id, p.attributes);
      if (foundBy) item.FoundByItems = foundBy.get(id);
      return [item];
    }),
    NextToken: page.nextToken,
  };
};

/** Keyset reads of the key index (or, for _profileId, of the profiles themselves) by criterion. */
class ProfileSearch {
  constructor(
    private readonly store: Store,
    private readonly scope: Scope,
    private readonly domainName: string,
  ) {}

  /** Profile ids matching the criterion, ascending, after `after`, at most `limit`. */
  private async page(c: Criterion, after: string | undefined, limit: number): Promise<string[]> {
    const values = [...c.values.keys()];
    if (c.keyName !== PROFILE_ID_KEY) {
      return this.store.profiles.searchByKey(this.scope, this.domainName, c.keyName, values, after, limit);
    }
    const wanted = values.filter((v) => after === undefined || v > after).sort();
    const found = new Set((await this.store.profiles.getMany(this.scope, this.domainName, wanted)).map((p) => p.profileId));
    return wanted.filter((id) => found.has(id)).slice(0, limit);
  }

  /** For each of `ids` the criterion matches, the normalized values it matches by. */
  private async among(c: Criterion, ids: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    const add = (id: string, value: string) => {
      const set = out.get(id);
      if (set) set.add(value);
      else out.set(id, new Set([value]));
    };
    if (c.keyName === PROFILE_ID_KEY) {
      for (const id of ids) if (c.values.has(id)) add(id, id);
      return out;
    }
    const keys = await this.store.profiles.keysAmong(this.scope, this.domainName, c.keyName, [...c.values.keys()], ids);
    for (const k of keys) add(k.profileId, k.keyValue);
    return out;
  }

  /** OR: the smallest `limit` ids of the union lie among the smallest `limit` of each criterion. */
  async any(criteria: readonly Criterion[], after: string | undefined, limit: number): Promise<string[]> {
    const union = new Set<string>();
    for (const c of criteria) for (const id of await this.page(c, after, limit)) union.add(id);
    return [...union].sort().slice(0, limit);
  }

  /** AND: walk the first criterion's matches and keep those every other criterion matches too. */
  async all(criteria: readonly Criterion[], after: string | undefined, limit: number): Promise<string[]> {
    const [first, ...rest] = criteria;
    const out: string[] = [];
    const chunk = Math.max(limit, 100);
    let cursor = after;
    for (;;) {
      const candidates = await this.page(first, cursor, chunk);
      let kept = candidates;
      for (const c of rest) {
        if (kept.length === 0) break;
        const matched = await this.among(c, kept);
        kept = kept.filter((id) => matched.has(id));
      }
      for (const id of kept) {
        out.push(id);
        if (out.length === limit) return out;
      }
      if (candidates.length < chunk) return out;
      cursor = candidates[candidates.length - 1];
    }
  }

  async foundBy(
    criteria: readonly Criterion[],
    ids: readonly string[],
    operator: 'AND' | 'OR',
  ): Promise<Map<string, FoundByKeyValue[]>> {
    const out = new Map<string, FoundByKeyValue[]>(ids.map((id) => [id, []]));
    for (const c of criteria) {
      const matched = await this.among(c, ids);
      for (const id of ids) {
        const values = matched.get(id);
        if (!values) continue;
        // AND: "all of the key-value(s) pairs that were specified in the request"; OR: "each of the
        // key-value(s) pairs that the profile was found by" (model, Profile FoundByItems).
        const spellings =
          operator === 'AND'
            ? [...c.values.values()].flat()
            : [...values].flatMap((v) => c.values.get(v) ?? []);
        out.get(id)!.push({ KeyName: c.keyName, Values: spellings });
      }
    }
    return out;
  }
}


