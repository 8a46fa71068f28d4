/** Whether a parsed JSON value is an object (not null, not a list), whose members can then be read by name. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
