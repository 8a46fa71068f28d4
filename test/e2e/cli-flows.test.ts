import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AppflowClient, CreateFlowCommand, type CreateFlowRequest } from '@aws-sdk/client-appflow';
import { CreateDomainCommand, CustomerProfilesClient, PutProfileObjectTypeCommand } from '@aws-sdk/client-customer-profiles';
import { appflowClient } from '../helpers/appflow.js';
import { type CliProcess, cliBuilt, runCli, startServe } from '../helpers/cli-process.js';

/** The access key the CLI signs with when nothing is configured: its flows are the ones it lists. */
const CLI_KEY = 'test';

function s3Flow(name: string, extra: Partial<CreateFlowRequest> = {}): CreateFlowRequest {
  return {
    flowName: name,
    triggerConfig: { triggerType: 'OnDemand' },
    sourceFlowConfig: { connectorType: 'S3', sourceConnectorProperties: { S3: { bucketName: 'crm-exports', bucketPrefix: 'tickets/' } } },
    destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'flows-cli', objectTypeName: 'Ticket' } } }],
    tasks: [{ taskType: 'Map', sourceFields: ['number'], destinationField: 'number', connectorOperator: { S3: 'NO_OP' } }],
    ...extra,
  };
}

/** `profileflow flows …`, spawned from dist/ against a spawned `profileflow serve`. */
describe('profileflow flows against a running service', () => {
  let dir: string;
  let serve: CliProcess;
  let url: string;
  let af: AppflowClient;
  const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_ENDPOINT_URL_APPFLOW: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
  const cli = (...args: string[]) => runCli([...args, '--endpoint-url', url], env);
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--output', 'json');
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'pf-cli-flows-'));
    const started = await startServe(['--data-dir', dir, '--engine-mode', 'manual', '--clock', 'manual']);
    serve = started.proc;
    url = started.url;
    af = appflowClient(url, { accountId: CLI_KEY, region: 'us-east-1' });
    const cp = new CustomerProfilesClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: CLI_KEY, secretAccessKey: 'test' } });
    await cp.send(new CreateDomainCommand({ DomainName: 'flows-cli', DefaultExpirationDays: 1 }));
    await cp.send(
      new PutProfileObjectTypeCommand({
        DomainName: 'flows-cli',
        ObjectTypeName: 'Ticket',
        Description: 'tickets',
        Fields: { number: { Source: '_source.number', Target: '_profile.AccountNumber' } },
        Keys: { number: [{ StandardIdentifiers: ['PROFILE', 'UNIQUE'], FieldNames: ['number'] }] },
      }),
    );
    cp.destroy();
  });
  after(async () => {
    af?.destroy();
    await serve?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test('usage errors exit 2 with the usage, before any call reaches the service', async () => {
    const bare = await cli('flows');
    assert.equal(bare.code, 2);
    assert.match(bare.stdout, /profileflow flows describe <flow-name>/);
    const help = await cli('flows', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /profileflow flows runs {5}<flow-name>/);
    for (const [args, message] of [
      [['flows', 'describe'], /flows describe needs the flow's name: flows describe <flow-name> \(or --flow-name\)/],
      [['flows', 'runs'], /flows runs needs the flow's name/],
      [['flows', 'start'], /flows start needs the flow's name/],
      [['flows', 'launch', 'x'], /Unknown flows command 'launch'/],
      [['flows', 'describe', 'a', 'b'], /Unexpected argument 'b'/],
      [['flows', 'list', '--max-results', '0'], /--max-results must be a whole number of at least 1, got '0'/],
      [['flows', 'watch', 'x', '--interval-ms', 'soon'], /--interval-ms must be a whole number of at least 50, got 'soon'/],
      [['flows', 'runs', 'x', '--until-idle'], /--until-idle is for flows watch/],
      [['flows', 'describe', 'x', '--watch'], /--watch is for flows runs and flows start/],
      [['flows', 'list', '--colour'], /Unknown option '--colour'/],
    ] as const) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    const usageShown = await cli('flows', 'describe');
    assert.match(usageShown.stderr, /Usage \(Amazon AppFlow flows and their runs\)/);
  });

  test('list and describe: a table, JSON, positional and flag forms; a missing flow exits 1 naming it', async () => {
    const empty = await cli('flows', 'list');
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, '(none)\n');
    assert.equal(empty.stderr, '', 'nothing on stderr (no NodeVersionSupportWarning)');

    await af.send(new CreateFlowCommand(s3Flow('tickets-now', { description: 'Tickets on demand' })));
    await af.send(
      new CreateFlowCommand(
        s3Flow('tickets-hourly', {
          triggerConfig: {
            triggerType: 'Scheduled',
            triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)', dataPullMode: 'Incremental', scheduleStartTime: new Date('2026-01-01T00:00:00Z') } },
          },
        }),
      ),
    );

    const listed = await cli('flows', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+STATUS\s+TRIGGER\s+SOURCE\s+DESTINATION\s+LAST_RUN\s+UPDATED$/m);
    assert.match(listed.stdout, /^tickets-hourly\s+Draft\s+Scheduled\s+S3\s+CustomerProfiles\s/m);
    assert.match(listed.stdout, /^tickets-now\s+Active\s+OnDemand\s+S3\s+CustomerProfiles\s/m);
    const asJson = await json('flows', 'list');
    assert.deepEqual(asJson.flows.map((f: { flowName: string }) => f.flowName).sort(), ['tickets-hourly', 'tickets-now']);
    assert.equal((await json('flows', 'list', '--max-results', '1')).flows.length, 1);

    const described = await cli('flows', 'describe', 'tickets-hourly');
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /^FlowArn {8}arn:aws:appflow:us-east-1:000000000000:flow\/tickets-hourly$/m);
    assert.match(described.stdout, /^Status {9}Draft$/m);
    assert.match(described.stdout, /^Trigger {8}Scheduled rate\(1hours\), from 2026-01-01T00:00:00.000Z, Incremental$/m);
    assert.match(described.stdout, /^Source {9}S3, s3:\/\/crm-exports\/tickets\/$/m);
    assert.match(described.stdout, /^Destination {4}CustomerProfiles domain flows-cli, object type Ticket$/m);
    const byFlag = await json('flows', 'describe', '--flow-name', 'tickets-now');
    assert.equal(byFlag.flowName, 'tickets-now');
    assert.equal(byFlag.description, 'Tickets on demand');
    assert.equal(byFlag.triggerConfig.triggerType, 'OnDemand');

    const missing = await cli('flows', 'describe', 'no-such-flow');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^profileflow: ResourceNotFoundException: .*no-such-flow/m);
  });

  test('AWS_ENDPOINT_URL_APPFLOW chooses the endpoint when no flag does', async () => {
    const r = await runCli(['flows', 'list', '--output', 'json'], { ...env, AWS_ENDPOINT_URL_APPFLOW: url, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).flows.length >= 2);
  });
});
