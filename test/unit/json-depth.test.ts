import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { abridge, BadRequestException } from '../../src/api/errors.js';
import { jsonDepth, jsonDepthProblem, MAX_JSON_DEPTH, parseJsonBounded } from '../../src/protocol/json.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonDepth', () => {
  test('counts the deepest nesting of arrays and objects', () => {
    assert.equal(jsonDepth('1'), 0);
    assert.equal(jsonDepth('"x"'), 0);
    assert.equal(jsonDepth('{}'), 1);
    assert.equal(jsonDepth('{"a":[1,{"b":[]}],"c":{}}'), 4);
    assert.equal(jsonDepth(nested(10_000)), 10_000);
  });

  test('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    assert.equal(jsonDepth('{"a":"[[[{{{"}'), 1);
    assert.equal(jsonDepth('{"a":"\\"[[[\\""}'), 1);
    assert.equal(jsonDepth('{"a\\\\":[["\\\\"]]}'), 3);
    assert.equal(jsonDepth('["\\u005b[[["]'), 1);
  });

  test('stops counting once past the bound', () => {
    assert.equal(jsonDepth(nested(1_000_000), 64), 65);
  });

  test('is linear: a megabyte of brackets or of escapes takes one pass', () => {
    // No timing asserted (that belongs in bench/): this only shows that large inputs complete.
    assert.equal(jsonDepth(`["${'\\"'.repeat(500_000)}"]`), 1);
    assert.equal(jsonDepth('[],'.repeat(300_000)), 1);
  });
});

describe('parseJsonBounded', () => {
  test('parses JSON nested exactly MAX_JSON_DEPTH deep', () => {
    assert.equal(MAX_JSON_DEPTH, 64);
    assert.ok(Array.isArray(parseJsonBounded(nested(MAX_JSON_DEPTH), 'the request body')));
    assert.equal(jsonDepthProblem(nested(MAX_JSON_DEPTH), 'x'), undefined);
  });

  test('refuses one level more with a BadRequestException naming the text', () => {
    assert.throws(
      () => parseJsonBounded(nested(MAX_JSON_DEPTH + 1), 'the request body'),
      (err: unknown) =>
        err instanceof BadRequestException &&
        err.message === 'The request body nests deeper than 64 levels of arrays and objects: at most 64 are accepted.',
    );
    assert.throws(() => parseJsonBounded(`{"a":${nested(10_000)}}`, 'the Object'), /^BadRequestException: The Object nests deeper/);
  });

  test('refuses invalid JSON with a BadRequestException naming the text', () => {
    assert.throws(() => parseJsonBounded('{"a":', 'the Object'), (err: unknown) => err instanceof BadRequestException && /^The Object is not valid JSON: /.test(err.message));
    // Unbalanced brackets are the parser's business, not the scanner's.
    assert.throws(() => parseJsonBounded(']]]', 'the request body'), /not valid JSON/);
  });

  test('keeps members named after Object.prototype members as own properties', () => {
    const parsed = parseJsonBounded('{"__proto__":{"x":1},"constructor":"c"}', 'the Object') as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });
});

describe('abridge', () => {
  test('shows the start of a value nested far deeper than any stack, without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(abridge(deep, 10), '[[[[[[[[[[...');
    let obj: unknown = 'x';
    for (let i = 0; i < 200_000; i++) obj = { a: obj };
    assert.equal(abridge(obj, 12), '{"a":{"a":{"...');
  });

  test('writes small values as JSON.stringify does', () => {
    for (const v of [{ a: [1, 'b', null, true, { c: {} }], d: [] }, [], {}, 3.5, false, null, '"q"']) {
      assert.equal(abridge(v, 1000), typeof v === 'string' ? v : JSON.stringify(v));
    }
    assert.equal(abridge(new Array(1_000_000).fill(7), 8), '[7,7,7,7...');
  });
});
