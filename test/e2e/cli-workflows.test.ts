import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliProcess, cliBuilt, runCli, startServe } from '../helpers/cli-process.js';

/** The client commands, spawned from dist/ against a spawned `profileflow serve` (manual engine and clock). */
describe('profileflow client commands against a running service', () => {
  let dir: string;
  let serve: CliProcess;
  let url: string;
  // No AWS settings at all: a loopback endpoint works out of the box.
  const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
  const cli = (...args: string[]) => runCli([...args, '--endpoint-url', url], env);
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--output', 'json');
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'pf-cli-'));
    const started = await startServe(['--data-dir', dir, '--engine-mode', 'manual', '--clock', 'manual']);
    serve = started.proc;
    url = started.url;
  });
  after(async () => {
    await serve?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test('domains and connector profiles: create, list as a table and as JSON, get, delete', async () => {
    const created = await cli('domains', 'create', 'cli-shop', '--default-expiration-days', '30');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Created domain cli-shop/);
    // Node 20 is supported: the SDK's notice about its future releases is not the user's concern here.
    assert.equal(created.stderr, '', 'nothing on stderr (no NodeVersionSupportWarning)');
    const listed = await cli('domains', 'list');
    assert.match(listed.stdout, /^DOMAIN\s+CREATED\s+UPDATED$/m);
    assert.match(listed.stdout, /^cli-shop\s/m);
    assert.equal((await json('domains', 'get', 'cli-shop')).DefaultExpirationDays, 30);

    const put = await cli('connector-profiles', 'put', 'cli-demo', '--kind', 'synthetic', '--settings', '{"recordsPerDay":24,"seed":1}');
    assert.equal(put.code, 0, put.stderr);
    const profiles = await json('connector-profiles', 'list');
    assert.deepEqual(profiles.connectorProfiles.map((p: { name: string }) => p.name), ['cli-demo']);
    const missing = await cli('connector-profiles', 'get', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ResourceNotFoundException/);
    const usage = await cli('domains', 'get');
    assert.equal(usage.code, 2);
  });

  test('workflows list, get, steps and watch (exit 0 on COMPLETE) while the engine is advanced; delete', async () => {
    // An object type and a workflow through the AWS API (no CLI command creates them).
    const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post('/domains/cli-shop/object-types/Contact', {
      Description: 'c', AllowProfileCreation: true,
      Fields: { Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' } },
      Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
    })).status, 200);
    const seeded = await json('ids', '--seed', 'cli');
    assert.deepEqual(seeded, { seed: 'cli' });
    const create = await fetch(`${url}/domains/cli-shop/workflows/integrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        WorkflowType: 'APPFLOW_INTEGRATION', ObjectTypeName: 'Contact', RoleArn: 'arn:aws:iam::123456789012:role/r',
        IntegrationConfig: { AppflowIntegration: {
          FlowDefinition: { FlowName: 'cli-flow', KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
            SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: 'cli-demo', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
            Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
            TriggerConfig: { TriggerType: 'OnDemand' } },
          Batches: [{ StartTime: 1735689600, EndTime: 1735776000 }, { StartTime: 1735776000, EndTime: 1735862400 }] } },
      }),
    });
    const { WorkflowId: id } = (await create.json()) as { WorkflowId: string };
    assert.match(id, /^[a-f0-9]{32}$/);

    const list = await cli('workflows', 'list', '--domain', 'cli-shop');
    assert.match(list.stdout, new RegExp(`^${id}\\s+NOT_STARTED`, 'm'));
    assert.match(list.stdout, /^WORKFLOW_ID\s+STATUS\s+PROGRESS\s+TYPE/m);
    assert.match(list.stdout, new RegExp(`^${id}\\s+NOT_STARTED\\s+0% \\(0/2 steps\\)`, 'm'));
    assert.equal((await json('workflows', 'get', id, '--domain', 'cli-shop')).Status, 'NOT_STARTED');

    // watch runs until the workflow ends; the engine is advanced meanwhile through the CLI.
    const { CliProcess: Proc } = await import('../helpers/cli-process.js');
    const watcher = new Proc(['workflows', 'watch', id, '--domain', 'cli-shop', '--interval-ms', '100', '--endpoint-url', url], env);
    await watcher.waitForOutput(/NOT_STARTED/);
    const one = await json('advance', '--pages', '1');
    assert.deepEqual(one.steps.map((s: { outcome: string }) => s.outcome), ['complete'], 'a page of 500 holds the whole first day');
    await watcher.waitForOutput(/IN_PROGRESS/);
    const rest = await json('advance', '--until-idle');
    assert.ok(rest.steps.some((s: { outcome: string }) => s.outcome === 'workflow-complete'));
    const exit = await watcher.waitForExit();
    assert.equal(exit.code, 0, watcher.stderr);
    assert.match(watcher.stdout, /COMPLETE — 48 records, 2\/2 steps/);
    assert.match(watcher.stdout, /step {3}1 \[#{24}\] COMPLETE/);
    const listed = await cli('workflows', 'list', '--domain', 'cli-shop');
    assert.match(listed.stdout, new RegExp(`^${id}\\s+COMPLETE\\s+100% \\(2/2 steps\\)`, 'm'));

    const steps = await cli('workflows', 'steps', id, '--domain', 'cli-shop');
    assert.match(steps.stdout, /^STEP\s+STATUS\s+RECORDS/m);
    assert.equal((steps.stdout.match(/COMPLETE\s+24/g) ?? []).length, 2);

    const deleted = await cli('workflows', 'delete', id, '--domain', 'cli-shop');
    assert.equal(deleted.code, 0, deleted.stderr);
    // Deletion is asynchronous: CANCELLED until the (manual) engine's next turn purges it.
    const cancelled = await cli('workflows', 'get', id, '--domain', 'cli-shop');
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /CANCELLED/);
    await json('advance', '--pages', '1');
    const gone = await cli('workflows', 'get', id, '--domain', 'cli-shop');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /ResourceNotFoundException/);
  });

  test("watch and list show a step's real progress: the share of its window read; without the progress route (as against AWS), records against the completed steps' density", async () => {
    // 8000 records a day and the engine's pages of 2000: each page reads a quarter of a one-day window.
    const put = await cli('connector-profiles', 'put', 'cli-dense', '--kind', 'synthetic', '--settings', '{"recordsPerDay":8000,"seed":2}');
    assert.equal(put.code, 0, put.stderr);
    const create = await fetch(`${url}/domains/cli-shop/workflows/integrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        WorkflowType: 'APPFLOW_INTEGRATION', ObjectTypeName: 'Contact', RoleArn: 'arn:aws:iam::123456789012:role/r',
        IntegrationConfig: { AppflowIntegration: {
          FlowDefinition: { FlowName: 'cli-dense-flow', KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
            SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: 'cli-dense', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
            Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
            TriggerConfig: { TriggerType: 'OnDemand' } },
          Batches: [{ StartTime: 1735689600, EndTime: 1735776000 }, { StartTime: 1735776000, EndTime: 1735862400 }] } },
      }),
    });
    assert.equal(create.status, 200, await create.clone().text());
    const { WorkflowId: id } = (await create.json()) as { WorkflowId: string };

    // The same service behind a proxy that answers the progress route as AWS would: there is none.
    const proxy = await startNoProgressProxy(url);
    const { CliProcess: Proc } = await import('../helpers/cli-process.js');
    const watch = (endpoint: string) => new Proc(['workflows', 'watch', id, '--domain', 'cli-shop', '--interval-ms', '50', '--endpoint-url', endpoint], env);
    const direct = watch(url);
    const viaAws = watch(proxy.url);
    try {
      await direct.waitForOutput(/NOT_STARTED/);
      await viaAws.waitForOutput(/NOT_STARTED/);
      await json('advance', '--pages', '1');
      await direct.waitForOutput(/step {3}1 \[#{6}\.{18}\] IN_PROGRESS 2000 records, 25% of the window read$/m);
      // Against AWS nothing tells how far the first step is until one has completed.
      await viaAws.waitForOutput(/step {3}1 \[(\? ){12}\] IN_PROGRESS 2000 records \(no estimate yet\)$/m);
      const listed = await cli('workflows', 'list', '--domain', 'cli-shop');
      assert.match(listed.stdout, new RegExp(`^${id}\\s+IN_PROGRESS\\s+12% \\(0/2 steps\\)`, 'm'), listed.stdout);
      const listedViaAws = await runCli(['workflows', 'list', '--domain', 'cli-shop', '--endpoint-url', proxy.url], env);
      assert.match(listedViaAws.stdout, new RegExp(`^${id}\\s+IN_PROGRESS\\s+0% \\(0/2 steps\\)`, 'm'), listedViaAws.stdout);

      await json('advance', '--pages', '3');
      await json('advance', '--pages', '1');
      await direct.waitForOutput(/step {3}2 \[#{6}\.{18}\] IN_PROGRESS 2000 records, 25% of the window read$/m);
      await viaAws.waitForOutput(/step {3}2 \[#{6}\.{18}\] IN_PROGRESS 2000 of about 8000 records at the completed steps' rate$/m);
      await json('advance', '--until-idle');
      for (const watcher of [direct, viaAws]) {
        const exit = await watcher.waitForExit();
        assert.equal(exit.code, 0, watcher.stderr);
        assert.equal(watcher.stderr, '', 'the missing route is not an error');
        assert.match(watcher.stdout, /COMPLETE — 16000 records, 2\/2 steps/);
      }
      assert.ok(proxy.refused() > 0, 'the proxied watch asked for the route and was refused');
    } finally {
      await direct.kill();
      await viaAws.kill();
      await proxy.close();
    }
  });

  test('faults, clock and reset controls', async () => {
    const set = await json('faults', 'set', '[{"operation":"ListDomains","error":"ThrottlingException"}]');
    assert.equal(set.rules.length, 1);
    const throttled = await cli('domains', 'list');
    assert.equal(throttled.code, 1);
    assert.match(throttled.stderr, /ThrottlingException/);
    assert.deepEqual(await json('faults', 'clear'), { rules: [] });

    const before = await json('clock');
    assert.equal(before.clock, 'manual');
    const moved = await json('clock', '--advance-ms', '60000');
    assert.equal(Date.parse(moved.now) - Date.parse(before.now), 60_000);

    const reset = await cli('reset');
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /Reset: emptied \d+ tables/);
    assert.deepEqual((await json('domains', 'list')).Items, []);
  });
});

/**
 * A loopback proxy to `target` that answers `/_profileflow/workflows/…` as an AWS endpoint answers a path
 * it does not serve (404 UnknownOperationException), and passes every other request through.
 */
async function startNoProgressProxy(target: string): Promise<{ url: string; refused: () => number; close: () => Promise<void> }> {
  let refused = 0;
  const server = createServer((req, res) => {
    if ((req.url ?? '').startsWith('/_profileflow/workflows/')) {
      refused++;
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' });
      res.end(JSON.stringify({ message: null }));
      return;
    }
    const upstream = new URL(req.url ?? '/', target);
    const forward = request(upstream, { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused: () => refused,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `serve --auth sigv4`: every /_profileflow/ route but health wants a signature, so the admin commands sign
 * with the credentials the AWS CLI would find (here the AWS_* environment), as the SDK-based ones always did.
 */
describe('profileflow client commands against a service with --auth sigv4', () => {
  const KEY = 'AKIDCLIADMIN0000001';
  const SECRET = 'cli/admin+secret=1';
  const OPERATOR_KEY = 'AKIDCLIOPERATOR00001';
  const OPERATOR_SECRET = 'cli/operator+secret=1';
  let dir: string;
  let serve: CliProcess;
  let url: string;
  const envWith = (accessKeyId: string, secretAccessKey: string) => ({
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: '',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  });
  const signed = envWith(KEY, SECRET);
  const asOperator = envWith(OPERATOR_KEY, OPERATOR_SECRET);
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => runCli([...args, '--endpoint-url', url], env);
  const json = async (...args: string[]) => jsonAs(signed, ...args);
  const jsonAs = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = await cli(env, ...args, '--output', 'json');
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'pf-cli-sigv4-'));
    const credentials = join(dir, 'credentials.json');
    writeFileSync(credentials, JSON.stringify({ [KEY]: { secretAccessKey: SECRET, accountId: '123456789012' } }));
    const operator = join(dir, 'operator.json');
    writeFileSync(operator, JSON.stringify({ [OPERATOR_KEY]: { secretAccessKey: OPERATOR_SECRET } }));
    const started = await startServe(['--data-dir', dir, '--engine-mode', 'manual', '--clock', 'manual', '--auth', 'sigv4', '--credentials-file', credentials, '--operator-credentials-file', operator]);
    assert.match(started.banner, /auth: sigv4, 1 tenant key, 1 operator key;/);
    serve = started.proc;
    url = started.url;
  });
  after(async () => {
    await serve?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test('connector-profiles, ids, clock and advance succeed signed by the operator; faults and reset by the tenant too', async () => {
    // A name that needs encoding in the path, which the signature covers.
    const put = await cli(asOperator, 'connector-profiles', 'put', 'signed/demo+1@x=y', '--kind', 'synthetic', '--settings', '{"recordsPerDay":24,"seed":1}');
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual((await jsonAs(asOperator, 'connector-profiles', 'list')).connectorProfiles.map((p: { name: string }) => p.name), ['signed/demo+1@x=y']);
    assert.equal((await jsonAs(asOperator, 'connector-profiles', 'get', 'signed/demo+1@x=y')).kind, 'synthetic');
    const asTenant = await cli(signed, 'connector-profiles', 'list');
    assert.equal(asTenant.code, 1);
    assert.match(asTenant.stderr, /^profileflow: AccessDeniedException: .*operator route/m);
    assert.deepEqual(await jsonAs(asOperator, 'ids', '--seed', 'signed'), { seed: 'signed' });
    assert.deepEqual(await jsonAs(asOperator, 'ids'), { seed: 'signed' });
    assert.equal((await json('faults', 'set', '[{"operation":"GetWorkflow","probability":0.5,"error":"ThrottlingException"}]')).rules.length, 1);
    assert.equal((await json('faults', 'list')).rules.length, 1);
    assert.deepEqual(await json('faults', 'clear'), { rules: [] });
    const before = await jsonAs(asOperator, 'clock');
    const moved = await jsonAs(asOperator, 'clock', '--advance-ms', '5000');
    assert.equal(Date.parse(moved.now) - Date.parse(before.now), 5_000);
    assert.deepEqual(await jsonAs(asOperator, 'advance', '--until-idle'), { steps: [], runs: [] });
    // The SDK-based commands sign as before, in the account configured for the key.
    const created = await cli(signed, 'domains', 'create', 'signed-shop');
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual((await json('domains', 'list')).Items.map((d: { DomainName: string }) => d.DomainName), ['signed-shop']);
    const deleted = await cli(asOperator, 'connector-profiles', 'delete', 'signed/demo+1@x=y');
    assert.equal(deleted.code, 0, deleted.stderr);
    const reset = await cli(signed, 'reset');
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /Reset: emptied \d+ tables/);
  });

  test('a wrong secret, an unknown key and no credentials at all are refused with the AWS error, exit 1', async () => {
    const wrong = await cli(envWith(OPERATOR_KEY, 'not-the-secret'), 'connector-profiles', 'list');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^profileflow: InvalidSignatureException: The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\./m);
    const wrongPut = await cli(envWith(KEY, 'not-the-secret'), 'faults', 'set', '[]');
    assert.equal(wrongPut.code, 1);
    assert.match(wrongPut.stderr, /InvalidSignatureException/);
    const unknown = await cli(envWith('AKIDNOTCONFIGURED01', SECRET), 'reset');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^profileflow: UnrecognizedClientException: The security token included in the request is invalid\.$/m);
    const none = await cli(envWith('', ''), 'clock');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^profileflow: MissingAuthenticationTokenException: Missing Authentication Token$/m);
    // Nothing was changed by the refused calls.
    assert.deepEqual((await json('faults', 'list')).rules, []);
  });
});
