/**
 * Work that must run one at a time per key within this process, each waiting for its turn before it
 * starts. The store uses it to queue a domain's ingestion transactions before they take a pooled
 * connection (Store.transaction's `turn`): queued in PostgreSQL instead, on the domain's ingestion lock,
 * each would hold a connection while it waits, and a burst into one domain would leave none for others.
 */
export class Turns {
  /** Per key, the turn the next arrival waits for: settled when every turn taken so far has ended. */
  private readonly tails = new Map<string, Promise<void>>();
  private waitingCount = 0;

  /**
   * Runs `work` once every earlier `run` of `key` has ended. Waiting longer than `waitMs`, or until
   * `signal` aborts, leaves the line with a TurnNotReached (or the signal's reason); so does an error of
   * `whileWaiting`, which runs first when there is a wait, its place in the line kept meanwhile. Those
   * behind it keep their places and still wait for those before it.
   */
  async run<T>(
    key: string,
    work: () => Promise<T>,
    options: { waitMs: number; signal?: AbortSignal; whileWaiting?: () => Promise<void> },
  ): Promise<T> {
    const before = this.tails.get(key);
    let end!: () => void;
    const mine = new Promise<void>((resolve) => (end = resolve));
    const tail = before ? before.then(() => mine) : mine;
    this.tails.set(key, tail);
    const leave = () => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    if (before) {
      this.waitingCount++;
      try {
        if (options.whileWaiting) await options.whileWaiting();
        await waitFor(before, options.waitMs, options.signal);
      } catch (err) {
        // Out of the line: the next one's turn comes when the one before this would have ended.
        void before.then(() => {
          end();
          leave();
        });
        throw err;
      } finally {
        this.waitingCount--;
      }
    }
    try {
      return await work();
    } finally {
      end();
      // The last in line leaves no entry behind: the map holds only keys with work running or queued.
      leave();
    }
  }

  /** How many are waiting for their turn (not the ones running). */
  get waiting(): number {
    return this.waitingCount;
  }
}

/** The turn did not come within the wait allowed (Turns.run). */
export class TurnNotReached extends Error {
  constructor(readonly waitedMs: number) {
    super(`The turn did not come within ${waitedMs} ms.`);
  }
}

function waitFor(turn: Promise<void>, waitMs: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      stop();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new TurnNotReached(waitMs));
    }, waitMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      stop();
      resolve();
    });
  });
}
