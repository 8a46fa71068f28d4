import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { before, describe, test } from 'node:test';
import { cliBuilt, runCli } from '../helpers/cli-process.js';

/**
 * Usage errors of the spawned CLI: each exits 2 and prints the problem and then that command's usage on
 * stderr, before any request is made (the endpoint below has nothing listening, so a request would be
 * exit 1 instead). Values given as an argument or as a flag are read the same way.
 */
describe('profileflow usage errors', () => {
  const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_REGION: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
  const NOWHERE = ['--endpoint-url', ''];
  before(async () => {
    // A port that was free a moment ago: nothing answers there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    NOWHERE[1] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
  });

  const cases: Array<[string[], RegExp, RegExp]> = [
    [[], /a command is needed/, /^Usage:\n {2}profileflow serve/m],
    [['frobnicate'], /unknown command 'frobnicate'/, /^Usage:\n {2}profileflow serve/m],
    [['serve', '--no-such-flag'], /Unknown option '--no-such-flag'/, /^Usage:\n {2}profileflow serve/m],
    [['workflows'], /workflows needs a command/, /profileflow workflows list/],
    [['workflows', 'launch', '--domain', 'd'], /Unknown workflows command 'launch'/, /profileflow workflows list/],
    [['workflows', 'get', 'abc'], /--domain is required/, /profileflow workflows get/],
    [['workflows', 'get', '--domain', 'd'], /<workflow-id> is required \(as an argument or as --workflow-id\)/, /profileflow workflows get/],
    [['workflows', 'get', 'abc', '--workflow-id', 'xyz', '--domain', 'd'], /--workflow-id 'xyz' and <workflow-id> 'abc' disagree/, /profileflow workflows get/],
    [['workflows', 'list', '--domain', 'a', '--domain-name', 'b'], /--domain 'a' and --domain-name 'b' disagree/, /profileflow workflows list/],
    [['workflows', 'get', 'abc', 'extra', '--domain', 'd'], /Unexpected argument 'extra'/, /profileflow workflows get/],
    [['workflows', 'list', '--domain', 'd', '--max-results', 'ten'], /--max-results must be a whole number of at least 1, got 'ten'/, /profileflow workflows list/],
    [['workflows', 'watch', 'abc', '--domain', 'd', '--interval-ms', '5'], /--interval-ms must be a whole number of at least 50/, /profileflow workflows watch/],
    [['workflows', 'get', 'abc', '--domain', 'd', '--bogus'], /Unknown option '--bogus'/, /profileflow workflows get/],
    [['domains'], /domains needs a command/, /profileflow domains list/],
    [['domains', 'get'], /<domain-name> is required \(as an argument or as --domain-name\)/, /profileflow domains get/],
    [['domains', 'create', 'shop', '--default-expiration-days', 'x'], /--default-expiration-days must be a whole number/, /profileflow domains create/],
    [['connector-profiles', 'get'], /<name> is required \(as an argument or as --name\)/, /profileflow connector-profiles get/],
    [['connector-profiles', 'put', 'p'], /put needs --kind and --settings, or --file/, /profileflow connector-profiles put/],
    [['faults', 'wipe'], /Unknown faults command 'wipe'/, /profileflow faults list \| clear/],
    [['advance', '--pages', '0'], /--pages must be a whole number of at least 1, got '0'/, /profileflow advance/],
    [['advance', '--pages', '2', '--until-idle'], /--pages and --until-idle exclude each other/, /profileflow advance/],
    [['clock', '--advance-ms', 'soon'], /--advance-ms must be a whole number of at least 0/, /profileflow clock/],
    [['reset', 'everything'], /Unexpected argument 'everything'/, /profileflow reset/],
    [['ids', '--seed', 's', '--random'], /--seed and --random exclude each other/, /profileflow ids/],
  ];

  for (const [args, problem, usage] of cases) {
    test(`profileflow ${args.join(' ') || '(nothing)'}: exit 2, the problem, then the usage`, async () => {
      assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` first');
      const r = await runCli(args.length && !['serve', 'frobnicate'].includes(args[0]) ? [...args, ...NOWHERE] : args, env);
      assert.equal(r.code, 2, `exit code; stderr:\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^profileflow: ${problem.source}`));
      assert.match(r.stderr, usage);
      assert.equal(r.stdout, '');
    });
  }

  test('the positional and the flag forms are the same request', async () => {
    // A stand-in service that records each request's method and path and answers 404 in the AWS envelope.
    const seen: string[] = [];
    const stub = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ Message: 'not here' }));
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const endpoint = ['--endpoint-url', `http://127.0.0.1:${(stub.address() as AddressInfo).port}`];
    const pathsOf = async (args: string[]) => {
      seen.length = 0;
      const r = await runCli([...args, ...endpoint], env);
      assert.equal(r.code, 1, `${args.join(' ')}: the service's 404 is exit 1; stderr:\n${r.stderr}`);
      assert.match(r.stderr, /ResourceNotFoundException/);
      return [...seen];
    };
    try {
      const positional = await pathsOf(['workflows', 'get', 'abc', '--domain', 'd']);
      assert.deepEqual(positional, ['GET /domains/d/workflows/abc']);
      assert.deepEqual(await pathsOf(['workflows', 'get', '--workflow-id', 'abc', '--domain-name', 'd']), positional);
      const domain = await pathsOf(['domains', 'get', 'shop']);
      assert.deepEqual(domain, ['GET /domains/shop']);
      assert.deepEqual(await pathsOf(['domains', 'get', '--domain', 'shop']), domain);
      const profile = await pathsOf(['connector-profiles', 'get', 'p']);
      assert.equal(profile.length, 1);
      assert.match(profile[0], /^GET \/_profileflow\/connector-profiles\/p$/);
      assert.deepEqual(await pathsOf(['connector-profiles', 'get', '--name', 'p']), profile);
    } finally {
      await new Promise((resolve) => stub.close(resolve));
    }
  });
});
