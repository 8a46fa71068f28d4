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

const SECRET = Buffer.from('the store secret');
const fingerprint = (input: object) => requestFingerprint(input, SECRET);

describe('clientToken request fingerprints', () => {
  test('the token is not part of the request: the same members under another token have the same fingerprint', () => {
    assert.equal(fingerprint(flow), fingerprint({ ...flow, clientToken: 'token-2' }));
    assert.equal(fingerprint(flow), fingerprint({ ...flow, clientToken: undefined }));
  });

  test('the order of an object\'s members does not matter, nor an absent member given as null', () => {
    const reordered = { tags: { env: 'prod', team: 'crm' }, tasks: flow.tasks, triggerConfig: flow.triggerConfig, flowName: 'tickets', description: null };
    assert.equal(fingerprint(reordered), fingerprint(flow));
  });

  test('any member that differs changes it: a value, a timestamp, the order of a list, a member given', () => {
    const original = fingerprint(flow);
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
    for (const variant of variants) assert.notEqual(fingerprint(variant), original, JSON.stringify(variant));
  });

  test('a text member and a number of the same digits are different requests', () => {
    assert.notEqual(fingerprint({ maxResults: 1 }), fingerprint({ maxResults: '1' }));
  });

  test('a member named __proto__ (a valid tag key) is a member like any other: a changed value is another request', () => {
    const tagged = (value: string) => JSON.parse(`{"flowName":"f","tags":{"__proto__":"${value}"}}`) as object;
    assert.notEqual(fingerprint(tagged('first')), fingerprint(tagged('SECOND')));
    assert.notEqual(fingerprint(tagged('first')), fingerprint({ flowName: 'f', tags: {} }));
  });

  test('keyed with the store secret: without it, a guess of the credentials in a request cannot be checked against a fingerprint', () => {
    const profile = { connectorProfileName: 'p', connectorProfileConfig: { connectorProfileCredentials: { Servicenow: { username: 'u', password: 'hunter2' } } } };
    assert.notEqual(requestFingerprint(profile, SECRET), requestFingerprint(profile, Buffer.from('another secret')));
  });
});
