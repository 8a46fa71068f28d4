import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildSchedule,
  describeSchedule,
  latestDueTick,
  nextTickAfter,
  parseScheduleExpression,
  runDueAt,
  type Schedule,
} from '../../src/domain/schedule.js';

const t = (iso: string) => Date.parse(iso);

function schedule(expression: string, start: string, extra: { end?: string; offset?: number } = {}): Schedule {
  const built = buildSchedule(
    { ScheduleExpression: expression, ScheduleStartTime: t(start), ScheduleEndTime: extra.end ? t(extra.end) : undefined, ScheduleOffset: extra.offset },
    0,
  );
  assert.ok(built.ok, built.ok ? '' : built.problem);
  return built.value;
}

describe('schedule expressions', () => {
  test('rate takes AppFlow\'s spellings, with or without spaces, singular or plural', () => {
    for (const [text, ms] of [
      ['rate(5minutes)', 300_000],
      ['rate (5 minutes)', 300_000],
      ['rate(1 hour)', 3_600_000],
      ['rate(1hours)', 3_600_000],
      ['RATE(2 days)', 172_800_000],
    ] as const) {
      const parsed = parseScheduleExpression(text);
      assert.ok(parsed.ok && parsed.value.kind === 'rate', text);
      assert.equal(parsed.value.everyMs, ms, text);
    }
  });

  test('a rate below one minute, an unknown unit or free text is refused with the reason', () => {
    const zero = parseScheduleExpression('rate(0 minutes)');
    assert.ok(!zero.ok && /more often than once a minute/.test(zero.problem));
    const seconds = parseScheduleExpression('rate(30 seconds)');
    assert.ok(!seconds.ok && /rate\(N minutes\|hours\|days\)/.test(seconds.problem));
    assert.equal(parseScheduleExpression('hourly').ok, false);
  });

  test('cron needs six fields with exactly one day field as ?', () => {
    assert.ok(parseScheduleExpression('cron(0 12 * * ? *)').ok);
    assert.ok(parseScheduleExpression('cron(0/15 8-17 ? * MON-FRI *)').ok);
    const five = parseScheduleExpression('cron(0 12 * * ?)');
    assert.ok(!five.ok && /five fields|5 fields/.test(five.problem));
    const both = parseScheduleExpression('cron(0 12 * * * *)');
    assert.ok(!both.ok && /exactly one of day-of-month and day-of-week/.test(both.problem));
    const last = parseScheduleExpression('cron(0 12 L * ? *)');
    assert.ok(!last.ok && /L, W or #/.test(last.problem));
    const range = parseScheduleExpression('cron(61 12 * * ? *)');
    assert.ok(!range.ok && /minutes value "61" is outside 0-59/.test(range.problem));
  });

  test('status words name the interval', () => {
    const words = (text: string) => {
      const p = parseScheduleExpression(text);
      assert.ok(p.ok);
      return describeSchedule(p.value);
    };
    assert.equal(words('rate(1hours)'), 'every hour');
    assert.equal(words('rate(15 minutes)'), 'every 15 minutes');
    assert.equal(words('cron(0 12 * * ? *)'), 'on cron(0 12 * * ? *) (UTC)');
  });
});

describe('ticks', () => {
  test('a rate ticks at start + k × interval', () => {
    const s = schedule('rate(1 hour)', '2026-01-01T00:30:00Z');
    assert.equal(nextTickAfter(s, t('2025-12-31T00:00:00Z')), t('2026-01-01T00:30:00Z'));
    assert.equal(nextTickAfter(s, t('2026-01-01T00:30:00Z')), t('2026-01-01T01:30:00Z'));
    assert.equal(nextTickAfter(s, t('2026-01-01T05:29:59Z')), t('2026-01-01T05:30:00Z'));
  });

  test('without ScheduleStartTime the activation time anchors the rate', () => {
    const built = buildSchedule({ ScheduleExpression: 'rate(10minutes)' }, t('2026-03-01T10:03:00Z'));
    assert.ok(built.ok);
    assert.equal(nextTickAfter(built.value, t('2026-03-01T10:03:00Z')), t('2026-03-01T10:13:00Z'));
  });

  test('no tick falls after ScheduleEndTime', () => {
    const s = schedule('rate(1 hour)', '2026-01-01T00:00:00Z', { end: '2026-01-01T02:00:00Z' });
    assert.equal(nextTickAfter(s, t('2026-01-01T01:00:00Z')), t('2026-01-01T02:00:00Z'));
    assert.equal(nextTickAfter(s, t('2026-01-01T02:00:00Z')), undefined);
  });

  test('an end before the start is refused', () => {
    const built = buildSchedule({ ScheduleExpression: 'rate(1 hour)', ScheduleStartTime: t('2026-01-02T00:00:00Z'), ScheduleEndTime: t('2026-01-01T00:00:00Z') }, 0);
    assert.ok(!built.ok && /ScheduleEndTime 2026-01-01T00:00:00.000Z is not after/.test(built.problem));
  });

  test('ScheduleOffset delays the run, not the tick', () => {
    const s = schedule('rate(1 hour)', '2026-01-01T00:00:00Z', { offset: 300 });
    const tick = nextTickAfter(s, t('2026-01-01T00:10:00Z'))!;
    assert.equal(tick, t('2026-01-01T01:00:00Z'));
    assert.equal(runDueAt(s, tick), t('2026-01-01T01:05:00Z'));
    assert.equal(latestDueTick(s, t('2026-01-01T00:00:00Z'), t('2026-01-01T01:04:59Z')), undefined);
    assert.equal(latestDueTick(s, t('2026-01-01T00:00:00Z'), t('2026-01-01T01:05:00Z')), tick);
  });

  test('ticks missed while nothing ran collapse into the newest one', () => {
    const s = schedule('rate(1 hour)', '2026-01-01T00:00:00Z');
    assert.equal(latestDueTick(s, t('2026-01-01T00:00:00Z'), t('2026-01-03T07:20:00Z')), t('2026-01-03T07:00:00Z'));
    assert.equal(latestDueTick(s, t('2026-01-03T07:00:00Z'), t('2026-01-03T07:59:00Z')), undefined);
    const cron = schedule('cron(0 12 * * ? *)', '2026-01-01T00:00:00Z');
    assert.equal(latestDueTick(cron, t('2026-01-01T00:00:00Z'), t('2026-01-05T13:00:00Z')), t('2026-01-05T12:00:00Z'));
  });

  test('the newest due tick of a rate never passes ScheduleEndTime', () => {
    const s = schedule('rate(1 hour)', '2026-01-01T00:00:00Z', { end: '2026-01-01T03:30:00Z' });
    assert.equal(latestDueTick(s, t('2026-01-01T00:00:00Z'), t('2026-01-02T00:00:00Z')), t('2026-01-01T03:00:00Z'));
    assert.equal(latestDueTick(s, t('2026-01-01T03:00:00Z'), t('2026-01-02T00:00:00Z')), undefined);
  });

  test('cron evaluates in UTC with ranges, steps, lists and names', () => {
    const weekdays = schedule('cron(0/30 9-10 ? * MON-FRI *)', '2026-01-01T00:00:00Z');
    // 2026-01-02 is a Friday, 2026-01-03 a Saturday.
    assert.equal(nextTickAfter(weekdays, t('2026-01-02T10:30:00Z')), t('2026-01-05T09:00:00Z'));
    assert.equal(nextTickAfter(weekdays, t('2026-01-02T09:00:00Z')), t('2026-01-02T09:30:00Z'));
    const monthly = schedule('cron(15 6 1 JAN,JUL ? *)', '2026-01-01T00:00:00Z');
    assert.equal(nextTickAfter(monthly, t('2026-01-01T06:15:00Z')), t('2026-07-01T06:15:00Z'));
    const never = schedule('cron(0 0 30 FEB ? *)', '2026-01-01T00:00:00Z');
    assert.equal(nextTickAfter(never, t('2026-01-01T00:00:00Z')), undefined);
    const yearBound = schedule('cron(0 0 1 1 ? 2027)', '2026-01-01T00:00:00Z');
    assert.equal(nextTickAfter(yearBound, t('2026-06-01T00:00:00Z')), t('2027-01-01T00:00:00Z'));
    assert.equal(nextTickAfter(yearBound, t('2027-01-01T00:00:00Z')), undefined);
  });

  test('a cron tick is never before ScheduleStartTime', () => {
    const s = schedule('cron(0 * * * ? *)', '2026-01-01T05:20:00Z');
    assert.equal(nextTickAfter(s, t('2026-01-01T00:00:00Z')), t('2026-01-01T06:00:00Z'));
  });
});
