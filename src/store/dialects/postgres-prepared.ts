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
 * How many: at most `MAX_PER_CONNECTION` a connection; past that a text runs unnamed on that connection,
 * so a connection's memory on the server stays bounded whatever the shapes.
 *
 * A pooler between the service and the server must keep a session per client connection (PgBouncer's
 * session mode, or its protocol-level prepared statements since 1.21).
 */

const MAX_PER_CONNECTION = 256;

/** Registered texts and their statement names, the same in every process for the same text. */
const NAMES = new Map<string, string>();

/** Marks `text` as worth preparing; called once per compiled read's shape. */
export function registerPreparedText(text: string): void {
  if (!NAMES.has(text)) NAMES.set(text, `pf_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
}

/** SQLSTATE 0A000 with this message: a table's columns changed under a prepared `select *`. */
const RESULT_TYPE_CHANGED = /cached plan must not change result type/;

/**
 * Runs the registered texts `client` is given (as Kysely gives them: text and parameters) as named
 * statements. pg sends the text (Parse) the first time a name runs on the connection and only the
 * parameters (Bind) after.
 */
export function preparedCompiledReads(client: pg.ClientBase): void {
  const query = client.query as (this: pg.ClientBase, ...args: unknown[]) => unknown;
  /** The name each text runs under on this connection: renamed after its table's columns changed. */
  const named = new Map<string, string>();
  let renames = 0;
  (client as unknown as { query: typeof query }).query = function (this: pg.ClientBase, ...args: unknown[]) {
    const [text, values] = args;
    if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values)) return query.apply(this, args);
    let name = named.get(text);
    if (name === undefined) {
      const registered = NAMES.get(text);
      // A renamed statement's first name stays prepared on the server: it counts too.
      if (registered === undefined || named.size + renames >= MAX_PER_CONNECTION) return query.apply(this, args);
      named.set(text, (name = registered));
    }
    // 'I': no transaction is open, so this statement runs alone and may run again if it must.
    const alone = (this as { getTransactionStatus?: () => string | null }).getTransactionStatus?.() === 'I';
    const run = query.call(this, { name, text, values }) as Promise<unknown>;
    return run.catch((err: unknown) => {
      const e = err as { code?: string; message?: string };
      if (e.code !== '0A000' || !RESULT_TYPE_CHANGED.test(e.message ?? '')) throw err;
      // Another process's migration changed a table this statement reads (a column added under a
      // `select *`, a column's collation): the server refuses the statement on this connection from
      // now on. It is prepared again under a new name: at once when it ran alone, at its next run when
      // it ran in a transaction, which the failure has aborted.
      const renamed = `${NAMES.get(text)}_${++renames}`;
      named.set(text, renamed);
      if (!alone) throw err;
      return query.call(this, { name: renamed, text, values });
    });
  };
}
