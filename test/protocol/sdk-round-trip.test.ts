import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  DeleteDomainCommand,
  GetDomainCommand,
  ListDomainsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDomainCommand,
} from '@aws-sdk/client-customer-profiles';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';

/** The official client's serializer against our binder, and our serializer against its parser. */
describe('round trips through the official SDK', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('sqlite');
  });
  after(() => s?.close());

  test('a domain name with _ and - survives the path label both ways', async () => {
    const name = 'My_domain-01';
    const created = await s.client.send(new CreateDomainCommand({ DomainName: name, DefaultExpirationDays: 12 }));
    assert.equal(created.DomainName, name);
    const got = await s.client.send(new GetDomainCommand({ DomainName: name }));
    assert.equal(got.DomainName, name);
    assert.equal(got.DefaultExpirationDays, 12);
    assert.ok(got.CreatedAt instanceof Date && !Number.isNaN(got.CreatedAt.getTime()));
    assert.deepEqual(got.Stats, { ProfileCount: 0, MeteringProfileCount: 0, ObjectCount: 0, TotalSize: 0 });
    const updated = await s.client.send(new UpdateDomainCommand({ DomainName: name, DefaultExpirationDays: 13 }));
    assert.equal(updated.DefaultExpirationDays, 13);
    const listed = await s.client.send(new ListDomainsCommand({}));
    assert.ok(listed.Items?.some((d) => d.DomainName === name));
    await s.client.send(new DeleteDomainCommand({ DomainName: name }));
    await expectAwsError(s.client.send(new GetDomainCommand({ DomainName: name })), 'ResourceNotFoundException', 404, name);
  });

  test('a name the SDK must percent-encode reaches the validator decoded', async () => {
    // The SDK sends `/domains/bad%20name%2Fx`; the binder must see `bad name/x` and refuse its pattern.
    await expectAwsError(
      s.client.send(new GetDomainCommand({ DomainName: 'bad name/x' })),
      'BadRequestException',
      400,
      "'bad name/x'",
      "at 'DomainName'",
    );
  });

  test('tag keys with : / = + . and the encoded ARN label go through Tag, ListTagsFor and UntagResource', async () => {
    await s.client.send(new CreateDomainCommand({ DomainName: 'tagged_dom-1', DefaultExpirationDays: 1 }));
    const arn = `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/tagged_dom-1`;
    const tags = { 'team:growth/eu': 'a', 'cost=center+1': 'b', 'app.name': 'c', keep: 'v w/x=y+z:1' };
    await s.client.send(new TagResourceCommand({ resourceArn: arn, tags }));
    assert.deepEqual((await s.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, tags);

    // tagKeys is a list in the query string: the SDK repeats the key (`tagKeys=a&tagKeys=b`).
    await s.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team:growth/eu', 'cost=center+1', 'app.name'] }));
    assert.deepEqual((await s.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { keep: 'v w/x=y+z:1' });
    const got = await s.client.send(new GetDomainCommand({ DomainName: 'tagged_dom-1' }));
    assert.deepEqual(got.Tags, { keep: 'v w/x=y+z:1' });
  });

  test('MaxResults and NextToken travel in the query string and walk every domain once', async () => {
    const own = s.clientFor({ accountId: '121212121212' });
    const names = ['p-a', 'p-b', 'p-c', 'p-d', 'p-e'];
    for (const n of names) await own.send(new CreateDomainCommand({ DomainName: n, DefaultExpirationDays: 1 }));
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await own.send(new ListDomainsCommand({ MaxResults: 2, NextToken }));
      assert.ok((page.Items?.length ?? 0) <= 2);
      seen.push(...(page.Items ?? []).map((d) => d.DomainName ?? ''));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(seen, names);
  });

  test('out-of-range MaxResults, which the SDK does not check, comes back as the server BadRequestException', async () => {
    await expectAwsError(s.client.send(new ListDomainsCommand({ MaxResults: 101 })), 'BadRequestException', 400, "at 'MaxResults'");
  });
});
