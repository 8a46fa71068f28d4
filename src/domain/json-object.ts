/** Whether a parsed JSON value is an object (not null, not a list), whose members can then be read by name. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * PutProfileObject's Object holds at most 256,000 characters (the model's length trait); an object a flow
 * or a workflow ingests is held to the same, and so is any value a task builds on the way there.
 */
export const MAX_PROFILE_OBJECT_CHARACTERS = 256_000;
