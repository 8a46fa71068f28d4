import { BufferedReader } from './buffered-reader.js';
import { type ByteSource, fileByteSource } from './byte-source.js';

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

const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads a file or a stream line by line from any byte offset, keeping one chunk in memory (more only
 * while a single line is longer than a chunk). Byte offsets, not character counts, are what a cursor can
 * seek to; LF never occurs inside a UTF-8 multi-byte sequence, so splitting the bytes on it is safe.
 */
export class LineReader extends BufferedReader {
  /** Reads `source`, whose first byte is at `offset`, the start of line `lineNumber + 1`. */
  constructor(
    source: ByteSource,
    offset = 0,
    private lineNumber = 0,
  ) {
    super(source, offset);
  }

  /** Opens `path` positioned at byte `offset`, which is the start of line `linesBefore + 1`. */
  static async open(path: string, offset = 0, linesBefore = 0): Promise<LineReader> {
    return new LineReader(await fileByteSource(path, offset), offset, linesBefore);
  }

  async next(): Promise<Line | undefined> {
    for (;;) {
      const lf = this.buf.indexOf(LF, this.head);
      if (lf !== -1 && lf < this.tail) return this.take(lf, lf + 1);
      if (this.eof) return this.head < this.tail ? this.take(this.tail, this.tail) : undefined;
      await this.fill();
    }
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
}
