import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProfilesByKey } from '../../src/domain/profiles-by-key.js';

test('ProfilesByKey: each (key name, value, profile) once; names and values never run into each other', () => {
  const index = new ProfilesByKey();
  assert.equal(index.add('_email', 'a@x', 'p1'), true);
  assert.equal(index.add('_email', 'a@x', 'p2'), true);
  assert.equal(index.add('_email', 'a@x', 'p1'), false, 'a repeat is not added');
  assert.equal(index.add('_phone', 'a@x', 'p1'), true, 'the same value under another name is another key');
  assert.equal(index.add('_email\u0000a', 'x', 'p3'), true);
  assert.deepEqual(index.get('_email', 'a@x'), ['p1', 'p2']);
  assert.deepEqual(index.get('_phone', 'a@x'), ['p1']);
  assert.deepEqual(index.get('_email\u0000a', 'x'), ['p3']);
  assert.equal(index.get('_email', 'b@x'), undefined);
  assert.equal(index.get('_account', 'a@x'), undefined);
  assert.deepEqual([...index.profileIds()].sort(), ['p1', 'p1', 'p2', 'p3']);
});

test('ProfilesByKey.forget drops the profiles gone, and a key that then leads nowhere', () => {
  const index = new ProfilesByKey();
  index.add('_email', 'a@x', 'p1');
  index.add('_email', 'a@x', 'p2');
  index.add('_phone', '1', 'p2');
  index.forget(new Set(['p2']));
  assert.deepEqual(index.get('_email', 'a@x'), ['p1']);
  assert.equal(index.get('_phone', '1'), undefined);
  assert.deepEqual([...index.profileIds()], ['p1']);
  assert.equal(index.add('_phone', '1', 'p2'), true, 'a forgotten entry can be added again');
});
