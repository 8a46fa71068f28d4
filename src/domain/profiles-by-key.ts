/**
 * Profiles by (key name, key value), each (name, value, profile) once: a batch's view of the key index
 * in ingestion (what the index holds for its keys and the entries it adds), and the de-duplication of
 * entries read from the index's tables (store/dialects/row-writers/queries.ts, distinctKeys).
 *
 * A map per key name rather than one map of the two joined into a string: the names and values are
 * strings already, whose hashes V8 keeps, where a joined string is built, flattened and hashed on every
 * look-up, several times per record.
 */
export class ProfilesByKey {
  private readonly byName = new Map<string, Map<string, string[]>>();

  /** The profiles (key name, key value) leads to; undefined when none. */
  get(keyName: string, keyValue: string): readonly string[] | undefined {
    return this.byName.get(keyName)?.get(keyValue);
  }

  /** Adds `profileId` under (key name, key value); false when it was there already. */
  add(keyName: string, keyValue: string, profileId: string): boolean {
    let values = this.byName.get(keyName);
    if (!values) this.byName.set(keyName, (values = new Map()));
    const ids = values.get(keyValue);
    if (!ids) {
      values.set(keyValue, [profileId]);
      return true;
    }
    if (ids.includes(profileId)) return false;
    ids.push(profileId);
    return true;
  }

  /** Every profile named, once or more. */
  *profileIds(): Iterable<string> {
    for (const values of this.byName.values()) for (const ids of values.values()) yield* ids;
  }

  /** Forgets the profiles in `gone`, and the keys that then lead nowhere. */
  forget(gone: ReadonlySet<string>): void {
    for (const values of this.byName.values()) {
      for (const [value, ids] of values) {
        const kept = ids.filter((id) => !gone.has(id));
        if (kept.length > 0) values.set(value, kept);
        else values.delete(value);
      }
    }
  }
}
