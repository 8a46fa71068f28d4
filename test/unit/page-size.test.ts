import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTasks } from '../../src/domain/flow-tasks.js';
import { pageSizeFor } from '../../src/engine/page-loop.js';
import type { ObjectTypeRecord } from '../../src/store/types.js';

/** An object type of `fields` fields and `keys` SECONDARY keys, one field each. */
function objectType(fields: number, keys: number): ObjectTypeRecord {
  const type: ObjectTypeRecord = { objectTypeName: 'T', description: 'd', fields: {}, keys: {}, createdAt: 0, updatedAt: 0 };
  for (let i = 0; i < fields; i++) type.fields![`f${i}`] = { Source: `_source.f${i}`, Target: `_profile.Attributes.f${i}`, ContentType: 'STRING' };
  for (let i = 0; i < keys; i++) type.keys![`k${i}`] = [{ StandardIdentifiers: ['SECONDARY'], FieldNames: [`f${i}`] }];
  return type;
}

function tasks(maps: number) {
  const compiled = compileTasks(Array.from({ length: maps }, (_, i) => ({ TaskType: 'Map' as const, SourceFields: [`f${i}`], ConnectorOperator: { Salesforce: 'NO_OP' as const }, DestinationField: `f${i}` })));
  assert.ok(compiled.ok);
  return compiled.transform;
}

test('an ordinary object type and flow read pages of the configured size', () => {
  // Salesforce-Account's template: 32 fields, 2 keys, a Map task for each field.
  assert.equal(pageSizeFor(2000, objectType(32, 2), tasks(32)), 2000);
  assert.equal(pageSizeFor(10_000, objectType(8, 3), tasks(0)), 10_000);
  assert.equal(pageSizeFor(2000, objectType(96, 8), tasks(32)), 2000, 'a cost of 256, the most at full size');
});

test('records that cost more read smaller pages in proportion: fields, keys (sixteen times a field) and tasks together, never below one record', () => {
  assert.equal(pageSizeFor(2000, objectType(200, 16), tasks(56)), 1000, 'a cost of 512: half the page');
  assert.equal(pageSizeFor(2000, objectType(5000, 5000), tasks(0)), 6, 'a type of 5,000 keys: 30,000 key entries a page, not ten million');
  assert.equal(pageSizeFor(2000, objectType(1, 0), tasks(40_000)), 12);
  assert.equal(pageSizeFor(1, objectType(5000, 5000), tasks(0)), 1);
});
