import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeCursor, encodeCursor } from '../../src/connectors/salesforce/cursor.js';
import { decodeJsonCursor, encodeJsonCursor } from '../../src/connectors/shared/json-cursor.js';
import { SourceError } from '../../src/connectors/types.js';

const readPosition = (c: Record<string, unknown>) => (Number.isSafeInteger(c.n) ? { n: c.n as number } : undefined);

function refused(fn: () => unknown, source: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SourceError);
    assert.equal(e.kind, 'permanent');
    assert.match(e.message, new RegExp(`is not one the ${source} source issued\\.$`));
    return true;
  });
}

describe('decodeJsonCursor (every connector reads its cursor back through it)', () => {
  test('gives back what the reader makes of a cursor the source wrote', () => {
    assert.deepEqual(decodeJsonCursor('files', encodeJsonCursor({ n: 7 }), readPosition), { n: 7 });
  });

  test('text that is not JSON, JSON that is not an object, and the wrong shape are permanent errors naming the source', () => {
    for (const text of ['not json', '[1,2]', 'null', '"text"', '{"n":"7"}']) refused(() => decodeJsonCursor('Zendesk', text, readPosition), 'Zendesk');
  });

  test('the message quotes at most 200 characters of the cursor', () => {
    const long = 'x'.repeat(1000);
    assert.throws(() => decodeJsonCursor('s3', long, readPosition), (e: Error) => e.message.includes(`'${'x'.repeat(200)}'`) && !e.message.includes('x'.repeat(201)));
  });

  test('Salesforce cursors: both modes round-trip; a forged locator or version is refused', () => {
    const rest = { mode: 'rest', after: { time: 1_700_000_000_000, id: '001000000000001AAA' } } as const;
    assert.deepEqual(decodeCursor(encodeCursor(rest)), { ...rest, next: undefined });
    const bulk = { mode: 'bulk', after: rest.after, job: '750000000000001AAA', locator: null } as const;
    assert.deepEqual(decodeCursor(encodeCursor(bulk)), bulk);
    refused(() => decodeCursor(JSON.stringify({ v: 1, m: 'rest', t: 1, id: '001000000000001AAA', next: 'https://evil.example/' })), 'Salesforce');
    refused(() => decodeCursor(JSON.stringify({ v: 2, m: 'rest', t: 1, id: '001000000000001AAA' })), 'Salesforce');
  });
});
