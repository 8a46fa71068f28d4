import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Task } from '../../src/api/shapes.generated.js';
import { compileTasks, type CompiledTasks, type TaskOutcome, type TaskRecord } from '../../src/domain/flow-tasks.js';

const SF = (op: string) => ({ Salesforce: op }) as Task['ConnectorOperator'];

function task(TaskType: Task['TaskType'], SourceFields: string[], op?: string, props?: Record<string, string>, DestinationField?: string): Task {
  return {
    TaskType,
    SourceFields,
    ...(op ? { ConnectorOperator: SF(op) } : {}),
    ...(props ? { TaskProperties: props } : {}),
    ...(DestinationField !== undefined ? { DestinationField } : {}),
  };
}

function compile(...tasks: Task[]): CompiledTasks {
  const result = compileTasks(tasks, { connectorType: 'Salesforce' });
  assert.ok(result.ok, `expected the tasks to compile: ${result.ok ? '' : result.problems.join(' | ')}`);
  return result.transform;
}

function problemsOf(...tasks: Task[]): string[] {
  const result = compileTasks(tasks, { connectorType: 'Salesforce' });
  assert.ok(!result.ok, 'expected the tasks to be rejected');
  return result.problems;
}

function recordOf(outcome: TaskOutcome): TaskRecord {
  assert.ok('record' in outcome, `expected a record, got ${JSON.stringify(outcome)}`);
  return outcome.record;
}

function passes(t: CompiledTasks, record: TaskRecord): boolean {
  const outcome = t.apply(record);
  if ('record' in outcome) return true;
  assert.ok('dropped' in outcome, `expected a pass or a drop, got ${JSON.stringify(outcome)}`);
  return false;
}

/** A Filter on Amount with the given operator and properties. */
const filter = (op: string, props: Record<string, string>, field = 'Amount') => compile(task('Filter', [field], op, props));

describe('flow tasks: Map', () => {
  test('without a PROJECTION every source field travels (the model has no Map_all)', () => {
    const t = compile(task('Map', ['Id'], 'NO_OP', undefined, 'Id'));
    assert.deepEqual(recordOf(t.apply({ Id: 'a', Email: 'x@y' })), { Id: 'a', Email: 'x@y' });
  });

  test('a Map with another DestinationField renames: the source name no longer travels', () => {
    const t = compile(task('Map', ['Email'], 'NO_OP', undefined, 'EmailAddress'));
    assert.deepEqual(recordOf(t.apply({ Id: 'a', Email: 'x@y' })), { Id: 'a', EmailAddress: 'x@y' });
  });

  test('a Map without ConnectorOperator is NO_OP, and without DestinationField keeps the name', () => {
    const t = compile({ TaskType: 'Map', SourceFields: ['Id'] });
    assert.deepEqual(recordOf(t.apply({ Id: 'a', Name: 'n' })), { Id: 'a', Name: 'n' });
  });

  test('two Maps of one field: a rename and a keep both travel', () => {
    const t = compile(task('Map', ['Email'], 'NO_OP', undefined, 'Email'), task('Map', ['Email'], 'NO_OP', undefined, 'Contact'));
    assert.deepEqual(recordOf(t.apply({ Email: 'x@y' })), { Email: 'x@y', Contact: 'x@y' });
  });

  test('a Map of a field the record lacks writes nothing', () => {
    const t = compile(task('Map', ['Missing'], 'NO_OP', undefined, 'Renamed'));
    assert.deepEqual(recordOf(t.apply({ Id: 'a' })), { Id: 'a' });
  });

  test('the source record is never changed', () => {
    const source = { Id: 'a', Email: 'x@y', Phone: '+15550100' };
    const t = compile(
      task('Map', ['Email'], 'NO_OP', undefined, 'EmailAddress'),
      task('Mask', ['Phone'], 'MASK_ALL', { MASK_VALUE: '*' }),
    );
    t.apply(source);
    assert.deepEqual(source, { Id: 'a', Email: 'x@y', Phone: '+15550100' });
  });
});

describe('flow tasks: Filter PROJECTION', () => {
  test('only projected fields travel ("transfers only the records that meet the filter criteria" selects fields too)', () => {
    const t = compile(task('Filter', ['Id', 'Email'], 'PROJECTION'));
    assert.deepEqual(recordOf(t.apply({ Id: 'a', Email: 'x@y', Phone: '1', City: 'Oslo' })), { Id: 'a', Email: 'x@y' });
  });

  test('projection plus Map: projected fields, renamed by their Maps, and mapped fields travel', () => {
    const t = compile(
      task('Filter', ['Id', 'Email', 'City'], 'PROJECTION'),
      task('Map', ['Id'], 'NO_OP', undefined, 'Id'),
      task('Map', ['Email'], 'NO_OP', undefined, 'EmailAddress'),
      task('Map', ['Phone'], 'NO_OP', undefined, 'PhoneNumber'),
    );
    assert.deepEqual(recordOf(t.apply({ Id: 'a', Email: 'x@y', Phone: '1', City: 'Oslo', Country: 'NO' })), {
      Id: 'a',
      City: 'Oslo',
      EmailAddress: 'x@y',
      PhoneNumber: '1',
    });
  });

  test('a projected field the record lacks is left out, not written as null', () => {
    const t = compile(task('Filter', ['Id', 'Email'], 'PROJECTION'));
    assert.deepEqual(recordOf(t.apply({ Id: 'a' })), { Id: 'a' });
  });

  test('fields produced by Merge and Arithmetic travel under a projection', () => {
    const t = compile(
      task('Filter', ['Id'], 'PROJECTION'),
      task('Merge', ['First', 'Last'], 'NO_OP', { CONCAT_FORMAT: ' ' }, 'FullName'),
      task('Arithmetic', ['A', 'B'], 'ADDITION', undefined, 'Total'),
    );
    assert.deepEqual(recordOf(t.apply({ Id: 'a', First: 'Ada', Last: 'Lovelace', A: 1, B: 2 })), { Id: 'a', FullName: 'Ada Lovelace', Total: 3 });
  });
});

describe('flow tasks: Filter comparisons', () => {
  test('GREATER_THAN with a numeric DATA_TYPE compares numbers, numeric text included', () => {
    const t = filter('GREATER_THAN', { DATA_TYPE: 'double', VALUE: '100' });
    assert.equal(passes(t, { Amount: 150 }), true);
    assert.equal(passes(t, { Amount: '150.5' }), true);
    assert.equal(passes(t, { Amount: 100 }), false);
    assert.equal(passes(t, { Amount: 99 }), false);
  });

  test('LESS_THAN, LESS_THAN_OR_EQUAL_TO and GREATER_THAN_OR_EQUAL_TO respect the boundary', () => {
    assert.deepEqual([99, 100, 101].map((a) => passes(filter('LESS_THAN', { DATA_TYPE: 'integer', VALUE: '100' }), { Amount: a })), [true, false, false]);
    assert.deepEqual([99, 100, 101].map((a) => passes(filter('LESS_THAN_OR_EQUAL_TO', { DATA_TYPE: 'integer', VALUE: '100' }), { Amount: a })), [true, true, false]);
    assert.deepEqual([99, 100, 101].map((a) => passes(filter('GREATER_THAN_OR_EQUAL_TO', { DATA_TYPE: 'integer', VALUE: '100' }), { Amount: a })), [false, true, true]);
  });

  test('without DATA_TYPE, numbers compare as numbers ("9" < "10") and other text as text', () => {
    assert.equal(passes(filter('LESS_THAN', { VALUE: '10' }), { Amount: '9' }), true);
    assert.equal(passes(filter('GREATER_THAN', { VALUE: 'M' }, 'Name'), { Name: 'Zoe' }), true);
    assert.equal(passes(filter('GREATER_THAN', { VALUE: 'M' }, 'Name'), { Name: 'Ada' }), false);
  });

  test('a missing, null or non-numeric value matches no comparison and the record is dropped', () => {
    const t = filter('GREATER_THAN', { DATA_TYPE: 'double', VALUE: '0' });
    assert.equal(passes(t, {}), false);
    assert.equal(passes(t, { Amount: null }), false);
    assert.equal(passes(t, { Amount: 'lots' }), false);
    assert.equal(passes(filter('NOT_EQUAL_TO', { VALUE: 'x' }, 'Name'), { Name: null }), false, 'NOT_EQUAL_TO too');
  });

  test('BETWEEN includes both LOWER_BOUND and UPPER_BOUND', () => {
    const t = filter('BETWEEN', { DATA_TYPE: 'double', LOWER_BOUND: '10', UPPER_BOUND: '20' });
    assert.deepEqual([9.99, 10, 15, 20, 20.01].map((a) => passes(t, { Amount: a })), [false, true, true, true, false]);
  });

  test('BETWEEN with a non-numeric value drops the record', () => {
    const t = filter('BETWEEN', { DATA_TYPE: 'double', LOWER_BOUND: '10', UPPER_BOUND: '20' });
    assert.equal(passes(t, { Amount: 'fifteen' }), false);
    assert.equal(passes(t, { Amount: '' }), false);
  });

  test('BETWEEN on a datetime compares instants: epoch-millisecond bounds (as the AWS CDK writes them) against ISO-8601 values', () => {
    const t = filter('BETWEEN', {
      DATA_TYPE: 'datetime',
      LOWER_BOUND: String(Date.UTC(2025, 0, 1)),
      UPPER_BOUND: '2025-01-31T23:59:59.999Z',
    }, 'LastModifiedDate');
    assert.equal(passes(t, { LastModifiedDate: '2025-01-15T12:00:00.000Z' }), true);
    assert.equal(passes(t, { LastModifiedDate: '2025-01-01T00:00:00.000Z' }), true);
    assert.equal(passes(t, { LastModifiedDate: '2025-02-01T00:00:00.000Z' }), false);
    assert.equal(passes(t, { LastModifiedDate: Date.UTC(2025, 0, 20) }), true, 'an epoch-millisecond value');
    assert.equal(passes(t, { LastModifiedDate: 'yesterday' }), false, 'text that is no date');
  });

  test('EQUAL_TO with VALUES passes a record equal to any of them (comma-separated, a logical OR)', () => {
    const t = filter('EQUAL_TO', { DATA_TYPE: 'string', VALUES: 'US,CA' }, 'Country');
    assert.deepEqual(['US', 'CA', 'FR'].map((c) => passes(t, { Country: c })), [true, true, false]);
  });

  test('EQUAL_TO on numbers: 100 equals "100.0"', () => {
    assert.equal(passes(filter('EQUAL_TO', { DATA_TYPE: 'double', VALUE: '100' }), { Amount: '100.0' }), true);
  });

  test('NOT_EQUAL_TO with VALUES passes a record equal to none of them', () => {
    const t = filter('NOT_EQUAL_TO', { VALUES: 'US,CA' }, 'Country');
    assert.deepEqual(['US', 'CA', 'FR'].map((c) => passes(t, { Country: c })), [false, false, true]);
  });

  test('CONTAINS is a case-sensitive substring test; VALUES pass on any of them', () => {
    const t = filter('CONTAINS', { VALUE: '@example' }, 'Email');
    assert.equal(passes(t, { Email: 'ada@example.com' }), true);
    assert.equal(passes(t, { Email: 'ada@EXAMPLE.com' }), false);
    const any = filter('CONTAINS', { VALUES: 'gmail,yahoo' }, 'Email');
    assert.equal(passes(any, { Email: 'a@yahoo.com' }), true);
    assert.equal(passes(any, { Email: 'a@proton.me' }), false);
  });

  test('boolean DATA_TYPE reads true/false text and booleans alike', () => {
    const t = filter('EQUAL_TO', { DATA_TYPE: 'boolean', VALUE: 'true' }, 'Active');
    assert.equal(passes(t, { Active: true }), true);
    assert.equal(passes(t, { Active: 'TRUE' }), true);
    assert.equal(passes(t, { Active: false }), false);
    assert.equal(passes(t, { Active: 'yes' }), false);
  });

  test('several Filters must all pass, and a drop names the task that dropped it', () => {
    const t = compile(
      task('Filter', ['Amount'], 'GREATER_THAN', { DATA_TYPE: 'double', VALUE: '0' }),
      task('Filter', ['Country'], 'EQUAL_TO', { VALUE: 'US' }),
    );
    assert.equal(passes(t, { Amount: 5, Country: 'US' }), true);
    assert.deepEqual(t.apply({ Amount: 5, Country: 'FR' }), { dropped: 'Filter EQUAL_TO on Country', task: 1 });
    assert.deepEqual(t.apply({ Amount: 0, Country: 'FR' }), { dropped: 'Filter GREATER_THAN on Amount', task: 0 });
  });
});

describe('flow tasks: Merge', () => {
  test('CONCAT_FORMAT as a ${Field} template', () => {
    const t = compile(task('Merge', ['First', 'Last'], 'NO_OP', { CONCAT_FORMAT: '${Last}, ${First}' }, 'Name'));
    assert.equal(recordOf(t.apply({ First: 'Ada', Last: 'Lovelace' })).Name, 'Lovelace, Ada');
  });

  test('CONCAT_FORMAT without placeholders is the separator between the values, in SourceFields order', () => {
    const t = compile(task('Merge', ['City', 'Country'], 'NO_OP', { CONCAT_FORMAT: ' / ' }, 'Place'));
    assert.equal(recordOf(t.apply({ City: 'Oslo', Country: 'NO', Amount: 3 })).Place, 'Oslo / NO');
  });

  test('missing values contribute nothing; numbers are merged as text; all missing leaves the destination unset', () => {
    const t = compile(task('Merge', ['A', 'B', 'C'], 'NO_OP', { CONCAT_FORMAT: '-' }, 'Out'));
    assert.equal(recordOf(t.apply({ A: 'x', B: null, C: 7 })).Out, 'x-7');
    assert.equal('Out' in recordOf(t.apply({ Z: 1 })), false);
  });

  test('without DestinationField the merged field is named after its sources, and a Map carries it on (the AWS CDK pattern)', () => {
    const t = compile(
      task('Filter', ['First', 'Last'], 'PROJECTION'),
      task('Merge', ['First', 'Last'], 'NO_OP', { CONCAT_FORMAT: ' ' }),
      task('Map', ['First,Last'], 'NO_OP', undefined, 'FullName'),
    );
    assert.deepEqual(recordOf(t.apply({ First: 'Ada', Last: 'Lovelace' })), { First: 'Ada', Last: 'Lovelace', FullName: 'Ada Lovelace' });
  });
});

describe('flow tasks: Truncate', () => {
  test('TRUNCATE_LENGTH cuts text to that many characters; shorter text is unchanged', () => {
    const t = compile(task('Truncate', ['City'], 'NO_OP', { TRUNCATE_LENGTH: '3' }));
    assert.equal(recordOf(t.apply({ City: 'Stockholm' })).City, 'Sto');
    assert.equal(recordOf(t.apply({ City: 'Ny' })).City, 'Ny');
  });

  test('truncating a non-string (number, boolean, null) leaves it unchanged', () => {
    const t = compile(task('Truncate', ['V'], 'NO_OP', { TRUNCATE_LENGTH: '2' }));
    assert.equal(recordOf(t.apply({ V: 123456 })).V, 123456);
    assert.equal(recordOf(t.apply({ V: true })).V, true);
    assert.equal(recordOf(t.apply({ V: null })).V, null);
  });

  test('with another DestinationField the truncated value goes there and the source keeps its value', () => {
    const t = compile(task('Truncate', ['City'], 'NO_OP', { TRUNCATE_LENGTH: '3' }, 'CityCode'));
    assert.deepEqual(recordOf(t.apply({ City: 'Stockholm' })), { City: 'Stockholm', CityCode: 'Sto' });
  });
});

describe('flow tasks: Mask', () => {
  test('MASK_ALL replaces every character with MASK_VALUE ("the destination field contains only an asterisk")', () => {
    const t = compile(task('Mask', ['Phone'], 'MASK_ALL', { MASK_VALUE: '*' }));
    assert.equal(recordOf(t.apply({ Phone: '+15550100' })).Phone, '*********');
  });

  test('MASK_ALL with MASK_LENGTH writes that many mask characters, hiding the length too', () => {
    const t = compile(task('Mask', ['Phone'], 'MASK_ALL', { MASK_VALUE: '#', MASK_LENGTH: '5' }));
    assert.equal(recordOf(t.apply({ Phone: '+15550100' })).Phone, '#####');
  });

  test('MASK_FIRST_N masks the first MASK_LENGTH characters', () => {
    const t = compile(task('Mask', ['Card'], 'MASK_FIRST_N', { MASK_VALUE: 'X', MASK_LENGTH: '12' }));
    assert.equal(recordOf(t.apply({ Card: '4111111111111111' })).Card, 'XXXXXXXXXXXX1111');
  });

  test('MASK_LAST_N masks the last MASK_LENGTH characters', () => {
    const t = compile(task('Mask', ['Email'], 'MASK_LAST_N', { MASK_VALUE: '*', MASK_LENGTH: '4' }));
    assert.equal(recordOf(t.apply({ Email: 'ada@example.com' })).Email, 'ada@example****');
  });

  test('a mask longer than the value masks the whole value and no more', () => {
    const first = compile(task('Mask', ['V'], 'MASK_FIRST_N', { MASK_VALUE: '*', MASK_LENGTH: '10' }));
    const last = compile(task('Mask', ['V'], 'MASK_LAST_N', { MASK_VALUE: '*', MASK_LENGTH: '10' }));
    assert.equal(recordOf(first.apply({ V: 'abc' })).V, '***');
    assert.equal(recordOf(last.apply({ V: 'abc' })).V, '***');
  });

  test('masks count characters, not UTF-16 units', () => {
    const t = compile(task('Mask', ['V'], 'MASK_LAST_N', { MASK_VALUE: '*', MASK_LENGTH: '1' }));
    assert.equal(recordOf(t.apply({ V: 'São😀' })).V, 'São*');
  });

  test('numbers are masked as text; null and missing values stay as they are', () => {
    const t = compile(task('Mask', ['V'], 'MASK_FIRST_N', { MASK_VALUE: '*', MASK_LENGTH: '2' }));
    assert.equal(recordOf(t.apply({ V: 12345 })).V, '**345');
    assert.equal(recordOf(t.apply({ V: null })).V, null);
    assert.deepEqual(recordOf(t.apply({ W: 1 })), { W: 1 });
  });

  test('a Map placed before the Mask still carries the masked value (Maps take values after all other tasks)', () => {
    const t = compile(
      task('Map', ['Phone'], 'NO_OP', undefined, 'PhoneNumber'),
      task('Mask', ['Phone'], 'MASK_ALL', { MASK_VALUE: '*' }),
    );
    assert.deepEqual(recordOf(t.apply({ Phone: '123' })), { PhoneNumber: '***' });
  });
});

describe('flow tasks: Arithmetic', () => {
  const arith = (op: string, props?: Record<string, string>) => compile(task('Arithmetic', ['A', 'B'], op, props, 'R'));

  test('ADDITION, SUBTRACTION, MULTIPLICATION and DIVISION of the two SourceFields, numeric text included', () => {
    assert.equal(recordOf(arith('ADDITION').apply({ A: 2, B: '3' })).R, 5);
    assert.equal(recordOf(arith('SUBTRACTION').apply({ A: 2, B: 3 })).R, -1);
    assert.equal(recordOf(arith('MULTIPLICATION').apply({ A: '2.5', B: 4 })).R, 10);
    assert.equal(recordOf(arith('DIVISION').apply({ A: 9, B: 2 })).R, 4.5);
  });

  test('MATH_OPERATION_FIELDS_ORDER sets the order of the operands', () => {
    assert.equal(recordOf(arith('SUBTRACTION', { MATH_OPERATION_FIELDS_ORDER: 'B,A' }).apply({ A: 2, B: 3 })).R, 1);
    assert.equal(recordOf(arith('DIVISION', { MATH_OPERATION_FIELDS_ORDER: 'B, A' }).apply({ A: 2, B: 8 })).R, 4);
  });

  test('division by zero gives null and keeps the record', () => {
    assert.deepEqual(recordOf(arith('DIVISION').apply({ A: 1, B: 0 })), { A: 1, B: 0, R: null });
  });

  test('a non-numeric or missing operand gives null', () => {
    assert.equal(recordOf(arith('ADDITION').apply({ A: 'two', B: 3 })).R, null);
    assert.equal(recordOf(arith('ADDITION').apply({ A: 2 })).R, null);
    assert.equal(recordOf(arith('ADDITION').apply({ A: '', B: 3 })).R, null);
  });

  test('without DestinationField the result is named after the operands (the AWS CDK pattern)', () => {
    const t = compile(task('Arithmetic', ['A', 'B'], 'MULTIPLICATION'));
    assert.equal(recordOf(t.apply({ A: 2, B: 3 }))['A,B'], 6);
  });
});

describe('flow tasks: Validate', () => {
  const validate = (op: string, action = 'DropRecord') => compile(task('Validate', ['V'], op, { VALIDATION_ACTION: action }));

  test('VALIDATE_NON_NULL with DropRecord drops missing, null and empty values', () => {
    const t = validate('VALIDATE_NON_NULL');
    assert.deepEqual([{ V: 'x' }, { V: 0 }, { V: null }, {}, { V: '' }].map((r) => passes(t, r)), [true, true, false, false, false]);
    assert.deepEqual(t.apply({}), { dropped: 'Validate VALIDATE_NON_NULL on V', task: 0 });
  });

  test('VALIDATE_NON_ZERO drops 0 and "0.0"; other values pass', () => {
    const t = validate('VALIDATE_NON_ZERO');
    assert.deepEqual([{ V: 0 }, { V: '0.0' }, { V: 1 }, { V: 'abc' }, { V: null }].map((r) => passes(t, r)), [false, false, true, true, true]);
  });

  test('VALIDATE_NON_NEGATIVE drops negative numbers; zero and non-numbers pass', () => {
    const t = validate('VALIDATE_NON_NEGATIVE');
    assert.deepEqual([{ V: -0.01 }, { V: '-3' }, { V: 0 }, { V: 5 }, { V: 'n/a' }].map((r) => passes(t, r)), [false, false, true, true, true]);
  });

  test('VALIDATE_NUMERIC drops anything that is not a number, null included', () => {
    const t = validate('VALIDATE_NUMERIC');
    assert.deepEqual([{ V: 1.5 }, { V: '42' }, { V: 'x42' }, { V: null }, { V: true }].map((r) => passes(t, r)), [true, true, false, false, false]);
  });

  test('TerminateFlow stops the flow at the failing record, naming the task', () => {
    const t = compile(
      task('Map', ['V'], 'NO_OP'),
      task('Validate', ['V'], 'VALIDATE_NUMERIC', { VALIDATION_ACTION: 'TerminateFlow' }),
    );
    assert.deepEqual(t.apply({ V: 'nope' }), { terminate: 'Validate VALIDATE_NUMERIC on V', task: 1 });
    assert.deepEqual(recordOf(t.apply({ V: 3 })), { V: 3 });
  });

  test('DropDataset (the AWS CDK spelling of terminating) stops the flow too', () => {
    assert.ok('terminate' in validate('VALIDATE_NON_NULL', 'DropDataset').apply({}));
  });

  test('tasks run in order: a later Validate never sees the records an earlier one dropped', () => {
    const t = compile(
      task('Validate', ['V'], 'VALIDATE_NON_NULL', { VALIDATION_ACTION: 'DropRecord' }),
      task('Validate', ['V'], 'VALIDATE_NUMERIC', { VALIDATION_ACTION: 'TerminateFlow' }),
    );
    assert.deepEqual(t.apply({ V: null }), { dropped: 'Validate VALIDATE_NON_NULL on V', task: 0 });
    // The second does run on what the first lets through.
    assert.ok('terminate' in t.apply({ V: 'x' }));
  });
});

describe('flow tasks: validation when the flow is defined', () => {
  test('no tasks, or only Maps, cannot drop anything', () => {
    assert.equal(compile().canDrop, false);
    assert.equal(compile(task('Map', ['Id'], 'NO_OP')).canDrop, false);
    assert.equal(compile(task('Filter', ['Id'], 'PROJECTION')).canDrop, false);
    assert.equal(filter('GREATER_THAN', { VALUE: '1' }).canDrop, true);
  });

  const cases: [string, Task, RegExp][] = [
    ['a TaskProperties key that does not apply to the TaskType', task('Map', ['Id'], 'NO_OP', { TRUNCATE_LENGTH: '3' }), /Task 1 \(Map\): TaskProperties TRUNCATE_LENGTH does not apply/],
    ['an operator of another TaskType', task('Mask', ['Id'], 'VALIDATE_NON_NULL', { MASK_VALUE: '*' }), /Task 1 \(Mask\): ConnectorOperator VALIDATE_NON_NULL does not fit a Mask task/],
    ['a Filter without ConnectorOperator', task('Filter', ['Id']), /Task 1 \(Filter\): ConnectorOperator is required/],
    ['BETWEEN without bounds', task('Filter', ['Amount'], 'BETWEEN', { LOWER_BOUND: '1' }), /BETWEEN needs TaskProperties LOWER_BOUND and UPPER_BOUND/],
    ['BETWEEN with a lower bound above the upper', task('Filter', ['Amount'], 'BETWEEN', { DATA_TYPE: 'double', LOWER_BOUND: '9', UPPER_BOUND: '1' }), /LOWER_BOUND is greater than UPPER_BOUND/],
    ['a comparison without VALUE', task('Filter', ['Amount'], 'EQUAL_TO', { DATA_TYPE: 'double' }), /EQUAL_TO needs TaskProperties VALUE or VALUES/],
    ['an ordering comparison with VALUES', task('Filter', ['Amount'], 'LESS_THAN', { VALUES: '1,2' }), /LESS_THAN compares with one VALUE/],
    ['a non-numeric VALUE for a numeric DATA_TYPE', task('Filter', ['Amount'], 'GREATER_THAN', { DATA_TYPE: 'double', VALUE: 'ten' }), /VALUE must be a number/],
    ['a bound that is no date for a datetime DATA_TYPE', task('Filter', ['D'], 'BETWEEN', { DATA_TYPE: 'datetime', LOWER_BOUND: 'soon', UPPER_BOUND: '1' }), /LOWER_BOUND must be a date/],
    ['a comparison on two fields', task('Filter', ['A', 'B'], 'EQUAL_TO', { VALUE: '1' }), /A Filter EQUAL_TO takes exactly 1 source field; SourceFields holds 2/],
    ['a PROJECTION with a VALUE', task('Filter', ['A'], 'PROJECTION', { VALUE: '1' }), /PROJECTION selects fields and takes no VALUE/],
    ['Truncate without TRUNCATE_LENGTH', task('Truncate', ['City'], 'NO_OP'), /Task 1 \(Truncate\): TRUNCATE_LENGTH is required/],
    ['a TRUNCATE_LENGTH that is not a whole number', task('Truncate', ['City'], 'NO_OP', { TRUNCATE_LENGTH: '2.5' }), /TRUNCATE_LENGTH must be a whole number/],
    ['Mask without MASK_VALUE', task('Mask', ['P'], 'MASK_ALL'), /MASK_VALUE \(the mask character\) is required/],
    ['a MASK_VALUE of two characters', task('Mask', ['P'], 'MASK_ALL', { MASK_VALUE: '**' }), /MASK_VALUE must be a single character/],
    ['MASK_FIRST_N without MASK_LENGTH', task('Mask', ['P'], 'MASK_FIRST_N', { MASK_VALUE: '*' }), /MASK_LENGTH is required/],
    ['a non-numeric MASK_LENGTH', task('Mask', ['P'], 'MASK_LAST_N', { MASK_VALUE: '*', MASK_LENGTH: 'four' }), /MASK_LENGTH must be a whole number/],
    // MASK_ALL writes MASK_LENGTH characters into every record: a billion would be a gigabyte a record.
    ['a MASK_LENGTH above 2048', task('Mask', ['P'], 'MASK_ALL', { MASK_VALUE: '*', MASK_LENGTH: '1000000000' }), /MASK_LENGTH must be at most 2048/],
    ['Merge without CONCAT_FORMAT', task('Merge', ['A', 'B'], 'NO_OP'), /Task 1 \(Merge\): CONCAT_FORMAT is required/],
    ['a CONCAT_FORMAT naming a field outside SourceFields', task('Merge', ['A'], 'NO_OP', { CONCAT_FORMAT: '${A}${Z}' }), /CONCAT_FORMAT names a field/],
    ['Arithmetic on one field', task('Arithmetic', ['A'], 'ADDITION'), /An Arithmetic ADDITION takes exactly 2 source fields; SourceFields holds 1/],
    ['a MATH_OPERATION_FIELDS_ORDER naming other fields', task('Arithmetic', ['A', 'B'], 'ADDITION', { MATH_OPERATION_FIELDS_ORDER: 'A,C' }), /MATH_OPERATION_FIELDS_ORDER must name the two SourceFields/],
    ['Validate without VALIDATION_ACTION', task('Validate', ['V'], 'VALIDATE_NON_NULL'), /VALIDATION_ACTION is required/],
    ['an unknown VALIDATION_ACTION', task('Validate', ['V'], 'VALIDATE_NON_NULL', { VALIDATION_ACTION: 'Ignore' }), /VALIDATION_ACTION must be DropRecord or TerminateFlow/],
    ['a Map of no field', task('Map', [], 'NO_OP'), /A Map task takes exactly 1 source field; SourceFields holds 0/],
    ['an empty source field name', task('Map', [''], 'NO_OP'), /SourceFields must not hold an empty field name/],
  ];
  for (const [what, bad, message] of cases) {
    test(`rejects ${what}, naming the task`, () => {
      const problems = problemsOf(task('Map', ['Id'], 'NO_OP'), bad);
      assert.equal(problems.length >= 1, true);
      assert.match(problems.join(' | '), new RegExp(message.source.replace('Task 1', 'Task 2')));
    });
  }

  test('a ConnectorOperator member must fit the ConnectorType (Servicenow is served by ServiceNow)', () => {
    const t: Task = { TaskType: 'Map', SourceFields: ['Id'], ConnectorOperator: { Marketo: 'NO_OP' } };
    const wrong = compileTasks([t], { connectorType: 'Salesforce' });
    assert.ok(!wrong.ok);
    assert.match(wrong.problems[0], /ConnectorOperator.Marketo does not fit ConnectorType Salesforce; use ConnectorOperator.Salesforce/);
    assert.ok(compileTasks([{ ...t, ConnectorOperator: { ServiceNow: 'NO_OP' } }], { connectorType: 'Servicenow' }).ok);
  });

  test('a ConnectorOperator with two members is rejected', () => {
    const result = compileTasks([{ TaskType: 'Map', SourceFields: ['Id'], ConnectorOperator: { Salesforce: 'NO_OP', S3: 'NO_OP' } }]);
    assert.ok(!result.ok);
    assert.match(result.problems[0], /must name one member, not Salesforce and S3/);
  });

  test('problems never echo a property value (the FlowDefinition is sensitive)', () => {
    const problems = problemsOf(task('Filter', ['Amount'], 'GREATER_THAN', { DATA_TYPE: 'double', VALUE: 'SECRET-VALUE' }));
    assert.ok(!problems.join(' ').includes('SECRET'), problems.join(' '));
  });

  test('every problem of every task is reported at once', () => {
    const problems = problemsOf(task('Truncate', ['A'], 'NO_OP'), task('Mask', ['B'], 'MASK_ALL'));
    assert.equal(problems.length, 2);
    assert.match(problems[0], /^Task 1 \(Truncate\)/);
    assert.match(problems[1], /^Task 2 \(Mask\)/);
  });
});
