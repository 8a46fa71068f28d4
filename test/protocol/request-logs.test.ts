import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { operations } from '../../src/operations/index.js';
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

test('at the default level a request writes no line, and a line it does write still names its request and operation', async () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const ts = await createTestStore('sqlite');
  const broken = async () => {
    throw new Error('the store fell over');
  };
  const app = await buildApp({ store: ts.store, logger: { level: 'warn', stream }, operations: { ...operations, GetDomain: broken } });
  try {
    const created = await app.inject({ method: 'POST', url: '/domains/quiet', headers: { 'content-type': 'application/json' }, payload: '{"DefaultExpirationDays":1}' });
    assert.equal(created.statusCode, 200);
    assert.equal(lines.length, 0, 'nothing at warn for an answered request');
    const failed = await app.inject({ method: 'GET', url: '/domains/quiet' });
    assert.equal(failed.statusCode, 500);
    assert.equal(lines.length, 1);
    assert.equal(lines[0].reqId, failed.headers['x-amzn-requestid']);
    assert.equal(lines[0].operation, 'GetDomain');
    assert.equal(lines[0].msg, 'unexpected error');
  } finally {
    await app.close();
    await ts.dispose();
  }
});
