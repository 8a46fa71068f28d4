import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awsRoute, scopeServiceOf } from '../../src/server/request-context.js';

const tagsPath = (arn: string) => `/tags/${encodeURIComponent(arn)}`;
const flowArn = 'arn:aws:appflow:us-east-1:000000000000:flow/f';
const domainArn = 'arn:aws:profile:us-east-1:000000000000:domains/d';

describe('routing between Customer Profiles and AppFlow', () => {
  test('the same path goes where the credential scope says', () => {
    for (const [service, arn] of [['profile', flowArn], ['appflow', domainArn]] as const) {
      const route = awsRoute('GET', tagsPath(arn), service);
      assert.equal(route.kind, 'aws');
      assert.equal(route.kind === 'aws' && route.service, service);
      assert.equal(route.kind === 'aws' && route.operation, 'ListTagsForResource');
    }
  });

  test('a scope naming another service is an InvalidSignatureException naming it', () => {
    const route = awsRoute('POST', '/create-flow', 's3');
    assert.equal(route.kind, 'aws-unmatched');
    assert.equal(route.kind === 'aws-unmatched' && route.error.code, 'InvalidSignatureException');
    assert.match(route.kind === 'aws-unmatched' ? route.error.message : '', /not 's3'/);
  });

  test('unsigned: AppFlow-only paths and appflow ARNs under /tags/ are AppFlow, the rest Customer Profiles', () => {
    const cases: [string, string, string, string][] = [
      ['POST', '/create-flow', 'appflow', 'CreateFlow'],
      ['POST', tagsPath(flowArn), 'appflow', 'TagResource'],
      ['POST', tagsPath(domainArn), 'profile', 'TagResource'],
      ['GET', '/domains', 'profile', 'ListDomains'],
    ];
    for (const [method, path, service, operation] of cases) {
      const route = awsRoute(method, path, undefined);
      assert.deepEqual(route.kind === 'aws' ? [route.service, route.operation] : route, [service, operation], `${method} ${path}`);
    }
    const unknown = awsRoute('GET', '/nowhere', undefined);
    assert.equal(unknown.kind === 'aws-unmatched' && unknown.error.code, 'UnknownOperationException');
  });

  test('the scope service is read from the Authorization header or a presigned query', () => {
    assert.equal(scopeServiceOf('AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/appflow/aws4_request, SignedHeaders=host, Signature=x', '/'), 'appflow');
    assert.equal(scopeServiceOf(undefined, '/x?X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fprofile%2Faws4_request'), 'profile');
    assert.equal(scopeServiceOf(undefined, '/x'), undefined);
  });
});
