import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distinctKeys } from '../../src/store/dialects/row-writers/queries.js';

test('distinctKeys drops only exact repeats of (key name, value, profile) and keeps the first of each, in order', () => {
  const e = (keyName: string, keyValue: string, profileId: string) => ({ keyName, keyValue, profileId });
  const keys = [
    e('_email', 'a@x', 'p1'),
    e('_email', 'a@x', 'p2'), // another profile
    e('_phone', 'a@x', 'p1'), // another key name
    e('_email', 'b@x', 'p1'), // another value
    e('_email', 'a@x', 'p1'), // a repeat
    e('_email', 'a@x\u0000p1', ''), // what one string of the three joined would confuse
    e('_email', 'a@x', 'p2'), // a repeat
    e('_email', 'a@x\u0000p1', ''),
  ];
  assert.deepEqual(distinctKeys(keys), [keys[0], keys[1], keys[2], keys[3], keys[5]]);
  assert.deepEqual(distinctKeys([]), []);
});
