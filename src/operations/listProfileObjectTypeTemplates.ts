import type {
  ListProfileObjectTypeTemplatesRequest,
  ListProfileObjectTypeTemplatesResponse,
} from '../api/shapes.generated.js';
import { paginate } from './paginate.js';
import { allTemplates } from '../domain/templates/index.js';
import type { Handler } from './context.js';

/**
 * The template catalogue (docs/templates.md), ordered by TemplateId. Templates belong to the service,
 * not to a domain; the page token is still bound to the account and region, as every other list's is.
 */
export const listProfileObjectTypeTemplates: Handler<
  ListProfileObjectTypeTemplatesRequest,
  ListProfileObjectTypeTemplatesResponse
> = async (ctx, input) => {
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['ListProfileObjectTypeTemplates', ctx.scope],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: async (after: string | undefined, limit) =>
      allTemplates()
        .filter((t) => after === undefined || t.TemplateId > after)
        .slice(0, limit),
    keyOf: (t) => t.TemplateId,
  });
  return {
    Items: page.items.map((t) => ({ TemplateId: t.TemplateId, SourceName: t.SourceName, SourceObject: t.SourceObject })),
    NextToken: page.nextToken,
  };
};
