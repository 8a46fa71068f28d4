import type { TagResourceRequest, TagResourceResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { checkTagCount, requireTaggableFlow } from './common.js';

/** Adds or replaces tags on a flow of the caller's account and region. */
export const tagResource: Handler<TagResourceRequest, TagResourceResponse> = async (ctx, input) => {
  await ctx.store.transaction(async (store) => {
    await requireTaggableFlow({ ...ctx, store }, input.resourceArn);
    checkTagCount(input.resourceArn, await store.tags.get(ctx.scope, input.resourceArn), input.tags);
    await store.tags.put(ctx.scope, input.resourceArn, input.tags);
  });
  return {};
};
