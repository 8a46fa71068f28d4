// The copies ingestion makes of an object or profile to add the history record its row holds are written
// field by field (for speed); these fail when a field is added to the record and not to its copy. The
// fixtures are `Required<…>`, so a new field fails the type check until it is given a value here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { objectHoldingRecord, profileHoldingRecord, type ProfileObjectRecord, type ProfileRecord } from '../../src/store/profile-types.js';

const record = { recordId: 'r1', performedBy: 'workflow/w1' };

test('objectHoldingRecord copies every field of the object and adds the INGESTED record', () => {
  const object: Required<ProfileObjectRecord> = {
    objectTypeName: 'Contact',
    uniqueKey: 'u1',
    profileId: 'p1',
    object: '{"Id":"1"}',
    keyValues: { Id: '1' },
    sourceUpdatedAt: 5,
    sizeBytes: 10,
    createdAt: 1,
    updatedAt: 2,
    ingestedRecord: { recordId: 'old', performedBy: 'old' },
  };
  assert.deepEqual(objectHoldingRecord(object, record), { ...object, ingestedRecord: record });
  assert.deepEqual(object.ingestedRecord, { recordId: 'old', performedBy: 'old' }, 'the original is left as it was');
});

test('profileHoldingRecord copies every field of the profile and adds the CREATED record', () => {
  const profile: Required<ProfileRecord> = {
    profileId: 'p1',
    attributes: { FirstName: 'Ana' },
    attributeSources: { FirstName: { objectTypeName: 'Contact', sourcePriority: 1 } },
    inferred: false,
    createdAt: 1,
    updatedAt: 2,
    createdRecord: { recordId: 'old', performedBy: 'old' },
  };
  assert.deepEqual(profileHoldingRecord(profile, record), { ...profile, createdRecord: record });
  assert.deepEqual(profile.createdRecord, { recordId: 'old', performedBy: 'old' }, 'the original is left as it was');
});
