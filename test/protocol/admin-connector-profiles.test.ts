import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { availableBackends } from '../helpers/backends.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertAwsError, jsonBody, send } from './raw.js';

const BASE = '/_profileflow/connector-profiles';
const ALL_TYPES = ['Salesforce', 'Marketo', 'Zendesk', 'Servicenow', 'S3'];
/** A folder the test policy lets files sources read (the production default allows none). */
const EXPORTS = realpathSync(tmpdir());
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

for (const backend of await availableBackends()) {
  describe(`admin routes: connector profiles [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
    });
    after(() => s.close());

    const put = (name: string, body: unknown) => send(s.url, 'PUT', `${BASE}/${name}`, jsonBody(body));

    describe('put, get, list, delete', () => {
      test('a new profile is created (201) and answered as stored, connectorTypes defaulting to all five', async () => {
        const res = await put('crm-files', { kind: 'files', settings: { directory: EXPORTS } });
        assert.equal(res.status, 201);
        assert.equal(res.headers.get('content-type'), 'application/json');
        const body = res.json as Record<string, unknown>;
        assert.deepEqual(
          { ...body, createdAt: undefined, updatedAt: undefined },
          {
            name: 'crm-files',
            kind: 'files',
            connectorTypes: ALL_TYPES,
            settings: { directory: EXPORTS },
            source: 'api',
            createdAt: undefined,
            updatedAt: undefined,
          },
        );
        assert.match(body.createdAt as string, ISO);
        const got = await send(s.url, 'GET', `${BASE}/crm-files`);
        assert.equal(got.status, 200);
        assert.deepEqual(got.json, body);
      });

      test('putting an existing profile replaces it (200) and keeps its creation time', async () => {
        const first = await put('replaced', { kind: 'synthetic', settings: { seed: 1 } });
        assert.equal(first.status, 201);
        const second = await put('replaced', { kind: 'synthetic', connectorTypes: ['Marketo'], settings: { seed: 2, recordsPerDay: 10 } });
        assert.equal(second.status, 200);
        const body = second.json as Record<string, unknown>;
        assert.deepEqual(body.connectorTypes, ['Marketo']);
        assert.deepEqual(body.settings, { seed: 2, recordsPerDay: 10 });
        assert.equal(body.createdAt, (first.json as Record<string, unknown>).createdAt);
      });

      test('the list holds every profile, ordered by name', async () => {
        await put('list-b', { kind: 'synthetic' });
        await put('list-a', { kind: 'synthetic' });
        const res = await send(s.url, 'GET', BASE);
        assert.equal(res.status, 200);
        const names = (res.json as { connectorProfiles: { name: string }[] }).connectorProfiles.map((p) => p.name);
        assert.deepEqual(names.filter((n) => n.startsWith('list-')), ['list-a', 'list-b']);
        assert.deepEqual(names, [...names].sort());
      });

      test('delete answers 204; the profile is then gone, and deleting or reading it again is a 404', async () => {
        await put('short-lived', { kind: 'synthetic' });
        const res = await send(s.url, 'DELETE', `${BASE}/short-lived`);
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        assertAwsError(await send(s.url, 'GET', `${BASE}/short-lived`), 404, 'ResourceNotFoundException', "'short-lived'");
        assertAwsError(await send(s.url, 'DELETE', `${BASE}/short-lived`), 404, 'ResourceNotFoundException', "'short-lived'");
      });

      test('names may use every character the model allows, slashes and # included (percent-encoded or not)', async () => {
        const name = 'team/crm@eu#1+x=y.z!-_';
        const res = await send(s.url, 'PUT', `${BASE}/${encodeURIComponent(name)}`, jsonBody({ kind: 'synthetic' }));
        assert.equal(res.status, 201, res.text);
        assert.equal((res.json as Record<string, unknown>).name, name);
        const raw = await send(s.url, 'GET', `${BASE}/team/crm@eu%231+x=y.z!-_`);
        assert.equal((raw.json as Record<string, unknown>).name, name);
        assert.equal((await send(s.url, 'DELETE', `${BASE}/${encodeURIComponent(name)}`)).status, 204);
      });
    });

    describe('validation, in the AWS error envelope', () => {
      test('a name outside the model pattern or longer than 256 characters is refused', async () => {
        assertAwsError(await put('bad%20name', { kind: 'synthetic' }), 400, 'BadRequestException', "'bad name'", 'must match');
        assertAwsError(await put('a'.repeat(257), { kind: 'synthetic' }), 400, 'BadRequestException', 'at most 256');
        assert.equal((await put('a'.repeat(256), { kind: 'synthetic' })).status, 201);
        assertAwsError(await send(s.url, 'GET', `${BASE}/bad%20name`), 400, 'BadRequestException', 'must match');
      });

      test('an unknown kind is refused, naming the known ones', async () => {
        assertAwsError(await put('p', { kind: 'ftp', settings: {} }), 400, 'BadRequestException', "'ftp'", 'files', 'synthetic');
        assertAwsError(await put('p', { settings: {} }), 400, 'BadRequestException', "'kind' is required");
      });

      test('connectorTypes must be SourceConnectorType values', async () => {
        assertAwsError(
          await put('p', { kind: 'synthetic', connectorTypes: ['Salesforce', 'ServiceNow'] }),
          400,
          'BadRequestException',
          "'ServiceNow'",
          'Servicenow',
        );
        assertAwsError(await put('p', { kind: 'synthetic', connectorTypes: [] }), 400, 'BadRequestException', 'non-empty list');
      });

      test("settings are checked by the kind's connector, every problem in one answer", async () => {
        const message = assertAwsError(
          await put('p', { kind: 'files', settings: { folder: '/x' }, colour: 'red' }),
          400,
          'BadRequestException',
          '3 validation errors detected',
        );
        assert.match(message, /Unknown member 'colour'/);
        assert.match(message, /Unknown setting 'folder'/);
        assert.match(message, /'directory' is required/);
        assertAwsError(await put('p', { kind: 'synthetic', settings: { recordsPerDay: -1 } }), 400, 'BadRequestException', "'recordsPerDay'");
        assertAwsError(await put('p', { kind: 'synthetic', settings: [] }), 400, 'BadRequestException', "'settings' must be a JSON object");
      });

      test('a value of any length is quoted abridged, so the answer stays short and still names the problem', async () => {
        const big = 'A'.repeat(20_000);
        const cases: [unknown, RegExp][] = [
          [{ kind: big }, /Unknown connector kind 'A{64}\.\.\.'; known kinds: /],
          [{ kind: 'synthetic', [big]: 1 }, /Unknown member 'A{64}\.\.\.'; a connector profile has/],
          [{ name: big, kind: 'synthetic' }, /The member 'name' \('A{64}\.\.\.'\) differs from the profile name 'p'/],
          [{ kind: 'synthetic', connectorTypes: [big] }, /Unknown connector type 'A{64}\.\.\.'; the ConnectorType values are/],
          [{ kind: 'synthetic', settings: { [big]: 1 } }, /Unknown setting 'A{64}\.\.\.'; the known settings are/],
          [{ kind: 'synthetic', settings: { faults: [{ page: 1, kind: 'transient', [big]: 1 }] } }, /Setting 'faults\[0\]' has an unknown member 'A{64}\.\.\.'/],
          [
            { kind: 'salesforce', connectorTypes: ['Salesforce'], settings: { instanceUrl: 'https://x.my.salesforce.com', auth: { flow: 'refresh_token', clientId: 'c', [big]: 1 } } },
            /Setting 'auth' has an unknown member 'A{64}\.\.\.' for the refresh_token flow/,
          ],
          [{ kind: 'salesforce', connectorTypes: ['Salesforce'], settings: { instanceUrl: `${'a'.repeat(20_000)}://x` } }, /got the scheme 'a{64}\.\.\.'/],
          // Not a URL at all, with a control character: abridged and escaped like every other value.
          [{ kind: 'salesforce', connectorTypes: ['Salesforce'], settings: { instanceUrl: `\u0007${big}` } }, /must be an http or https URL, got '\\u0007A{58}\.\.\.'/],
          [{ kind: 'files', settings: { directory: `/${big}` } }, /Setting 'directory' \('\/A{63}\.\.\.'\) does not exist/],
          // An object no String() can convert (its toString is not a function): quoted as JSON, never a 500.
          [{ name: { toString: 1 }, kind: 'synthetic' }, /The member 'name' \('\{"toString":1\}'\) differs from the profile name 'p'/],
        ];
        for (const [body, named] of cases) {
          const message = assertAwsError(await put('p', body), 400, 'BadRequestException');
          assert.ok(message.length < 1_000, `${message.length} characters: ${message.slice(0, 200)}`);
          assert.match(message, named);
        }
      });

      test('a body that is not a JSON object is refused', async () => {
        assertAwsError(
          await send(s.url, 'PUT', `${BASE}/p`, { body: '{"kind":', headers: { 'content-type': 'application/json' } }),
          400,
          'BadRequestException',
          'not valid JSON',
        );
        assertAwsError(await put('p', ['files']), 400, 'BadRequestException', 'JSON object');
        assertAwsError(await send(s.url, 'PUT', `${BASE}/p`), 400, 'BadRequestException', 'JSON object');
      });

      test('a refused PUT stores nothing', async () => {
        await put('never', { kind: 'nope' });
        assertAwsError(await send(s.url, 'GET', `${BASE}/never`), 404, 'ResourceNotFoundException');
      });
    });

    describe('secrets', () => {
      test('settings whose names look secret are masked in every answer, at any depth, but kept in the store', async () => {
        const settings = {
          directory: '/srv/x',
          apiKey: 'k-123',
          password: 'p-456',
          credentials: { clientSecret: 's-789', refreshToken: 't-000', user: 'ops' },
          keys: ['whole list masked'],
        };
        // Neither files nor synthetic has a credential setting (both refuse unknown ones), so the profile is
        // written to the store directly, as one of a future kind with credentials would be, and read over HTTP.
        await s.store.connectorProfiles.put(
          { name: 'with-secrets', kind: 'files', connectorTypes: ['S3'], settings },
          'config',
          Date.now(),
        );
        const expected = {
          directory: '/srv/x',
          apiKey: '***',
          password: '***',
          credentials: { clientSecret: '***', refreshToken: '***', user: 'ops' },
          keys: '***',
        };
        const one = await send(s.url, 'GET', `${BASE}/with-secrets`);
        assert.deepEqual((one.json as Record<string, unknown>).settings, expected);
        const list = await send(s.url, 'GET', BASE);
        const listed = (list.json as { connectorProfiles: { name: string; settings: unknown }[] }).connectorProfiles.find(
          (p) => p.name === 'with-secrets',
        );
        assert.deepEqual(listed?.settings, expected);
        for (const secret of ['k-123', 'p-456', 's-789', 't-000', 'whole list masked']) {
          assert.ok(!one.text.includes(secret) && !list.text.includes(secret), `${secret} is never echoed`);
        }
        assert.deepEqual((await s.store.connectorProfiles.get('with-secrets'))?.settings, settings);
      });
    });
  });
}
