import { CsvSyntaxError, CsvTable } from '../shared/csv.js';

export interface CsvRow {
  /** Column → value, as CSV text. */
  record: Record<string, string>;
  /** The columns the file's header row names. */
  header: string[];
  /** Byte offset (in the whole file) just after the row's last line break: where a resumed download starts. */
  end: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The records of a CSV body with a header row, streamed from byte `offset` of its file, each with the
 * byte offset after it; `header` is given when the body starts past the header row (a resumed download).
 * Chunks are pulled one at a time (back-pressure), so a file of any size holds only the current chunk
 * and an unfinished line in memory. Cancelling the iteration cancels the body. Throws CsvSyntaxError
 * (worded with `what`) and CsvWidthError.
 */
export async function* csvRecords(body: ReadableStream<Uint8Array>, offset: number, what: string, header?: string[]): AsyncGenerator<CsvRow> {
  const reader = body.getReader();
  const table = new CsvTable(header);
  let pending: Buffer = Buffer.alloc(0);
  let pendingStart = offset;
  let line = 0;
  const feed = (text: string, crlf: boolean): Record<string, string> | undefined => {
    line++;
    try {
      return table.feed(line === 1 && offset === 0 ? text.replace(/^\uFEFF/, '') : text, crlf ? '\r\n' : '\n', line);
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new CsvSyntaxError(`${what}: line ${line} after byte ${offset} is not valid CSV: ${err.message}`);
      throw err;
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const buf = pending.length ? Buffer.concat([pending, value]) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      let pos = 0;
      for (;;) {
        const nl = buf.indexOf(LF, pos);
        if (nl === -1) break;
        const crlf = nl > pos && buf[nl - 1] === CR;
        const text = buf.toString('utf8', pos, crlf ? nl - 1 : nl);
        pos = nl + 1;
        const record = feed(text, crlf);
        if (record) yield { record, header: table.header as string[], end: pendingStart + pos };
      }
      pending = Buffer.from(buf.subarray(pos));
      pendingStart += pos;
    }
    if (pending.length > 0) {
      const record = feed(pending.toString('utf8'), false);
      if (record) yield { record, header: table.header as string[], end: pendingStart + pending.length };
    }
    if (table.pending) throw new CsvSyntaxError(`${what}: the file ends inside a quoted value.`);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
