import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DetectProfileObjectTypeCommand,
  GetProfileObjectTypeCommand,
  ListProfileObjectTypesCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'detect';
const SAMPLES = [
  { CustomerId: 'c-1', Email: 'ada@example.com', Phone: '+1 206 555 0100', FirstName: 'Ada', LastName: 'Lovelace', LastUpdated: '2024-05-01T10:00:00Z', Tier: 'gold', Visits: 3 },
  { CustomerId: 'c-2', Email: 'alan@example.com', Phone: '+1 206 555 0101', FirstName: 'Alan', LastName: 'Turing', LastUpdated: '2024-05-02T11:00:00Z', Tier: 'silver', Visits: 7 },
];

for (const backend of await availableBackends()) {
  describe(`DetectProfileObjectType [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await createDomain(s.client, DOMAIN);
    });
    after(() => s.close());
    const detect = (Objects: string[], DomainName = DOMAIN) => s.client.send(new DetectProfileObjectTypeCommand({ DomainName, Objects }));

    describe('serialization', () => {
      test('answers one DetectedProfileObjectType with Fields, Keys and SourceLastUpdatedTimestampFormat', async () => {
        const out = await detect(SAMPLES.map((o) => JSON.stringify(o)));
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.DetectedProfileObjectTypes?.length, 1);
        const [type] = out.DetectedProfileObjectTypes!;
        assert.equal(type.SourceLastUpdatedTimestampFormat, "yyyy-MM-dd'T'HH:mm:ssX");
        assert.deepEqual(type.Fields?.Email, { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' });
        assert.deepEqual(type.Fields?.Visits, { Source: '_source.Visits', ContentType: 'NUMBER' });
        assert.deepEqual(type.Keys?._CustomerId, [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['CustomerId'] }]);
      });

      test('on the wire: POST /domains/{DomainName}/detect/object-types; no timestamp format when none is recognised', async () => {
        const res = await raw(s, 'POST', `/domains/${DOMAIN}/detect/object-types`, { Objects: [JSON.stringify({ id: 1, name: 'x' })] });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json), ['DetectedProfileObjectTypes']);
        const [type] = res.json.DetectedProfileObjectTypes as Record<string, unknown>[];
        assert.deepEqual(Object.keys(type).sort(), ['Fields', 'Keys']);
      });
    });

    describe('validation', () => {
      test('Objects holds 1 to 5 strings of 1 to 256000 characters; DomainName follows the name pattern', async () => {
        await expectAwsError(detect([]), 'BadRequestException', 400, "at 'Objects'");
        await expectAwsError(detect(Array.from({ length: 6 }, () => '{}')), 'BadRequestException', 400, "at 'Objects'");
        const five = await detect(Array.from({ length: 5 }, () => JSON.stringify({ email: 'a@example.com' })));
        assert.ok(Array.isArray(five.DetectedProfileObjectTypes ?? []), 'five objects are accepted');
        await expectAwsError(detect(['']), 'BadRequestException', 400, 'Objects');
        await expectAwsError(detect([JSON.stringify({ a: 'x'.repeat(256_000) })]), 'BadRequestException', 400, 'Objects');
        await expectAwsError(detect(['{}'], 'bad name'), 'BadRequestException', 400, "at 'DomainName'");
        const missing = await raw(s, 'POST', `/domains/${DOMAIN}/detect/object-types`, {});
        assert.equal(missing.status, 400);
        assert.equal(missing.errorType?.split(':')[0], 'BadRequestException');
      });

      test('an object that is not valid JSON, or JSON but not an object, is a BadRequestException naming its index', async () => {
        await expectAwsError(detect(['{}', '{"a":']), 'BadRequestException', 400, 'Objects[1] is not valid JSON');
        await expectAwsError(detect(['{}', '{}', '[1,2]']), 'BadRequestException', 400, 'Objects[2] is an array, not a JSON object');
        await expectAwsError(detect(['"text"']), 'BadRequestException', 400, 'Objects[0] is a string');
      });
    });

    describe('behaviour', () => {
      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(detect(['{}'], 'nowhere'), 'ResourceNotFoundException', 404, 'nowhere');
      });

      test('standard profile names become _profile targets and PROFILE keys; other fields stay on the object', async () => {
        const [type] = (await detect(SAMPLES.map((o) => JSON.stringify(o)))).DetectedProfileObjectTypes!;
        const targets = Object.fromEntries(Object.entries(type.Fields!).map(([k, f]) => [k, [f.Target, f.ContentType]]));
        assert.deepEqual(targets, {
          CustomerId: [undefined, 'STRING'],
          Email: ['_profile.EmailAddress', 'EMAIL_ADDRESS'],
          Phone: ['_profile.PhoneNumber', 'PHONE_NUMBER'],
          FirstName: ['_profile.FirstName', 'NAME'],
          LastName: ['_profile.LastName', 'NAME'],
          LastUpdated: ['_profile.SourceLastUpdatedTimestamp', 'STRING'],
          Tier: [undefined, 'STRING'],
          Visits: [undefined, 'NUMBER'],
        });
        assert.deepEqual(type.Keys, {
          _CustomerId: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['CustomerId'] }],
          _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }],
          _phone: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Phone'] }],
        });
      });

      test('the proposal can be put as an object type, and objects put through it build profiles', async () => {
        const [type] = (await detect(SAMPLES.map((o) => JSON.stringify(o)))).DetectedProfileObjectTypes!;
        await s.client.send(
          new PutProfileObjectTypeCommand({
            DomainName: DOMAIN,
            ObjectTypeName: 'Detected',
            Description: 'from DetectProfileObjectType',
            AllowProfileCreation: true,
            Fields: type.Fields,
            Keys: type.Keys,
            SourceLastUpdatedTimestampFormat: type.SourceLastUpdatedTimestampFormat,
          }),
        );
        const stored = await s.client.send(new GetProfileObjectTypeCommand({ DomainName: DOMAIN, ObjectTypeName: 'Detected' }));
        assert.deepEqual(stored.Keys, type.Keys);
        await s.client.send(new PutProfileObjectCommand({ DomainName: DOMAIN, ObjectTypeName: 'Detected', Object: JSON.stringify(SAMPLES[0]) }));
        const found = await s.client.send(new SearchProfilesCommand({ DomainName: DOMAIN, KeyName: '_email', Values: ['ada@example.com'] }));
        assert.deepEqual(found.Items?.map((p) => [p.FirstName, p.LastName, p.PhoneNumber]), [['Ada', 'Lovelace', '+1 206 555 0100']]);
      });

      test('detection stores nothing: no object type appears, and the same samples answer the same proposal', async () => {
        await createDomain(s.client, 'detect-only');
        const first = await detect(SAMPLES.map((o) => JSON.stringify(o)), 'detect-only');
        const again = await detect(SAMPLES.map((o) => JSON.stringify(o)), 'detect-only');
        assert.deepEqual(again.DetectedProfileObjectTypes, first.DetectedProfileObjectTypes);
        const types = await s.client.send(new ListProfileObjectTypesCommand({ DomainName: 'detect-only' }));
        assert.deepEqual(types.Items ?? [], []);
      });
    });
  });
}
