import { type FileHandle, open } from 'node:fs/promises';

export interface Line {
  /** The line without its terminator (LF or CRLF). */
  text: string;
  /** True when the line ended with CRLF (CSV keeps that inside quoted values). */
  crlf: boolean;
  /** 1-based physical line number in the file. */
  number: number;
  /** Byte offset just after the line's terminator: where reading resumes. */
  end: number;
}

const CHUNK_BYTES = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads a file line by line from any byte offset, keeping one chunk in memory (more only while a single
 * line is longer than a chunk). Byte offsets, not character counts, are what a cursor can seek to; LF
 * never occurs inside a UTF-8 multi-byte sequence, so splitting the bytes on it is safe.
 */
export class LineReader {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** File offset of buf[0]. */
  private base: number;
  private head = 0;
  private tail = 0;
  private eof = false;

  private constructor(
    private readonly handle: FileHandle,
    offset: number,
    private lineNumber: number,
  ) {
    this.base = offset;
  }

  /** Opens `path` positioned at byte `offset`, which is the start of line `linesBefore + 1`. */
  static async open(path: string, offset = 0, linesBefore = 0): Promise<LineReader> {
    return new LineReader(await open(path, 'r'), offset, linesBefore);
  }

  async next(): Promise<Line | undefined> {
    for (;;) {
      const lf = this.buf.indexOf(LF, this.head);
      if (lf !== -1 && lf < this.tail) return this.take(lf, lf + 1);
      if (this.eof) return this.head < this.tail ? this.take(this.tail, this.tail) : undefined;
      await this.fill();
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private take(contentEnd: number, next: number): Line {
    const start = this.head;
    let end = contentEnd;
    const crlf = end > start && this.buf[end - 1] === CR && next > contentEnd;
    if (crlf) end--;
    let text = this.buf.toString('utf8', start, end);
    // A byte-order mark belongs to the file, not to its first value (Excel writes one into CSV).
    if (this.base + start === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.head = next;
    this.lineNumber++;
    return { text, crlf, number: this.lineNumber, end: this.base + next };
  }

  private async fill(): Promise<void> {
    if (this.head > 0) {
      this.buf.copyWithin(0, this.head, this.tail);
      this.base += this.head;
      this.tail -= this.head;
      this.head = 0;
    }
    if (this.tail === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.tail);
      this.buf = bigger;
    }
    const { bytesRead } = await this.handle.read(this.buf, this.tail, this.buf.length - this.tail, this.base + this.tail);
    if (bytesRead === 0) this.eof = true;
    this.tail += bytesRead;
  }
}
