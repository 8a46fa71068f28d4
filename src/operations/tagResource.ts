import type { TagResourceRequest, TagResourceResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { checkTagLimit, requireTaggable } from './tagging.js';

export const tagResource: Handler<TagResourceRequest, TagResourceResponse> = async (ctx, input) => {
  await requireTaggable(ctx, input.resourceArn);
  await ctx.store.transaction(async (store) => {
    checkTagLimit(input.resourceArn, await store.tags.get(ctx.scope, input.resourceArn), input.tags);
    await store.tags.put(ctx.scope, input.resourceArn, input.tags);
  });
  return {};
};
