import type { DeleteProfileKeyRequest, DeleteProfileKeyResponse } from '../api/shapes.generated.js';
import type { Handler } from './context.js';
import { changeProfileKeys } from './profile-common.js';

/**
 * "Removes a searchable key from a customer profile" (model): the profile's index entries for KeyName
 * with those values go, whichever source gave them (AddProfileKey, an object, a standard attribute),
 * so SearchProfiles no longer finds it by them. Objects and attributes are left as they are; a later
 * object or UpdateProfile carrying the value indexes it again [I]. Values the profile does not hold are
 * ignored.
 */
export const deleteProfileKey: Handler<DeleteProfileKeyRequest, DeleteProfileKeyResponse> = async (ctx, input) => {
  await changeProfileKeys(ctx, input, 'remove');
  // True whether or not the profile held them: values it did not hold are ignored, as above.
  return { Message: `Profile ${input.ProfileId} is no longer found by key ${input.KeyName} with the ${input.Values.length} value(s) given.` };
};
