import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertAwsError, jsonBody, send } from './raw.js';

describe('routing over raw HTTP', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('sqlite');
    const created = await send(s.url, 'POST', '/domains/my-name', jsonBody({ DefaultExpirationDays: 3 }));
    assert.equal(created.status, 200, created.text);
  });
  after(() => s?.close());

  describe('what nothing serves', () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/domains/a/b/c/d/e'],
      ['PATCH', '/domains/x'],
      ['PUT', '/domains'],
      ['OPTIONS', '/domains'],
      ['GET', '/'],
    ] as const) {
      test(`${method} ${path} is a 404 in the AWS envelope naming the method and path`, async () => {
        assertAwsError(await send(s.url, method, path), 404, 'UnknownOperationException', `${method} ${path}`);
      });
    }
  });

  describe('real Customer Profiles operations that profileflow does not implement', () => {
    for (const [method, path, operation] of [
      ['GET', '/domains/d/matches', 'GetMatches'],
      ['POST', '/domains/d/segment-definitions/s', 'CreateSegmentDefinition'],
      ['GET', '/domains/d/event-streams', 'ListEventStreams'],
      ['PATCH', '/domains/d/recommenders/r', 'UpdateRecommender'],
    ] as const) {
      test(`${method} ${path} is 501 NotImplementedException naming ${operation}`, async () => {
        const body = method === 'GET' ? {} : jsonBody({});
        assertAwsError(await send(s.url, method, path, body), 501, 'NotImplementedException', operation);
      });
    }
  });

  describe('labels', () => {
    test('a percent-encoded label is decoded after matching: /domains/my%2Dname finds my-name', async () => {
      const res = await send(s.url, 'GET', '/domains/my%2Dname');
      assert.equal(res.status, 200, res.text);
      assert.equal((res.json as { DomainName: string }).DomainName, 'my-name');
    });

    test('%2F inside a label is not a path separator: it stays in DomainName, which then fails its pattern', async () => {
      assertAwsError(await send(s.url, 'GET', '/domains/my%2Fname'), 400, 'BadRequestException', "'my/name'", "at 'DomainName'", 'pattern');
      // Decoded too early, this would have been ListWorkflows on domain "my-name".
      assertAwsError(await send(s.url, 'POST', '/domains/my-name%2Fworkflows', jsonBody({ DefaultExpirationDays: 1 })), 400, 'BadRequestException', "at 'DomainName'");
    });

    test('broken percent-encoding is a 400 BadRequestException', async () => {
      assertAwsError(await send(s.url, 'GET', '/domains/my%zzname'), 400, 'BadRequestException');
      assertAwsError(await send(s.url, 'GET', '/domains/%'), 400, 'BadRequestException');
    });

    test('an encoded ARN reaches the tagging operations as one label', async () => {
      const path = '/tags/arn%3Aaws%3Aprofile%3Aus-east-1%3A000000000000%3Adomains%2Fmy-name';
      const tagged = await send(s.url, 'POST', path, jsonBody({ tags: { team: 'growth' } }));
      assert.equal(tagged.status, 200, tagged.text);
      const listed = await send(s.url, 'GET', path);
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.json, { tags: { team: 'growth' } });
      const untagged = await send(s.url, 'DELETE', `${path}?tagKeys=team`);
      assert.equal(untagged.status, 200, untagged.text);
      assert.deepEqual((await send(s.url, 'GET', path)).json, { tags: {} });
    });

    test('the same path with another method is another operation', async () => {
      const updated = await send(s.url, 'PUT', '/domains/my-name', jsonBody({ DefaultExpirationDays: 9 }));
      assert.equal(updated.status, 200, updated.text);
      assert.equal(((await send(s.url, 'GET', '/domains/my-name')).json as { DefaultExpirationDays: number }).DefaultExpirationDays, 9);
    });
  });
});
