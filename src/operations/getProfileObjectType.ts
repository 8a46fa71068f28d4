import type { GetProfileObjectTypeRequest, GetProfileObjectTypeResponse } from '../api/shapes.generated.js';
import { objectTypeArn } from '../domain/arns.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { maxAvailableProfileObjectCount, objectTypeOutput, requireObjectType } from './profile-common.js';

export const getProfileObjectType: Handler<GetProfileObjectTypeRequest, GetProfileObjectTypeResponse> = async (
  ctx,
  input,
) => {
  await requireDomain(ctx, input.DomainName);
  const objectType = await requireObjectType(ctx, input.DomainName, input.ObjectTypeName);
  const [tags, all] = await Promise.all([
    ctx.store.tags.get(ctx.scope, objectTypeArn(ctx.scope, input.DomainName, input.ObjectTypeName)),
    ctx.store.objectTypes.all(ctx.scope, input.DomainName),
  ]);
  return objectTypeOutput(objectType, tags, maxAvailableProfileObjectCount(all, input.ObjectTypeName));
};
