import assert from 'node:assert/strict';

export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

/**
 * A real Server-Sent Events client: fetch plus a stream parser (event, id, data lines; comments kept
 * apart). `next` waits, with a deadline, for an event matching a predicate.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  private readonly abort = new AbortController();
  private waiters = new Set<() => void>();
  private done: Promise<void> = Promise.resolve();
  status = 0;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: client.abort.signal });
    client.status = response.status;
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    client.done = client.read(response.body!);
    await client.waitFor(() => client.comments.includes('ready'), 'the ready comment');
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: { id?: string; event: string; data: string[] } = { event: 'message', data: [] };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data.push(line.slice(6));
          }
          if (event.data.length) this.events.push({ id: event.id, event: event.event, data: JSON.parse(event.data.join('\n')) });
          for (const w of this.waiters) w();
        }
      }
    } catch {
      // aborted
    }
  }

  /** Resolves once `check` holds, re-checked at every block received; fails at the deadline. */
  waitFor(check: () => boolean, what: string, deadlineMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${deadlineMs} ms; got ${JSON.stringify(this.events.map((e) => [e.event, e.data.status, e.data.stepNo]))}`));
      }, deadlineMs);
      this.waiters.add(waiter);
    });
  }

  async next(predicate: (e: SseEvent) => boolean, what: string, deadlineMs?: number): Promise<SseEvent> {
    await this.waitFor(() => this.events.some(predicate), what, deadlineMs);
    return this.events.find(predicate)!;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
