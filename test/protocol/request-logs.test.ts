import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { buildApp } from '../../src/server/app.js';
import { createTestStore } from '../helpers/backends.js';

test('every log line of a request carries its request id and operation name; no headers or bodies', async () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const ts = await createTestStore('sqlite');
  const app = await buildApp({ store: ts.store, logger: { level: 'info', stream } });
  try {
    const res = await app.inject({ method: 'POST', url: '/domains/logged', headers: { authorization: 'secret-credential', 'content-type': 'application/json' }, payload: '{"DefaultExpirationDays":1}' });
    assert.equal(res.statusCode, 200);
    const requestId = res.headers['x-amzn-requestid'];
    const mine = lines.filter((l) => l.reqId === requestId);
    assert.ok(mine.length >= 2, 'incoming and completed lines');
    for (const l of mine) assert.equal(l.operation, 'CreateDomain');
    assert.ok(!JSON.stringify(lines).includes('secret-credential'));
    assert.ok(!JSON.stringify(lines).includes('DefaultExpirationDays'));
  } finally {
    await app.close();
    await ts.dispose();
  }
});
