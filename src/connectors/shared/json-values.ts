import { BufferedReader } from './buffered-reader.js';
import type { ByteSource } from './byte-source.js';

/**
 * How a JSON document holds its records: one top-level array of them, or top-level values one after the
 * other (JSON Lines, or objects written back to back as Kinesis Data Firehose delivers them to S3).
 */
export type JsonLayout = 'array' | 'values';

export interface JsonValueText {
  /** The value's JSON text, for JSON.parse. */
  text: string;
  /** 1-based line on which the value starts. */
  line: number;
  /** 1-based position of the value in the document (the array element number). */
  index: number;
  /** Byte offset just after the value: where reading resumes. */
  end: number;
  /** Line breaks before `end`: the `lines` to resume with. */
  linesAtEnd: number;
}

/** Where a reader starts: the very beginning, or just after a value it delivered earlier. */
export interface JsonPosition {
  offset: number;
  lines: number;
  index: number;
  /** Required when `offset` is past the start (it was learnt from the document's first byte). */
  layout?: JsonLayout;
}

/** The document breaks JSON's grammar where no value could be cut out of it. */
export class JsonStructureError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'JsonStructureError';
  }
}

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

type State = 'start' | 'array-first' | 'array-after' | 'array-value' | 'values' | 'end';

function isSpace(b: number): boolean {
  return b === 0x20 || b === LF || b === 0x0d || b === 0x09;
}

/**
 * Cuts a JSON document into its top-level records without parsing the whole of it: the elements of a
 * top-level array, or a sequence of top-level values. Only the value being cut is held in memory, so a
 * 200 MB array costs no more than its largest element. The scanner follows only the structure (strings,
 * escapes, nesting); each value's own validity is JSON.parse's business.
 */
export class JsonValueReader extends BufferedReader {
  private state: State;
  private lines: number;
  private index: number;
  layout: JsonLayout | undefined;

  constructor(source: ByteSource, from: JsonPosition = { offset: 0, lines: 0, index: 0 }) {
    super(source, from.offset);
    this.lines = from.lines;
    this.index = from.index;
    this.layout = from.layout;
    if (from.offset === 0) this.state = 'start';
    else if (from.layout === 'array') this.state = 'array-after';
    else if (from.layout === 'values') this.state = 'values';
    else throw new Error('A JSON position past the start must say whether the document is an array.');
  }

  /** The next record's text, or undefined at the end of the document. */
  async next(): Promise<JsonValueText | undefined> {
    for (;;) {
      const b = await this.peekNonSpace();
      switch (this.state) {
        case 'start':
          if (b === undefined) return undefined;
          if (b === OPEN_ARRAY) {
            this.layout = 'array';
            this.head++;
            this.state = 'array-first';
          } else {
            this.layout = 'values';
            this.state = 'values';
          }
          continue;
        case 'array-first':
          if (b === CLOSE_ARRAY) {
            this.head++;
            this.state = 'end';
            continue;
          }
          if (b === undefined) throw this.error("the array has no closing ']'");
          this.state = 'array-after';
          return this.value();
        case 'array-after':
          if (b === COMMA) {
            this.head++;
            this.state = 'array-value';
            continue;
          }
          if (b === CLOSE_ARRAY) {
            this.head++;
            this.state = 'end';
            continue;
          }
          if (b === undefined) throw this.error("the array has no closing ']'");
          throw this.error(`expected ',' or ']' after element ${this.index}, found ${this.describe(b)}`);
        case 'array-value':
          if (b === undefined) throw this.error("the array has no closing ']'");
          if (b === CLOSE_ARRAY || b === COMMA) throw this.error(`expected an element after the comma, found ${this.describe(b)}`);
          this.state = 'array-after';
          return this.value();
        case 'values':
          if (b === undefined) return undefined;
          if (b === COMMA || b === CLOSE_ARRAY || b === CLOSE_OBJECT) throw this.error(`expected a value, found ${this.describe(b)}`);
          return this.value();
        case 'end':
          if (b === undefined) return undefined;
          throw this.error(`unexpected ${this.describe(b)} after the array's closing ']'`);
      }
    }
  }

  /** The first byte that is not white space (line breaks counted), without consuming it. */
  private async peekNonSpace(): Promise<number | undefined> {
    for (;;) {
      while (this.head < this.tail) {
        const b = this.buf[this.head];
        if (!isSpace(b)) {
          // A byte-order mark opens some exported files; it is no part of the data.
          if (b === 0xef && this.base + this.head === 0) {
            if (this.tail - this.head < 3 && !this.eof) break;
            if (this.buf[1] === 0xbb && this.buf[2] === 0xbf) {
              this.head += 3;
              continue;
            }
          }
          return b;
        }
        if (b === LF) this.lines++;
        this.head++;
      }
      if (this.eof) return this.head < this.tail ? this.buf[this.head] : undefined;
      await this.fill();
    }
  }

  /** Cuts out the value that starts at `head`. */
  private async value(): Promise<JsonValueText> {
    const line = this.lines + 1;
    let scan = this.head;
    let depth = 0;
    let inString = false;
    let escaped = false;
    const first = this.buf[this.head];
    const scalar = first !== OPEN_OBJECT && first !== OPEN_ARRAY && first !== QUOTE;
    let valueEnd = -1;
    for (;;) {
      const tail = this.tail;
      const buf = this.buf;
      while (scan < tail) {
        if (inString && !escaped) {
          // Most of a record's bytes are inside strings: jump to the closing quote with the native
          // search unless a backslash comes first (JSON strings hold no raw line breaks to count).
          let quote = buf.indexOf(QUOTE, scan);
          if (quote >= tail) quote = -1;
          // Bounded, so that the search never runs on into the stale bytes past `tail`.
          if (buf.subarray(scan, quote === -1 ? tail : quote).indexOf(BACKSLASH) === -1) {
            if (quote === -1) {
              scan = tail;
              break;
            }
            scan = quote;
          }
        }
        const b = buf[scan++];
        if (b === LF) this.lines++;
        if (scalar) {
          if (isSpace(b) || b === COMMA || b === CLOSE_ARRAY || b === CLOSE_OBJECT || b === OPEN_ARRAY || b === OPEN_OBJECT || b === QUOTE) {
            if (b === LF) this.lines--;
            valueEnd = scan - 1;
            break;
          }
          continue;
        }
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            if (depth === 0) {
              valueEnd = scan;
              break;
            }
          }
          continue;
        }
        if (b === QUOTE) inString = true;
        else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
        else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
          depth--;
          if (depth === 0) {
            valueEnd = scan;
            break;
          }
        }
      }
      if (valueEnd !== -1) break;
      if (this.eof) {
        if (scalar) {
          valueEnd = this.tail;
          break;
        }
        throw new JsonStructureError(`the document ends inside the value that starts on line ${line}`, line);
      }
      const shift = this.head;
      await this.fill();
      scan -= shift;
    }
    const text = this.buf.toString('utf8', this.head, valueEnd);
    this.head = valueEnd;
    this.index++;
    return { text, line, index: this.index, end: this.base + valueEnd, linesAtEnd: this.lines };
  }

  private describe(b: number): string {
    return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
  }

  private error(what: string): JsonStructureError {
    return new JsonStructureError(`${what} (line ${this.lines + 1})`, this.lines + 1);
  }
}
