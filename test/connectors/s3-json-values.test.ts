import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkByteSource } from '../../src/connectors/shared/byte-source.js';
import { type JsonPosition, JsonStructureError, type JsonValueText, JsonValueReader } from '../../src/connectors/shared/json-values.js';

/** The document's bytes from `offset`, in chunks of `size` bytes, as an HTTP body would arrive. */
async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function cut(doc: string | Buffer, size: number, from?: JsonPosition): Promise<{ values: JsonValueText[]; reader: JsonValueReader }> {
  const bytes = Buffer.isBuffer(doc) ? doc : Buffer.from(doc);
  const reader = new JsonValueReader(chunkByteSource(chunks(bytes.subarray(from?.offset ?? 0), size)), from);
  const values: JsonValueText[] = [];
  for (let v = await reader.next(); v; v = await reader.next()) values.push(v);
  await reader.close();
  return { values, reader };
}

const tricky = [
  { Id: 'a', s: 'quote " backslash \\ slash / brackets ] } [ {', u: 'Zoë 😀', n: -1.5e3, t: true, z: null },
  { Id: 'b', nested: { list: [[], {}, [1, [2, { x: '"]' }]]] }, esc: '\\"', tail: '\\' },
  { Id: 'c' },
];

describe('the streaming JSON splitter the s3 source reads arrays with', () => {
  test('cuts an array into its elements at any chunk size, escapes and nesting included, and every end resumes', async () => {
    const docs = [JSON.stringify(tricky), `\uFEFF${JSON.stringify(tricky, null, 2)}\n`, ` [ ${tricky.map((v) => JSON.stringify(v)).join(' ,\r\n ')} ] \n`];
    for (const doc of docs) {
      for (const size of [1, 2, 3, 7, 64, 65_536]) {
        const { values, reader } = await cut(doc, size);
        assert.equal(reader.layout, 'array');
        assert.deepEqual(values.map((v) => JSON.parse(v.text)), tricky, `chunks of ${size}`);
        assert.deepEqual(values.map((v) => v.index), [1, 2, 3]);
        for (const v of values) {
          const rest = await cut(doc, size, { offset: v.end, lines: v.linesAtEnd, index: v.index, layout: 'array' });
          assert.deepEqual(rest.values.map((r) => JSON.parse(r.text)), tricky.slice(v.index));
        }
      }
    }
  });

  test('reads values one after another (JSON Lines, Firehose), line numbers counted, and an empty array or document', async () => {
    const doc = `${JSON.stringify(tricky[0])}${JSON.stringify(tricky[1])}\n\n  ${JSON.stringify(tricky[2])}\n`;
    const { values, reader } = await cut(doc, 5);
    assert.equal(reader.layout, 'values');
    assert.deepEqual(values.map((v) => JSON.parse(v.text)), tricky);
    assert.deepEqual(values.map((v) => v.line), [1, 1, 3]);
    assert.deepEqual((await cut('[ ]', 1)).values, []);
    assert.deepEqual((await cut(' \n ', 1)).values, []);
    assert.deepEqual((await cut('[1, "x", null]', 2)).values.map((v) => v.text), ['1', '"x"', 'null']);
  });

  test('structural faults are errors with the line they are on', async () => {
    const fails = async (doc: string, pattern: RegExp) => {
      for (const size of [1, 4096]) await assert.rejects(cut(doc, size), (err: unknown) => err instanceof JsonStructureError && pattern.test(err.message));
    };
    await fails('[{"a":1}\n{"b":2}]', /expected ',' or '\]' after element 1, found '\{' \(line 2\)/);
    await fails('[{"a":1},\n]', /expected an element after the comma, found '\]' \(line 2\)/);
    await fails('[{"a":1}', /no closing '\]'/);
    await fails('[{"a":"unterminated}]', /ends inside the value that starts on line 1/);
    await fails('[1] x', /unexpected 'x' after the array's closing '\]'/);
    await fails('{"a":1}]', /expected a value, found '\]'/);
  });
});
