import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ListProfileObjectsCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { domainWithType, HOME, profileOf, putObject, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`PutProfileObject [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, 'objs');
    });
    after(() => s.close());
    const put = (input: { DomainName?: string; ObjectTypeName?: string; Object?: string }) =>
      s.client.send(new PutProfileObjectCommand({ DomainName: 'objs', ObjectTypeName: 'Contact', Object: '{}', ...input } as never));
    const listOf = async (profileId: string, ObjectTypeName = 'Contact') =>
      (await s.client.send(new ListProfileObjectsCommand({ DomainName: 'objs', ObjectTypeName, ProfileId: profileId }))).Items ?? [];

    describe('serialization', () => {
      test("answers ProfileObjectUniqueKey (the UNIQUE key's value), the same one whenever the same object comes again", async () => {
        const out = await put({ Object: JSON.stringify({ Id: 'ser-1', Email: 'ser@x.com' }) });
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.ProfileObjectUniqueKey, 'ser-1');
        const again = await put({ Object: JSON.stringify({ Id: 'ser-1', Email: 'ser@x.com', FirstName: 'Sam' }) });
        assert.equal(again.ProfileObjectUniqueKey, out.ProfileObjectUniqueKey);
      });

      test('on the wire the answer has only ProfileObjectUniqueKey', async () => {
        const res = await raw(s, 'PUT', '/domains/objs/profiles/objects', { ObjectTypeName: 'Contact', Object: '{"Id":"wire"}' });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.json), ['ProfileObjectUniqueKey']);
      });
    });

    describe('validation', () => {
      test('Object and ObjectTypeName are required', async () => {
        await expectAwsError(put({ Object: undefined }), 'BadRequestException', 400, "Value null at 'Object'");
        await expectAwsError(put({ ObjectTypeName: undefined }), 'BadRequestException', 400, "Value null at 'ObjectTypeName'");
      });

      test('Object is 1..256000 characters, and its content is never echoed in a message', async () => {
        const big = JSON.stringify({ Id: 'big', Notes: 'n'.repeat(256000 - 23) });
        assert.equal(big.length, 256000);
        await put({ Object: big });
        const err = await expectAwsError(put({ Object: `${big} ` }), 'BadRequestException', 400, "'***' at 'Object'", 'less than or equal to 256000');
        assert.ok(!err.message.includes('nnnn'));
        await expectAwsError(put({ Object: '' }), 'BadRequestException', 400, 'greater than or equal to 1');
      });

      test('ObjectTypeName follows its pattern', async () => {
        await expectAwsError(put({ ObjectTypeName: 'no spaces' }), 'BadRequestException', 400, "at 'ObjectTypeName'");
      });
    });

    describe('behaviour', () => {
      test('an Object that is not a JSON object is a BadRequestException', async () => {
        await expectAwsError(put({ Object: '{"Id": ' }), 'BadRequestException', 400, 'not valid JSON');
        await expectAwsError(put({ Object: '[{"Id":"a"}]' }), 'BadRequestException', 400, 'must be a JSON object');
        await expectAwsError(put({ Object: '"text"' }), 'BadRequestException', 400, 'must be a JSON object');
      });

      test('an object without its UNIQUE key value is a BadRequestException naming the key', async () => {
        await expectAwsError(put({ Object: JSON.stringify({ Email: 'nokey@x.com' }) }), 'BadRequestException', 400, 'UNIQUE key _contactId');
      });

      test('a missing domain or object type is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(put({ DomainName: 'nope', Object: '{"Id":"1"}' }), 'ResourceNotFoundException', 404, 'nope');
        await expectAwsError(put({ ObjectTypeName: 'Orders', Object: '{"Id":"1"}' }), 'ResourceNotFoundException', 404, 'Orders');
      });

      test('an object put again replaces the stored one instead of adding a second', async () => {
        const key = await putObject(s.client, 'objs', { Id: 'rep', Email: 'rep@x.com', FirstName: 'First' });
        await putObject(s.client, 'objs', { Id: 'rep', Email: 'rep@x.com', FirstName: 'Second' });
        const items = await listOf(await profileOf(s, 'objs', key));
        assert.equal(items.length, 1);
        assert.equal(JSON.parse(items[0].Object ?? '{}').FirstName, 'Second');
        assert.equal(items[0].ProfileObjectUniqueKey, key);
      });

      test('objects sharing a PROFILE key value land on the same profile, whatever format the phone number has', async () => {
        const a = await putObject(s.client, 'objs', { Id: 'ph-1', Phone: '+1 (555) 010-2000' });
        const b = await putObject(s.client, 'objs', { Id: 'ph-2', Phone: '555.010.2000' });
        const c = await putObject(s.client, 'objs', { Id: 'ph-3', Phone: '555.010.2001' });
        const profile = await profileOf(s, 'objs', a);
        assert.match(profile, /^[0-9a-f]{32}$/);
        assert.equal(await profileOf(s, 'objs', b), profile);
        assert.notEqual(await profileOf(s, 'objs', c), profile);
        assert.equal((await listOf(profile)).length, 2);
      });

      test('the _profile targets fill the standard profile', async () => {
        const key = await putObject(s.client, 'objs', { Id: 'std', Email: 'Std@X.com', Phone: '5550103000', FirstName: 'Stan' });
        const profile = await s.store.profiles.get(HOME, 'objs', await profileOf(s, 'objs', key));
        assert.deepEqual(profile?.attributes, { EmailAddress: 'Std@X.com', PhoneNumber: '5550103000', FirstName: 'Stan' });
      });

      test('without AllowProfileCreation the object still lands, on an inferred profile holding only its contact fields', async () => {
        await s.client.send(
          new PutProfileObjectTypeCommand({
            DomainName: 'objs',
            ObjectTypeName: 'Call',
            Description: 'Calls',
            Fields: {
              CallId: { Source: '_source.CallId' },
              From: { Source: '_source.From', ContentType: 'PHONE_NUMBER' },
              Agent: { Source: '_source.Agent', Target: '_profile.Attributes.agent' },
            },
            Keys: {
              _callId: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['CallId'] }],
              _phone: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['From'] }],
            },
          }),
        );
        const key = await putObject(s.client, 'objs', { CallId: 'call-1', From: '+15550104000', Agent: 'kim' }, 'Call');
        const profileId = await profileOf(s, 'objs', key, 'Call');
        const profile = await s.store.profiles.get(HOME, 'objs', profileId);
        assert.deepEqual(profile?.attributes, { PhoneNumber: '+15550104000' });
        assert.equal(profile?.inferred, true);
        // A second call from the same number joins the inferred profile: its agent is written now.
        const second = await putObject(s.client, 'objs', { CallId: 'call-2', From: '(555) 010-4000', Agent: 'lee' }, 'Call');
        assert.equal(await profileOf(s, 'objs', second, 'Call'), profileId);
        assert.equal(((await s.store.profiles.get(HOME, 'objs', profileId))?.attributes.Attributes as Record<string, string>).agent, 'lee');
        assert.equal((await listOf(profileId, 'Call')).length, 2);
      });

      test('with SourceLastUpdatedTimestampFormat an older source version does not replace a newer object', async () => {
        await s.client.send(
          new PutProfileObjectTypeCommand({
            DomainName: 'objs',
            ObjectTypeName: 'Ticket',
            Description: 'Tickets',
            AllowProfileCreation: true,
            SourceLastUpdatedTimestampFormat: "yyyy-MM-dd'T'HH:mm:ssX",
            Fields: {
              TicketId: { Source: '_source.TicketId' },
              Status: { Source: '_source.Status' },
              Updated: { Source: '_source.UpdatedAt', Target: '_profile.SourceLastUpdatedTimestamp' },
            },
            Keys: { _ticketId: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['TicketId'] }] },
          }),
        );
        const key = await putObject(s.client, 'objs', { TicketId: 't-1', Status: 'closed', UpdatedAt: '2026-01-02T10:00:00Z' }, 'Ticket');
        await putObject(s.client, 'objs', { TicketId: 't-1', Status: 'open', UpdatedAt: '2026-01-01T10:00:00Z' }, 'Ticket');
        const profileId = await profileOf(s, 'objs', key, 'Ticket');
        const status = async () => JSON.parse((await listOf(profileId, 'Ticket'))[0].Object ?? '{}').Status;
        assert.equal(await status(), 'closed');
        await putObject(s.client, 'objs', { TicketId: 't-1', Status: 'reopened', UpdatedAt: '2026-01-03T10:00:00Z' }, 'Ticket');
        assert.equal(await status(), 'reopened');
        await expectAwsError(
          put({ ObjectTypeName: 'Ticket', Object: JSON.stringify({ TicketId: 't-2', UpdatedAt: 'last week' }) }),
          'BadRequestException',
          400,
          "'last week'",
          'SourceLastUpdatedTimestampFormat',
        );
      });

      test('an ObjectTypeName the domain does not define but that is a template id uses the template', async () => {
        const user = { id: 9001, external_id: 'ext-9001', email: 'Zed@Example.com', phone: '+1 206 555 0199', name: 'Zed' };
        const key = await putObject(s.client, 'objs', user, 'Zendesk-users');
        assert.equal(key, '9001', "the template's UNIQUE key, _zendeskUserId, reads id");
        const profileId = await profileOf(s, 'objs', key, 'Zendesk-users');
        const objects = await s.client.send(new ListProfileObjectsCommand({ DomainName: 'objs', ObjectTypeName: 'Zendesk-users', ProfileId: profileId }));
        assert.deepEqual(objects.Items?.map((o) => JSON.parse(o.Object!)), [user]);
        const stored = await s.store.profiles.get(HOME, 'objs', profileId);
        assert.deepEqual(stored?.attributes, {
          EmailAddress: user.email,
          PhoneNumber: user.phone,
          Attributes: { ZendeskUserId: '9001', ZendeskExternalId: 'ext-9001' },
        });
      });

      test('a type the domain defines under a template id replaces the implicit one', async () => {
        await s.client.send(
          new PutProfileObjectTypeCommand({
            DomainName: 'objs',
            ObjectTypeName: 'Marketo-leads',
            Description: 'Leads keyed by email, not by the template',
            Fields: { Email: { Source: '_source.email', ContentType: 'EMAIL_ADDRESS' } },
            Keys: { _leadEmail: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Email'] }] },
          }),
        );
        const key = await putObject(s.client, 'objs', { id: 77, email: 'lead@x.com' }, 'Marketo-leads');
        assert.equal(key, 'lead@x.com', "the domain's own UNIQUE key, not the template's _marketoLeadId");
      });

      test('a template id whose mappings AWS does not publish cannot stand in for a type', async () => {
        await expectAwsError(
          put({ ObjectTypeName: 'CTR', Object: JSON.stringify({ ContactId: 'c-1' }) }),
          'BadRequestException',
          400,
          'CTR',
          'does not publish',
        );
      });

      test('objects of another account never join this account’s profiles', async () => {
        const mine = await putObject(s.client, 'objs', { Id: 'acct', Email: 'acct@x.com' });
        const other = s.clientFor({ accountId: '111122223333' });
        await domainWithType(other, 'objs');
        await putObject(other, 'objs', { Id: 'acct', Email: 'acct@x.com' });
        const theirs = await s.store.profileObjects.get({ ...HOME, accountId: '111122223333' }, 'objs', 'Contact', mine);
        assert.ok(theirs);
        assert.notEqual(theirs.profileId, await profileOf(s, 'objs', mine));
      });
    });
  });
}
