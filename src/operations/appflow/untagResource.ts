import type { UntagResourceRequest, UntagResourceResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';
import { requireTaggableFlow } from './common.js';

/** Removes the named tags from a flow; keys it does not have are ignored. */
export const untagResource: Handler<UntagResourceRequest, UntagResourceResponse> = async (ctx, input) => {
  await requireTaggableFlow(ctx, input.resourceArn);
  await ctx.store.tags.remove(ctx.scope, input.resourceArn, input.tagKeys);
  return {};
};
