/**
 * The page loop both kinds of work share (a workflow step, a flow run): read a page from the
 * connector → apply the compiled tasks → ingest the records and move the unit's checkpoint in one
 * transaction → next page, counting drops by reason. What differs per kind (what the checkpoint moves,
 * what must still exist) is passed in; claiming, finishing and retrying stay with each kind's runner.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Connector, ReadRequest, SourcePage } from '../connectors/types.js';
import type { CompiledTasks } from '../domain/flow-tasks.js';
import type { Scope } from '../domain/scope.js';
import type { ChangeSource } from '../ingest/profile-changes.js';
import { ingestionTurn, putProfileObjects } from '../ingest/profile-objects.js';
import type { ObjectTypeRecord, Store } from '../store/types.js';
import type { Clock } from './clock.js';

/** Errors no retry can mend (a deleted object type, a task that terminates the flow): the unit fails for good. */
export class PermanentError extends Error {}

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

export async function runPages(loop: PageLoop): Promise<PageLoopResult> {
  const { store, clock, scope, domainName, objectType, tasks } = loop;
  let processed = loop.processed;
  let dropped = loop.dropped;
  const dropReasons = new Map<string, number>();
  let firstRejection: string | undefined;
  const pages = loop.connector.read(loop.request)[Symbol.asyncIterator]();
  // The next page, asked for before this one is written: a source across a network fetches it while the
  // database writes, instead of in turn with it. Asked before the transaction, because SQLite's holds the
  // thread until it commits. Its failure is seen when it is awaited, at the top of the next round. A
  // source that answers from memory is not asked ahead: asked early it computes the page before the
  // transaction instead of after, which gains nothing and keeps two pages alive at once.
  const readsAhead = !loop.connector.answersFromMemory?.(loop.request);
  let ahead: Promise<IteratorResult<SourcePage>> | undefined;
  const readAhead = (): Promise<IteratorResult<SourcePage>> | undefined => {
    if (!readsAhead) return undefined;
    const next = pages.next();
    next.catch(() => undefined);
    return next;
  };
  let pagesRun = 0;
  let readToEnd = false;
  try {
    for (;;) {
      const next = await (ahead ?? pages.next());
      ahead = undefined;
      if (next.done) break;
      if (pagesRun >= loop.maxPages) {
        // Looked one page ahead only to know whether the unit is finished; it is not, so hand it back.
        await pages.return?.();
        await loop.giveBack();
        return { kind: 'yielded' };
      }
      const page: SourcePage = next.value;
      const now = clock.now();
      const records: Record<string, unknown>[] = [];
      let droppedHere = 0;
      const reasonsHere = new Map<string, number>();
      const drop = (reason: string, count: number) => {
        droppedHere += count;
        reasonsHere.set(reason, (reasonsHere.get(reason) ?? 0) + count);
      };
      // Rows the source could not place (no readable time…): not ingested, so counted with the drops.
      for (const [reason, count] of Object.entries(page.skipped ?? {})) drop(reason, count);
      for (let i = 0; i < page.records.length; i++) {
        const outcome = tasks.apply(page.records[i]);
        if ('record' in outcome) records.push(outcome.record);
        else if ('dropped' in outcome) drop(outcome.dropped, 1);
        else {
          // AppFlow's TerminateFlow: nothing of this page is committed, and no retry could pass the record.
          const position = processed + dropped + i + 1;
          throw new PermanentError(
            `Task ${outcome.task + 1} (${outcome.terminate}) terminated the flow at record ${position} of the window ` +
              `(record ${i + 1} of page ${pagesRun + 1} in this run).`,
          );
        }
      }
      let rejected = 0;
      let pageRejection: string | undefined;
      ahead = readAhead();
      try {
        await store.transaction(async (tx) => {
          // Objects first, then the checkpoint: the count of records the object type rejects is known only
          // after ingesting. A refused checkpoint throws, which rolls the objects back with it.
          rejected = 0;
          pageRejection = undefined;
          if (!(await loop.hold(tx))) throw new CheckpointRefused();
          await loop.stillThere(tx);
          if (records.length > 0) {
            await putProfileObjects(tx, scope, domainName, objectType, records, now, {
              source: loop.source,
              onRejected: (_index, message) => {
                rejected++;
                pageRejection ??= message;
              },
            });
          }
          const reasons = new Map(dropReasons);
          for (const [reason, n] of reasonsHere) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
          if (rejected > 0) reasons.set(REJECTED, (reasons.get(REJECTED) ?? 0) + rejected);
          const ingested = records.length - rejected;
          const ok = await loop.checkpoint(tx, {
            // The time of this write, not the page's arrival: the checkpoint renews the lease, and a lease
            // counted from before the ingest would be shorter by however long the ingest took.
            now: clock.now(),
            cursor: page.cursor,
            readThrough: readPosition(page, loop.request.window),
            records: ingested,
            dropped: droppedHere + rejected,
            processedTotal: processed + ingested,
            droppedTotal: dropped + droppedHere + rejected,
            dropReasons: reasons,
          });
          if (!ok) throw new CheckpointRefused();
        }, records.length > 0 ? { ...ingestionTurn(scope, domainName), signal: loop.signal } : undefined);
      } catch (err) {
        if (err instanceof CheckpointRefused) return { kind: 'refused' };
        throw err;
      }
      processed += records.length - rejected;
      dropped += droppedHere + rejected;
      for (const [reason, n] of reasonsHere) dropReasons.set(reason, (dropReasons.get(reason) ?? 0) + n);
      if (rejected > 0) dropReasons.set(REJECTED, (dropReasons.get(REJECTED) ?? 0) + rejected);
      firstRejection ??= pageRejection;
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
function readPosition(page: SourcePage, window: ReadRequest['window']): number | undefined {
  const at = page.readThrough?.getTime();
  if (at === undefined || !Number.isFinite(at)) return undefined;
  return Math.min(window.end.getTime(), Math.max(window.start.getTime(), at));
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
