import type { ByteSource } from './byte-source.js';

const CHUNK_BYTES = 64 * 1024;

/**
 * The read-ahead window the line and JSON readers share: `buf[head, tail)` holds bytes read from the
 * source but not yet consumed, `base` is the source offset of `buf[0]` (so a consumed position converts
 * to a resumable byte offset), and `fill` keeps at most one chunk beyond the item being cut, growing the
 * buffer only while a single item is longer than it. A base class rather than a member, because the
 * readers' per-byte loops touch these fields on every byte of a big object.
 */
export abstract class BufferedReader {
  protected buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Source offset of buf[0]. */
  protected base: number;
  protected head = 0;
  protected tail = 0;
  protected eof = false;

  /** Reads `source`, whose first byte is at source offset `offset`. */
  constructor(
    private readonly source: ByteSource,
    offset: number,
  ) {
    this.base = offset;
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  /** Moves the unread bytes to the front, grows the buffer when they fill it, and reads more. */
  protected async fill(): Promise<void> {
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
    const bytesRead = await this.source.read(this.buf, this.tail, this.buf.length - this.tail);
    if (bytesRead === 0) this.eof = true;
    this.tail += bytesRead;
  }
}
