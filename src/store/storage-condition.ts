import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

/**
 * What the store can say about its storage: `ok`, or `degraded` with one sentence an operator can act on.
 * The sentence names no file or server (the health route shows it to anyone); the log line does.
 */
export type StorageCondition = { status: 'ok' } | { status: 'degraded'; reason: string };

/**
 * A storage fault (disk full, read-only, I/O errors, a damaged file, the database server unreachable),
 * thrown in place of the driver's error so that every log line that prints it names the fault; the
 * driver's error is its `cause`. Callers answer it like any other unexpected error (a 500 that says nothing
 * about paths or internals).
 */
export class StorageFault extends Error {
  constructor(
    readonly kind: StorageFaultKind,
    /** The sentence the log shows, e.g. "the disk holding /data/profileflow.db is full". */
    readonly reason: string,
    cause: unknown,
  ) {
    const detail = cause as { code?: string; message?: string };
    super(`Storage fault: ${reason} (${[detail?.code, detail?.message].filter(Boolean).join(': ')}).`, { cause });
    this.name = 'StorageFault';
  }
}

/**
 * full, read-only, io: cleared by the next write that succeeds (space came back, the disk was remounted).
 * unreachable: cleared by the next query that succeeds. damaged: stays until a restart, whose start-up
 * check then refuses the file.
 */
export type StorageFaultKind = 'full' | 'read-only' | 'io' | 'damaged' | 'unreachable';

/**
 * Turns a driver's error into the fault it means, if it means one: `reason` names the file or server (for
 * logs), `publicReason` says the same without it (for the health route, which answers without a signature).
 */
export type FaultClassifier = (error: unknown) => { kind: StorageFaultKind; reason: string; publicReason: string } | undefined;

const SQLITE_REASONS: Record<Exclude<StorageFaultKind, 'unreachable'>, (file: string) => string> = {
  full: (file) => `the disk holding ${file} is full`,
  'read-only': (file) => `the disk or folder holding ${file} is read-only`,
  io: (file) => `the disk holding ${file} reports I/O errors`,
  damaged: (file) => `${file} is damaged; stop the service and run profileflow doctor`,
};

export function sqliteFaultOf(file: string): FaultClassifier {
  const fault = (kind: keyof typeof SQLITE_REASONS) => ({ kind, reason: SQLITE_REASONS[kind](file), publicReason: SQLITE_REASONS[kind]('the database') });
  return (error) => {
    const code = String((error as { code?: unknown })?.code ?? '');
    // better-sqlite3 gives SQLite's extended codes (SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE…); the
    // errno codes come from our own file operations.
    if (code === 'SQLITE_FULL' || code === 'ENOSPC') return fault('full');
    if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return fault('read-only');
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return fault('damaged');
    if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return fault('io');
    return undefined;
  };
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** `at` is " host:port/database" for the log, or empty. */
const POSTGRES_REASONS: Record<Exclude<StorageFaultKind, 'io'>, (at: string) => string> = {
  full: (at) => `the disk holding the PostgreSQL database${at} is full`,
  'read-only': (at) => `the PostgreSQL database${at} is read-only (a standby, or default_transaction_read_only)`,
  damaged: (at) => `the PostgreSQL database${at} reports damaged data`,
  unreachable: (at) => `the PostgreSQL server${at} cannot be reached`,
};

/** `server` is host:port/database. SQLSTATEs: PostgreSQL's appendix A. */
export function postgresFaultOf(server: string): FaultClassifier {
  const fault = (kind: keyof typeof POSTGRES_REASONS) => ({
    kind,
    reason: POSTGRES_REASONS[kind](` ${server}`),
    publicReason: POSTGRES_REASONS[kind](''),
  });
  return (error) => {
    const code = String((error as { code?: unknown })?.code ?? '');
    const message = String((error as { message?: unknown })?.message ?? '');
    if (code === '53100') return fault('full');
    if (code === '25006') return fault('read-only');
    if (code === 'XX001' || code === 'XX002') return fault('damaged');
    // 57P0x: the server is shutting down or restarting; 08xxx: the connection failed; the messages are
    // what pg and pg-pool throw when a socket dies or a connection attempt times out.
    if (
      CONNECTION_CODES.has(code) ||
      code.startsWith('57P0') ||
      code.startsWith('08') ||
      /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable/.test(message)
    ) {
      return fault('unreachable');
    }
    return undefined;
  };
}

/**
 * Watches every query of a store: a storage fault makes the condition `degraded` (and is rethrown as a
 * StorageFault), a write that commits makes it `ok` again. Why a watcher rather than a probe: the faults
 * that matter (a full disk, a read-only remount) show only when something writes, and a probe that wrote
 * would itself fill the disk a little more; the requests and the engine write often enough.
 */
export class StorageMonitor {
  private current: StorageCondition = { status: 'ok' };
  private currentKind: StorageFaultKind | undefined;
  private currentDetail: string | undefined;
  private readonly listeners = new Set<(condition: StorageCondition, detail: string | undefined) => void>();

  constructor(private readonly classify: FaultClassifier) {}

  condition(): StorageCondition {
    return this.current;
  }

  /**
   * Called on every change of condition (not on every fault): one log line when it starts, one when it
   * ends. `detail` is the reason naming the file or server, for the log.
   */
  onChange(listener: (condition: StorageCondition, detail: string | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The error to throw in place of `error`: a StorageFault when it is one, `error` itself otherwise. */
  observe(error: unknown): unknown {
    if (error instanceof StorageFault) return error;
    const fault = this.classify(error);
    if (!fault) return error;
    // A damaged file outranks anything later: it does not mend itself.
    if (this.currentKind !== 'damaged') this.set(fault.kind, { status: 'degraded', reason: fault.publicReason }, fault.reason);
    return new StorageFault(fault.kind, fault.reason, error);
  }

  /** A write committed: the disk takes writes again. */
  wrote(): void {
    if (this.currentKind !== undefined && this.currentKind !== 'damaged') this.set(undefined, { status: 'ok' }, undefined);
  }

  /** A query answered: the server is reachable again (a full or read-only disk still needs a write). */
  answered(): void {
    if (this.currentKind === 'unreachable') this.set(undefined, { status: 'ok' }, undefined);
  }

  private set(kind: StorageFaultKind | undefined, condition: StorageCondition, detail: string | undefined): void {
    const changed = kind !== this.currentKind || detail !== this.currentDetail;
    this.currentKind = kind;
    this.current = condition;
    this.currentDetail = detail;
    if (changed) for (const listener of this.listeners) listener(condition, detail);
  }
}

/** Rows a write changed: counted by the driver, or returned (a write with RETURNING reports only its rows). */
function changedRows(result: QueryResult<unknown>): boolean {
  return (result.numAffectedRows ?? 0n) > 0n || result.rows.length > 0;
}

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/** Not BEGIN, a PRAGMA or a read: those succeed on a full disk too. */
function isWrite(query: CompiledQuery): boolean {
  return WRITE_NODES.has(query.query.kind) || (query.query.kind === 'RawNode' && /^\s*(insert|update|delete|replace)\b/i.test(query.sql));
}

/**
 * A dialect whose driver reports every query to `monitor`, and whose rollback never hides the error that
 * caused it. Why the rollback: SQLite ends a transaction by itself on some errors (SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_NOMEM…); Kysely then sends ROLLBACK, which fails with "cannot rollback - no transaction is active",
 * and that error replaced the disk-full one in every log. On PostgreSQL a ROLLBACK on a dead connection
 * fails the same way. Kysely rethrows the callback's error after a rollback that returns, so a rollback
 * that is not needed (`inTransaction` says so) is skipped and one that fails is swallowed.
 */
export function monitoredDialect(inner: Dialect, monitor: StorageMonitor, inTransaction?: () => boolean, totalChanges?: () => number): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => new MonitoredDriver(inner.createDriver(), monitor, inTransaction, totalChanges),
  };
}

class MonitoredDriver implements Driver {
  // Connections are the inner driver's own objects (it reads their private fields when they come back),
  // so their executeQuery is wrapped in place, once, rather than the connection wrapped in another object.
  private readonly watched = new WeakSet<DatabaseConnection>();
  private readonly inTransactionOf = new WeakSet<DatabaseConnection>();
  /**
   * Transactions that changed a row, so far: only their COMMIT shows the disk takes writes. A
   * transaction that only read (the engine's idle claim, every poll) commits on a full disk too.
   */
  private readonly changedIn = new WeakSet<DatabaseConnection>();
  /** SQLite: the connection's total_changes() at BEGIN, which counts the raw statements' rows too. */
  private readonly changesAtBegin = new WeakMap<DatabaseConnection, number>();

  // Savepoints are optional on a Driver; Kysely checks for them before use.
  readonly savepoint: Driver['savepoint'];
  readonly rollbackToSavepoint: Driver['rollbackToSavepoint'];
  readonly releaseSavepoint: Driver['releaseSavepoint'];

  constructor(
    private readonly inner: Driver,
    private readonly monitor: StorageMonitor,
    private readonly inTransaction?: () => boolean,
    private readonly totalChanges?: () => number,
  ) {
    this.savepoint = inner.savepoint?.bind(inner);
    this.rollbackToSavepoint = inner.rollbackToSavepoint?.bind(inner);
    this.releaseSavepoint = inner.releaseSavepoint?.bind(inner);
  }

  async init(): Promise<void> {
    try {
      await this.inner.init();
    } catch (err) {
      throw this.monitor.observe(err);
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let connection: DatabaseConnection;
    try {
      connection = await this.inner.acquireConnection();
    } catch (err) {
      throw this.monitor.observe(err);
    }
    if (!this.watched.has(connection)) {
      this.watched.add(connection);
      const execute = connection.executeQuery.bind(connection);
      const monitor = this.monitor;
      const inTransactionOf = this.inTransactionOf;
      const changedIn = this.changedIn;
      connection.executeQuery = async function <R>(query: CompiledQuery): Promise<QueryResult<R>> {
        let result: QueryResult<R>;
        try {
          result = await execute<R>(query);
        } catch (err) {
          throw monitor.observe(err);
        }
        monitor.answered();
        // A write that changed no row succeeds on a full disk too. Outside a transaction one that changed
        // rows committed by itself; inside one only COMMIT tells (commitTransaction).
        if (isWrite(query) && changedRows(result)) {
          if (inTransactionOf.has(connection)) changedIn.add(connection);
          else monitor.wrote();
        }
        return result;
      };
    }
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.inner.beginTransaction(connection, settings);
    this.inTransactionOf.add(connection);
    this.changedIn.delete(connection);
    if (this.totalChanges) this.changesAtBegin.set(connection, this.totalChanges());
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const changed = this.changedIn.has(connection) || (this.totalChanges !== undefined && this.totalChanges() !== this.changesAtBegin.get(connection));
    await this.inner.commitTransaction(connection);
    this.inTransactionOf.delete(connection);
    this.changedIn.delete(connection);
    if (changed) this.monitor.wrote();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.inTransactionOf.delete(connection);
    if (this.inTransaction && !this.inTransaction()) return;
    await this.inner.rollbackTransaction(connection).catch(() => undefined);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.inTransactionOf.delete(connection);
    await this.inner.releaseConnection(connection);
  }

  async destroy(): Promise<void> {
    await this.inner.destroy();
  }
}
