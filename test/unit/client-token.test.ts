import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestFingerprint } from '../../src/domain/client-token.js';

// What "the same request" means for an AppFlow clientToken: the validated input, the token left out.

const flow = {
  flowName: 'tickets',
  clientToken: 'token-1',
  triggerConfig: { triggerType: 'Scheduled', triggerProperties: { Scheduled: { scheduleExpression: 'rate(1hours)', scheduleStartTime: new Date(1_800_000_000_000) } } },
  tasks: [
    { taskType: 'Map', sourceFields: ['a'], destinationField: 'a' },
    { taskType: 'Map', sourceFields: ['b'], destinationField: 'b' },
  ],
  tags: { team: 'crm', env: 'prod' },
};

describe('clientToken request fingerprints', () => {
  test('the token is not part of the request: the same members under another token have the same fingerprint', () => {
    assert.equal(requestFingerprint(flow), requestFingerprint({ ...flow, clientToken: 'token-2' }));
    assert.equal(requestFingerprint(flow), requestFingerprint({ ...flow, clientToken: undefined }));
  });

  test('the order of an object\'s members does not matter, nor an absent member given as null', () => {
    const reordered = { tags: { env: 'prod', team: 'crm' }, tasks: flow.tasks, triggerConfig: flow.triggerConfig, flowName: 'tickets', description: null };
    assert.equal(requestFingerprint(reordered), requestFingerprint(flow));
  });

  test('any member that differs changes it: a value, a timestamp, the order of a list, a member given', () => {
    const fingerprint = requestFingerprint(flow);
    const variants = [
      { ...flow, flowName: 'tickets-2' },
      { ...flow, tags: { team: 'crm', env: 'dev' } },
      { ...flow, tasks: [...flow.tasks].reverse() },
      { ...flow, description: 'now with a description' },
      {
        ...flow,
        triggerConfig: { ...flow.triggerConfig, triggerProperties: { Scheduled: { ...flow.triggerConfig.triggerProperties.Scheduled, scheduleStartTime: new Date(1_800_000_000_001) } } },
      },
    ];
    for (const variant of variants) assert.notEqual(requestFingerprint(variant), fingerprint, JSON.stringify(variant));
  });

  test('a text member and a number of the same digits are different requests', () => {
    assert.notEqual(requestFingerprint({ maxResults: 1 }), requestFingerprint({ maxResults: '1' }));
  });
});
