import { ConflictException, ConnectorAuthenticationException, ValidationException } from '../../api/appflow/errors.js';
import type { CreateConnectorProfileRequest, CreateConnectorProfileResponse } from '../../api/appflow/shapes.generated.js';
import { mapAppflowProfile } from '../../connectors/appflow-profiles.js';
import { appflowConnectorProfileArn } from '../../domain/arns.js';
import type { Handler } from '../context.js';
import { earlierAnswer, tokenedCall, writeOnce } from './client-token.js';

/**
 * Creates a connector profile owned by the caller's account and region. Its properties are kept as
 * given (DescribeConnectorProfiles answers them); its credentials become the source kind's settings,
 * checked against the kind's rules and the operator's policy, and are never answered. Retried with its
 * clientToken, it answers the first call's ARN (client-token.ts).
 */
export const createConnectorProfile: Handler<CreateConnectorProfileRequest, CreateConnectorProfileResponse> = async (ctx, input) => {
  const call = await tokenedCall(ctx, 'CreateConnectorProfile', input);
  const earlier = await earlierAnswer<CreateConnectorProfileResponse>(ctx, call);
  if (earlier) return earlier;
  const config = input.connectorProfileConfig;
  const mapped = mapAppflowProfile(
    input.connectorType,
    config.connectorProfileProperties,
    config.connectorProfileCredentials,
    undefined,
    ctx.connectorPolicy,
  );
  if (!mapped.ok) throw mapped.authentication ? new ConnectorAuthenticationException(mapped.problem) : new ValidationException(mapped.problem);
  const now = ctx.clock.now();
  return writeOnce(ctx, call, async (store) => {
    const created = await store.accountConnectorProfiles.create(ctx.scope, {
      name: input.connectorProfileName,
      connectorType: input.connectorType,
      connectionMode: input.connectionMode,
      kmsArn: input.kmsArn,
      properties: config.connectorProfileProperties,
      kind: mapped.kind,
      connectorTypes: mapped.connectorTypes,
      settings: mapped.settings,
      createdAt: now,
      updatedAt: now,
    });
    if (!created) throw new ConflictException(`A connector profile named ${input.connectorProfileName} already exists.`);
    return { connectorProfileArn: appflowConnectorProfileArn(ctx.scope, input.connectorProfileName) };
  });
};
