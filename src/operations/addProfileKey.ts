import type { AddProfileKeyRequest, AddProfileKeyResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { changeProfileKeys } from './profile-common.js';

/**
 * "Associates a new key value with a specific profile" (model): SearchProfiles then finds the profile
 * by it, and so does an object whose PROFILE key has that name and value. KeyName is a key the domain
 * knows (a standard search key or an object type's key); values are indexed as that key normalizes
 * them. The answer echoes KeyName and Values as given.
 */
export const addProfileKey: Handler<AddProfileKeyRequest, AddProfileKeyResponse> = async (ctx, input) => {
  await changeProfileKeys(ctx, input, 'add');
  return { KeyName: input.KeyName, Values: input.Values };
};
