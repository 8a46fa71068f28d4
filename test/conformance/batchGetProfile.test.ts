import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BatchGetProfileCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, raw } from '../helpers/profile-objects.js';
import { newProfile } from '../helpers/profiles.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'people';

for (const backend of await availableBackends()) {
  describe(`BatchGetProfile [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await createDomain(s.client, DOMAIN);
    });
    after(() => s.close());
    const get = (ProfileIds: string[], DomainName = DOMAIN) => s.client.send(new BatchGetProfileCommand({ DomainName, ProfileIds }));

    describe('serialization', () => {
      test('POST /domains/{DomainName}/batch-get-profiles answers Profiles and Errors', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Wire', Address: { City: 'Seattle' } });
        const missing = 'f'.repeat(32);
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/batch-get-profiles`, { ProfileIds: [id, missing] });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json.Profiles, [{ ProfileId: id, FirstName: 'Wire', Address: { City: 'Seattle' } }]);
        assert.deepEqual(res.json.Errors, [{ ProfileId: missing, Code: 'ResourceNotFoundException', Message: `Profile ${missing} was not found in domain ${DOMAIN}.` }]);
      });
    });

    describe('validation', () => {
      test('ProfileIds holds 1 to 20 uuids', async () => {
        await expectAwsError(get([]), 'BadRequestException', 400, "at 'ProfileIds'");
        await expectAwsError(get(Array.from({ length: 21 }, (_, i) => i.toString(16).padStart(32, '0'))), 'BadRequestException', 400, "at 'ProfileIds'");
        await expectAwsError(get(['not-a-uuid']), 'BadRequestException', 400, 'ProfileIds');
        // Twenty are accepted: each is answered, here as not found.
        const twenty = await get(Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(32, 'f')));
        assert.equal((twenty.Profiles?.length ?? 0) + (twenty.Errors?.length ?? 0), 20);
      });
    });

    describe('behaviour', () => {
      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(get(['a'.repeat(32)], 'nowhere'), 'ResourceNotFoundException', 404, 'nowhere');
      });

      test('found profiles come back in the order asked, each once; Errors name every id not found', async () => {
        const a = await newProfile(s.client, DOMAIN, { FirstName: 'A' });
        const b = await newProfile(s.client, DOMAIN, { FirstName: 'B' });
        const gone = '0'.repeat(32);
        const out = await get([b, gone, a, b]);
        assert.deepEqual(out.Profiles?.map((p) => [p.ProfileId, p.FirstName]), [[b, 'B'], [a, 'A']]);
        assert.deepEqual(out.Errors?.map((e) => e.ProfileId), [gone]);
        const none = await get([gone]);
        assert.deepEqual(none.Profiles, []);
        assert.equal(none.Errors?.length, 1);
      });

      test('another account or region gets the ids as errors, never the profiles', async () => {
        const id = await newProfile(s.client, DOMAIN, { FirstName: 'Mine' });
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          await expectAwsError(other.send(new BatchGetProfileCommand({ DomainName: DOMAIN, ProfileIds: [id] })), 'ResourceNotFoundException', 404);
          await createDomain(other, DOMAIN);
          const out = await other.send(new BatchGetProfileCommand({ DomainName: DOMAIN, ProfileIds: [id] }));
          assert.deepEqual(out.Profiles, []);
          assert.deepEqual(out.Errors?.map((e) => e.ProfileId), [id]);
        }
      });
    });
  });
}
