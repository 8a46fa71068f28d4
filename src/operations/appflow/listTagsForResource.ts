import type { ListTagsForResourceRequest, ListTagsForResourceResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { requireTaggableFlow } from './common.js';

/** The tags of a flow of the caller's account and region. */
export const listTagsForResource: Handler<ListTagsForResourceRequest, ListTagsForResourceResponse> = async (ctx, input) => {
  await requireTaggableFlow(ctx, input.resourceArn);
  return { tags: await ctx.store.tags.get(ctx.scope, input.resourceArn) };
};
