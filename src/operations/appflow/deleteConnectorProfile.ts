import { ConflictException, ResourceNotFoundException } from '../../api/appflow/errors.js';
import type { DeleteConnectorProfileRequest, DeleteConnectorProfileResponse } from '../../api/appflow/shapes.generated.js';
import type { Handler } from '../context.js';

/**
 * Deletes one of the caller's own connector profiles. A profile flows still read through is refused
 * with ConflictException unless forceDelete is true (AppFlow's documented meaning of forceDelete).
 */
export const deleteConnectorProfile: Handler<DeleteConnectorProfileRequest, DeleteConnectorProfileResponse> = async (ctx, input) => {
  const name = input.connectorProfileName;
  await ctx.store.transaction(async (store) => {
    if (!(await store.accountConnectorProfiles.get(ctx.scope, name))) {
      throw new ResourceNotFoundException(`The connector profile ${name} does not exist.`);
    }
    const using = await store.flows.countUsing(ctx.scope, name);
    if (using > 0 && input.forceDelete !== true) {
      throw new ConflictException(`The connector profile ${name} is used by ${using} flow${using === 1 ? '' : 's'}; delete them first or set forceDelete.`);
    }
    await store.accountConnectorProfiles.delete(ctx.scope, name);
  });
  return {};
};
