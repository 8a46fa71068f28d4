import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListProfileObjectsCommand, SearchProfilesCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { ingestionTurn } from '../../src/ingest/profile-objects.js';
import { TURN_WAIT_MS } from '../../src/store/kysely-store.js';
import { until } from '../helpers/poll.js';
import { historyOf } from '../helpers/profiles.js';
import { domainWithType, HOME, profileOf, raw } from '../helpers/profile-objects.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { sendSigned, signRequest } from '../helpers/sigv4.js';

// No official client knows BatchPutProfileObject yet (the newest @aws-sdk/client-customer-profiles,
// botocore and the AWS CLI on npm and PyPI lack it; the model has it): calls are signed with the SDK's own
// signer, as a client would sign them, and the answers read from the wire.

interface BatchInput {
  DomainName?: string;
  ObjectTypeName?: string;
  Items: { Id?: string; Object?: string }[];
}
interface BatchOutput {
  Successful?: { Id: string; ProfileObjectUniqueKey: string }[];
  Failed?: { Id: string; Code: number; Message?: string }[];
  Message?: string;
}

const DOMAIN = 'batch';

for (const backend of await availableBackends()) {
  describe(`BatchPutProfileObject [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, DOMAIN);
    });
    after(() => s.close());
    /** The answer, or the AWS error it is: its type, status and message. */
    async function call(input: BatchInput, accountId = TEST_ACCOUNT): Promise<{ status: number; errorType: string | null; out: BatchOutput }> {
      const { DomainName = DOMAIN, ...body } = input;
      const text = JSON.stringify(body);
      const request = await signRequest(s.url, 'PUT', `/domains/${DomainName}/profiles/objects/batch-put-profile-object`, {
        body: text,
        accessKeyId: accountId,
        secretAccessKey: 'test',
        region: TEST_REGION,
      });
      const res = await sendSigned(request, text);
      return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), out: res.json as BatchOutput };
    }
    async function batch(Items: BatchInput['Items'], input: Partial<BatchInput> = {}): Promise<BatchOutput> {
      const res = await call({ ObjectTypeName: 'Contact', Items, ...input });
      assert.equal(res.status, 200, JSON.stringify(res.out));
      return res.out;
    }
    /** A call that fails as a whole: the error type and status, and words its message holds. */
    async function refused(input: Partial<BatchInput> & Pick<BatchInput, 'Items'>, type: string, status: number, ...words: string[]) {
      const res = await call({ ObjectTypeName: 'Contact', ...input });
      assert.equal(res.status, status, JSON.stringify(res.out));
      assert.match(res.errorType ?? '', new RegExp(`^${type}`));
      for (const w of words) assert.ok(res.out.Message?.includes(w), `message '${res.out.Message}' lacks '${w}'`);
    }
    const item = (Id: string, object: unknown) => ({ Id, Object: typeof object === 'string' ? object : JSON.stringify(object) });

    describe('serialization', () => {
      test('on the wire: PUT /domains/{DomainName}/profiles/objects/batch-put-profile-object answers Successful and Failed', async () => {
        const res = await raw(s, 'PUT', `/domains/${DOMAIN}/profiles/objects/batch-put-profile-object`, {
          ObjectTypeName: 'Contact',
          Items: [item('a', { Id: 'wire-1', Email: 'wire@example.com' }), item('b', '[1]')],
        });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, {
          Successful: [{ Id: 'a', ProfileObjectUniqueKey: 'wire-1' }],
          Failed: [{ Id: 'b', Code: 400, Message: 'The Object must be a JSON object ({...}), not an array or a single value.' }],
        });
      });
    });

    describe('validation', () => {
      test('Items holds 1 to 10 items, each with an Id of the name pattern and an Object', async () => {
        await refused({ Items: [] }, 'BadRequestException', 400, "at 'Items'", 'greater than or equal to 1');
        const eleven = Array.from({ length: 11 }, (_, i) => item(`i${i}`, { Id: `x${i}` }));
        await refused({ Items: eleven }, 'BadRequestException', 400, "at 'Items'", 'less than or equal to 10');
        await refused({ Items: [item('no spaces', { Id: 'x' })] }, 'BadRequestException', 400, "at 'Items.1.Id'");
        await refused({ Items: [{ Id: 'a' }] }, 'BadRequestException', 400, "Value null at 'Items.1.Object'");
        await refused({ Items: [item('a', { Id: 'x' })], ObjectTypeName: undefined }, 'BadRequestException', 400, "Value null at 'ObjectTypeName'");
      });

      test('an Id given twice is a BadRequestException naming it, and nothing is written', async () => {
        await refused({ Items: [item('dup', { Id: 'dup-1' }), item('dup', { Id: 'dup-2' })] }, 'BadRequestException', 400, 'Id dup more than once');
        assert.equal(await s.store.profileObjects.get(HOME, DOMAIN, 'Contact', 'dup-1'), undefined);
      });

      test('a missing domain or object type fails the whole call with ResourceNotFoundException', async () => {
        await refused({ Items: [item('a', { Id: '1' })], DomainName: 'nope' }, 'ResourceNotFoundException', 404, 'nope');
        await refused({ Items: [item('a', { Id: '1' })], ObjectTypeName: 'Orders' }, 'ResourceNotFoundException', 404, 'Orders');
      });
    });

    describe('behaviour', () => {
      test('each item is Successful with the key PutProfileObject would answer, or Failed with the status and message it would have answered; the rest are written', async () => {
        const out = await batch([
          item('ok-1', { Id: 'b-1', Email: 'b1@example.com', FirstName: 'Bea' }),
          item('not-json', '{"Id": '),
          item('no-key', { Email: 'nokey@example.com' }),
          item('ok-2', { Id: 'b-2', Email: 'b2@example.com' }),
        ]);
        assert.deepEqual(out.Successful, [
          { Id: 'ok-1', ProfileObjectUniqueKey: 'b-1' },
          { Id: 'ok-2', ProfileObjectUniqueKey: 'b-2' },
        ]);
        assert.deepEqual(out.Failed?.map((f) => [f.Id, f.Code]), [['not-json', 400], ['no-key', 400]]);
        assert.match(out.Failed![0].Message!, /not valid JSON/);
        assert.match(out.Failed![1].Message!, /UNIQUE key _contactId/);
        const objects = await s.client.send(new ListProfileObjectsCommand({ DomainName: DOMAIN, ObjectTypeName: 'Contact', ProfileId: await profileOf(s, DOMAIN, 'b-1') }));
        assert.deepEqual(objects.Items?.map((o) => JSON.parse(o.Object!).Id), ['b-1']);
        const found = await s.client.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName: '_email', Values: ['b1@example.com'] }));
        assert.equal(found.Items?.[0]?.FirstName, 'Bea');
      });

      test('items later in the batch see the earlier ones: a second object of the same customer lands on the profile the first created, and the same key twice replaces', async () => {
        const out = await batch([
          item('first', { Id: 'c-1', Email: 'same@example.com', FirstName: 'One' }),
          item('second', { Id: 'c-2', Email: 'same@example.com' }),
          item('again', { Id: 'c-1', Email: 'same@example.com', FirstName: 'Two' }),
        ]);
        assert.deepEqual(out.Failed, []);
        assert.deepEqual(out.Successful?.map((x) => x.ProfileObjectUniqueKey), ['c-1', 'c-2', 'c-1']);
        const profileId = await profileOf(s, DOMAIN, 'c-1');
        assert.equal(await profileOf(s, DOMAIN, 'c-2'), profileId);
        const objects = await s.client.send(new ListProfileObjectsCommand({ DomainName: DOMAIN, ObjectTypeName: 'Contact', ProfileId: profileId }));
        assert.deepEqual(objects.Items?.map((o) => JSON.parse(o.Object!)).sort((a, b) => a.Id.localeCompare(b.Id)), [
          { Id: 'c-1', Email: 'same@example.com', FirstName: 'Two' },
          { Id: 'c-2', Email: 'same@example.com' },
        ]);
        // Recorded as three PutProfileObject calls would be.
        const history = await historyOf(s.client, DOMAIN, profileId);
        assert.deepEqual(history.map((h) => [h.ActionType, h.ProfileObjectUniqueKey]).filter(([a]) => a !== 'UPDATED'), [
          ['CREATED', undefined],
          ['INGESTED', 'c-1'],
          ['INGESTED', 'c-2'],
          ['INGESTED', 'c-1'],
        ]);
      });

      test('ten Objects of 256,000 characters each, the most the model allows, fit in one request even as four-byte characters', async () => {
        // Astral characters up to 256,000 characters in all, about 1 MB of UTF-8 each.
        const Items = Array.from({ length: 10 }, (_, i) => item(`big-${i}`, { Id: `big-${i}`, Notes: '😀'.repeat(256_000 - JSON.stringify({ Id: `big-${i}`, Notes: '' }).length) }));
        for (const x of Items) assert.equal([...x.Object].length, 256_000);
        const out = await batch(Items);
        assert.equal(out.Successful?.length, 10);
        assert.deepEqual(out.Failed, []);
      });

      // PostgreSQL only: on SQLite the turn's holder holds the one connection, and nothing answers before it ends.
      if (backend === 'postgres') test('behind a busy domain, a batch the object type rejects whole answers at once; one with an item to write waits its turn and lands', async () => {
        let open!: () => void;
        const opened = new Promise<void>((resolve) => (open = resolve));
        // The domain's turn in this process, held as an ingestion's transaction holds it.
        const running = s.store.transaction(() => opened, ingestionTurn(HOME, DOMAIN));
        s.store.turnWaitMs = 3_000;
        try {
          const good = batch([item('in-line', { Id: 'busy-1', Email: 'busy-1@example.com' })]);
          await until(() => s.store.waitingForTurn === 1, 'the good batch in line');
          const rejected = await batch([item('no-key', { Email: 'nokey@example.com' }), item('not-json', '{')]);
          assert.deepEqual(rejected.Successful, []);
          assert.deepEqual(rejected.Failed?.map((f) => f.Id), ['no-key', 'not-json']);
          assert.equal(s.store.waitingForTurn, 1, 'the good batch still waits, in its place');
          open();
          await running;
          assert.deepEqual((await good).Successful, [{ Id: 'in-line', ProfileObjectUniqueKey: 'busy-1' }]);
        } finally {
          open();
          s.store.turnWaitMs = TURN_WAIT_MS;
        }
      });

      test('another account writes into its own domain of the same name, never into this one', async () => {
        const res = await call({ ObjectTypeName: 'Contact', Items: [item('x', { Id: 'intruder' })] }, '210987654321');
        assert.equal(res.status, 404);
        assert.match(res.errorType ?? '', /^ResourceNotFoundException/);
        assert.equal(await s.store.profileObjects.get(HOME, DOMAIN, 'Contact', 'intruder'), undefined);
      });
    });
  });
}
