/**
 * The one polling helper of the suite. A test that waits for something another process or the browser
 * does (a status, a log line, a page's text) asks again until it holds, and fails at a deadline naming
 * what it waited for and the last error seen, never after a fixed sleep.
 */

export interface PollOptions {
  /** Default 30000. */
  deadlineMs?: number;
  /** Pause between two asks; default 50. */
  intervalMs?: number;
}

/** Polls `probe` until it returns a value other than undefined, or fails at the deadline. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, options: PollOptions | number = {}): Promise<T> {
  const o = typeof options === 'number' ? { deadlineMs: options } : options;
  const deadlineMs = o.deadlineMs ?? 30_000;
  const end = performance.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (performance.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
  }
}

/** Polls `probe` until it answers true, or fails at the deadline. */
export async function until(probe: () => Promise<boolean> | boolean, what: string, options: PollOptions | number = {}): Promise<void> {
  await eventually(async () => ((await probe()) ? true : undefined), what, options);
}
