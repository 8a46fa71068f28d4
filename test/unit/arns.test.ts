import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { domainArn, integrationArn, objectTypeArn, parseResourceArn } from '../../src/domain/arns.js';

const scope = { accountId: '123456789012', region: 'eu-west-1' };

describe('ARNs', () => {
  test('are built in the profile namespace of the caller account and region', () => {
    assert.equal(domainArn(scope, 'dom'), 'arn:aws:profile:eu-west-1:123456789012:domains/dom');
    assert.equal(objectTypeArn(scope, 'dom', 'Orders'), 'arn:aws:profile:eu-west-1:123456789012:domains/dom/object-types/Orders');
    assert.equal(
      integrationArn(scope, 'dom', 'arn:aws:flow:eu-west-1:123456789012:flow/f'),
      'arn:aws:profile:eu-west-1:123456789012:domains/dom/integrations/arn:aws:flow:eu-west-1:123456789012:flow/f',
    );
  });

  test('a domain ARN parses back to its partition, region, account and name', () => {
    assert.deepEqual(parseResourceArn(domainArn(scope, 'my_dom-1')), {
      ok: true,
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      resource: { kind: 'domain', domainName: 'my_dom-1' },
    });
  });

  test('object-type and integration ARNs parse back, an integration Uri keeping its / and :', () => {
    assert.deepEqual(parseResourceArn(objectTypeArn(scope, 'dom', 'Orders')), {
      ok: true,
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      resource: { kind: 'object-type', domainName: 'dom', objectTypeName: 'Orders' },
    });
    const uri = 'arn:aws:flow:eu-west-1:123456789012:flow/my-flow';
    const parsed = parseResourceArn(integrationArn(scope, 'dom', uri));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.resource, { kind: 'integration', domainName: 'dom', uri });
  });

  test('other partitions are read as they are', () => {
    const parsed = parseResourceArn('arn:aws-cn:profile:cn-north-1:123456789012:domains/d');
    assert.ok(parsed.ok);
    assert.equal(parsed.partition, 'aws-cn');
    assert.equal(parsed.region, 'cn-north-1');
  });

  test('what is not a taggable Customer Profiles resource is refused with a reason', () => {
    for (const bad of [
      'arn:aws:s3:::bucket/key',
      'arn:aws:profile:us-east-1:123456789012',
      'not-an-arn',
      'arn:aws:profile:us-east-1:123456789012:domains/',
      'arn:aws:profile:us-east-1:123456789012:domains/d/object-types/',
      'arn:aws:profile:us-east-1:123456789012:domains/d/workflows/0123456789abcdef0123456789abcdef',
      'arn:aws:profile:us-east-1:123456789012:segment-definitions/s',
      'xarn:aws:profile:us-east-1:123456789012:domains/d',
    ]) {
      const parsed = parseResourceArn(bad);
      assert.equal(parsed.ok, false, bad);
      assert.ok(!parsed.ok && parsed.reason.length > 0);
    }
  });
});
