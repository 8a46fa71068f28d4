import { CompiledQuery } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Rows written with `COPY … FROM STDIN` inside a Kysely transaction.
 *
 * Why COPY: PostgreSQL inserts COPY's rows a page of heap at a time (one WAL record per page where
 * `INSERT … SELECT` writes one per row) and parses no parameter arrays or JSON; the client writes each
 * value once, as text. Only rows that cannot conflict go this way: COPY has no conflict clause, and a
 * conflict fails the whole statement.
 *
 * How it reaches the transaction's connection: Kysely hands a statement's text and parameters to the
 * pg client it holds for the transaction and exposes no other way to that client. `copyRows` builds a
 * statement PostgreSQL itself never accepts, a COPY FROM STDIN with one parameter, and every client of
 * the store's pool (`acceptCopyRows`, installed when the pool connects it) runs such a statement as a
 * COPY whose data is that parameter. Everything else passes through untouched.
 */

/** A value of a COPY row: text, a number, or NULL. */
export type CopyValue = string | number | null;

const COPY_STATEMENT = /^copy [a-z_]+ \([a-z_, ]+\) from stdin$/;

/**
 * The statement that copies `rows` (one value per column, in order) into `table`. The rows are encoded as
 * the server takes them in (`runCopy`), not before the statement is sent, so they may be a lazy iterable
 * (`mappedRows`); they are read once per run of the statement.
 */
export function copyRows(table: string, columns: readonly string[], rows: Iterable<readonly CopyValue[]>): CompiledQuery {
  const text = `copy ${table} (${columns.join(', ')}) from stdin`;
  if (!COPY_STATEMENT.test(text)) throw new Error(`Not a COPY this store runs: ${text}`);
  return CompiledQuery.raw(text, [new CopyData(rows)]);
}

/** `rows` mapped by `toRow` as they are read, each time they are read. */
export function mappedRows<R>(rows: readonly R[], toRow: (r: R) => readonly CopyValue[]): Iterable<readonly CopyValue[]> {
  return {
    *[Symbol.iterator]() {
      for (const r of rows) yield toRow(r);
    },
  };
}

/** A COPY's rows, encoded into buffers as they are read (copyChunks). */
class CopyData implements Iterable<Buffer> {
  constructor(private readonly rows: Iterable<readonly CopyValue[]>) {}

  [Symbol.iterator](): Iterator<Buffer> {
    return copyChunks(this.rows);
  }
}

/** Lets `client` run the statements `copyRows` builds. */
export function acceptCopyRows(client: pg.ClientBase): void {
  const query = client.query as (this: pg.ClientBase, ...args: unknown[]) => unknown;
  (client as unknown as { query: typeof query }).query = function (this: pg.ClientBase, ...args: unknown[]) {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && COPY_STATEMENT.test(text) && Array.isArray(values) && values.length === 1 && values[0] instanceof CopyData) {
      return runCopy(this, query, text, values[0]);
    }
    return query.apply(this, args);
  };
}

/**
 * Sends the data a buffer at a time as it is encoded. The server inserts the first buffers' rows while
 * the client encodes the next ones, where encoding them all before sending had each side wait for the
 * other. A buffer is written as soon as the one before it is taken (the socket's or, before the server
 * has accepted the COPY, the stream's high-water mark), so at most a few are held at once.
 */
function runCopy(
  client: pg.ClientBase,
  query: (this: pg.ClientBase, ...args: unknown[]) => unknown,
  text: string,
  data: CopyData,
): Promise<{ command: 'COPY'; rowCount: number; rows: [] }> {
  return new Promise((resolve, reject) => {
    const stream = query.call(client, copyFrom(text)) as ReturnType<typeof copyFrom>;
    const chunks = data[Symbol.iterator]();
    // A row that cannot be encoded is a fault of the caller's: the COPY is abandoned (CopyFail, which the
    // server answers as a cancel, 57014) and the caller sees its own error, not a cancel it would take for
    // contention.
    let encodingError: Error | undefined;
    let settled = false;
    stream.on('error', (err) => {
      settled = true;
      reject(encodingError ?? err);
    });
    // pg-copy-streams finishes once the server has answered ReadyForQuery: the rows are in.
    stream.on('finish', () => resolve({ command: 'COPY', rowCount: stream.rowCount, rows: [] }));
    const pump = (): void => {
      try {
        for (;;) {
          if (settled) return;
          const next = chunks.next();
          if (next.done) {
            stream.end();
            return;
          }
          if (!stream.write(next.value)) {
            stream.once('drain', pump);
            return;
          }
        }
      } catch (err) {
        encodingError = err instanceof Error ? err : new Error(String(err));
        // The server is told a fixed reason: it takes at most 10,000 bytes of one and drops the connection
        // past that, and the row's own text is no business of its log.
        stream.destroy(new Error('a row could not be encoded by the client'));
      }
    };
    pump();
  });
}

const SPECIAL = /[\\\n\r\t]/;
const SPECIALS = /[\\\n\r\t]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/**
 * The buffers the data is written into: the first of FIRST_CHUNK_BYTES, each next one twice the one
 * before up to CHUNK_BYTES, or one row's size where that is more. A single request's COPY of one row
 * allocates a little, a page's a few large buffers.
 */
const FIRST_CHUNK_BYTES = 16 * 1024;
const CHUNK_BYTES = 256 * 1024;

/**
 * COPY's text format, encoded: a row per line, values separated by tabs, NULL as `\N`, and backslash,
 * newline, carriage return and tab escaped within a value. Node writes a lone surrogate as U+FFFD, as pg
 * does for any text parameter.
 *
 * Each row is built as a string and encoded straight into buffers. The whole text built
 * as one string and encoded with Buffer.from cost four times as much: a string grown a row at a time is
 * a tree of thousands of pieces, and flattening it before the encoding was most of the work. A row is
 * a few pieces; one write per value instead of per row cost half as much again, in the calls.
 */
export function copyData(rows: Iterable<readonly CopyValue[]>): Buffer[] {
  return [...copyChunks(rows)];
}

/** copyData's buffers, each given as soon as it is full. */
function* copyChunks(rows: Iterable<readonly CopyValue[]>): Generator<Buffer> {
  let buf = Buffer.alloc(0);
  let at = 0;
  let nextBytes = FIRST_CHUNK_BYTES;
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      const field = v === null ? '\\N' : typeof v === 'number' ? String(v) : SPECIAL.test(v) ? v.replace(SPECIALS, (c) => ESCAPED[c]) : v;
      line = i === 0 ? field : `${line}\t${field}`;
    }
    line += '\n';
    // UTF-8 takes at most three bytes for each UTF-16 unit (four for a pair of two).
    const most = 3 * line.length;
    if (buf.length - at < most) {
      if (at > 0) yield buf.subarray(0, at);
      // Only the bytes written are ever sent (subarray), and a buffer given is never written again, so it
      // need not be zeroed.
      buf = Buffer.allocUnsafe(Math.max(nextBytes, most));
      nextBytes = Math.min(2 * nextBytes, CHUNK_BYTES);
      at = 0;
    }
    at += buf.write(line, at, 'utf8');
  }
  if (at > 0) yield buf.subarray(0, at);
}
