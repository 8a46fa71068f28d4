/**
 * Rows a source read but could not deliver (no readable time…), counted by reason between two pages and
 * handed over with the next page (`SourcePage.skipped`), so the step's message can say how many and why.
 */
export class SkippedRows {
  private counts = new Map<string, number>();

  count(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  get any(): boolean {
    return this.counts.size > 0;
  }

  /** The counts since the last call, as a page member (nothing when there are none); counting starts anew. */
  take(): { skipped?: Record<string, number> } {
    if (this.counts.size === 0) return {};
    const skipped = Object.fromEntries(this.counts);
    this.counts = new Map();
    return { skipped };
  }
}
