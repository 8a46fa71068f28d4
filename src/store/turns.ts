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

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    let end!: () => void;
    const mine = new Promise<void>((resolve) => (end = resolve));
    const tail = before ? before.then(() => mine) : mine;
    this.tails.set(key, tail);
    if (before) {
      this.waitingCount++;
      try {
        await before;
      } finally {
        this.waitingCount--;
      }
    }
    try {
      return await work();
    } finally {
      end();
      // The last in line leaves no entry behind: the map holds only keys with work running or queued.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** How many are waiting for their turn (not the ones running). */
  get waiting(): number {
    return this.waitingCount;
  }
}
