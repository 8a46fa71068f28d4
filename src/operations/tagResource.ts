import type { TagResourceRequest, TagResourceResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireTaggable } from './tagging.js';

export const tagResource: Handler<TagResourceRequest, TagResourceResponse> = async (ctx, input) => {
  await requireTaggable(ctx, input.resourceArn);
  await ctx.store.tags.put(ctx.scope, input.resourceArn, input.tags);
  return {};
};
