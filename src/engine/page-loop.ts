/**
 * The page loop both kinds of work share (a workflow step, a flow run): read a page from the
 * connector → apply the compiled tasks → ingest the records and move the unit's checkpoint in one
 * transaction → next page, counting drops by reason. What differs per kind (what the checkpoint moves,
 * what must still exist) is passed in; claiming, finishing and retrying stay with each kind's runner.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type Connector, type ReadRequest, SourceError, type SourcePage } from '../connectors/types.js';
import type { CompiledTasks } from '../domain/flow-tasks.js';
import type { Scope } from '../domain/scope.js';
import type { ChangeSource } from '../ingest/profile-changes.js';
import { ingestionMapper, ingestionTurn, type MappedBatch, putMappedObjects } from '../ingest/profile-objects.js';
import { StorageFault } from '../store/storage-condition.js';
import { TurnNotReached } from '../store/turns.js';
import type { ObjectTypeRecord, Store } from '../store/types.js';
import type { Clock } from './clock.js';

/** Errors no retry can mend (a deleted object type, a task that terminates the flow): the unit fails for good. */
export class PermanentError extends Error {}

/** SQLSTATEs of contention: a deadlock or serialization failure past its transaction's reruns, a lock timeout, a cancel by the operator. */
const CONTENTION_CODES = new Set(['40001', '40P01', '55P03', '57014']);

/**
 * Failures that say nothing about the unit: storage that cannot be written (an outage, a full disk), or
 * work that waited too long behind other work (its domain's turn, a lock). Nothing is recorded on the unit
 * and no attempt is counted: it is handed back, and retried from its cursor once storage answers or the
 * load passes. Counted as attempts, a busy hour would fail workflows that did nothing wrong.
 */
export function isHandedBack(err: unknown): boolean {
  if (err instanceof StorageFault || err instanceof TurnNotReached) return true;
  const code = String((err as { code?: unknown } | undefined)?.code ?? '');
  if (isStatementTimeout(err)) return false;
  return CONTENTION_CODES.has(code) || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * A statement the server cancelled at the service's statement timeout (57014, as a cancel by the operator,
 * but its own message). Not contention: a statement this page makes slow would be as slow on every
 * attempt, so it counts as an attempt and the unit fails in the end rather than being handed back forever.
 */
function isStatementTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === '57014' && /statement timeout/.test(String((err as { message?: unknown }).message));
}

/**
 * Why a failure is worth another attempt: a transient source failure, or a fault of ours that is not
 * the storage's (a bug met by this window's data). The latter is retried a bounded number of times like
 * the former and then fails the unit with a sentence the tenant can see; handed back forever, it would
 * hold the engine's slots and starve every other account's work. Its details go to the operator's log
 * only (`report`), since an internal error's text can name the service's internals.
 */
export function retryKind(err: unknown, report?: (error: unknown) => void): { what: string; reason: string; retryAfterMs?: number } | undefined {
  if (err instanceof SourceError) return err.kind === 'transient' ? { what: 'Transient source failure', reason: err.message, retryAfterMs: err.retryAfterMs } : undefined;
  if (err instanceof PermanentError) return undefined;
  try {
    report?.(err);
  } catch {
    // Whoever listens cannot stop the unit's failure from being recorded.
  }
  if (isStatementTimeout(err)) return { what: 'Internal error', reason: 'a database statement ran past the service\'s statement timeout; its log has the details.' };
  const name = err instanceof Error ? err.name : typeof err;
  return { what: 'Internal error', reason: `the service met an internal error (${name}); its log has the details.` };
}

/**
 * Settles a unit's failure with `settle` (a split, a retry, a failure: writes too). When one of those
 * writes throws, other than for storage or contention, that is counted as an internal error of the unit,
 * once: unhandled, the unit would keep its lease and be claimed again when it lapsed, forever, with no
 * attempt counted.
 */
export async function settleOnce<O>(err: unknown, settle: (err: unknown) => Promise<O>): Promise<O> {
  try {
    return await settle(err);
  } catch (inner) {
    if (inner === err || isHandedBack(inner)) throw inner;
    return settle(inner);
  }
}

/** Thrown inside a page's transaction to roll it back when the checkpoint was refused (lease lost, cancelled). */
class CheckpointRefused extends Error {}

export const REJECTED = 'rejected by the object type';

/** One committed page, as the checkpoint sees it. */
export interface PageCheckpoint {
  now: number;
  cursor: string;
  /** The page's read position (epoch ms, within the window), when the source told one. */
  readThrough?: number;
  /** Records ingested in this page. */
  records: number;
  /** Records read but dropped in this page (tasks, unplaceable rows, rejections). */
  dropped: number;
  /** The totals after this page, the unit's earlier runs included. */
  processedTotal: number;
  droppedTotal: number;
  /** Drops by reason in this run, this page included. */
  dropReasons: Map<string, number>;
}

export interface PageLoop {
  store: Store;
  clock: Clock;
  scope: Scope;
  domainName: string;
  objectType: ObjectTypeRecord;
  connector: Connector;
  request: ReadRequest;
  tasks: CompiledTasks;
  /** Who ingests, for the profiles' history: the workflow step or the flow run. */
  source: ChangeSource;
  /** Counts the unit had before this run (a resume). */
  processed: number;
  dropped: number;
  maxPages: number;
  pageDelayMs: number;
  signal?: AbortSignal;
  progress: { pages: number };
  /**
   * Locks the unit's own row, first in each page's transaction (the repositories' holdStep / holdRun say
   * why); false when the unit is no longer the caller's.
   */
  hold(tx: Store): Promise<boolean>;
  /** Checked inside each page's transaction before its records: throws a PermanentError to fail the unit. */
  stillThere(tx: Store): Promise<void>;
  /** Moves the unit's checkpoint inside the page's transaction; false when the unit is no longer the caller's. */
  checkpoint(tx: Store, page: PageCheckpoint): Promise<boolean>;
  /** The budget ran out with pages left: hand the unit back. */
  giveBack(): Promise<void>;
}

export type PageLoopResult =
  | { kind: 'read-all'; processed: number; dropped: number; dropReasons: Map<string, number>; firstRejection?: string }
  | { kind: 'yielded' }
  /** A checkpoint was refused: the lease is gone or the unit was cancelled; nothing of that page stayed. */
  | { kind: 'refused' };

/** A page read and made ready to write: its tasks applied, the records they let through mapped. */
interface PreparedPage {
  /** The page's cursor and read position; not its records, which need not outlive their preparation. */
  page: Pick<SourcePage, 'cursor' | 'readThrough'>;
  /** Records the tasks let through, mapped or rejected by the object type. */
  passed: number;
  /** What the passed records became; undefined when the object type cannot map anything (`unmappable`). */
  mapped?: MappedBatch;
  /** Why the object type maps nothing: thrown in the page's transaction, after its checks, failing the unit. */
  unmappable?: Error;
  /** Passed records the object type rejected, and the first one's reason. */
  rejected: number;
  firstRejection?: string;
  /** Records dropped before the object type (the source's skips, the tasks' drops), by reason. */
  dropped: number;
  reasons: Map<string, number>;
  /** A task stopped the flow at this record of the page (AppFlow's TerminateFlow). */
  terminated?: { task: number; terminate: string; index: number };
}

/**
 * Records prepared between two turns of the event loop when a page is prepared while the page before it is
 * written: short enough that a statement's answer waits for at most one slice (about a millisecond).
 */
const PREPARE_SLICE = 64;

/**
 * Applies the tasks to a page's records and maps those they let through. `sliced`: a turn of the event loop
 * after every PREPARE_SLICE records, for a page prepared while the one before it waits for its statements.
 */
async function preparePage(page: SourcePage, tasks: CompiledTasks, objectType: ObjectTypeRecord, sliced: boolean): Promise<PreparedPage> {
  const prepared: PreparedPage = { page: { cursor: page.cursor, readThrough: page.readThrough }, passed: 0, rejected: 0, dropped: 0, reasons: new Map() };
  const drop = (reason: string, count: number) => {
    prepared.dropped += count;
    prepared.reasons.set(reason, (prepared.reasons.get(reason) ?? 0) + count);
  };
  // Rows the source could not place (no readable time…): not ingested, so counted with the drops.
  for (const [reason, count] of Object.entries(page.skipped ?? {})) drop(reason, count);
  let mapper: ReturnType<typeof ingestionMapper> | undefined;
  try {
    mapper = ingestionMapper(objectType);
  } catch (err) {
    // The stored type cannot compile (written by an earlier release, or by hand): every retry would meet
    // the same definition, so the unit fails for good rather than being handed back forever.
    prepared.unmappable = new PermanentError(err instanceof Error ? err.message : String(err));
  }
  const batch: MappedBatch['batch'] = [];
  for (let i = 0; i < page.records.length; i++) {
    if (sliced && i > 0 && i % PREPARE_SLICE === 0) await yieldToEventLoop();
    // A record the tasks or the mapping throw on (a fault of ours) fails the page: the unit retries it and
    // then fails, naming an internal error, rather than skip past records it could not read.
    const outcome = tasks.apply(page.records[i]);
    if ('record' in outcome) {
      prepared.passed++;
      const mapping = mapper?.map(outcome.record);
      if (mapping?.ok) batch.push(mapping.item);
      else if (mapping) {
        prepared.rejected++;
        prepared.firstRejection ??= mapping.message;
      }
    } else if ('dropped' in outcome) drop(outcome.dropped, 1);
    else {
      // AppFlow's TerminateFlow: nothing of this page is committed, and no retry could pass the record.
      prepared.terminated = { task: outcome.task, terminate: outcome.terminate, index: i };
      return prepared;
    }
  }
  if (mapper) prepared.mapped = { type: mapper.type, batch };
  return prepared;
}

/**
 * What a record may cost at the configured page size, in units of one field mapped or one task applied;
 * a key entry, indexed and written, costs about sixteen of those. A page of records that cost more is made
 * smaller in proportion, so that one page's work (its preparation, and on SQLite its whole transaction,
 * which holds the event loop) stays about what a page of ordinary records costs, whatever the object type
 * or the flow: a type of 5,000 keys made a page of 2,000 records ten million key entries, which held every
 * other account's requests for half a minute. The templates' types, with their Map tasks, stay below it.
 */
const COST_PER_RECORD = 256;
const KEY_COST = 16;

export function pageSizeFor(pageSize: number, objectType: ObjectTypeRecord, tasks: CompiledTasks): number {
  const keys = Object.values(objectType.keys ?? {}).reduce((n, list) => n + list.length, 0);
  const cost = Object.keys(objectType.fields ?? {}).length + KEY_COST * keys + tasks.size;
  return cost <= COST_PER_RECORD ? pageSize : Math.max(1, Math.floor((pageSize * COST_PER_RECORD) / cost));
}

export async function runPages(loop: PageLoop): Promise<PageLoopResult> {
  const { store, clock, scope, domainName, objectType, tasks } = loop;
  const request = { ...loop.request, pageSize: pageSizeFor(loop.request.pageSize, objectType, tasks) };
  let processed = loop.processed;
  let dropped = loop.dropped;
  const dropReasons = new Map<string, number>();
  let firstRejection: string | undefined;
  const pages = loop.connector.read(request)[Symbol.asyncIterator]();

  const readAndPrepare = async (sliced: boolean): Promise<PreparedPage | undefined> => {
    const read = await pages.next();
    return read.done ? undefined : preparePage(read.value, tasks, objectType, sliced);
  };

  // The next page, asked for before this one is written, in two cases:
  // - where the statements run in the database server (statementsRunElsewhere), its read, tasks and
  //   mapping run while this page's statements do, in slices between their answers. Asked once this
  //   page's transaction has its turn and its connection, and begun a turn of the event loop later, once
  //   the first statement is on its way: asked while the page waited behind its domain's other
  //   ingestions, it would only have sat in memory;
  // - on SQLite, a source across a network fetches it while the database writes, instead of in turn with
  //   it. Asked before the transaction, because SQLite's holds the thread until it commits. A source that
  //   answers from memory is not asked ahead there: asked early it computes the page before the
  //   transaction instead of after, which gains nothing and keeps two pages alive at once.
  // A page's failure is seen when it is awaited, at the top of the next round.
  const overlaps = store.statementsRunElsewhere;
  const fetchesAhead = !overlaps && !loop.connector.answersFromMemory?.(request);
  let ahead: Promise<PreparedPage | undefined> | undefined;
  const askAhead = (): Promise<PreparedPage | undefined> => {
    const next = overlaps ? yieldToEventLoop().then(() => readAndPrepare(true)) : readAndPrepare(false);
    next.catch(() => undefined);
    return next;
  };
  let pagesRun = 0;
  let readToEnd = false;
  try {
    for (;;) {
      const prepared = await (ahead ?? readAndPrepare(false));
      ahead = undefined;
      if (prepared === undefined) break;
      if (pagesRun >= loop.maxPages) {
        // Looked one page ahead only to know whether the unit is finished; it is not, so hand it back.
        await pages.return?.();
        await loop.giveBack();
        return { kind: 'yielded' };
      }
      if (prepared.terminated) {
        const { task, terminate, index } = prepared.terminated;
        throw new PermanentError(
          `Task ${task + 1} (${terminate}) terminated the flow at record ${processed + dropped + index + 1} of the window ` +
            `(record ${index + 1} of page ${pagesRun + 1} in this run).`,
        );
      }
      const { page, passed, rejected } = prepared;
      const now = clock.now();
      if (fetchesAhead) ahead = askAhead();
      try {
        await store.transaction(async (tx) => {
          // Once, though a transaction aborted for a conflict runs this again.
          if (overlaps) ahead ??= askAhead();
          // Objects first, then the checkpoint: the records the object type rejects are known before,
          // and a refused checkpoint throws, which rolls the objects back with it.
          if (!(await loop.hold(tx))) throw new CheckpointRefused();
          await loop.stillThere(tx);
          if (passed > 0) {
            if (prepared.unmappable !== undefined) throw prepared.unmappable;
            await putMappedObjects(tx, scope, domainName, prepared.mapped!, now, { source: loop.source });
          }
          const reasons = new Map(dropReasons);
          for (const [reason, n] of prepared.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
          if (rejected > 0) reasons.set(REJECTED, (reasons.get(REJECTED) ?? 0) + rejected);
          const ingested = passed - rejected;
          const ok = await loop.checkpoint(tx, {
            // The time of this write, not the page's arrival: the checkpoint renews the lease, and a lease
            // counted from before the ingest would be shorter by however long the ingest took.
            now: clock.now(),
            cursor: page.cursor,
            readThrough: readPosition(page, request.window),
            records: ingested,
            dropped: prepared.dropped + rejected,
            processedTotal: processed + ingested,
            droppedTotal: dropped + prepared.dropped + rejected,
            dropReasons: reasons,
          });
          if (!ok) throw new CheckpointRefused();
        }, passed > 0 ? { ...ingestionTurn(scope, domainName), signal: loop.signal } : undefined);
      } catch (err) {
        if (err instanceof CheckpointRefused) return { kind: 'refused' };
        throw err;
      }
      processed += passed - rejected;
      dropped += prepared.dropped + rejected;
      for (const [reason, n] of prepared.reasons) dropReasons.set(reason, (dropReasons.get(reason) ?? 0) + n);
      if (rejected > 0) dropReasons.set(REJECTED, (dropReasons.get(REJECTED) ?? 0) + rejected);
      firstRejection ??= prepared.firstRejection;
      pagesRun++;
      loop.progress.pages = pagesRun;
      if (loop.pageDelayMs > 0) await delay(loop.pageDelayMs, loop.signal);
      // A source that answers from memory (synthetic, a buffered file) and better-sqlite3's synchronous
      // writes resolve every await as a microtask: without a turn of the event loop between pages, a
      // unit of a million records held off every HTTP request (health, GetWorkflow) until it ended.
      else await yieldToEventLoop();
    }
    readToEnd = true;
  } finally {
    // A unit left mid-read (a task stopped the flow, the lease was lost, a write failed) closes the
    // source, so that a connector's open files and sockets do not outlive it.
    if (!readToEnd) {
      // A page asked for ahead is left to finish first: the source's own return waits for it anyway.
      await ahead?.catch(() => undefined);
      await pages.return?.().catch(() => undefined);
    }
  }
  return { kind: 'read-all', processed, dropped, dropReasons, firstRejection };
}

/** The page's readThrough as epoch ms kept within the window; undefined when the source told none (or no instant). */
function readPosition(page: Pick<SourcePage, 'readThrough'>, window: ReadRequest['window']): number | undefined {
  const at = page.readThrough?.getTime();
  if (at === undefined || !Number.isFinite(at)) return undefined;
  return Math.min(window.end.getTime(), Math.max(window.start.getTime(), at));
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // The listener goes with the timer: one left behind per page would pile up on the unit's signal.
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
