import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AppflowClient, CreateFlowCommand, type CreateFlowRequest } from '@aws-sdk/client-appflow';
import { CreateDomainCommand, CustomerProfilesClient, PutProfileObjectTypeCommand } from '@aws-sdk/client-customer-profiles';
import { appflowClient } from '../helpers/appflow.js';
import { CliProcess, cliBuilt, runCli, startServe } from '../helpers/cli-process.js';

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
    assert.match(bare.stderr, /^profileflow: flows needs a command: list, describe, runs, watch, start or stop\.\n\nUsage/);
    assert.match(bare.stderr, /profileflow flows describe <flow-name>/);
    const help = await cli('flows', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /profileflow flows runs {5}<flow-name>/);
    for (const [args, message] of [
      [['flows', 'describe'], /<flow-name> is required \(as an argument or as --flow-name\)/],
      [['flows', 'runs'], /<flow-name> is required/],
      [['flows', 'start'], /<flow-name> is required/],
      [['flows', 'describe', 'a', '--flow-name', 'b'], /--flow-name 'b' and <flow-name> 'a' disagree/],
      [['flows', 'watch', 'x', '--until-idle', '--execution-id', 'e'], /--until-idle and --execution-id exclude each other/],
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

  test("a completed workflow's flow run for real: start --watch follows it while the engine advances; runs and describe show it; start and stop a scheduled flow", async () => {
    const put = await cli('connector-profiles', 'put', 'flows-demo', '--kind', 'synthetic', '--settings', '{"recordsPerDay":24,"seed":3}');
    assert.equal(put.code, 0, put.stderr);
    const headers = { 'content-type': 'application/json' };
    assert.equal((await fetch(`${url}/domains/flows-cli/object-types/Contact`, {
      method: 'PUT', headers, body: JSON.stringify({
        Description: 'c', AllowProfileCreation: true,
        Fields: { Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' } },
        Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
      }),
    })).status, 200);
    // The manual clock: one day of history, ending a day before now, so the first run reads the last day.
    const now = Date.parse((await json('clock')).now);
    const day = 86_400_000;
    const historyEnd = Math.floor(now / day) * day - day;
    const created = await fetch(`${url}/domains/flows-cli/workflows/integrations`, {
      method: 'POST', headers, body: JSON.stringify({
        WorkflowType: 'APPFLOW_INTEGRATION', ObjectTypeName: 'Contact', RoleArn: 'arn:aws:iam::123456789012:role/r',
        IntegrationConfig: { AppflowIntegration: {
          FlowDefinition: { FlowName: 'cli-run-flow', KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
            SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: 'flows-demo', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
            Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
            TriggerConfig: { TriggerType: 'OnDemand' } },
          Batches: [{ StartTime: (historyEnd - day) / 1000, EndTime: historyEnd / 1000 }] } },
      }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    await json('advance', '--until-idle');
    const flow = await json('flows', 'describe', 'cli-run-flow');
    assert.equal(flow.flowStatus, 'Active');
    assert.match(flow.createdBy, /:domains\/flows-cli\/workflows\/[a-f0-9]{32}$/);

    const watcher = new CliProcess(['flows', 'start', 'cli-run-flow', '--watch', '--interval-ms', '100', '--endpoint-url', url], env);
    try {
      const started = await watcher.waitForOutput(/^Started flow cli-run-flow \(Active\): execution (\S+)\.$/m);
      const executionId = started[1];
      await json('advance', '--until-idle');
      const exit = await watcher.waitForExit();
      assert.equal(exit.code, 0, `${watcher.stdout}${watcher.stderr}`);
      const done = new RegExp(`> ${executionId} \\[#{20}\\] Successful +(\\d+) records {2}window `);
      const records = Number(done.exec(watcher.stdout)?.[1]);
      assert.ok(records > 0, `the run read the day since the history ended:\n${watcher.stdout}`);

      const runs = await json('flows', 'runs', 'cli-run-flow');
      assert.deepEqual(runs.flowExecutions.map((r: { executionId: string; executionStatus: string; executionResult: { recordsProcessed: number } }) => [r.executionId, r.executionStatus, r.executionResult.recordsProcessed]), [[executionId, 'Successful', records]]);
      assert.equal(Date.parse(runs.flowExecutions[0].dataPullStartTime), historyEnd, 'the run reads on from where the history ended');
      const table = await cli('flows', 'runs', 'cli-run-flow');
      assert.match(table.stdout, new RegExp(`^${executionId}\\s+Successful\\s+\\S+\\s+\\S+\\s+${new Date(historyEnd).toISOString()}\\s+\\S+\\s+${records}$`, 'm'));
      const described = await cli('flows', 'describe', 'cli-run-flow');
      assert.match(described.stdout, /^LastRun {8}Successful at \S+/m);
    } finally {
      await watcher.kill();
    }

    // StopFlow refuses an on-demand flow, as the model says; a scheduled one is activated, then suspended.
    const onDemand = await cli('flows', 'stop', 'cli-run-flow');
    assert.equal(onDemand.code, 1);
    assert.match(onDemand.stderr, /^profileflow: UnsupportedOperationException: /m);
    const draftStop = await cli('flows', 'stop', 'tickets-hourly');
    assert.equal(draftStop.code, 1);
    assert.match(draftStop.stderr, /^profileflow: ConflictException: .*Draft/m);
    const activated = await cli('flows', 'start', 'tickets-hourly');
    assert.equal(activated.code, 0, activated.stderr);
    assert.equal(activated.stdout, 'Started flow tickets-hourly (Active).\n');
    const stopped = await cli('flows', 'stop', 'tickets-hourly');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, 'Stopped flow tickets-hourly (Suspended).\n');
    assert.equal((await json('flows', 'describe', 'tickets-hourly')).flowStatus, 'Suspended');
  });

  test('AWS_ENDPOINT_URL_APPFLOW chooses the endpoint when no flag does', async () => {
    const r = await runCli(['flows', 'list', '--output', 'json'], { ...env, AWS_ENDPOINT_URL_APPFLOW: url, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).flows.length >= 2);
  });
});

/**
 * `flows runs|watch|start|stop` against a scripted AppFlow endpoint on loopback that answers in the
 * model's wire form (restJson1, epoch-second timestamps): it pins how the CLI reads ExecutionRecord,
 * pages through nextToken, follows a run and chooses its exit code, whatever the service's engine does.
 */
describe('profileflow flows runs, watch, start and stop (scripted AppFlow answers)', () => {
  let server: Server;
  let url: string;
  const calls: { path: string; body: Record<string, unknown> }[] = [];
  /** What DescribeFlowExecutionRecords answers, page by page (by nextToken), at the nth read. */
  let runsAnswer: (read: number, token: string | undefined) => { flowExecutions: unknown[]; nextToken?: string } = () => ({ flowExecutions: [] });
  let runsReads = 0;
  const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_ENDPOINT_URL_APPFLOW: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
  const cli = (...args: string[]) => runCli([...args, '--endpoint-url', url], env);
  const at = (iso: string) => Date.parse(iso) / 1000;
  const run = (id: string, status: string, started: string, records: number, message?: string) => ({
    executionId: id,
    executionStatus: status,
    startedAt: at(started),
    lastUpdatedAt: at(started) + 60,
    dataPullStartTime: at(started) - 3600,
    dataPullEndTime: at(started),
    executionResult: { recordsProcessed: records, ...(message ? { errorInfo: { executionMessage: message } } : {}) },
  });

  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` first');
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString('utf8')));
      req.on('end', () => {
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        calls.push({ path: req.url ?? '', body });
        const answer = (status: number, value: unknown, type?: string) => {
          res.writeHead(status, { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) });
          res.end(JSON.stringify(value));
        };
        if (body.flowName === 'missing') return answer(404, { message: 'The flow missing does not exist.' }, 'ResourceNotFoundException');
        switch (req.url) {
          case '/describe-flow':
            return answer(200, { flowName: body.flowName, flowArn: `arn:aws:appflow:us-east-1:000000000000:flow/${String(body.flowName)}`, flowStatus: 'Active', triggerConfig: { triggerType: 'OnDemand' } });
          case '/describe-flow-execution-records':
            runsReads += 1;
            return answer(200, runsAnswer(runsReads, body.nextToken as string | undefined));
          case '/start-flow':
            return answer(200, { flowArn: `arn:aws:appflow:us-east-1:000000000000:flow/${String(body.flowName)}`, flowStatus: 'Active', executionId: 'exec-9' });
          case '/stop-flow':
            return answer(200, { flowArn: `arn:aws:appflow:us-east-1:000000000000:flow/${String(body.flowName)}`, flowStatus: 'Suspended' });
          default:
            return answer(404, { message: `no route ${req.url}` }, 'ResourceNotFoundException');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('runs: every page, newest first, with status, times, the pull window, records and the error message', async () => {
    runsAnswer = (_read, token) =>
      token === undefined
        ? { flowExecutions: [run('exec-1', 'Successful', '2026-02-01T01:00:00Z', 120)], nextToken: 'page-2' }
        : { flowExecutions: [run('exec-2', 'Error', '2026-02-01T02:00:00Z', 0, 'The source refused the read.')] };
    const r = await cli('flows', 'runs', 'tickets');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/)), [
      ['EXECUTION_ID', 'STATUS', 'STARTED', 'UPDATED', 'WINDOW_START', 'WINDOW_END', 'RECORDS', 'MESSAGE'],
      ['exec-2', 'Error', '2026-02-01T02:00:00.000Z', '2026-02-01T02:01:00.000Z', '2026-02-01T01:00:00.000Z', '2026-02-01T02:00:00.000Z', '0', 'The source refused the read.'],
      ['exec-1', 'Successful', '2026-02-01T01:00:00.000Z', '2026-02-01T01:01:00.000Z', '2026-02-01T00:00:00.000Z', '2026-02-01T01:00:00.000Z', '120'],
    ]);
    const reads = calls.filter((c) => c.path === '/describe-flow-execution-records').slice(-2);
    assert.deepEqual(reads.map((c) => c.body), [{ flowName: 'tickets' }, { flowName: 'tickets', nextToken: 'page-2' }]);
    const json = await cli('flows', 'runs', '--flow-name', 'tickets', '--output', 'json');
    assert.deepEqual(JSON.parse(json.stdout).flowExecutions.map((e: { executionId: string; executionResult: { recordsProcessed: number } }) => [e.executionId, e.executionResult.recordsProcessed]), [['exec-2', 0], ['exec-1', 120]]);
    const missing = await cli('flows', 'runs', 'missing');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^profileflow: ResourceNotFoundException: The flow missing does not exist\.$/m);
  });

  test('start --watch follows the run it started to Successful (exit 0); watch --execution-id exits 1 on Error; --until-idle ends when nothing runs', async () => {
    const base = runsReads;
    // Not listed yet, then in progress, then done.
    runsAnswer = (read) => {
      const n = read - base;
      const older = run('exec-1', 'Successful', '2026-02-01T01:00:00Z', 120);
      if (n <= 1) return { flowExecutions: [older] };
      if (n <= 3) return { flowExecutions: [run('exec-9', 'InProgress', '2026-02-01T05:00:00Z', 10 * n), older] };
      return { flowExecutions: [run('exec-9', 'Successful', '2026-02-01T05:00:00Z', 60), older] };
    };
    const started = await cli('flows', 'start', 'tickets', '--watch', '--interval-ms', '50');
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^Started flow tickets \(Active\): execution exec-9\.$/m);
    assert.match(started.stdout, /waiting for execution exec-9 to be listed/);
    assert.match(started.stdout, /> exec-9 \[#+\.+\] InProgress +20 records {2}window 2026-02-01T04:00:00.000Z → 2026-02-01T05:00:00.000Z/);
    assert.match(started.stdout, /> exec-9 \[#{10}\.{10}\] Successful +60 records/, 'the bar is the share of the most records a shown run processed');
    assert.match(started.stdout, /^tickets Active \(OnDemand\) — 2 runs, 0 in progress$/m);
    assert.ok(calls.some((c) => c.path === '/start-flow' && c.body.flowName === 'tickets'));

    runsAnswer = () => ({ flowExecutions: [run('exec-8', 'Error', '2026-02-01T06:00:00Z', 3, 'The source refused the read.')] });
    const failed = await cli('flows', 'watch', 'tickets', '--execution-id', 'exec-8', '--interval-ms', '50');
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /exec-8 \[#{20}\] Error +3 records .* — The source refused the read\.$/m);

    const idle = await cli('flows', 'runs', 'tickets', '--watch', '--until-idle', '--output', 'json');
    assert.equal(idle.code, 0, idle.stderr);
    assert.deepEqual(JSON.parse(idle.stdout), { flowName: 'tickets', flowStatus: 'Active', flowExecutions: [{ executionId: 'exec-8', executionStatus: 'Error', recordsProcessed: 3 }] });
  });

  test('stop answers the flow status; start without --watch the execution id', async () => {
    const stopped = await cli('flows', 'stop', 'tickets');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, 'Stopped flow tickets (Suspended).\n');
    const started = await cli('flows', 'start', 'tickets', '--output', 'json');
    assert.equal(started.code, 0, started.stderr);
    assert.equal(JSON.parse(started.stdout).executionId, 'exec-9');
  });
});
