import type { UntagResourceRequest, UntagResourceResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireTaggable } from './tagging.js';

export const untagResource: Handler<UntagResourceRequest, UntagResourceResponse> = async (ctx, input) => {
  await requireTaggable(ctx, input.resourceArn);
  await ctx.store.tags.remove(ctx.scope, input.resourceArn, input.tagKeys);
  return {};
};
