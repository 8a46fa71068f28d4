import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Task } from '../../src/api/shapes.generated.js';
import { CsvTable } from '../../src/connectors/shared/csv.js';
import { compileTasks } from '../../src/domain/flow-tasks.js';
import { compileObjectType, mapRecord, type ObjectTypeDefinition } from '../../src/domain/object-type-mapping/index.js';
import { getOwn, setOwn } from '../../src/domain/own-properties.js';
import { readShape, Violations } from '../../src/protocol/validate.js';
import { checkFaultRules } from '../../src/server/faults.js';

/** Own members, whatever their names (a literal `{ __proto__: … }` would set the prototype). */
const own = (entries: [string, unknown][]): Record<string, unknown> => JSON.parse(JSON.stringify(Object.fromEntries(entries)));

describe('setOwn and getOwn', () => {
  test('__proto__ is written as an own member and the prototype stays Object.prototype', () => {
    const o: Record<string, unknown> = {};
    setOwn(o, '__proto__', 'x');
    setOwn(o, 'a', 1);
    assert.deepEqual(Object.keys(o), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.equal(JSON.stringify(o), '{"__proto__":"x","a":1}');
  });

  test('inherited members are not read', () => {
    assert.equal(getOwn({}, 'toString'), undefined);
    assert.equal(getOwn({}, '__proto__'), undefined);
    assert.equal(getOwn(own([['constructor', 'c']]), 'constructor'), 'c');
    assert.equal(getOwn(['a'], 0), 'a');
  });
});

describe('names of Object.prototype members in caller data', () => {
  test('a map member of the request keeps a __proto__ key (tags)', () => {
    const violations = new Violations();
    const out = readShape('TagMap', own([['__proto__', 'p'], ['constructor', 'c']]), 'tags', violations) as Record<string, unknown>;
    assert.equal(violations.size, 0);
    assert.deepEqual(Object.entries(out), [['__proto__', 'p'], ['constructor', 'c']]);
  });

  test('AppFlow Map tasks move fields of such names and never read inherited ones', () => {
    const map = (from: string, to: string): Task => ({ TaskType: 'Map', SourceFields: [from], ConnectorOperator: { Salesforce: 'NO_OP' }, DestinationField: to });
    const compiled = compileTasks([map('__proto__', 'Id'), map('toString', 'Name'), map('constructor', '__proto__')], { connectorType: 'Salesforce' });
    assert.ok(compiled.ok);
    const outcome = compiled.transform.apply(own([['__proto__', 'id-1'], ['constructor', 'c']]));
    assert.ok('record' in outcome);
    assert.deepEqual(Object.entries(outcome.record), [['Id', 'id-1'], ['__proto__', 'c']]);
    assert.equal(Object.getPrototypeOf(outcome.record), Object.prototype);
  });

  test('a CSV column named __proto__ is a column', () => {
    const table = new CsvTable();
    table.feed('__proto__,constructor', '\n', 1);
    const record = table.feed('a,b', '\n', 2) as Record<string, unknown>;
    assert.deepEqual(Object.entries(record), [['__proto__', 'a'], ['constructor', 'b']]);
  });

  test('object-type keys named __proto__ and constructor are mapped, and key values keep them', () => {
    const compiled = compileObjectType({
      objectTypeName: 'T',
      fields: own([['__proto__', { Source: '_source.__proto__' }], ['constructor', { Source: '_source.constructor' }]]) as ObjectTypeDefinition['fields'],
      keys: own([
        ['__proto__', [{ FieldNames: ['__proto__'], StandardIdentifiers: ['UNIQUE'] }]],
        ['constructor', [{ FieldNames: ['constructor'], StandardIdentifiers: ['PROFILE'] }]],
      ]) as ObjectTypeDefinition['keys'],
    });
    assert.ok(compiled.ok, compiled.ok ? '' : compiled.problems.join(' '));
    const mapped = mapRecord(compiled.type, own([['__proto__', 'u1'], ['constructor', 'k1']]));
    assert.ok(mapped.ok);
    assert.equal(mapped.mapped.uniqueKey, 'u1');
    assert.deepEqual(Object.entries(mapped.mapped.keyValues), [['__proto__', 'u1'], ['constructor', 'k1']]);
    // A record without them reads nothing from Object.prototype: no UNIQUE value, so it is rejected.
    assert.equal(mapRecord(compiled.type, {}).ok, false);
  });

  test('a VALIDATION_ACTION or a fault error named after an Object.prototype member is refused, not taken for a known one', () => {
    for (const action of ['constructor', 'toString', '__proto__']) {
      const compiled = compileTasks(
        [{ TaskType: 'Validate', SourceFields: ['a'], ConnectorOperator: { Salesforce: 'VALIDATE_NON_NULL' }, TaskProperties: { VALIDATION_ACTION: action } }],
        { connectorType: 'Salesforce' },
      );
      assert.ok(!compiled.ok && compiled.problems.some((p) => p.includes('VALIDATION_ACTION must be DropRecord or TerminateFlow')), action);
      assert.throws(() => checkFaultRules([{ operation: '*', error: action }]), /is not one of/, action);
    }
  });
});
