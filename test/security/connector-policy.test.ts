/**
 * Attack replays against the operator's connector policy: what a caller of the admin routes (or whoever
 * wrote a profile into the database) could make a connector read, reach or send. Each is refused when
 * the profile is saved and again when a step reads it. Every test here fails without the policy: the
 * files source read any folder the process could (/etc, a CSV of SSNs outside every root), followed
 * links out of its folder and walked a link loop forever, HTTP sources reached loopback and followed
 * redirects' hosts unchecked, `…Env` settings sent any variable of the server, and a source's answer
 * text reached ErrorDescription and ExecutionMessage.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  DeleteWorkflowCommand,
  GetWorkflowCommand,
  GetWorkflowStepsCommand,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import { type ConnectorPolicy, DEFAULT_ALLOW_HOSTS, DEFAULT_CONNECTOR_POLICY, DEFAULT_SECRET_ENV_PREFIX } from '../../src/connectors/policy.js';
import { buildApp } from '../../src/server/app.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';
import { eventually } from '../helpers/poll.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { FLOW, uniqueProfileName, withMember, workflowRequest } from '../helpers/workflows.js';

const JAN1 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const SSN = '078-05-1120';
const LEAK = 'sk_live_LEAKED_51HxYzSECRET';

/** A folder the policy names as its one root, and a folder beside it that no policy names. */
const root = realpathSync(mkdtempSync(join(tmpdir(), 'pf-policy-root-')));
const outside = realpathSync(mkdtempSync(join(tmpdir(), 'pf-policy-outside-')));
after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function csv(dir: string, name: string, rows: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), ['Id,Email,SSN,LastModifiedDate', ...rows].join('\n'));
}

// The secret data outside the root; a legitimate source inside it.
csv(join(outside, 'Account'), 'people.csv', [`1,a@example.com,${SSN},2024-01-01T01:00:00Z`]);
csv(join(root, 'good', 'Account'), 'people.csv', ['2,b@example.com,none,2024-01-01T01:00:00Z']);
// A link from inside the root to the secret folder, as the object's folder and as one file.
mkdirSync(join(root, 'escape'), { recursive: true });
symlinkSync(join(outside, 'Account'), join(root, 'escape', 'Account'));
mkdirSync(join(root, 'escape-file', 'Account'), { recursive: true });
symlinkSync(join(outside, 'Account', 'people.csv'), join(root, 'escape-file', 'Account', 'people.csv'));
// A link loop: Account/x -> Account.
csv(join(root, 'loop', 'Account'), 'people.csv', ['3,c@example.com,none,2024-01-01T01:00:00Z']);
symlinkSync('.', join(root, 'loop', 'Account', 'x'));

/** Files only below `root`; the vendors' hosts; no private address; the default secret prefix. */
const policy: ConnectorPolicy = { fileRoots: [root], allowHosts: [...DEFAULT_ALLOW_HOSTS], allowPrivateAddresses: false, secretEnvPrefix: DEFAULT_SECRET_ENV_PREFIX };

/** A loopback HTTP server that records what reached it. */
async function listen(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('connector policy at save time (admin route PUT)', () => {
  let t: TestStore;
  let app: Awaited<ReturnType<typeof buildApp>>;
  before(async () => {
    t = await createTestStore('sqlite');
    app = await buildApp({ store: t.store, connectorPolicy: policy });
  });
  after(async () => {
    await app.close();
    await t.dispose();
  });

  const put = async (name: string, body: unknown) => {
    const res = await app.inject({ method: 'PUT', url: `/_profileflow/connector-profiles/${name}`, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.statusCode, message: String((res.json() as { Message?: string }).Message ?? '') };
  };

  test('a files directory outside every root is refused, relative or absolute; one inside is stored', async () => {
    for (const directory of ['../../..', '/etc', outside, `${root}/../${relative(join(root, '..'), outside)}`]) {
      const res = await put('files-escape', { kind: 'files', settings: { directory } });
      assert.equal(res.status, 400, directory);
      assert.match(res.message, /outside every folder the operator's policy lets files sources read/);
    }
    // Path segments, not string prefixes: a sibling whose name starts with the root's is outside.
    mkdirSync(`${root}-sibling`, { recursive: true });
    try {
      assert.equal((await put('files-sibling', { kind: 'files', settings: { directory: `${root}-sibling` } })).status, 400);
    } finally {
      rmSync(`${root}-sibling`, { recursive: true, force: true });
    }
    assert.match((await put('files-missing', { kind: 'files', settings: { directory: join(root, 'nope') } })).message, /does not exist/);
    assert.equal((await put('files-good', { kind: 'files', settings: { directory: join(root, 'good') } })).status, 201);
    assert.equal(await t.store.connectorProfiles.get('files-escape'), undefined);
  });

  test('without a policy (the library default) the files kind is refused altogether', async () => {
    const bare = await buildApp({ store: t.store });
    try {
      const res = await bare.inject({ method: 'PUT', url: '/_profileflow/connector-profiles/f', payload: JSON.stringify({ kind: 'files', settings: { directory: root } }), headers: { 'content-type': 'application/json' } });
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /fileRoots is empty/);
      assert.deepEqual(DEFAULT_CONNECTOR_POLICY.fileRoots, []);
      assert.equal(DEFAULT_CONNECTOR_POLICY.allowPrivateAddresses, false);
    } finally {
      await bare.close();
    }
  });

  test('loopback and private URLs are refused, by name, IP literal, decimal form or IPv6', async () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080', 'http://2130706433', 'http://169.254.169.254', 'https://evil.example.com']) {
      const res = await put('sn-loopback', { kind: 'servicenow', connectorTypes: ['Servicenow'], settings: { instanceUrl: url, username: 'u', password: 'p' } });
      assert.equal(res.status, 400, url);
      assert.match(res.message, /is not among the hosts the operator's policy allows/, url);
    }
    // Allowed by host pattern, still refused for its address.
    const strict = { ...policy, allowHosts: [...policy.allowHosts, '127.0.0.1', '::ffff:7f00:1'] };
    const other = await buildApp({ store: t.store, connectorPolicy: strict });
    try {
      for (const url of ['http://127.0.0.1:8080', 'http://[::ffff:127.0.0.1]:8080', 'http://0x7f.0.0.1:8080']) {
        const res = await other.inject({ method: 'PUT', url: '/_profileflow/connector-profiles/sn', payload: JSON.stringify({ kind: 'servicenow', connectorTypes: ['Servicenow'], settings: { instanceUrl: url, username: 'u', password: 'p' } }), headers: { 'content-type': 'application/json' } });
        assert.equal(res.statusCode, 400, url);
        assert.match(res.body, /a loopback address .*allowPrivateAddresses is false/, url);
      }
    } finally {
      await other.close();
    }
    assert.equal((await put('sn-vendor', { kind: 'servicenow', connectorTypes: ['Servicenow'], settings: { instanceUrl: 'https://dev1.service-now.com', username: 'u', password: 'p' } })).status, 201);
  });

  test('an S3 endpoint and a Salesforce token URL meet the same host rule', async () => {
    const s3 = await put('s3-local', { kind: 's3', connectorTypes: ['S3'], settings: { endpoint: 'http://127.0.0.1:9000' } });
    assert.equal(s3.status, 400);
    assert.match(s3.message, /endpoint.*127\.0\.0\.1/);
    const sf = await put('sf-token', {
      kind: 'salesforce',
      connectorTypes: ['Salesforce'],
      settings: { instanceUrl: 'https://acme.my.salesforce.com', auth: { flow: 'client_credentials', clientId: 'c', clientSecret: 's', tokenUrl: 'http://localhost:1/t' } },
    });
    assert.equal(sf.status, 400);
    assert.match(sf.message, /auth\.tokenUrl.*'localhost'/);
  });

  // Found by attacking this policy: the check only looked at strings starting with `http://`, while the
  // URL parser (and so the S3 SDK) also reads a leading space, one slash, a tab or a backslash; each of
  // these was stored (201) and the read went to the private address.
  test('URL spellings the parser accepts (leading space, one slash, tab, backslash) are checked like plain ones', async () => {
    for (const endpoint of ['http:169.254.169.254', ' http://10.0.0.5:9000', 'http:/\t/127.0.0.1:9000', 'http:\\\\127.0.0.1:9000', 'HTTP://127.0.0.1']) {
      const res = await put('s3-spelling', { kind: 's3', connectorTypes: ['S3'], settings: { endpoint } });
      assert.equal(res.status, 400, JSON.stringify(endpoint));
      assert.match(res.message, /refused|not a URL|must be/, JSON.stringify(endpoint));
    }
  });

  test('an …Env setting naming a variable without the secret prefix is refused, at any depth', async () => {
    const sf = await put('sf-home', {
      kind: 'salesforce',
      connectorTypes: ['Salesforce'],
      settings: { instanceUrl: 'https://acme.my.salesforce.com', auth: { flow: 'client_credentials', clientId: 'c', clientSecretEnv: 'HOME' } },
    });
    assert.equal(sf.status, 400);
    assert.match(sf.message, /clientSecretEnv names 'HOME', which does not start with PROFILEFLOW_SECRET_; the operator's policy allows only those/);
    const zd = await put('zd-home', { kind: 'zendesk', connectorTypes: ['Zendesk'], settings: { subdomain: 'acme', email: 'a@b.c', apiTokenEnv: 'HOME' } });
    assert.equal(zd.status, 400);
    assert.match(zd.message, /apiTokenEnv names 'HOME'/);
    const ok = await put('zd-ok', { kind: 'zendesk', connectorTypes: ['Zendesk'], settings: { subdomain: 'acme', email: 'a@b.c', apiTokenEnv: 'PROFILEFLOW_SECRET_ZD' } });
    assert.equal(ok.status, 201);
  });
});

const READ_WINDOW = { start: new Date(JAN1), end: new Date(JAN1 + DAY) };

/** A ServiceNow read of sys_user under `readPolicy`, straight through the connector, drained. */
async function readServiceNow(settings: Record<string, unknown>, readPolicy: ConnectorPolicy): Promise<void> {
  const { ServiceNowConnector } = await import('../../src/connectors/servicenow/servicenow-connector.js');
  const request = {
    profile: { name: 'sn-direct', kind: 'servicenow', connectorTypes: ['Servicenow' as never], settings },
    connectorType: 'Servicenow' as never,
    object: 'sys_user',
    fields: [],
    window: READ_WINDOW,
    pageSize: 10,
    policy: readPolicy,
  };
  for await (const page of new ServiceNowConnector().read(request)) void page;
}

/** A domain 'policy' with an object type 'Person' keyed by `idField`. */
async function prepareDomain(server: TestServer, idField: string): Promise<void> {
  await server.client.send(new CreateDomainCommand({ DomainName: 'policy', DefaultExpirationDays: 30 }));
  await server.client.send(
    new PutProfileObjectTypeCommand({
      DomainName: 'policy',
      ObjectTypeName: 'Person',
      Description: 'people',
      AllowProfileCreation: true,
      Fields: { Id: { Source: `_source.${idField}`, Target: '_custom.Id', ContentType: 'STRING' } },
      Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
    }),
  );
}

/**
 * Stores the profile as it is (no save-time check), runs a one-day workflow over it until nothing is due
 * and returns GetWorkflow and the first step of GetWorkflowSteps as the tenant sees them, and both as
 * one JSON text.
 */
async function runWorkflow(
  server: TestServer,
  kind: string,
  connectorType: string,
  settings: Record<string, unknown>,
  properties: Record<string, Record<string, unknown>>,
  idField: string,
) {
  const profile = uniqueProfileName(kind);
  await server.store.connectorProfiles.put({ name: profile, kind, connectorTypes: [connectorType as never], settings }, 'api', Date.now());
  const member = Object.keys(properties)[0];
  let input = workflowRequest({ env: { domain: 'policy', objectType: 'Person', profile }, FlowName: profile.replace(/[^\w]/g, '-'), Batches: [{ StartTime: READ_WINDOW.start, EndTime: READ_WINDOW.end }] });
  input = withMember(input, `${FLOW}.SourceFlowConfig`, { ConnectorType: connectorType, ConnectorProfileName: profile, SourceConnectorProperties: properties });
  input = withMember(input, `${FLOW}.Tasks`, [{ TaskType: 'Map', SourceFields: [idField], DestinationField: idField, ConnectorOperator: { [member]: 'NO_OP' } }]);
  const { WorkflowId } = await server.client.send(new CreateIntegrationWorkflowCommand(input));
  await withDeadline(server.engine.runUntilIdle(), 20_000, 'the step ends');
  const workflow = await server.client.send(new GetWorkflowCommand({ DomainName: 'policy', WorkflowId }));
  const steps = await server.client.send(new GetWorkflowStepsCommand({ DomainName: 'policy', WorkflowId }));
  const step = steps.Items?.[0]?.AppflowIntegration;
  return { workflow, step, text: JSON.stringify([workflow, steps]) };
}

describe('connector policy at use time (profiles written to the store directly)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('sqlite', { connectorPolicy: policy });
    await prepareDomain(s, 'Id');
  });
  after(() => s.close());

  const files = (directory: string, connectorType = 'Salesforce') =>
    runWorkflow(s, 'files', connectorType, { directory }, connectorType === 'S3' ? { S3: { BucketName: 'Account' } } : { Salesforce: { Object: 'Account' } }, 'Id');

  test('files: a directory outside the roots fails the step permanently and reads nothing', async () => {
    const { workflow, step, text } = await files(outside);
    assert.equal(workflow.Status, 'FAILED');
    assert.equal(step?.Status, 'FAILED');
    assert.equal(step?.RecordsProcessed ?? 0, 0);
    assert.match(text, /outside every folder the operator's policy lets files sources read/);
    assert.ok(!text.includes(SSN));
  });

  test('files: /etc and ../.. fail the step permanently', async () => {
    for (const directory of ['/etc', '../..']) {
      const { workflow, text } = await files(directory);
      assert.equal(workflow.Status, 'FAILED', directory);
      assert.match(text, /outside every folder/, directory);
    }
  });

  test('files: a link out of the root, as the object folder or as a file, fails the step naming the link', async () => {
    const folder = await files(join(root, 'escape'));
    assert.equal(folder.workflow.Status, 'FAILED');
    assert.match(folder.text, /'escape\/Account' is a link that leads outside the folders/);
    const file = await files(join(root, 'escape-file'));
    assert.equal(file.workflow.Status, 'FAILED');
    assert.match(file.text, /'escape-file\/Account\/people.csv' is a link that leads outside/);
    assert.ok(!folder.text.includes(SSN) && !file.text.includes(SSN));
  });

  test('files: a link loop (x -> .) ends the step promptly as FAILED, without running away', async () => {
    const rssBefore = process.memoryUsage().rss;
    const { workflow, text } = await files(join(root, 'loop'), 'S3');
    assert.equal(workflow.Status, 'FAILED');
    assert.match(text, /'loop\/Account' is reached twice through links/);
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, 'memory did not run away');
  });

  test('files: a folder inside the root is read', async () => {
    const { workflow, step } = await files(join(root, 'good'));
    assert.equal(workflow.Status, 'COMPLETE');
    assert.equal(step?.RecordsProcessed, 1);
  });

  describe('HTTP sources', () => {
    let target: Awaited<ReturnType<typeof listen>>;
    before(async () => {
      target = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":[]}'));
    });
    after(() => target.server.close());

    test('a loopback URL, by IP or by a name that resolves to it, fails the step and sends nothing', async () => {
      const port = new URL(target.url).port;
      for (const instanceUrl of [target.url, `http://localhost:${port}`]) {
        const { workflow, text } = await runWorkflow(s, 'servicenow', 'Servicenow', { instanceUrl, username: 'u', password: 'p' }, { ServiceNow: { Object: 'sys_user' } }, 'sys_id');
        assert.equal(workflow.Status, 'FAILED', instanceUrl);
        assert.match(text, /is not among the hosts the operator's policy allows/, instanceUrl);
      }
      assert.equal(target.seen.length, 0);
    });

    test('a host allowed by name but resolving to loopback is refused after DNS', async () => {
      await assert.rejects(
        readServiceNow({ instanceUrl: `http://localhost:${new URL(target.url).port}`, username: 'u', password: 'p' }, { ...policy, allowHosts: ['localhost'] }),
        (err: Error & { kind?: string }) => err.kind === 'permanent' && /the host 'localhost' resolves to (127\.0\.0\.1|::1), which is a loopback address/.test(err.message),
      );
      assert.equal(target.seen.length, 0);
    });

    test('S3: an endpoint allowed by name but resolving to loopback is refused when the SDK connects', async () => {
      const { S3Connector } = await import('../../src/connectors/s3/s3-connector.js');
      process.env.PROFILEFLOW_SECRET_TEST_S3_ID = 'AKIDTEST';
      process.env.PROFILEFLOW_SECRET_TEST_S3_KEY = 'secret';
      const settings = { endpoint: `http://localhost:${new URL(target.url).port}`, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1, accessKeyIdEnv: 'PROFILEFLOW_SECRET_TEST_S3_ID', secretAccessKeyEnv: 'PROFILEFLOW_SECRET_TEST_S3_KEY' };
      const request = {
        profile: { name: 's3-dns', kind: 's3', connectorTypes: ['S3' as never], settings },
        connectorType: 'S3' as never,
        object: 'bucket',
        fields: [],
        window: READ_WINDOW,
        pageSize: 10,
        policy: { ...policy, allowHosts: ['localhost'] },
      };
      await assert.rejects(
        (async () => {
          for await (const page of new S3Connector().read(request)) void page;
        })(),
        (err: Error & { kind?: string }) => err.kind === 'permanent' && /is refused: the host 'localhost' resolves to (127\.0\.0\.1|::1), which is a loopback address/.test(err.message),
      );
      assert.equal(target.seen.length, 0);
    });

    test('a redirect from an allowed host to a host the policy does not allow is refused', async () => {
      const elsewhere = await listen((_req, res) => res.writeHead(200).end('{}'));
      const redirecting = await listen((_req, res) => res.writeHead(302, { location: `http://localhost:${new URL(elsewhere.url).port}/api/now/table/sys_user` }).end());
      try {
        await assert.rejects(
          readServiceNow({ instanceUrl: redirecting.url, username: 'u', password: 'p' }, { ...policy, allowHosts: ['127.0.0.1'], allowPrivateAddresses: true }),
          (err: Error & { kind?: string }) => err.kind === 'permanent' && /redirect \(HTTP 302\) that is refused: the host 'localhost' is not among the hosts/.test(err.message),
        );
        assert.equal(redirecting.seen.length, 1);
        assert.equal(elsewhere.seen.length, 0, 'the redirect was not followed');
      } finally {
        redirecting.server.close();
        elsewhere.server.close();
      }
    });

    test('an …Env setting naming HOME fails the read before any request, and HOME is sent nowhere', async () => {
      await assert.rejects(
        readServiceNow({ instanceUrl: target.url, username: 'u', passwordEnv: 'HOME' }, { ...policy, allowHosts: ['127.0.0.1'], allowPrivateAddresses: true }),
        (err: Error & { kind?: string }) => err.kind === 'permanent' && /passwordEnv names 'HOME', which does not start with PROFILEFLOW_SECRET_/.test(err.message),
      );
      assert.equal(target.seen.length, 0);
      const { workflow, text } = await runWorkflow(s, 'servicenow', 'Servicenow', { instanceUrl: 'https://dev1.service-now.com', username: 'u', passwordEnv: 'HOME' }, { ServiceNow: { Object: 'sys_user' } }, 'sys_id');
      assert.equal(workflow.Status, 'FAILED');
      assert.match(text, /passwordEnv names 'HOME'/);
      assert.ok(!text.includes(process.env.HOME ?? '\u0000never'), 'the value of HOME is nowhere');
    });
  });

  test('DeleteWorkflow stops a step that waits on its source, long before the source would time out', async () => {
    let closed = 0;
    const hanging = await listen((req) => req.socket.on('close', () => closed++));
    const s2 = await startServer('sqlite', {
      connectorPolicy: { ...policy, allowHosts: ['127.0.0.1'], allowPrivateAddresses: true },
      engine: { mode: 'auto', leaseMs: 600, pollIntervalMs: 50 },
    });
    try {
      await prepareDomain(s2, 'sys_id');
      const profile = uniqueProfileName('sn-hang');
      await s2.store.connectorProfiles.put({ name: profile, kind: 'servicenow', connectorTypes: ['Servicenow'], settings: { instanceUrl: hanging.url, username: 'u', password: 'p' } }, 'api', Date.now());
      let input = workflowRequest({ env: { domain: 'policy', objectType: 'Person', profile }, FlowName: 'hang', Batches: [{ StartTime: READ_WINDOW.start, EndTime: READ_WINDOW.end }] });
      input = withMember(input, `${FLOW}.SourceFlowConfig`, { ConnectorType: 'Servicenow', ConnectorProfileName: profile, SourceConnectorProperties: { ServiceNow: { Object: 'sys_user' } } });
      input = withMember(input, `${FLOW}.Tasks`, [{ TaskType: 'Map', SourceFields: ['sys_id'], DestinationField: 'sys_id', ConnectorOperator: { ServiceNow: 'NO_OP' } }]);
      const { WorkflowId } = await s2.client.send(new CreateIntegrationWorkflowCommand(input));
      await eventually(async () => (hanging.seen.length > 0 ? true : undefined), 'the step asks the source', 10_000);
      await s2.client.send(new DeleteWorkflowCommand({ DomainName: 'policy', WorkflowId }));
      // The request would otherwise wait for the connector's 60 s timeout.
      await eventually(async () => (closed > 0 ? true : undefined), 'the request to the source is abandoned', 10_000);
    } finally {
      await s2.close();
      hanging.server.closeAllConnections();
      hanging.server.close();
    }
  });

  test('a source answering 500 or 400 with a secret in its body: the secret is nowhere in GetWorkflow or GetWorkflowSteps', async () => {
    const allowLoopback = { ...policy, allowHosts: ['127.0.0.1'], allowPrivateAddresses: true };
    for (const status of [500, 400]) {
      const leaky = await listen((_req, res) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `Internal: key=${LEAK}`, detail: LEAK }, status: 'failure' })),
      );
      const s2 = await startServer('sqlite', { connectorPolicy: allowLoopback });
      try {
        await prepareDomain(s2, 'sys_id');
        const { workflow, step, text } = await runWorkflow(s2, 'servicenow', 'Servicenow', { instanceUrl: leaky.url, username: 'u', password: 'p' }, { ServiceNow: { Object: 'sys_user' } }, 'sys_id');
        assert.ok(leaky.seen.length > 0, 'the source was asked');
        assert.ok(step?.ExecutionMessage, 'the step says what happened');
        assert.match(text, new RegExp(`HTTP ${status}`));
        if (status === 400) assert.equal(workflow.Status, 'FAILED');
        assert.ok(!text.includes(LEAK), `the secret is not in ${text}`);
        assert.ok(!text.includes('Internal: key='));
      } finally {
        await s2.close();
        leaky.server.close();
      }
    }
  });
});

/** Rejects if `promise` has not settled within `ms`: a hang fails the test instead of stalling the run. */
async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
