import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertAwsError, jsonBody, send } from './raw.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('binding over raw HTTP', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('sqlite');
  });
  after(() => s?.close());

  describe('query parameters', () => {
    for (const value of ['0', '101', 'abc', '1.5', '', '-1', '1e1']) {
      test(`max-results=${value} is a 400 naming MaxResults`, async () => {
        assertAwsError(
          await send(s.url, 'GET', `/domains?max-results=${value}`),
          400,
          'BadRequestException',
          "at 'MaxResults'",
          `Value '${value}'`,
        );
      });
    }

    test('max-results at its bounds, 1 and 100, is accepted', async () => {
      for (const value of ['1', '100']) assert.equal((await send(s.url, 'GET', `/domains?max-results=${value}`)).status, 200);
    });

    test('an empty next-token is a 400 naming NextToken and its minimum length', async () => {
      assertAwsError(await send(s.url, 'GET', '/domains?next-token='), 400, 'BadRequestException', "at 'NextToken'", 'greater than or equal to 1');
    });

    test('a next-token longer than 1024 characters is a 400', async () => {
      assertAwsError(await send(s.url, 'GET', `/domains?next-token=${'a'.repeat(1025)}`), 400, 'BadRequestException', "at 'NextToken'", '1024');
    });

    test('a next-token that was not issued by the service is a 400, never a 500', async () => {
      for (const token of ['garbage', 'a.b', `x.${'%C3%A9'.repeat(24)}`]) {
        assertAwsError(await send(s.url, 'GET', `/domains?next-token=${token}`), 400, 'BadRequestException', 'NextToken');
      }
    });

    test('query parameters the operation does not have are ignored', async () => {
      assert.equal((await send(s.url, 'GET', '/domains?surprise=1&max-results=5')).status, 200);
    });

    test('a missing required query list (tagKeys on UntagResource) is "must not be null"', async () => {
      await send(s.url, 'POST', '/domains/untag-q', jsonBody({ DefaultExpirationDays: 1 }));
      assertAwsError(
        await send(s.url, 'DELETE', '/tags/arn%3Aaws%3Aprofile%3Aus-east-1%3A000000000000%3Adomains%2Funtag-q'),
        400,
        'BadRequestException',
        "Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
      );
    });
  });

  describe('the JSON body', () => {
    test('malformed JSON is a 400 that says so', async () => {
      assertAwsError(await send(s.url, 'POST', '/domains/j', { body: '{"DefaultExpirationDays": ', headers: JSON_HEADERS }), 400, 'BadRequestException', 'not valid JSON');
    });

    for (const [label, body] of [
      ['an array', '[1, 2]'],
      ['a string', '"text"'],
      ['a number', '5'],
      ['null', 'null'],
    ]) {
      test(`a body that is ${label} is a 400: the body must be a JSON object`, async () => {
        assertAwsError(await send(s.url, 'POST', '/domains/j', { body, headers: JSON_HEADERS }), 400, 'BadRequestException', 'JSON object');
      });
    }

    test('a body sent as text/plain is a 400 naming the content type', async () => {
      assertAwsError(
        await send(s.url, 'POST', '/domains/j', { body: '{"DefaultExpirationDays": 5}', headers: { 'content-type': 'text/plain' } }),
        400,
        'BadRequestException',
        'text/plain',
      );
    });

    test('JSON media types with parameters, and a body with no content type at all, are read as JSON', async () => {
      const withCharset = await send(s.url, 'POST', '/domains/ct-charset', {
        body: '{"DefaultExpirationDays": 5}',
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      assert.equal(withCharset.status, 200, withCharset.text);
      const untyped = await send(s.url, 'POST', '/domains/ct-none', { body: new TextEncoder().encode('{"DefaultExpirationDays": 5}') });
      assert.equal(untyped.status, 200, untyped.text);
    });

    test('an empty body on an operation with body members reads as {}', async () => {
      assertAwsError(
        await send(s.url, 'POST', '/domains/empty-body', { headers: JSON_HEADERS }),
        400,
        'BadRequestException',
        "Value null at 'DefaultExpirationDays' failed to satisfy constraint: Member must not be null",
      );
    });

    test('members of the wrong JSON type are 400s naming each member path', async () => {
      const message = assertAwsError(
        await send(s.url, 'POST', '/domains/types', jsonBody({ DefaultExpirationDays: '5', Tags: ['a', 'b'], Matching: { Enabled: 'yes' } })),
        400,
        'BadRequestException',
        '3 validation errors detected',
      );
      assert.match(message, /Value '5' at 'DefaultExpirationDays' failed to satisfy constraint: Member must be an integer/);
      assert.match(message, /at 'Tags' failed to satisfy constraint: Member must be a map/);
      assert.match(message, /Value 'yes' at 'Matching\.Enabled' failed to satisfy constraint: Member must be a boolean/);
    });

    test('more than ten violations: the message gives the total and lists exactly ten', async () => {
      const tags = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`aws:k${i}`, 'v']));
      const message = assertAwsError(
        await send(s.url, 'POST', '/domains/many', jsonBody({ DefaultExpirationDays: 0, Tags: tags })),
        400,
        'BadRequestException',
        '13 validation errors detected: ',
      );
      assert.equal(message.match(/failed to satisfy constraint/g)?.length, 10);
    });

    test('members the model does not know are ignored', async () => {
      const res = await send(s.url, 'POST', '/domains/unknown-members', jsonBody({ DefaultExpirationDays: 4, Surprise: { deep: [1] }, domainname: 'x' }));
      assert.equal(res.status, 200, res.text);
      const body = res.json as Record<string, unknown>;
      assert.equal(body.DomainName, 'unknown-members');
      assert.equal(body.Surprise, undefined);
    });

    test('explicit null members count as absent: fine when optional, "must not be null" when required', async () => {
      const ok = await send(s.url, 'POST', '/domains/nulls', jsonBody({ DefaultExpirationDays: 4, DeadLetterQueueUrl: null, Matching: null, Tags: null }));
      assert.equal(ok.status, 200, ok.text);
      const body = ok.json as Record<string, unknown>;
      assert.ok(!('DeadLetterQueueUrl' in body) && !('Matching' in body) && !('Tags' in body), ok.text);
      assertAwsError(
        await send(s.url, 'POST', '/domains/nulls-required', jsonBody({ DefaultExpirationDays: null })),
        400,
        'BadRequestException',
        "Value null at 'DefaultExpirationDays' failed to satisfy constraint: Member must not be null",
      );
    });

    test('a body member cannot override a URI label of the same name', async () => {
      const res = await send(s.url, 'POST', '/domains/from-path', jsonBody({ DefaultExpirationDays: 1, DomainName: 'from-body' }));
      assert.equal(res.status, 200, res.text);
      assert.equal((res.json as { DomainName: string }).DomainName, 'from-path');
    });

    test('a body larger than 8 MiB is a 400 BadRequestException, not a 413', async () => {
      const huge = JSON.stringify({ DefaultExpirationDays: 1, DeadLetterQueueUrl: 'x'.repeat(8 * 1024 * 1024 + 1) });
      assertAwsError(await send(s.url, 'POST', '/domains/huge', { body: huge, headers: JSON_HEADERS }), 400, 'BadRequestException', 'larger than', '8388608');
    });
  });
});

describe('a configured body limit', () => {
  let store: TestStore;
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    store = await createTestStore('sqlite');
    app = await buildApp({ store: store.store, bodyLimit: 1024 });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await store.dispose();
  });

  test('a body over the limit is a 400 BadRequestException naming the limit; one under it is served', async () => {
    const over = JSON.stringify({ DefaultExpirationDays: 1, DeadLetterQueueUrl: 'x'.repeat(2000) });
    assertAwsError(await send(url, 'POST', '/domains/over', { body: over, headers: JSON_HEADERS }), 400, 'BadRequestException', '1024 bytes');
    const under = await send(url, 'POST', '/domains/under', jsonBody({ DefaultExpirationDays: 1 }));
    assert.equal(under.status, 200, under.text);
  });

  test('a chunked body over the limit (no Content-Length) is a 400 too', async () => {
    const chunks = [new TextEncoder().encode('{"DefaultExpirationDays":1,"DeadLetterQueueUrl":"'), new TextEncoder().encode(`${'y'.repeat(2000)}"}`)];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });
    const res = await fetch(`${url}/domains/chunked`, { method: 'POST', body, headers: JSON_HEADERS, duplex: 'half' } as RequestInit);
    const text = await res.text();
    assertAwsError({ status: res.status, headers: res.headers, text, json: JSON.parse(text) }, 400, 'BadRequestException', '1024 bytes');
  });
});
