import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactUrl, withLogRedaction } from '../../src/server/log-redaction.js';

describe('redactUrl', () => {
  test('replaces the signature, credential and security token of a presigned URL, nothing else', () => {
    const url =
      '/_profileflow/events?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fprofile%2Faws4_request' +
      '&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&X-Amz-Security-Token=FwoGZXIvYXdzEJr%2F%2F&X-Amz-SignedHeaders=host' +
      '&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef&domain=a';
    assert.equal(
      redactUrl(url),
      '/_profileflow/events?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED' +
        '&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=REDACTED&domain=a',
    );
  });

  test('matches names in any case and percent-encoded, every occurrence, with or without a value', () => {
    assert.equal(redactUrl('/p?x-amz-signature=abc&X%2DAmz%2DSignature=def&X-AMZ-CREDENTIAL'), '/p?x-amz-signature=REDACTED&X%2DAmz%2DSignature=REDACTED&X-AMZ-CREDENTIAL=REDACTED');
  });

  test('leaves URLs without such parameters exactly as they are, malformed escapes included', () => {
    for (const url of ['/domains/a', '/domains/a?max-results=5&next-token=x%2By', '/p?%E0%A4%A=1&X-Amz-Signatures=1', '/p?']) {
      assert.equal(redactUrl(url), url);
    }
  });
});

describe('withLogRedaction', () => {
  test('keeps logging off when it is off and wraps a given req serializer', () => {
    assert.equal(withLogRedaction(false), false);
    const options = withLogRedaction({ level: 'debug', serializers: { req: (r: { url: string }) => ({ u: 1, url: r.url }) } }) as {
      level: string;
      serializers: { req: (r: unknown) => unknown };
      redact: { paths: string[] };
    };
    assert.equal(options.level, 'debug');
    assert.deepEqual(options.serializers.req({ url: '/x?X-Amz-Signature=s' }), { u: 1, url: '/x?X-Amz-Signature=REDACTED' });
    assert.ok(options.redact.paths.includes('req.headers.authorization'));
  });
});
