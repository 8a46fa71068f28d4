import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';
import { CREDENTIALS, sendSigned, signRequest } from './support.js';

/**
 * Request logs at info carried whole presigned URLs: anyone who could read the logs could replay the
 * request until it expired. Checked once against the old code, whose log held the signature.
 */
describe('request logs redact credentials in URLs and headers', () => {
  let testStore: TestStore;
  let app: FastifyInstance;
  let url: string;
  const lines: string[] = [];

  before(async () => {
    testStore = await createTestStore('sqlite');
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    app = await buildApp({
      store: testStore.store,
      engine: new Engine(testStore.store, systemClock, { mode: 'manual' }),
      auth: { mode: 'sigv4', credentials: CREDENTIALS },
      logger: { level: 'info', stream },
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await testStore.dispose();
  });

  test('a presigned request is logged with X-Amz-Signature, -Credential and -Security-Token REDACTED', async () => {
    const presigned = await signRequest(url, 'GET', '/domains', { presign: true, query: { 'max-results': '3' } });
    presigned.query['X-Amz-Security-Token'] = 'SESSION-TOKEN-SECRET';
    const signature = String(presigned.query['X-Amz-Signature']);
    assert.match(signature, /^[0-9a-f]{64}$/);
    await sendSigned(presigned); // refused (the token is not part of the signature); it is logged all the same

    const incoming = lines.map((l) => JSON.parse(l) as { msg: string; req?: { url: string } }).filter((l) => l.msg === 'incoming request');
    const logged = incoming.map((l) => l.req?.url ?? '').find((u) => u.startsWith('/domains?'));
    assert.ok(logged, `the request is logged: ${lines.join('\n')}`);
    assert.match(logged, /X-Amz-Signature=REDACTED/);
    assert.match(logged, /X-Amz-Credential=REDACTED/);
    assert.match(logged, /X-Amz-Security-Token=REDACTED/);
    assert.match(logged, /max-results=3/, 'the rest of the URL is kept');
    const all = lines.join('\n');
    assert.ok(!all.includes(signature), 'the signature appears nowhere in the log');
    assert.ok(!all.includes('SESSION-TOKEN-SECRET'), 'the session token appears nowhere in the log');
    assert.ok(!all.includes('AKIDACCOUNTA0000001%2F'), 'the credential appears nowhere in the log');
  });

  test('an Authorization header never reaches the log, even in a line that carries headers', async () => {
    const signed = await signRequest(url, 'GET', '/domains');
    await sendSigned(signed);
    const authorization = String(signed.headers.authorization);
    app.log.info({ req: { headers: { authorization } }, headers: { authorization } }, 'headers line');
    const all = lines.join('\n');
    assert.ok(!all.includes(authorization.split('Signature=')[1]), 'no signature from an Authorization header');
    assert.match(all, /"authorization":"REDACTED"/);
  });
});
