import { ResourceNotFoundException } from '../api/errors.js';
import type { GetIntegrationRequest, GetIntegrationResponse } from '../api/shapes.generated.js';
import { integrationArn } from '../domain/arns.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { integrationOutput } from './profile-common.js';

export const getIntegration: Handler<GetIntegrationRequest, GetIntegrationResponse> = async (ctx, input) => {
  await requireDomain(ctx, input.DomainName);
  const integration = await ctx.store.integrations.get(ctx.scope, input.DomainName, input.Uri);
  if (!integration) {
    throw new ResourceNotFoundException(`The integration with Uri ${input.Uri} was not found in domain ${input.DomainName}.`);
  }
  const tags = await ctx.store.tags.get(ctx.scope, integrationArn(ctx.scope, input.DomainName, input.Uri));
  return integrationOutput(input.DomainName, integration, tags);
};
