import { type FileHandle, open } from 'node:fs/promises';

/**
 * Bytes read in order from some position of a file or a stream. The readers in this folder (lines, JSON
 * values) only ever ask for the next bytes, so a local file and an HTTP body look the same to them.
 */
export interface ByteSource {
  /** Copies up to `length` next bytes into `into` at `at`; 0 at the end. */
  read(into: Buffer, at: number, length: number): Promise<number>;
  close(): Promise<void>;
}

/** A file read from byte `offset` on. */
export async function fileByteSource(path: string, offset = 0): Promise<ByteSource> {
  const handle: FileHandle = await open(path, 'r');
  let position = offset;
  return {
    async read(into, at, length) {
      const { bytesRead } = await handle.read(into, at, length, position);
      position += bytesRead;
      return bytesRead;
    },
    close: () => handle.close(),
  };
}

/** The stream ended before `skip` bytes were passed: it is shorter than the position asked for. */
export class ShortStreamError extends Error {
  constructor(readonly missing: number) {
    super(`the stream ended ${missing} bytes before the position to resume from`);
    this.name = 'ShortStreamError';
  }
}

/**
 * The chunks of a stream (an HTTP body, a gunzip output) as a ByteSource, after dropping its first
 * `skip` bytes. Chunks are pulled one at a time, so a paused reader pauses the stream (back-pressure)
 * and no more than one chunk is held here.
 */
export function chunkByteSource(
  chunks: AsyncIterable<Uint8Array | string>,
  skip = 0,
  onClose?: () => void | Promise<void>,
): ByteSource {
  const iterator = chunks[Symbol.asyncIterator]();
  let chunk: Buffer | undefined;
  let at = 0;
  let toSkip = skip;
  let done = false;
  return {
    async read(into, intoAt, length) {
      for (;;) {
        if (chunk && at < chunk.length) {
          if (toSkip > 0) {
            const n = Math.min(toSkip, chunk.length - at);
            at += n;
            toSkip -= n;
            continue;
          }
          const n = chunk.copy(into, intoAt, at, Math.min(chunk.length, at + length));
          at += n;
          return n;
        }
        if (done) return 0;
        const next = await iterator.next();
        if (next.done) {
          done = true;
          if (toSkip > 0) throw new ShortStreamError(toSkip);
          return 0;
        }
        chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        at = 0;
      }
    },
    async close() {
      chunk = undefined;
      if (!done) {
        done = true;
        await iterator.return?.();
      }
      await onClose?.();
    },
  };
}
