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
