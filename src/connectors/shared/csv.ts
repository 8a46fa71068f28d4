import { setOwn } from '../../domain/own-properties.js';
import { SourceError, type SourceRecord } from '../types.js';
import type { Line } from './line-reader.js';

/** A line that breaks RFC 4180 in a way no reading could repair. */
export class CsvSyntaxError extends Error {}

const QUOTE = 34;
const COMMA = 44;

/**
 * Assembles RFC 4180 records from physical lines: fields may be quoted, a doubled quote inside quotes is
 * one quote, and commas and line breaks inside quotes belong to the value. Fed one line at a time, so a
 * record spanning lines never needs more than itself in memory. Values stay strings.
 */
export class CsvRecordAssembler {
  private fields: string[] = [];
  private quoted = '';
  private inQuotes = false;

  /** True while a quoted value is open, i.e. the record continues on the next line. */
  get pending(): boolean {
    return this.inQuotes;
  }

  /**
   * Consumes one physical line; returns the record's fields once the line completes it, undefined while
   * a quoted value continues on the next line.
   */
  feed(line: string, lineBreak: string): string[] | undefined {
    const n = line.length;
    let i = 0;
    for (;;) {
      if (this.inQuotes) {
        const q = line.indexOf('"', i);
        if (q === -1) {
          this.quoted += line.slice(i) + lineBreak;
          return undefined;
        }
        this.quoted += line.slice(i, q);
        if (line.charCodeAt(q + 1) === QUOTE) {
          this.quoted += '"';
          i = q + 2;
          continue;
        }
        this.inQuotes = false;
        this.fields.push(this.quoted);
        this.quoted = '';
        i = q + 1;
        if (i === n) return this.finish();
        if (line.charCodeAt(i) !== COMMA) {
          this.reset();
          throw new CsvSyntaxError(`a closing quote must be followed by a comma or the end of the line (column ${i + 1})`);
        }
        i++;
        if (i === n) {
          this.fields.push('');
          return this.finish();
        }
        continue;
      }
      if (line.charCodeAt(i) === QUOTE) {
        this.inQuotes = true;
        i++;
        continue;
      }
      // Unquoted value: RFC 4180 forbids quotes in it, but such files exist and the reading is unambiguous.
      const comma = line.indexOf(',', i);
      if (comma === -1) {
        this.fields.push(line.slice(i));
        return this.finish();
      }
      this.fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }

  private finish(): string[] {
    const fields = this.fields;
    this.fields = [];
    return fields;
  }

  private reset(): void {
    this.fields = [];
    this.quoted = '';
    this.inQuotes = false;
  }
}

/** A record whose number of values differs from the number of columns its header names. */
export class CsvWidthError extends Error {
  constructor(
    readonly values: number,
    readonly columns: number,
  ) {
    super(`${values} values but the header names ${columns} columns`);
    this.name = 'CsvWidthError';
  }
}

/**
 * CSV with a header row, fed one physical line at a time: blank lines between records are passed over,
 * the first record names the columns, and every later one becomes a record of column → value (strings,
 * as CSV has no types). What the files and s3 sources and Salesforce's bulk results share; each words
 * the errors with its own names for the object and line.
 */
export class CsvTable {
  private readonly assembler = new CsvRecordAssembler();
  /** The physical line on which the record being assembled (or the last one completed) began. */
  recordLine = 0;

  /** `header` is given when a read resumes past the header row. */
  constructor(public header?: string[]) {}

  /** True while a quoted value is open, i.e. the record continues on the next line. */
  get pending(): boolean {
    return this.assembler.pending;
  }

  /**
   * Consumes physical line `lineNumber` (without its terminator); answers the record it completes, or
   * undefined for a blank line, the header row, or a quoted value that goes on. Throws CsvSyntaxError and
   * CsvWidthError.
   */
  feed(text: string, lineBreak: string, lineNumber: number): Record<string, string> | undefined {
    if (!this.assembler.pending) {
      if (text === '') return undefined;
      this.recordLine = lineNumber;
    }
    const fields = this.assembler.feed(text, lineBreak);
    if (!fields) return undefined;
    const header = this.header;
    if (!header) {
      this.header = fields;
      return undefined;
    }
    if (fields.length !== header.length) throw new CsvWidthError(fields.length, header.length);
    const record: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) setOwn(record, header[i], fields[i]);
    return record;
  }
}

/**
 * One physical line fed to `table`: the record it completes, if any. Errors become permanent
 * SourceErrors in the wording every CSV source shares, naming the line and `label` (what the CSV is:
 * "file 'a.csv'", "object 'k' of bucket 'b'", "the results of bulk query job 750…").
 */
export function csvLineRecord(table: CsvTable, line: Pick<Line, 'text' | 'crlf' | 'number'>, label: string): SourceRecord | undefined {
  try {
    return table.feed(line.text, line.crlf ? '\r\n' : '\n', line.number);
  } catch (err) {
    if (err instanceof CsvSyntaxError) {
      throw new SourceError('permanent', `Line ${line.number} of ${label} is not valid CSV: ${err.message}.`);
    }
    if (err instanceof CsvWidthError) throw new SourceError('permanent', `The record on line ${table.recordLine} of ${label} has ${err.message}.`);
    throw err;
  }
}
