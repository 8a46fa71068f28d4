import type { BatchGetProfileRequest, BatchGetProfileResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { profileOutput } from './profile-common.js';

/**
 * The profiles of ProfileIds (1 to 20, model) in the order asked, each once; an id with no profile is an
 * Errors entry naming it instead of failing the call [I: the Code is the error a GetProfile would be].
 */
export const batchGetProfile: Handler<BatchGetProfileRequest, BatchGetProfileResponse> = async (ctx, input) => {
  await requireDomain(ctx, input.DomainName);
  const ids = [...new Set(input.ProfileIds)];
  const found = new Map((await ctx.store.profiles.getMany(ctx.scope, input.DomainName, ids)).map((p) => [p.profileId, p] as const));
  const out: Required<Pick<BatchGetProfileResponse, 'Profiles' | 'Errors'>> = { Profiles: [], Errors: [] };
  for (const id of ids) {
    const p = found.get(id);
    if (p) out.Profiles.push(profileOutput(id, p.attributes));
    else {
      out.Errors.push({
        ProfileId: id,
        Code: 'ResourceNotFoundException',
        Message: `Profile ${id} was not found in domain ${input.DomainName}.`,
      });
    }
  }
  return out;
};
