import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { appflowModel } from '../../src/api/appflow/model.generated.js';
import type { ServiceModel, Shape, StructureShape } from '../../src/api/model-types.js';
import { serviceModel } from '../../src/api/model.generated.js';
import { serializeOutput } from '../../src/protocol/serialize.js';

/**
 * The serializer this one replaced: a copy of the output with only the model's members, timestamps as
 * epoch seconds, for JSON.stringify to write. Its text is the wire contract the SDK tests were written
 * against, so the new writer must produce it byte for byte.
 */
function copyForJson(model: ServiceModel, shapeName: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const shape = model.shapes[shapeName] as Shape;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries((shape as StructureShape).members)) {
        const written = copyForJson(model, ref.shape, (value as Record<string, unknown>)[name]);
        if (written !== undefined) out[name] = written;
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((item) => copyForJson(model, shape.member.shape, item));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const written = copyForJson(model, shape.value.shape, v);
        if (written !== undefined) Object.defineProperty(out, k, { value: written, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'timestamp':
      return value instanceof Date ? value.getTime() / 1000 : typeof value === 'number' ? value / 1000 : undefined;
    default:
      return value;
  }
}

function expected(model: ServiceModel, operation: string, output: unknown): string {
  const ref = model.operations[operation].output;
  if (!ref || output === undefined || output === null) return '{}';
  return JSON.stringify(copyForJson(model, ref.shape, output) ?? {});
}

/** Text JSON.stringify must escape or check: quotes, backslashes, controls, lone and paired surrogates, U+2028. */
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '"', '\\', '\u0000', '\n\t', '\ud800', '\udfff', '😀', 'a\ud83dz', '\u2028\u2029', '</script>', '__proto__', 'ok'),
);
const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e21, 5e-324, 1717171717.123));
// No object with a toJSON function: the copy would have carried it into a map's copy, which JSON.stringify
// then called; no stored or bound value holds a function, so the two may differ there.
const oddValue = fc.oneof(fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(Symbol('s')), fc.constant(() => 1), fc.constant(new Date(NaN)));

/** A value for a shape, mostly well typed, sometimes not (a handler's mistake must still write what JSON.stringify would). */
function valueOf(model: ServiceModel, shapeName: string, depth: number): fc.Arbitrary<unknown> {
  const shape = model.shapes[shapeName] as Shape;
  const typed = ((): fc.Arbitrary<unknown> => {
    switch (shape.type) {
      case 'structure': {
        if (depth <= 0) return fc.constant({});
        const members = Object.entries((shape as StructureShape).members);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, ref] of members) record[name] = valueOf(model, ref.shape, depth - 1);
        // Members the model does not declare must never be written.
        record.InternalSecret = fc.constant('leak');
        return fc.record(record, { requiredKeys: [] });
      }
      case 'list':
        return depth <= 0 ? fc.constant([]) : fc.array(valueOf(model, shape.member.shape, depth - 1), { maxLength: 4 });
      case 'map':
        return depth <= 0
          ? fc.constant({})
          : fc.dictionary(fc.oneof(nastyString, fc.constantFrom('1', '10', '2', 'b', 'a')), valueOf(model, shape.value.shape, depth - 1), { maxKeys: 4 });
      case 'timestamp':
        return fc.oneof(fc.date({ noInvalidDate: false }), anyNumber, fc.constant('2024-01-01'));
      case 'string':
        return nastyString;
      case 'integer':
      case 'long':
      case 'double':
      case 'float':
        return anyNumber;
      default:
        return fc.oneof(fc.boolean(), nastyString, anyNumber);
    }
  })();
  return fc.oneof({ weight: 9, arbitrary: typed }, { weight: 1, arbitrary: oddValue });
}

for (const [service, model] of [
  ['Customer Profiles', serviceModel],
  ['AppFlow', appflowModel],
] as const) {
  describe(`serializeOutput writes what JSON.stringify wrote of the model's members [${service}]`, () => {
    const operations = Object.values(model.operations).filter((o) => o.output);
    test('for every operation with an output, on generated outputs (hostile strings, odd numbers, wrong types, undeclared members)', () => {
      for (const op of operations) {
        fc.assert(
          fc.property(valueOf(model, op.output!.shape, 5), (output) => {
            let want: string;
            try {
              want = expected(model, op.name, output);
            } catch {
              // A list member that is not an array: the copy failed (a 500), and so must the writer.
              assert.throws(() => serializeOutput(op.name, output, model), TypeError);
              return;
            }
            assert.equal(serializeOutput(op.name, output, model), want);
          }),
          { numRuns: 60 },
        );
      }
    });
  });
}

describe('serializeOutput on the control plane answers', () => {
  test('a ListWorkflows page: members in model order, timestamps as epoch seconds, nothing undeclared', () => {
    const text = serializeOutput('ListWorkflows', {
      Items: [
        {
          WorkflowType: 'APPFLOW_INTEGRATION',
          WorkflowId: 'w1',
          Status: 'COMPLETE',
          StatusDescription: 'Complete: "quoted"\n',
          CreatedAt: new Date(1717171717123),
          LastUpdatedAt: new Date(1717171717000),
          internal: 1,
        },
      ],
      NextToken: undefined,
    });
    assert.equal(
      text,
      '{"Items":[{"WorkflowType":"APPFLOW_INTEGRATION","WorkflowId":"w1","Status":"COMPLETE","StatusDescription":"Complete: \\"quoted\\"\\n","CreatedAt":1717171717.123,"LastUpdatedAt":1717171717}]}',
    );
  });

  test('a timestamp is written as JSON.stringify writes its seconds, for every millisecond of a second and any date', () => {
    const written = (ms: number) => JSON.parse(serializeOutput('ListWorkflows', { Items: [{ CreatedAt: new Date(ms) }] })).Items[0].CreatedAt as number;
    const text = (ms: number) => /"CreatedAt":([^,}]*)/.exec(serializeOutput('ListWorkflows', { Items: [{ CreatedAt: ms }] }))![1];
    const bases = [0, 1_000, 1_717_171_717_000, 253_402_300_799_000, 8_640_000_000_000_000 - 999, 8_796_093_022_208_000];
    for (const base of bases) {
      for (let rest = 0; rest < 1000; rest++) {
        const ms = base + rest;
        assert.equal(text(ms), JSON.stringify(ms / 1000), String(ms));
        // Past a Date's range only a number can carry it (a Date there is invalid, written as null).
        if (ms <= 8_640_000_000_000_000) assert.equal(written(ms), ms / 1000);
      }
    }
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true })), (ms) => {
        assert.equal(text(ms), JSON.stringify(ms / 1000), String(ms));
      }),
      { numRuns: 2000 },
    );
  });

  test('no output, or an operation without an output shape, is an empty object', () => {
    assert.equal(serializeOutput('ListWorkflows', undefined), '{}');
    // Neither vendored model has an operation without an output today: a model made for the case.
    const model: ServiceModel = {
      metadata: {},
      operations: { Ping: { name: 'Ping', http: { method: 'POST', requestUri: '/ping' } } },
      shapes: {},
    };
    assert.equal(serializeOutput('Ping', { Anything: 1 }, model), '{}');
  });
});
