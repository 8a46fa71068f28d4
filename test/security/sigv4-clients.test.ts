import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, type ServiceProcess, startService } from '../helpers/cli-process.js';
import { hasAwsCli, hasBoto3 } from '../helpers/aws-clients.js';
import { ACCOUNT_A, CREDENTIALS, CREDENTIALS_JSON, KEY_A, KEY_B } from './support.js';

/** What a user of the AWS CLI or boto3 has: credentials, a region, no retries, no config files. */
function awsEnv(accessKeyId: string, secretAccessKey: string): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_MAX_ATTEMPTS: '1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
}


interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('profileflow serve --credentials-file: real clients sign, the service verifies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pf-sigv4-'));
  const credentialsFile = join(dir, 'credentials.json');
  let service: ServiceProcess;
  before(async () => {
    writeFileSync(credentialsFile, CREDENTIALS_JSON);
    service = await startService(['serve', '--port', '0', '--data-dir', dir, '--credentials-file', credentialsFile]);
  });
  after(async () => {
    await service?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('the start banner says that SigV4 is on (credentials given on loopback turn it on)', () => {
    assert.match(service.output(), /; auth: sigv4, 3 tenant keys, no operator key \(operator routes refused\); throttle: off\)/);
  });

  test('the AWS CLI: signed requests pass, a wrong secret is InvalidSignatureException', { skip: !hasAwsCli && 'aws CLI absent' }, async () => {
    const env = awsEnv(KEY_A, CREDENTIALS.get(KEY_A)!.secretAccessKey);
    const e = ['--endpoint-url', service.url!];
    const created = await run('aws', ['customer-profiles', 'create-domain', '--domain-name', 'cli-dom', '--default-expiration-days', '7', ...e], env);
    assert.equal(created.code, 0, created.stderr);
    const arn = `arn:aws:profile:eu-west-1:${ACCOUNT_A}:domains/cli-dom`;
    const tagged = await run('aws', ['customer-profiles', 'tag-resource', '--resource-arn', arn, '--tags', 'k/1=v 1', ...e], env);
    assert.equal(tagged.code, 0, tagged.stderr);
    const listed = await run('aws', ['customer-profiles', 'list-tags-for-resource', '--resource-arn', arn, ...e], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).tags, { 'k/1': 'v 1' });
    const paged = await run('aws', ['customer-profiles', 'list-domains', '--max-results', '5', ...e], env);
    assert.equal(paged.code, 0, paged.stderr);
    assert.deepEqual(JSON.parse(paged.stdout).Items.map((d: { DomainName: string }) => d.DomainName), ['cli-dom']);

    const wrong = await run('aws', ['customer-profiles', 'list-domains', ...e], awsEnv(KEY_A, 'wrong-secret'));
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /InvalidSignatureException.*The request signature we calculated does not match/);
    const unknown = await run('aws', ['customer-profiles', 'list-domains', ...e], awsEnv('AKIDUNKNOWN', 'x'));
    assert.match(unknown.stderr, /UnrecognizedClientException/);
  });

  test('boto3: signed requests pass, account B sees none of account A, a wrong secret fails', { skip: !hasBoto3 && 'boto3 absent' }, async () => {
    const script = `
import json, sys, boto3, botocore
def client(key, secret):
    return boto3.client('customer-profiles', endpoint_url=sys.argv[1], region_name='eu-west-1',
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={'max_attempts': 1}))
a = client(sys.argv[2], sys.argv[3])
a.create_domain(DomainName='boto-dom', DefaultExpirationDays=3, Tags={'a:b': 'c/d'})
out = {'a': [d['DomainName'] for d in a.list_domains(MaxResults=10)['Items']]}
b = client(sys.argv[4], sys.argv[5])
out['b'] = [d['DomainName'] for d in b.list_domains().get('Items', [])]
try:
    b.get_domain(DomainName='boto-dom'); out['b_get'] = 'found'
except botocore.exceptions.ClientError as e:
    out['b_get'] = e.response['Error']['Code']
try:
    client(sys.argv[2], 'wrong').list_domains(); out['wrong'] = 'passed'
except botocore.exceptions.ClientError as e:
    out['wrong'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
print(json.dumps(out))
`;
    const r = await run(
      'python3',
      ['-c', script, service.url!, KEY_A, CREDENTIALS.get(KEY_A)!.secretAccessKey, KEY_B, CREDENTIALS.get(KEY_B)!.secretAccessKey],
      awsEnv('unused', 'unused'),
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(out.a.includes('boto-dom'), r.stdout);
    assert.deepEqual(out.b, []);
    assert.equal(out.b_get, 'ResourceNotFoundException');
    assert.deepEqual(out.wrong, ['InvalidSignatureException', 403]);
  });
});

describe('profileflow serve on a non-loopback address', () => {
  function startAndExit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve) => {
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROFILEFLOW_')));
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let stopped = false;
      child.stdout.on('data', (d) => {
        stdout += d;
        // Started: stop it (once) so the test ends.
        if (!stopped && /listening on/.test(stdout)) {
          stopped = true;
          child.kill('SIGTERM');
        }
      });
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('refuses to start without credentials unless --auth off is given (exit 2, a clear message)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-sigv4-host-'));
    try {
      const refused = await startAndExit(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir]);
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /Refusing to listen on 0\.0\.0\.0 without authentication: give credentials \(--credentials-file FILE or PROFILEFLOW_CREDENTIALS\)/);
      const noCredentials = await startAndExit(['serve', '--port', '0', '--data-dir', dir, '--auth', 'sigv4']);
      assert.equal(noCredentials.code, 2);
      assert.match(noCredentials.stderr, /--auth sigv4 needs credentials/);
      const badCredentials = await startAndExit(['serve', '--port', '0', '--data-dir', dir], {
        PROFILEFLOW_CREDENTIALS: JSON.stringify({ AKID: { secretAccessKey: 'do-not-print-me', accountId: '12' } }),
      });
      assert.equal(badCredentials.code, 2);
      assert.match(badCredentials.stderr, /accountId must be a 12-digit AWS account id/);
      assert.doesNotMatch(badCredentials.stderr, /do-not-print-me/);
      const explicit = await startAndExit(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir, '--auth', 'off']);
      assert.equal(explicit.code, 0, explicit.stderr);
      assert.match(explicit.stdout, /; auth: off; throttle: 10\/s, burst 20\)/);
      const withCredentials = await startAndExit(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir], {
        PROFILEFLOW_CREDENTIALS: CREDENTIALS_JSON,
      });
      assert.equal(withCredentials.code, 0, withCredentials.stderr);
      assert.match(withCredentials.stdout, /; auth: sigv4, 3 tenant keys, no operator key \(operator routes refused\); throttle: 10\/s, burst 20\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
