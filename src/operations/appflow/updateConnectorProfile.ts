import { ConnectorAuthenticationException, ResourceNotFoundException, ValidationException } from '../../api/appflow/errors.js';
import type { UpdateConnectorProfileRequest, UpdateConnectorProfileResponse } from '../../api/appflow/shapes.generated.js';
import { mapAppflowProfile } from '../../connectors/appflow-profiles.js';
import { appflowConnectorProfileArn } from '../../domain/arns.js';
import type { Handler } from '../context.js';
import { earlierAnswer, tokenedCall, writeOnce } from './client-token.js';
import { requireOwnProfile } from './common.js';

/**
 * Replaces the properties (and the credentials, when given: without them the stored ones stay) of one
 * of the caller's own connector profiles. The connector type is the one it was created with. An
 * operator's profile is not the caller's to change: it answers as a missing one. Retried with its
 * clientToken, it answers the first call's ARN (client-token.ts).
 */
export const updateConnectorProfile: Handler<UpdateConnectorProfileRequest, UpdateConnectorProfileResponse> = async (ctx, input) => {
  const call = await tokenedCall(ctx, 'UpdateConnectorProfile', input);
  const earlier = await earlierAnswer<UpdateConnectorProfileResponse>(ctx, call);
  if (earlier) return earlier;
  const stored = await requireOwnProfile(ctx, input.connectorProfileName);
  const config = input.connectorProfileConfig;
  const mapped = mapAppflowProfile(
    stored.connectorType,
    config.connectorProfileProperties,
    config.connectorProfileCredentials,
    stored.settings,
    ctx.connectorPolicy,
  );
  if (!mapped.ok) throw mapped.authentication ? new ConnectorAuthenticationException(mapped.problem) : new ValidationException(mapped.problem);
  return writeOnce(ctx, call, async (store) => {
    const updated = await store.accountConnectorProfiles.update(ctx.scope, {
      ...stored,
      connectionMode: input.connectionMode,
      properties: config.connectorProfileProperties,
      settings: mapped.settings,
      updatedAt: Math.max(ctx.clock.now(), stored.createdAt),
    });
    if (!updated) throw new ResourceNotFoundException(`The connector profile ${input.connectorProfileName} does not exist.`);
    return { connectorProfileArn: appflowConnectorProfileArn(ctx.scope, input.connectorProfileName) };
  });
};
