import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestException } from '../../src/api/errors.js';
import { appflowModel } from '../../src/api/appflow/model.generated.js';
import type { ServiceModel } from '../../src/api/model-types.js';
import { serviceModel } from '../../src/api/service.js';
import { readShape, readTimestamp, Violations } from '../../src/protocol/validate.js';
import { exactMsOf, firstMsFrom, FractionalDate, isoOfTimestamp, lastMsUpTo } from '../../src/api/timestamp.js';

/** Reads `value` as `shape` and returns what came out plus the violation messages. */
function read(shape: string, value: unknown, path = 'Member') {
  const violations = new Violations();
  const out = readShape(shape, value, path, violations);
  return { out, messages: violations.messages, count: violations.size };
}

describe('readShape', () => {
  describe('patterns', () => {
    test('are whole-string matches even where the model writes them unanchored', () => {
      // uuid is `[a-f0-9]{32}` in the botocore model: a longer string containing 32 hex digits is not one.
      const hex = '0123456789abcdef0123456789abcdef';
      assert.deepEqual(read('uuid', hex).messages, []);
      for (const bad of [`${hex}0`, `x${hex}`, hex.toUpperCase(), hex.slice(1)]) {
        const { messages } = read('uuid', bad, 'WorkflowId');
        assert.equal(messages.length, 1, bad);
        assert.match(messages[0], /at 'WorkflowId' failed to satisfy constraint: Member must satisfy regular expression pattern: \[a-f0-9\]\{32\}/);
      }
    });

    test('DomainName accepts letters, digits, _ and - and nothing else', () => {
      assert.deepEqual(read('name', 'My_domain-1').messages, []);
      for (const bad of ['a.b', 'a b', 'a/b', 'é']) assert.equal(read('name', bad).count, 1, bad);
    });

    test('TagArn is a prefix check, so real ARNs pass while other strings fail', () => {
      assert.deepEqual(read('TagArn', 'arn:aws:profile:us-east-1:123456789012:domains/d').messages, []);
      for (const bad of ['xarn:aws:profile:us-east-1:1:domains/d', 'arn:aws:s3:::bucket', 'domains/d', '']) {
        assert.equal(read('TagArn', bad).count, 1, bad);
      }
    });

    test("every pattern of both models compiles and runs as code points, like the models' Java patterns, and none throws", () => {
      for (const model of [serviceModel, appflowModel]) {
        for (const [shape, definition] of Object.entries(model.shapes)) {
          if (definition.type !== 'string' || definition.pattern === undefined) continue;
          const violations = new Violations();
          assert.doesNotThrow(() => readShape(shape, '\u0007', 'Member', violations, false, model), `${String(model.metadata.uid)} ${shape}`);
        }
      }
      // AppFlow's Glue names: any character from U+0020 on (a surrogate pair in the class is U+10000 to U+10FFFF) and tab.
      const glue = (value: string) => {
        const violations = new Violations();
        readShape('GlueDataCatalogDatabaseName', value, 'databaseName', violations, false, appflowModel);
        return violations.messages;
      };
      for (const good of ['sales', 'Sales db\t🙂', '𝒜', '']) assert.deepEqual(glue(good), [], JSON.stringify(good));
      for (const bad of ['bell\u0007', 'line\n', '\uD800']) assert.equal(glue(bad).length, 1, JSON.stringify(bad));
    });

    test('TagKey refuses the aws: prefix', () => {
      assert.deepEqual(read('TagKey', 'team:a/b=c+d.e_f').messages, []);
      assert.equal(read('TagKey', 'aws:owner').count, 1);
    });
  });

  describe('sensitive values', () => {
    test('a sensitive string is shown as *** in the message', () => {
      const secret = 'S'.repeat(300);
      const { messages } = read('sensitiveString1To255', secret, 'FirstName');
      assert.equal(messages.length, 1);
      assert.equal(
        messages[0],
        "Value '***' at 'FirstName' failed to satisfy constraint: Member must have length less than or equal to 255",
      );
    });

    test('everything inside a sensitive structure is hidden too, and the path still names the member', () => {
      const { messages } = read(
        'FlowDefinition',
        {
          FlowName: 'bad name with spaces',
          KmsArn: 'not-a-kms-arn-but-long-enough',
          SourceFlowConfig: { ConnectorType: 'S3', SourceConnectorProperties: {} },
          Tasks: [],
          TriggerConfig: { TriggerType: 'OnDemand' },
        },
        'IntegrationConfig.AppflowIntegration.FlowDefinition',
      );
      assert.equal(messages.length, 2);
      for (const m of messages) {
        assert.ok(m.startsWith("Value '***' at 'IntegrationConfig.AppflowIntegration.FlowDefinition."), m);
        assert.ok(!m.includes('bad name') && !m.includes('not-a-kms'), m);
      }
    });

    test('a missing required member is reported as null, not hidden', () => {
      const { messages } = read('FlowDefinition', {}, 'FlowDefinition');
      assert.ok(messages.includes("Value null at 'FlowDefinition.FlowName' failed to satisfy constraint: Member must not be null"));
    });

    test('keys of a sensitive map are hidden when they break a rule', () => {
      const { messages } = read('Attributes', { ['k'.repeat(300)]: 'v' }, 'Attributes');
      assert.equal(messages.length, 1);
      assert.ok(messages[0].startsWith("Value '***'"), messages[0]);
    });
  });

  describe('maps and lists', () => {
    test('map keys are validated against the key shape', () => {
      const { out, messages } = read('TagMap', { 'aws:reserved': 'x', ok: 'y' }, 'Tags');
      assert.equal(messages.length, 1);
      assert.match(messages[0], /^Value 'aws:reserved' at 'Tags\.key' failed to satisfy constraint: Member must satisfy regular expression pattern/);
      assert.deepEqual(out, { 'aws:reserved': 'x', ok: 'y' });
    });

    test('map values are validated and named by their key', () => {
      const { messages } = read('TagMap', { team: 'v'.repeat(257) }, 'Tags');
      assert.deepEqual(messages, [
        `Value '${'v'.repeat(64)}...' at 'Tags.team' failed to satisfy constraint: Member must have length less than or equal to 256`,
      ]);
    });

    test('string lengths count Unicode characters, as the model\'s length trait does, not UTF-16 units', () => {
      // Each emoji is one character and two UTF-16 units: 256 of them fit TagValue's 256.
      assert.deepEqual(read('TagMap', { team: '\u{1F600}'.repeat(256) }, 'Tags').messages, []);
      assert.match(read('TagMap', { team: '\u{1F600}'.repeat(257) }, 'Tags').messages[0], /less than or equal to 256/);
      assert.deepEqual(read('string1To255', `${'\u{1F600}'.repeat(254)}a`).messages, []);
      assert.equal(read('string1To255', '\u{1F600}'.repeat(256)).count, 1);
      // A lone surrogate is not a pair: it counts as one.
      assert.equal(read('string1To255', '\ud83d'.repeat(256)).count, 1);
      assert.deepEqual(read('string1To255', '\ud83d'.repeat(255)).messages, []);
      // No model string has a minimum above 1 today; one of 3 counts characters too.
      const model = { metadata: {}, operations: {}, shapes: { Three: { type: 'string', min: 3 } } } as unknown as ServiceModel;
      const atLeastThree = (value: string) => {
        const violations = new Violations();
        readShape('Three', value, 'Member', violations, false, model);
        return violations.messages;
      };
      assert.deepEqual(atLeastThree('\u{1F600}'.repeat(3)), []);
      assert.match(atLeastThree('\u{1F600}'.repeat(2))[0], /greater than or equal to 3/);
    });

    test('a null map value is a violation', () => {
      assert.deepEqual(read('TagMap', { team: null }, 'Tags').messages, [
        "Value null at 'Tags.team' failed to satisfy constraint: Member must not be null",
      ]);
    });

    test('map sizes: TagMap holds 1 to 50 entries', () => {
      const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
      assert.deepEqual(read('TagMap', tags(1)).messages, []);
      assert.deepEqual(read('TagMap', tags(50)).messages, []);
      assert.match(read('TagMap', {}).messages[0], /Member must have length greater than or equal to 1/);
      assert.match(read('TagMap', tags(51)).messages[0], /Member must have length less than or equal to 50/);
    });

    test('list sizes: TagKeyList holds 1 to 50 keys, and items are checked with 1-based paths', () => {
      assert.deepEqual(read('TagKeyList', ['a']).messages, []);
      assert.match(read('TagKeyList', []).messages[0], /greater than or equal to 1/);
      assert.match(read('TagKeyList', Array.from({ length: 51 }, (_, i) => `k${i}`)).messages[0], /less than or equal to 50/);
      const { messages } = read('TagKeyList', ['ok', 'aws:no', null], 'tagKeys');
      assert.equal(messages.length, 2);
      assert.match(messages[0], /^Value 'aws:no' at 'tagKeys\.2'/);
      assert.equal(messages[1], "Value null at 'tagKeys.3' failed to satisfy constraint: Member must not be null");
    });

    test('a list or map of the wrong JSON type is named as such', () => {
      assert.match(read('TagKeyList', 'a').messages[0], /Member must be a list/);
      assert.match(read('TagMap', ['a']).messages[0], /Member must be a map/);
      assert.match(read('MatchingRequest', 'yes').messages[0], /Member must be a structure/);
    });
  });

  describe('numbers, booleans, strings', () => {
    test('integers outside the 32-bit range are rejected; long accepts them', () => {
      assert.deepEqual(read('minSize0', 2147483647).messages, []);
      assert.match(read('minSize0', 2147483648).messages[0], /Member must fit in a 32-bit integer/);
      assert.match(read('minSize1', -2147483649).messages.join(), /Member must fit in a 32-bit integer/);
      assert.deepEqual(read('long', 2 ** 40).messages, []);
    });

    test('an integer must be a whole JSON number', () => {
      for (const bad of [1.5, '5', true, Number.NaN]) {
        assert.match(read('expirationDaysInteger', bad).messages[0] ?? '', /Member must be an integer/, String(bad));
      }
      assert.deepEqual(read('Double0To1', 0.5).messages, []);
      assert.match(read('Double0To1', 1.5).messages[0], /less than or equal to 1/);
    });

    test('range bounds are inclusive', () => {
      assert.deepEqual(read('expirationDaysInteger', 1).messages, []);
      assert.deepEqual(read('expirationDaysInteger', 1098).messages, []);
      assert.match(read('expirationDaysInteger', 0).messages[0], /greater than or equal to 1/);
      assert.match(read('expirationDaysInteger', 1099).messages[0], /less than or equal to 1098/);
    });

    test('booleans must be JSON booleans', () => {
      assert.deepEqual(read('optionalBoolean', false).messages, []);
      assert.match(read('optionalBoolean', 'yes').messages[0], /Member must be a boolean/);
    });

    test('enum values are listed when one is wrong', () => {
      assert.match(read('Status', 'DONE').messages[0], /Member must satisfy enum value set: \[.*COMPLETE.*\]/);
      assert.deepEqual(read('Status', 'COMPLETE').messages, []);
    });

    test('a huge or control-character value is abridged and escaped in the message', () => {
      const { messages } = read('name', `a\nb${'c'.repeat(500)}`, 'DomainName');
      assert.ok(messages.every((m) => m.length < 300 && !m.includes('\n') && m.includes('\\u000a')), messages.join());
    });

    test('a string holding U+0000 breaks a rule of its own, whatever its shape; the message shows it escaped', () => {
      // PostgreSQL text cannot hold the character: refused here, the same on every backend.
      assert.deepEqual(read('TagMap', { team: 'a\u0000b' }, 'Tags').messages, [
        "Value 'a\\u0000b' at 'Tags.team' failed to satisfy constraint: Member must not contain the character U+0000",
      ]);
      assert.deepEqual(read('Attributes', { 'k\u0000': 'v' }, 'Attributes').messages, [
        "Value '***' at 'Attributes.key' failed to satisfy constraint: Member must not contain the character U+0000",
      ]);
      assert.match(read('TagMap', { 'k\u0000': 'v' }, 'Tags').messages.join('\n'), /^[^\n]*regular expression pattern[^\n]*$/, 'a pattern refuses it once');
      assert.deepEqual(read('sensitiveText', 'x\u0000', 'FirstName').messages, [
        "Value '***' at 'FirstName' failed to satisfy constraint: Member must not contain the character U+0000",
      ]);
      assert.deepEqual(read('sensitiveText', 'x\u0001\u001f', 'FirstName').messages, [], 'other control characters are kept');
    });
  });

  describe('structures', () => {
    test('members the model does not know are dropped; null members count as absent', () => {
      const { out, messages } = read('MatchingRequest', { Enabled: true, Surprise: 1, JobSchedule: null }, '');
      assert.deepEqual(messages, []);
      assert.deepEqual(out, { Enabled: true });
    });

    test('a required member that is null is "must not be null"', () => {
      assert.deepEqual(read('MatchingRequest', { Enabled: null }, 'Matching').messages, [
        "Value null at 'Matching.Enabled' failed to satisfy constraint: Member must not be null",
      ]);
    });

    test('nested member paths are joined with dots from the top', () => {
      const { messages } = read('CreateDomainRequest', {
        DomainName: 'd',
        DefaultExpirationDays: 1,
        Matching: { Enabled: true, JobSchedule: { DayOfTheWeek: 'FUNDAY', Time: '03:00' } },
      }, '');
      assert.equal(messages.length, 1);
      assert.match(messages[0], /at 'Matching\.JobSchedule\.DayOfTheWeek'/);
    });

    test('timestamp members become Dates from integers, fractions and numeric strings', () => {
      const { out, messages } = read('Batch', { StartTime: 1600000000, EndTime: 1600003600.5 });
      assert.deepEqual(messages, []);
      assert.deepEqual(out, { StartTime: new Date(1600000000000), EndTime: new Date(1600003600500) });
      const fromText = read('Batch', { StartTime: '1600000000', EndTime: '1600003600.25' });
      assert.deepEqual(fromText.out, { StartTime: new Date(1600000000000), EndTime: new Date(1600003600250) });
      const bad = read('Batch', { StartTime: '2020-09-13T12:26:40Z', EndTime: true }, 'Batches.1');
      assert.deepEqual(bad.messages, [
        "Value '2020-09-13T12:26:40Z' at 'Batches.1.StartTime' failed to satisfy constraint: Member must be a timestamp in epoch seconds",
        "Value 'true' at 'Batches.1.EndTime' failed to satisfy constraint: Member must be a timestamp in epoch seconds",
      ]);
    });
  });
});

describe('readTimestamp', () => {
  test('reads epoch seconds as integers, fractions (to the millisecond) and numeric strings', () => {
    assert.equal(readTimestamp(1600000000)?.getTime(), 1600000000000);
    assert.equal(readTimestamp(1600000000.25)?.getTime(), 1600000000250);
    assert.equal(readTimestamp('1600000000')?.getTime(), 1600000000000);
    assert.equal(readTimestamp('1600000000.5')?.getTime(), 1600000000500);
    assert.equal(readTimestamp(0)?.getTime(), 0);
    assert.equal(readTimestamp(-1)?.getTime(), -1000);
  });

  test('keeps a fraction finer than a millisecond beside the nearest millisecond, and only such a fraction', () => {
    // Every millisecond of a second, written as the SDK writes it, is a plain Date of that millisecond.
    for (let ms = 0; ms < 1000; ms++) {
      const seconds = Number(`1777636800.${String(ms).padStart(3, '0')}`);
      const date = readTimestamp(seconds)!;
      assert.equal(date instanceof FractionalDate, false, String(seconds));
      assert.equal(firstMsFrom(date), 1777636800000 + ms);
      assert.equal(lastMsUpTo(date), 1777636800000 + ms);
    }
    const fine = readTimestamp(1777636800.2494)!;
    assert.ok(fine instanceof FractionalDate);
    assert.equal(fine.getTime(), 1777636800249, 'the Date part is the nearest millisecond');
    assert.equal(firstMsFrom(fine), 1777636800250);
    assert.equal(lastMsUpTo(fine), 1777636800249);
    assert.ok(exactMsOf(fine) > 1777636800249.39 && exactMsOf(fine) < 1777636800249.41);
    assert.equal(isoOfTimestamp(fine), '2026-05-01T12:00:00.2494Z');
    assert.equal(isoOfTimestamp(readTimestamp('1777636800.000002')!), '2026-05-01T12:00:00.000002Z');
    // One microsecond past a millisecond, for each millisecond of a second: never read as that millisecond.
    for (let ms = 0; ms < 1000; ms++) {
      const date = readTimestamp(`1777636800.${String(ms).padStart(3, '0')}001`)!;
      assert.ok(date instanceof FractionalDate, `${ms}.001 ms`);
      assert.equal(firstMsFrom(date), 1777636800000 + ms + 1);
      assert.equal(lastMsUpTo(date), 1777636800000 + ms);
    }
    assert.equal(isoOfTimestamp(readTimestamp(1777636800.25)!), '2026-05-01T12:00:00.250Z');
    assert.equal(readTimestamp(-0.0005)?.getTime(), 0, 'before the epoch too: the nearest millisecond');
    assert.equal(lastMsUpTo(readTimestamp(-0.0005)!), -1);
  });

  test('refuses what is not a number of seconds, and dates JavaScript cannot hold', () => {
    for (const bad of ['abc', '', '2020-09-13T12:26:40Z', '1e9', '0x10', Number.NaN, Number.POSITIVE_INFINITY, 1e20, true, null, undefined, {}, []]) {
      assert.equal(readTimestamp(bad), undefined, String(bad));
    }
  });
});

describe('Violations', () => {
  test('nothing is thrown when nothing was added', () => {
    const v = new Violations();
    assert.equal(v.size, 0);
    v.throwIfAny();
  });

  test('one violation is "1 validation error detected" in a BadRequestException', () => {
    const v = new Violations();
    v.add('DomainName', 'a.b', 'Member must satisfy regular expression pattern: x', false);
    assert.throws(
      () => v.throwIfAny(),
      (err: unknown) =>
        err instanceof BadRequestException &&
        err.message ===
          "1 validation error detected: Value 'a.b' at 'DomainName' failed to satisfy constraint: Member must satisfy regular expression pattern: x",
    );
  });

  test('more than ten violations: the count is the total, the list holds exactly ten', () => {
    const v = new Violations();
    for (let i = 0; i < 13; i++) v.add(`M${i}`, i, 'rule', false);
    assert.equal(v.size, 13);
    assert.equal(v.messages.length, 10);
    assert.throws(
      () => v.throwIfAny(),
      (err: unknown) => {
        const message = (err as Error).message;
        return (
          err instanceof BadRequestException &&
          message.startsWith('13 validation errors detected: ') &&
          message.split('; ').length === 10 &&
          message.includes("at 'M9'") &&
          !message.includes("at 'M10'")
        );
      },
    );
  });

  test('a sensitive value is shown as ***, a missing one as null', () => {
    const v = new Violations();
    v.add('P', 'secret', 'rule', true);
    v.add('Q', undefined, 'rule', true);
    assert.deepEqual(v.messages, [
      "Value '***' at 'P' failed to satisfy constraint: rule",
      "Value null at 'Q' failed to satisfy constraint: rule",
    ]);
  });
});
