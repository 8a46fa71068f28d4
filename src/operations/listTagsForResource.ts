import type { ListTagsForResourceRequest, ListTagsForResourceResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireTaggable } from './tagging.js';

export const listTagsForResource: Handler<ListTagsForResourceRequest, ListTagsForResourceResponse> = async (
  ctx,
  input,
) => {
  await requireTaggable(ctx, input.resourceArn);
  return { tags: await ctx.store.tags.get(ctx.scope, input.resourceArn) };
};
