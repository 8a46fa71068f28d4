// COPY's text format as copyData encodes it into buffers, against the format written out plainly here.
// The round trip through PostgreSQL is in test/store/row-writers.test.ts; these cover what a database
// test would rarely reach: values and rows across the buffers' boundaries, and one row larger than a
// buffer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CopyValue, copyData } from '../../src/store/dialects/postgres-copy.js';

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The text format, one value at a time: the reference the encoder is held to. */
function expectedText(rows: readonly (readonly CopyValue[])[]): string {
  const field = (v: CopyValue) => (v === null ? '\\N' : typeof v === 'number' ? String(v) : [...v].map((c) => ESCAPES[c] ?? c).join(''));
  return rows.map((row) => `${row.map(field).join('\t')}\n`).join('');
}

function encoded(rows: readonly (readonly CopyValue[])[]): Buffer {
  return Buffer.concat(copyData(rows));
}

describe('copyData', () => {
  test('separators, escapes and NULL in the text format', () => {
    const rows: CopyValue[][] = [
      ['plain', 42, null, 'tab\there', 'line\nbreak\r', 'back\\slash \\N'],
      ['', 0, 1.5, -7, 'x'],
    ];
    const bytes = encoded(rows);
    assert.equal(bytes.toString('utf8'), 'plain\t42\t\\N\ttab\\there\tline\\nbreak\\r\tback\\\\slash \\\\N\n\t0\t1.5\t-7\tx\n');
    assert.equal(bytes.toString('utf8'), expectedText(rows));
  });

  test('characters outside ASCII are UTF-8, a lone surrogate U+FFFD (as pg writes any text parameter)', () => {
    const rows: CopyValue[][] = [['é', '日本', '𝄞', 'a\ud800b', '\udc00']];
    assert.deepEqual(encoded(rows), Buffer.from('é\t日本\t𝄞\ta\ud800b\t\udc00\n', 'utf8'));
    assert.equal(encoded(rows).toString('utf8'), 'é\t日本\t𝄞\ta\ufffdb\t\ufffd\n');
  });

  test('rows across many buffers come out whole and in order, multi-byte characters at every offset', () => {
    const rows: CopyValue[][] = [];
    for (let i = 0; i < 12_000; i++) {
      // A value of varying length and width, so buffers end at every kind of position.
      rows.push([i, `${'日'.repeat(i % 37)}${'a'.repeat(i % 101)}𝄞\t${i}`, i % 5 === 0 ? null : `k-${i}`]);
    }
    const chunks = copyData(rows);
    assert.ok(chunks.length > 3, `the rows span several buffers (${chunks.length})`);
    assert.equal(Buffer.concat(chunks).toString('utf8'), expectedText(rows));
  });

  test('a row larger than a buffer gets a buffer of its own', () => {
    const big = `${'ü'.repeat(300_000)}\n${'z'.repeat(300_000)}`;
    const rows: CopyValue[][] = [['before', 1], [big, 2], ['after', null]];
    assert.equal(encoded(rows).toString('utf8'), expectedText(rows));
  });

  test('no rows is no data; a row of no values is an empty line', () => {
    assert.deepEqual(copyData([]), []);
    assert.equal(encoded([[]]).toString('utf8'), '\n');
  });
});
