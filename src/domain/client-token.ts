import { createHmac } from 'node:crypto';

/**
 * AppFlow's idempotency tokens (`clientToken`): how long one is honoured, and what "the same request"
 * means. Pure: the store keeps the records, the operations decide with these.
 */

/** "The token is active for 8 hours" (the AppFlow model, on every clientToken member). */
export const CLIENT_TOKEN_ACTIVE_MS = 8 * 60 * 60 * 1000;

/**
 * A request's fingerprint: an HMAC-SHA-256, keyed with the store's secret, of the canonical JSON of its
 * validated input without the token. "If you specify input parameters that differ from your first
 * request, an error occurs" (the model).
 * [I] Two requests are the same when every member they give is equal, whatever the order of an object's
 * members on the wire; an absent member and a null one are the same (AWS reads both as not given).
 * Keyed, because a CreateConnectorProfile's input holds credentials: a plain digest kept for 8 hours
 * would let whoever reads the database test guesses of a password after its profile was deleted or its
 * credentials replaced.
 */
export function requestFingerprint(input: object, secret: Buffer): string {
  const { clientToken: _token, ...rest } = input as Record<string, unknown>;
  return createHmac('sha256', secret).update(canonicalJson(rest)).digest('hex');
}

/**
 * JSON with every object's members sorted by name and absent (undefined or null) members left out;
 * timestamps (Dates, as the validator reads them) as epoch milliseconds. Lists keep their order: in a
 * flow's tasks or a list of names the order is part of the request.
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    // Without a prototype: a member named __proto__ (a valid tag key) is then a member like any other,
    // where on a plain object its assignment would set the prototype and leave the member out.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined && member !== null) out[key] = canonical(member);
    }
    return out;
  }
  return value;
}
