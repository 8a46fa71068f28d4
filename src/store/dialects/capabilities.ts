/** What differs between the backends, as flags the shared queries consult (the kysely habit). */
export interface DialectCapabilities {
  name: 'sqlite' | 'postgres';
  /** `FOR UPDATE SKIP LOCKED` exists: several processes can claim work concurrently. */
  skipLocked: boolean;
  /** Several processes may share the database safely. */
  multiProcess: boolean;
}
