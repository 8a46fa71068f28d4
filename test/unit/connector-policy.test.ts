/**
 * The pieces of the operator's connector policy that decide alone: host patterns, the address
 * classifier, URL checks, root containment and loading a policy from configuration. None of this
 * existed before the policy: every URL and folder was reachable.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type ConnectorPolicy,
  DEFAULT_ALLOW_HOSTS,
  DEFAULT_CONNECTOR_POLICY,
  hostAllowed,
  loadConnectorPolicy,
  policyProblems,
  privateAddressReason,
  rootHolding,
  urlProblem,
} from '../../src/connectors/policy.js';

describe('hostAllowed', () => {
  test('`*.domain` matches any subdomain, never the domain itself nor a look-alike', () => {
    assert.ok(hostAllowed('acme.my.salesforce.com', ['*.salesforce.com']));
    assert.ok(hostAllowed('login.salesforce.com', ['*.salesforce.com']));
    assert.ok(!hostAllowed('salesforce.com', ['*.salesforce.com']));
    assert.ok(!hostAllowed('evilsalesforce.com', ['*.salesforce.com']));
    assert.ok(!hostAllowed('salesforce.com.evil.example', ['*.salesforce.com']));
  });

  test('exact names and IP literals match exactly, case and a trailing dot aside', () => {
    assert.ok(hostAllowed('ACME.Zendesk.com.', ['*.zendesk.com']));
    assert.ok(hostAllowed('127.0.0.1', ['127.0.0.1']));
    assert.ok(hostAllowed('[::1]', ['::1']));
    assert.ok(!hostAllowed('127.0.0.2', ['127.0.0.1']));
    assert.ok(!hostAllowed('localhost', ['127.0.0.1']));
  });

  test('the default S3 patterns admit S3 endpoints and buckets, not every amazonaws.com name', () => {
    for (const host of ['s3.amazonaws.com', 'bucket.s3.amazonaws.com', 's3.eu-west-1.amazonaws.com', 'my.bucket.s3.us-east-1.amazonaws.com', 's3.dualstack.us-east-1.amazonaws.com']) {
      assert.ok(hostAllowed(host, DEFAULT_ALLOW_HOSTS), host);
    }
    for (const host of ['abc.execute-api.us-east-1.amazonaws.com', 'ec2-1-2-3-4.compute-1.amazonaws.com', 'sts.amazonaws.com', 'amazonaws.com']) {
      assert.ok(!hostAllowed(host, DEFAULT_ALLOW_HOSTS), host);
    }
  });
});

describe('privateAddressReason', () => {
  test('loopback, private, link-local, CGNAT, unspecified and reserved IPv4 are named', () => {
    for (const [address, kind] of [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.1.2.3', 'RFC 1918'],
      ['172.16.0.1', 'RFC 1918'],
      ['172.31.255.255', 'RFC 1918'],
      ['192.168.1.1', 'RFC 1918'],
      ['169.254.169.254', 'link-local'],
      ['100.64.0.1', 'CGNAT'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
    ]) {
      assert.match(privateAddressReason(address) ?? 'public', new RegExp(kind), address);
    }
  });

  test('public IPv4 is public, including the neighbours of private ranges', () => {
    for (const address of ['8.8.8.8', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '11.0.0.1', '192.169.0.1']) {
      assert.equal(privateAddressReason(address), undefined, address);
    }
  });

  test('IPv6 loopback, unspecified, ULA, link-local and multicast are named; IPv4 inside IPv6 is judged as IPv4', () => {
    for (const [address, kind] of [
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['::', 'unspecified'],
      ['fd00::1', 'unique local'],
      ['fc12:3456::1', 'unique local'],
      ['fe80::1%eth0', 'link-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:10.0.0.1', 'RFC 1918'],
      ['64:ff9b::a9fe:a9fe', 'link-local'],
      ['2002:c0a8:0101::1', 'RFC 1918'],
    ]) {
      assert.match(privateAddressReason(address) ?? 'public', new RegExp(kind), address);
    }
    assert.equal(privateAddressReason('2606:4700:4700::1111'), undefined);
    assert.equal(privateAddressReason('::ffff:8.8.8.8'), undefined);
  });
});

describe('urlProblem', () => {
  const loopbackByName: ConnectorPolicy = { ...DEFAULT_CONNECTOR_POLICY, allowHosts: ['127.0.0.1', '::1', '::ffff:7f00:1'] };

  test('decimal, octal and hexadecimal IPv4 forms are the address they spell', () => {
    for (const url of ['http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f000001/', 'http://127.1/']) {
      assert.match(urlProblem(url, loopbackByName) ?? 'allowed', /loopback address/, url);
    }
  });

  test('IPv6 literals, IPv4-mapped ones included, are refused as loopback', () => {
    assert.match(urlProblem('http://[::1]:8080/', loopbackByName) ?? 'allowed', /loopback/);
    assert.match(urlProblem('http://[::ffff:127.0.0.1]/', loopbackByName) ?? 'allowed', /loopback/);
  });

  test('a host outside allowHosts is refused by name; other schemes are refused', () => {
    assert.match(urlProblem('https://evil.example/', DEFAULT_CONNECTOR_POLICY) ?? '', /the host 'evil.example' is not among the hosts/);
    assert.match(urlProblem('file:///etc/passwd', DEFAULT_CONNECTOR_POLICY) ?? '', /scheme 'file:'/);
    assert.equal(urlProblem('https://acme.my.salesforce.com/services', DEFAULT_CONNECTOR_POLICY), undefined);
  });

  test('a host or a variable name of any length is quoted abridged in the problem', () => {
    const host = `${'h'.repeat(5_000)}.example`;
    const hostProblem = urlProblem(`https://${host}/`, DEFAULT_CONNECTOR_POLICY) ?? '';
    assert.match(hostProblem, /^the host 'h{64}\.\.\.' is not among the hosts/);
    const [envProblem] = policyProblems('zendesk', { apiTokenEnv: 'A'.repeat(5_000) }, DEFAULT_CONNECTOR_POLICY);
    assert.match(envProblem, /^apiTokenEnv names 'A{64}\.\.\.', which does not start with PROFILEFLOW_SECRET_/);
    assert.ok(hostProblem.length < 200 && envProblem.length < 200);
  });

  test('allowPrivateAddresses lets an allowed loopback host through', () => {
    assert.equal(urlProblem('http://127.0.0.1:9000/', { ...loopbackByName, allowPrivateAddresses: true }), undefined);
  });
});

describe('roots and settings', () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'pf-policy-unit-')));
  after(() => rmSync(base, { recursive: true, force: true }));
  const data = join(base, 'data');
  mkdirSync(join(data, 'crm'), { recursive: true });
  mkdirSync(join(base, 'data-other'), { recursive: true });
  symlinkSync(join(base, 'data-other'), join(data, 'link-out'));

  test('containment is by whole path segments', () => {
    const policy = { ...DEFAULT_CONNECTOR_POLICY, fileRoots: [data] };
    assert.equal(rootHolding(data, policy), data);
    assert.equal(rootHolding(join(data, 'crm'), policy), data);
    assert.equal(rootHolding(join(base, 'data-other'), policy), undefined);
    assert.equal(rootHolding(base, policy), undefined);
  });

  test('a directory is judged by its real path, so a link out of the root is outside', () => {
    const policy = { ...DEFAULT_CONNECTOR_POLICY, fileRoots: [data] };
    assert.deepEqual(policyProblems('files', { directory: join(data, 'crm') }, policy), []);
    assert.match(policyProblems('files', { directory: join(data, 'link-out') }, policy).join(' '), /outside every folder/);
    assert.match(policyProblems('files', { directory: join(data, 'crm', '..', '..') }, policy).join(' '), /outside every folder/);
  });

  test('loading: roots are realpath\'d, unknown members and missing roots are named', () => {
    const loaded = loadConnectorPolicy({ fileRoots: [join(data, 'link-out')], allowPrivateAddresses: true });
    assert.deepEqual(loaded.policy?.fileRoots, [join(base, 'data-other')]);
    assert.equal(loaded.policy?.allowPrivateAddresses, true);
    assert.deepEqual(loaded.policy?.allowHosts, [...DEFAULT_ALLOW_HOSTS]);
    assert.match(loadConnectorPolicy({ fileRoot: [data] }).problems.join(' '), /Unknown member 'fileRoot' in connectorPolicy/);
    assert.match(loadConnectorPolicy({ fileRoots: [join(base, 'nope')] }).problems.join(' '), /The file root '.*nope' does not exist/);
    assert.match(loadConnectorPolicy({ secretEnvPrefix: '' }).problems.join(' '), /secretEnvPrefix must be a non-empty prefix/);
    assert.match(loadConnectorPolicy({ allowPrivateAddresses: 'yes' }).problems.join(' '), /allowPrivateAddresses must be true or false/);
  });

  test('loading: what the problems quote is abridged, with control characters escaped', () => {
    const long = `x\u001b[2J${'y'.repeat(100_000)}`;
    const problems = loadConnectorPolicy({ [long]: 1, fileRoots: [join(base, long)], allowHosts: [long] }).problems;
    assert.equal(problems.length, 3);
    for (const problem of problems) {
      assert.ok(problem.length < 700, `${problem.length} characters: ${problem.slice(0, 200)}`);
      assert.ok(!problem.includes('\u001b'), problem.slice(0, 200));
      // Host patterns are compared lower-cased, and quoted so.
      assert.ok(problem.toLowerCase().includes('x\\u001b[2jyyy'), problem.slice(0, 200));
    }
    // A path or host pattern as long as a real one is shown whole.
    const deep = join(base, 'a'.repeat(200), 'nope');
    assert.ok(loadConnectorPolicy({ fileRoots: [deep] }).problems[0]?.includes(`'${deep}'`));
  });
});
