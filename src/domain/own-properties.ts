/**
 * Caller-given names (map keys, tag keys, field and key names, a record's fields) may be anything,
 * `__proto__`, `constructor` and `toString` included. On a plain object, `obj[name] = v` with
 * `__proto__` sets the prototype instead of a member (a string value is silently ignored), and
 * `obj[name]` with `toString` finds Object.prototype's function when the object has no such member.
 * These two read and write own members only, so such names stay ordinary names.
 */

/** Sets `key` as an own, enumerable member of `target`, whatever the key. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Plain assignment for every other key: it is what JSON.parse and object literals produce, and faster.
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** The value of `target`'s own member `key`; undefined when it has none (never an inherited one). */
export function getOwn(target: object, key: string | number): unknown {
  return Object.hasOwn(target, key) ? (target as Record<string | number, unknown>)[key] : undefined;
}
