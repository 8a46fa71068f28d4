import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, PutProfileObjectCommand, PutProfileObjectTypeCommand } from '@aws-sdk/client-customer-profiles';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectorFor } from '../../src/connectors/index.js';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import { MAX_JSON_DEPTH } from '../../src/protocol/json.js';
import { expectSourceError, readAll, request } from '../helpers/connectors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { assertAwsError, send } from '../protocol/raw.js';

/**
 * JSON nested far deeper than any stack, in a request body and in JSON carried inside a string member.
 * Before the depth bound these answered 500 (a stack overflow in the error message's preview of the
 * value and in validation), and the SDKs retried each three times; checked once against the old code.
 */
const nestedArray = (depth: number, leaf = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const nestedObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const TOO_DEEP = /nests deeper than 64 levels of arrays and objects/;

describe('deeply nested JSON', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite');
    await server.client.send(new CreateDomainCommand({ DomainName: 'deep', DefaultExpirationDays: 30 }));
    await server.client.send(
      new PutProfileObjectTypeCommand({
        DomainName: 'deep',
        ObjectTypeName: 'Thing',
        Description: 'things',
        Fields: { id: { Source: '_source.id', Target: '_profile.AccountNumber' } },
        Keys: { id: [{ FieldNames: ['id'], StandardIdentifiers: ['UNIQUE', 'PROFILE'] }] },
      }),
    );
  });
  after(() => server.close());

  const raw = (method: string, path: string, body: string) =>
    send(server.url, method, path, { body, headers: { 'content-type': 'application/json' } });

  test('ListWorkflows with Status nested 10,000 deep answers 400, not 500', async () => {
    const res = await raw('POST', '/domains/deep/workflows', `{"Status":${nestedArray(10_000)}}`);
    assertAwsError(res, 400, 'BadRequestException', 'The request body', TOO_DEEP);
  });

  test('CreateDomain with Tags nested 10,000 deep answers 400', async () => {
    const res = await raw('POST', '/domains/deep2', `{"DefaultExpirationDays":30,"Tags":{"t":${nestedObject(10_000)}}}`);
    assertAwsError(res, 400, 'BadRequestException', TOO_DEEP);
  });

  test('PutProfileObject with an Object nested 10,000 deep answers 400 naming the Object', async () => {
    const object = `{"id":"1","x":${nestedArray(10_000)}}`;
    const res = await raw('PUT', '/domains/deep/profiles/objects', JSON.stringify({ ObjectTypeName: 'Thing', Object: object }));
    assertAwsError(res, 400, 'BadRequestException', 'The Object', TOO_DEEP);
    // The official client sees the same modelled error, not a retried 500.
    await assert.rejects(
      server.client.send(new PutProfileObjectCommand({ DomainName: 'deep', ObjectTypeName: 'Thing', Object: object })),
      { name: 'BadRequestException', message: /The Object nests deeper/ },
    );
  });

  test('a body of arrays 100,000 deep is refused before anything reads it, on each route that takes a body', async () => {
    for (const [method, path] of [
      ['POST', '/domains/deep/workflows'],
      ['PUT', '/domains/deep/object-types/Deep'],
      ['POST', '/domains/deep/profiles/search'],
      ['POST', '/domains/deep/profiles'],
    ] as const) {
      const res = await raw(method, path, nestedArray(100_000));
      assertAwsError(res, 400, 'BadRequestException', TOO_DEEP);
    }
  });

  test('exactly the limit is still read: the answer is an ordinary validation error', async () => {
    // The body is level 1, so Status sits at depth MAX_JSON_DEPTH with MAX_JSON_DEPTH - 1 arrays in it.
    const res = await raw('POST', '/domains/deep/workflows', `{"Status":${nestedArray(MAX_JSON_DEPTH - 1)}}`);
    assertAwsError(res, 400, 'BadRequestException', "at 'Status' failed to satisfy constraint: Member must be a string");
    const object = JSON.stringify({ id: '2', x: JSON.parse(nestedArray(MAX_JSON_DEPTH - 1)) });
    const put = await raw('PUT', '/domains/deep/profiles/objects', JSON.stringify({ ObjectTypeName: 'Thing', Object: object }));
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json, { ProfileObjectUniqueKey: '2' });
  });

  test('a record from a source nested deeper than any stack is dropped as rejected, the rest of its page kept', async () => {
    // Connectors of remote APIs hand over what JSON.parse made of a response: never bounded as a body is.
    const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
    const objectType = (await server.store.objectTypes.get(scope, 'deep', 'Thing'))!;
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    const rejected: [number, string][] = [];
    const results = await server.store.transaction((store) =>
      putProfileObjects(store, scope, 'deep', objectType, [{ id: 'r1', x: deep }, { id: 'r2', x: JSON.parse(nestedArray(MAX_JSON_DEPTH)) }, { id: 'r3' }], Date.now(), {
        onRejected: (index, message) => rejected.push([index, message]),
      }),
    );
    assert.deepEqual(results.map((r) => r.uniqueKey), ['r3']);
    assert.deepEqual(rejected.map(([i]) => i), [0, 1]);
    for (const [, message] of rejected) assert.match(message, /^The object nests deeper than 64 levels/);
  });

  test('brackets inside strings do not count', async () => {
    const object = JSON.stringify({ id: '3', note: '['.repeat(10_000) });
    const put = await raw('PUT', '/domains/deep/profiles/objects', JSON.stringify({ ObjectTypeName: 'Thing', Object: object }));
    assert.equal(put.status, 200, put.text);
  });
});

describe('deeply nested records in a files source', () => {
  test('a JSON Lines record nested 10,000 deep fails the read with a permanent error naming its line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pf-deep-'));
    try {
      await mkdir(join(dir, 'Account'));
      const line = `{"Id":"A1","LastModifiedDate":"2024-01-01T00:00:00Z","x":${nestedArray(10_000)}}`;
      await writeFile(join(dir, 'Account', 'a.jsonl'), `${line}\n`);
      const files = connectorFor('files')!;
      await expectSourceError(
        readAll(files, request('files', { directory: dir }, { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' })),
        'permanent',
        "Line 1 of file 'a.jsonl'",
        TOO_DEEP,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('huge map keys in error messages', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite');
  });
  after(() => server.close());

  test('a map key of 100,000 characters is abridged where a message names the entry', async () => {
    // Found by `npm run fuzz` (seed 1123796022): such keys made messages of thousands of characters.
    const key = 'k'.repeat(100_000);
    const res = await send(server.url, 'POST', '/domains/huge-keys', {
      body: JSON.stringify({ DefaultExpirationDays: 30, Tags: { [key]: '', [`${key}2`]: null } }),
      headers: { 'content-type': 'application/json' },
    });
    const message = assertAwsError(res, 400, 'BadRequestException', `at 'Tags.${'k'.repeat(64)}...'`);
    assert.ok(message.length < 2000, `a message of ${message.length} characters`);
  });
});
