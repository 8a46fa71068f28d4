import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Server-side prepared statements for the store's compiled reads (repositories/compiled-reads.ts) on
 * PostgreSQL.
 *
 * Why: an unnamed statement is parsed and planned by the server every time it runs. For the control
 * plane's hottest requests that is most of the server's work: ListWorkflows' three reads (the domain, a
 * 101-row page, the page's flows) cost the server 0.34–0.37 ms of CPU a request unnamed and 0.14–0.15 ms
 * named, and 0.68–0.77 ms of wall time against 0.45–0.53 (docs/performance.md, Control plane, "Named
 * statements"). The server's CPU is what every node of a deployment shares.
 *
 * Which statements: only texts registered here, which are the compiled reads: a bounded set of shapes
 * whose parameters never change the best plan much (equality on keys, a range on an index). Everything
 * else, the ingestion's array statements and COPY included, stays unnamed.
 *
 * How many: at most `MAX_PER_CONNECTION` a connection, those a rename left behind included; past that a
 * text runs unnamed on that connection, so a connection's memory on the server stays bounded whatever the
 * shapes. The server parses a named statement once, and plans it once when its generic plan is chosen
 * (PostgreSQL's `plan_cache_mode = auto`: after five runs, if it costs no more than the custom plans).
 *
 * A pooler between the service and the server must keep a session per client connection (PgBouncer's
 * session mode, or its protocol-level prepared statements since 1.21).
 */

export const MAX_PER_CONNECTION = 256;

/** Registered texts and their statement names, the same in every process for the same text. */
const NAMES = new Map<string, string>();

/** Marks `text` as worth preparing; called once per compiled read's shape. */
export function registerPreparedText(text: string): void {
  if (!NAMES.has(text)) NAMES.set(text, `pf_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
}

/**
 * A named statement the server no longer runs as it was prepared, where an unnamed one would run: a
 * table's result columns changed under it (0A000 "cached plan must not change result type"), a column's
 * type changed under a parameter whose type was fixed at the first Parse (42883, 42804), or pg closed it
 * after a parameter failed to serialize and still believes it prepared (26000).
 */
function isStale(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return (code === '0A000' && /cached plan must not change result type/.test(message ?? '')) || code === '26000' || code === '42883' || code === '42804';
}

/**
 * Runs the registered texts `client` is given (as Kysely gives them: text and parameters) as named
 * statements. pg sends the text (Parse) the first time a name runs on the connection and only the
 * parameters (Bind) after.
 */
export function preparedCompiledReads(client: pg.ClientBase): void {
  const query = client.query as (this: pg.ClientBase, ...args: unknown[]) => unknown;
  /** The name each text runs under on this connection, or '' once it must run unnamed here. */
  const named = new Map<string, string>();
  /** Names this connection has prepared, those left behind by a rename included: the server holds them all. */
  let held = 0;
  let renames = 0;
  const nameFor = (text: string, name: string): string => {
    if (held >= MAX_PER_CONNECTION) name = '';
    else held++;
    named.set(text, name);
    return name;
  };
  const run = (on: pg.ClientBase, args: unknown[], again: boolean): unknown => {
    const [text, values] = args;
    if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values)) return query.apply(on, args);
    let name = named.get(text);
    if (name === undefined) {
      const registered = NAMES.get(text);
      name = registered === undefined ? '' : nameFor(text, registered);
    }
    if (name === '') return query.apply(on, args);
    const ran = name;
    return (query.call(on, { name: ran, text, values }) as Promise<unknown>).catch((err: unknown): unknown => {
      if (!isStale(err)) throw err;
      // Prepared again under a new name, once, however many runs of the text were queued when it failed.
      if (named.get(text) === ran) nameFor(text, `${NAMES.get(text)}_${++renames}`);
      // Read now, after the failure: 'I' means it ran outside a transaction, so running it again is
      // safe; inside one the failure has aborted the transaction, and the next run prepares it again.
      // Once only: a statement that fails the same way freshly prepared is wrong in itself.
      if (again || (on as { getTransactionStatus?: () => string | null }).getTransactionStatus?.() !== 'I') throw err;
      return run(on, args, true);
    });
  };
  const wrapped = function (this: pg.ClientBase, ...args: unknown[]): unknown {
    return run(this, args, false);
  };
  (client as unknown as { query: typeof query }).query = wrapped;
}
