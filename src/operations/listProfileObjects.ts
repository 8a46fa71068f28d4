import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import type { ListProfileObjectsRequest, ListProfileObjectsResponse } from '../api/shapes.generated.js';
import { compiledFor, keyContentType, normalizeKeyValue } from '../domain/object-type-mapping/index.js';
import { paginate } from './paginate.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireObjectTypeOrTemplate } from './profile-common.js';

/**
 * One profile's objects of one type, ordered by ProfileObjectUniqueKey. ObjectFilter keeps the objects
 * whose key KeyName has one of Values; values are compared as the key indexes them (a phone number in
 * any format, an email address in any case).
 */
export const listProfileObjects: Handler<ListProfileObjectsRequest, ListProfileObjectsResponse> = async (ctx, input) => {
  await requireDomain(ctx, input.DomainName);
  const objectType = await requireObjectTypeOrTemplate(ctx, input.DomainName, input.ObjectTypeName);
  if (!(await ctx.store.profiles.get(ctx.scope, input.DomainName, input.ProfileId))) {
    throw new ResourceNotFoundException(`Profile ${input.ProfileId} was not found in domain ${input.DomainName}.`);
  }
  let keyFilter: { keyName: string; values: string[] } | undefined;
  if (input.ObjectFilter) {
    const { KeyName, Values } = input.ObjectFilter;
    if (!objectType.keys?.[KeyName]) {
      const known = Object.keys(objectType.keys ?? {}).join(', ') || 'none';
      throw new BadRequestException(
        `The ObjectFilter KeyName ${KeyName} is not a key of object type ${input.ObjectTypeName} (its keys: ${known}).`,
      );
    }
    const compiled = compiledFor(objectType);
    const contentType = compiled.ok ? keyContentType(compiled.type, KeyName) : undefined;
    keyFilter = {
      keyName: KeyName,
      values: Values.map((v) => normalizeKeyValue(contentType, v)).filter((v): v is string => v !== undefined),
    };
  }
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListProfileObjects', ctx.scope, input.DomainName, input.ObjectTypeName, input.ProfileId, keyFilter ?? null],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: (after: string | undefined, limit) =>
      ctx.store.profileObjects.list(
        ctx.scope,
        input.DomainName,
        { objectTypeName: input.ObjectTypeName, profileId: input.ProfileId, keyFilter },
        after,
        limit,
      ),
    keyOf: (o) => o.uniqueKey,
  });
  return {
    Items: page.items.map((o) => ({
      ObjectTypeName: o.objectTypeName,
      ProfileObjectUniqueKey: o.uniqueKey,
      Object: o.object,
    })),
    NextToken: page.nextToken,
  };
};
