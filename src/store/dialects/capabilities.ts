/** What differs between the backends, as flags the shared queries consult (the kysely habit). */
export interface DialectCapabilities {
  name: 'sqlite' | 'postgres';
  /** `FOR UPDATE SKIP LOCKED` exists: several processes can claim work concurrently. */
  skipLocked: boolean;
  /**
   * Arrays bind as one parameter and `unnest` turns them into rows: a multi-row insert then takes one
   * parameter per column instead of one per value (PostgreSQL; ingestion's widest writes use it).
   */
  arrayParameters: boolean;
  /**
   * A statement runs in another process (the database server): while it runs, this process's thread is
   * free for other work. False where statements run on the calling thread (better-sqlite3).
   */
  statementsRunElsewhere: boolean;
}
