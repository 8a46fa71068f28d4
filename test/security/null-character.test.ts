import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddProfileKeyCommand,
  CreateDomainCommand,
  CreateProfileCommand,
  ListProfileObjectsCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
  UpdateDomainCommand,
} from '@aws-sdk/client-customer-profiles';
import { CreateConnectorProfileCommand } from '@aws-sdk/client-appflow';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putProfileObjects } from '../../src/ingest/profile-objects.js';
import { appflowClient, servicenowProfile } from '../helpers/appflow.js';
import { availableBackends } from '../helpers/backends.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { allSteps, runSourceWorkflow } from '../helpers/workflows.js';
import { assertAwsError, jsonBody, send } from '../protocol/raw.js';

/**
 * U+0000 in a value. PostgreSQL text cannot hold the character, so before it was refused these requests
 * answered 500 there ("invalid byte sequence for encoding UTF8: 0x00") while SQLite stored the value: a
 * suite that passed on one backend failed on the other. Now both refuse it with a validation error,
 * wherever it would become a stored text, and keep it where it stays inside an object's JSON.
 */
const NUL = '\u0000';
const RULE = /Member must not contain the character U\+0000/;

for (const backend of await availableBackends()) {
  describe(`U+0000 in a value [${backend}]`, () => {
    let server: TestServer;
    let profileId: string;
    before(async () => {
      server = await startServer(backend);
      await server.client.send(new CreateDomainCommand({ DomainName: 'nul', DefaultExpirationDays: 30 }));
      await server.client.send(
        new PutProfileObjectTypeCommand({
          DomainName: 'nul',
          ObjectTypeName: 'Contact',
          Description: 'contacts',
          AllowProfileCreation: true,
          Fields: {
            id: { Source: '_source.Id', Target: '_profile.AccountNumber' },
            name: { Source: '_source.Name', Target: '_profile.FirstName' },
            email: { Source: '_source.Email', ContentType: 'EMAIL_ADDRESS' },
            note: { Source: '_source.Note' },
          },
          Keys: { _account: [{ FieldNames: ['id'], StandardIdentifiers: ['PROFILE', 'UNIQUE'] }] },
        }),
      );
      ({ ProfileId: profileId } = (await server.client.send(new CreateProfileCommand({ DomainName: 'nul', FirstName: 'Ada' }))) as {
        ProfileId: string;
      });
    });
    after(() => server.close());

    const refused = async (promise: Promise<unknown>, ...message: (string | RegExp)[]) => {
      const err = (await promise.then(
        () => assert.fail('expected a BadRequestException'),
        (e: unknown) => e,
      )) as { name: string; message: string; $metadata: { httpStatusCode?: number } };
      assert.equal(err.name, 'BadRequestException', err.message);
      assert.equal(err.$metadata.httpStatusCode, 400);
      for (const m of message) assert.match(err.message, typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
    };

    test('in a request member, through the official client: 400 naming the member, on every operation that stores it', async () => {
      await refused(server.client.send(new CreateDomainCommand({ DomainName: 'nul2', DefaultExpirationDays: 30, Tags: { team: `a${NUL}` } })), "'Tags.team'", RULE);
      await refused(server.client.send(new UpdateDomainCommand({ DomainName: 'nul', DeadLetterQueueUrl: `q${NUL}` })), "'DeadLetterQueueUrl'", RULE);
      await refused(server.client.send(new CreateProfileCommand({ DomainName: 'nul', FirstName: `A${NUL}` })), "'FirstName'", RULE);
      await refused(
        server.client.send(new CreateProfileCommand({ DomainName: 'nul', Attributes: { [`k${NUL}`]: 'v' } })),
        "'Attributes.key'",
        RULE,
      );
      await refused(server.client.send(new SearchProfilesCommand({ DomainName: 'nul', KeyName: '_account', Values: [`a${NUL}`] })), "'Values.1'", RULE);
      await refused(
        server.client.send(new AddProfileKeyCommand({ DomainName: 'nul', ProfileId: profileId, KeyName: '_account', Values: [`a${NUL}`] })),
        "'Values.1'",
        RULE,
      );
      await refused(
        server.client.send(new PutProfileObjectTypeCommand({ DomainName: 'nul', ObjectTypeName: 'Other', Description: `d${NUL}`, TemplateId: 'Salesforce-Account' })),
        "'Description'",
        RULE,
      );
      // Nothing of the refused requests was stored.
      const search = await server.client.send(new SearchProfilesCommand({ DomainName: 'nul', KeyName: '_fullName', Values: ['Ada'] }));
      assert.deepEqual(search.Items?.map((p) => p.ProfileId), [profileId]);
    });

    test('in a request member of an AppFlow operation: the same rule, where the model\'s pattern lets it through', async () => {
      // InstanceUrl's pattern is \\S+, which U+0000 satisfies.
      const appflow = appflowClient(server.url, { accountId: TEST_ACCOUNT });
      const err = (await appflow
        .send(new CreateConnectorProfileCommand(servicenowProfile('sn', `https://dev1.service-now.com${NUL}`)))
        .catch((e: unknown) => e)) as { name: string; message: string };
      assert.equal(err.name, 'ValidationException', err.message);
      assert.match(err.message, /'connectorProfileConfig\.connectorProfileProperties\.ServiceNow\.instanceUrl'/);
      assert.match(err.message, RULE);
    });

    test('in a raw body written by hand, and in a path label: the same 400, never a 500', async () => {
      const res = await send(server.url, 'POST', '/domains/nul/profiles/search', jsonBody({ KeyName: '_account', Values: [`x${NUL}y`] }));
      assertAwsError(res, 400, 'BadRequestException', "Value 'x\\u0000y' at 'Values.1'", RULE);
      const path = await send(server.url, 'GET', '/domains/nul/object-types/C%00');
      assert.equal(path.status, 400, path.text);
    });

    test('PutProfileObject: in a key value or a profile value, 400 naming the key or attribute; nothing is stored', async () => {
      const put = (object: Record<string, string>) =>
        server.client.send(new PutProfileObjectCommand({ DomainName: 'nul', ObjectTypeName: 'Contact', Object: JSON.stringify(object) }));
      await refused(put({ Id: `a${NUL}b` }), 'key _account', 'U+0000');
      await refused(put({ Id: 'c1', Name: `B${NUL}` }), 'FirstName', 'U+0000');
      await refused(put({ Id: 'c2', Email: `e${NUL}@example.com` }), 'EmailAddress', 'U+0000');
      const found = await server.client.send(new SearchProfilesCommand({ DomainName: 'nul', KeyName: '_account', Values: ['c1', 'c2'] }));
      assert.deepEqual(found.Items, []);
    });

    test('PutProfileObject: in a field that is only kept in the object, the object is stored and read back unchanged', async () => {
      const object = JSON.stringify({ Id: 'c3', Note: `before${NUL}after` });
      const { ProfileObjectUniqueKey } = await server.client.send(new PutProfileObjectCommand({ DomainName: 'nul', ObjectTypeName: 'Contact', Object: object }));
      assert.ok(ProfileObjectUniqueKey);
      const [owner] = (await server.client.send(new SearchProfilesCommand({ DomainName: 'nul', KeyName: '_account', Values: ['c3'] }))).Items ?? [];
      const listed = await server.client.send(new ListProfileObjectsCommand({ DomainName: 'nul', ObjectTypeName: 'Contact', ProfileId: owner.ProfileId! }));
      assert.deepEqual(JSON.parse(listed.Items![0].Object!), { Id: 'c3', Note: `before${NUL}after` });
    });

    test('a workflow page: the record is dropped as rejected, naming the key, and the rest of the page is kept', async () => {
      const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
      const objectType = (await server.store.objectTypes.get(scope, 'nul', 'Contact'))!;
      const rejected: [number, string][] = [];
      const results = await server.store.transaction((store) =>
        putProfileObjects(store, scope, 'nul', objectType, [{ Id: 'r1' }, { Id: `r2${NUL}` }, { Id: 'r3', Name: `N${NUL}` }, { Id: 'r4' }], Date.now(), {
          onRejected: (index, message) => rejected.push([index, message]),
        }),
      );
      assert.deepEqual(results.map((r) => r.uniqueKey).sort(), ['r1', 'r4']);
      assert.deepEqual(rejected.map(([i]) => i), [1, 2]);
      assert.match(rejected[0][1], /key _account.*U\+0000/);
      assert.match(rejected[1][1], /FirstName.*U\+0000/);
    });

    test('a source whose error quotes U+0000: the step fails with the character escaped in its message, and the workflow stays readable', async (t) => {
      // JSON.parse quotes the line it could not read, so the files source's error carries the raw character.
      const dir = await mkdtemp(join(tmpdir(), 'pf-nul-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      await mkdir(join(dir, 'Account'));
      const good = JSON.stringify({ Id: 'a1', email: 'a1@example.com', LastModifiedDate: '2024-01-02T00:00:00Z' });
      await writeFile(join(dir, 'Account', 'part.jsonl'), `${good}\n{"Id":${NUL}}\n`);
      const { workflow } = await runSourceWorkflow(server, {
        domain: 'nulsource',
        objectType: 'Account',
        idField: 'Id',
        kind: 'files',
        connectorType: 'Salesforce',
        settings: { directory: dir },
        sourceProperties: { Salesforce: { Object: 'Account' } },
        batches: [{ StartTime: new Date('2024-01-01T00:00:00Z'), EndTime: new Date('2024-01-04T00:00:00Z') }],
      });
      assert.equal(workflow.Status, 'FAILED');
      assert.match(workflow.ErrorDescription ?? '', /Line 2 .*not valid JSON/);
      assert.ok(!workflow.ErrorDescription!.includes(NUL), workflow.ErrorDescription);
      assert.match(workflow.ErrorDescription!, /\\u0000/);
      const { steps } = await allSteps(server.client, 'nulsource', workflow.WorkflowId!);
      assert.equal(steps[0].Status, 'FAILED');
      assert.match(steps[0].ExecutionMessage ?? '', /^Failed: .*\\u0000/);
    });

    test('in a connector profile\'s settings (the operator\'s route): 400 naming the setting, for paths, addresses and lists alike', async () => {
      const put = (name: string, body: unknown) =>
        fetch(`${server.url}/_profileflow/connector-profiles/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const cases: [string, unknown][] = [
        ['nul-files', { kind: 'files', connectorTypes: ['S3'], settings: { directory: `${tmpdir()}${NUL}x` } }],
        ['nul-servicenow', { kind: 'servicenow', connectorTypes: ['Servicenow'], settings: { instanceUrl: `https://dev1.service-now.com${NUL}`, username: 'u', password: 'p' } }],
        ['nul-nested', { kind: 'salesforce', connectorTypes: ['Salesforce'], settings: { instanceUrl: 'https://x.my.salesforce.com', auth: { flow: 'client_credentials', clientId: `i${NUL}`, clientSecret: 's' } } }],
      ];
      for (const [name, body] of cases) {
        const res = await put(name, body);
        const text = await res.text();
        assert.equal(res.status, 400, `${name}: ${text}`);
        assert.match(text, /U\+0000/, `${name}: ${text}`);
      }
    });
  });
}
