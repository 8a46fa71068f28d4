import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { GetDomainCommand, ResourceNotFoundException } from '@aws-sdk/client-customer-profiles';
import type { FastifyInstance } from 'fastify';
import { operations } from '../../src/operations/index.js';
import { buildApp } from '../../src/server/app.js';
import { VERSION } from '../../src/server/version.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertAwsError, assertRequestId, jsonBody, send } from './raw.js';

describe('error envelope', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('sqlite');
  });
  after(() => s?.close());

  test('a modelled error is the status, X-Amzn-ErrorType, application/json and exactly {"Message"}', async () => {
    const res = await send(s.url, 'GET', '/domains/does-not-exist');
    const message = assertAwsError(res, 404, 'ResourceNotFoundException', 'does-not-exist');
    assert.equal(res.text, JSON.stringify({ Message: message }), 'nothing else in the body, no whitespace games');
  });

  test('a validation error travels the same way as a BadRequestException', async () => {
    const res = await send(s.url, 'POST', '/domains/bad.name', jsonBody({ DefaultExpirationDays: 1 }));
    assertAwsError(res, 400, 'BadRequestException', "at 'DomainName'");
  });

  test('a success is 200 with Content-Type application/json and a request id', async () => {
    const res = await send(s.url, 'POST', '/domains/envelope-ok', jsonBody({ DefaultExpirationDays: 1 }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('x-amzn-errortype'), null);
    assertRequestId(res);
  });

  test('every response has its own X-Amzn-RequestId: successes, errors, unknown routes, unreadable requests', async () => {
    const responses = await Promise.all([
      send(s.url, 'GET', '/domains'),
      send(s.url, 'GET', '/domains'),
      send(s.url, 'GET', '/domains/missing'),
      send(s.url, 'GET', '/nope'),
      send(s.url, 'OPTIONS', '/domains'),
      send(s.url, 'GET', '/domains/broken%zz'),
      send(s.url, 'POST', '/domains/x', { body: '{', headers: { 'content-type': 'application/json' } }),
      send(s.url, 'POST', '/domains/d/profiles/keys', jsonBody({})),
      send(s.url, 'GET', '/_profileflow/health'),
    ]);
    const ids = responses.map(assertRequestId);
    assert.equal(new Set(ids).size, ids.length, `request ids repeat: ${ids.join(' ')}`);
  });

  test('the SDK maps the envelope to its typed error and reads the request id', async () => {
    const err = await expectAwsError(
      s.client.send(new GetDomainCommand({ DomainName: 'missing' })),
      'ResourceNotFoundException',
      404,
      'missing',
    );
    assert.ok(err instanceof ResourceNotFoundException);
    assert.match(err.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('unexpected errors', () => {
  let store: TestStore;
  let app: FastifyInstance;
  let url: string;
  const logLines: string[] = [];
  before(async () => {
    store = await createTestStore('sqlite');
    app = await buildApp({
      store: store.store,
      operations: {
        ...operations,
        GetDomain: async () => {
          throw new Error('secret internals: password=hunter2 at /srv/profileflow/db.ts:42');
        },
      },
      logger: {
        level: 'error',
        stream: new Writable({
          write(chunk, _encoding, done) {
            logLines.push(String(chunk));
            done();
          },
        }),
      },
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await store.dispose();
  });

  test('a handler that throws is a 500 InternalServerException with a generic message and nothing internal', async () => {
    const res = await send(url, 'GET', '/domains/any');
    const message = assertAwsError(res, 500, 'InternalServerException');
    assert.equal(message, 'An internal service error occurred.');
    for (const leak of ['secret', 'hunter2', 'db.ts', 'Error', 'stack', '/srv']) {
      assert.ok(!res.text.includes(leak), `the body leaks '${leak}': ${res.text}`);
    }
  });

  test('the error is logged with the request id, for the operator to find', async () => {
    const res = await send(url, 'GET', '/domains/any');
    const requestId = assertRequestId(res);
    const line = logLines.find((l) => l.includes(requestId) && l.includes('secret internals'));
    assert.ok(line, `no log line names request ${requestId}: ${logLines.join('')}`);
  });

  test('the other operations still answer normally', async () => {
    const res = await send(url, 'GET', '/domains');
    assert.equal(res.status, 200);
  });
});

for (const backend of await availableBackends()) {
  describe(`health [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
    });
    after(() => s?.close());

    test('GET /_profileflow/health answers 200 with the status, the version and the backend', async () => {
      const res = await send(s.url, 'GET', '/_profileflow/health');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(res.json, { status: 'ok', version: VERSION, backend });
      assert.match(VERSION, /^\d+\.\d+\.\d+/);
    });
  });
}
