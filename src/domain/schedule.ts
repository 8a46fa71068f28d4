/**
 * When a scheduled flow runs: AppFlow's `ScheduledTriggerProperties` as ticks on a time line.
 *
 * - `ScheduleExpression` is `rate(N unit)` (AppFlow's own example is `rate(5minutes)`; the Customer
 *   Profiles model writes `rate (5 minutes)`, so spaces are optional) or an EventBridge-style
 *   `cron(minutes hours day-of-month month day-of-week year)`. AppFlow documents only `rate`; `cron` is
 *   accepted because CloudFormation templates for AppFlow use it, and it is evaluated in UTC.
 * - `ScheduleStartTime` anchors a rate (ticks at start + k × interval; without it, the time the flow was
 *   activated) and is the earliest tick of a cron; `ScheduleEndTime` is the last instant a tick may fall.
 * - `ScheduleOffset` (seconds) delays each run after its tick, so records that reach the source late are
 *   still inside the window the run reads, which ends at the tick (an inference from "an offset added to
 *   the time interval").
 * - `Timezone` is, as AppFlow documents, "only a descriptive label": it changes no tick.
 *
 * Pure: times are epoch milliseconds, problems are returned, never thrown.
 */

export type ScheduleExpression =
  | { kind: 'rate'; text: string; everyMs: number; amount: number; unit: RateUnit }
  | { kind: 'cron'; text: string; cron: CronFields };

export type RateUnit = 'minute' | 'hour' | 'day';

export interface Schedule {
  expression: ScheduleExpression;
  /** Anchor of a rate, earliest tick of a cron. */
  startMs: number;
  /** No tick after this instant. */
  endMs?: number;
  offsetMs: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const UNIT_MS: Record<RateUnit, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** AppFlow's shortest schedule interval is one minute. */
const MIN_RATE_MS = 60_000;

export function parseScheduleExpression(text: string): Parsed<ScheduleExpression> {
  const trimmed = text.trim();
  const rate = /^rate\s*\(\s*(\d{1,9})\s*(minutes?|hours?|days?)\s*\)$/i.exec(trimmed);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2]!.toLowerCase().replace(/s$/, '') as RateUnit;
    const everyMs = amount * UNIT_MS[unit];
    if (amount < 1 || everyMs < MIN_RATE_MS) {
      return { ok: false, problem: `The schedule expression ${JSON.stringify(text)} runs more often than once a minute, the shortest interval a flow may have.` };
    }
    return { ok: true, value: { kind: 'rate', text: trimmed, everyMs, amount, unit } };
  }
  const cron = /^cron\s*\((.*)\)$/i.exec(trimmed);
  if (cron) {
    const fields = parseCron(cron[1]!);
    if (!fields.ok) return { ok: false, problem: `The schedule expression ${JSON.stringify(text)} is not a valid cron expression: ${fields.problem}` };
    return { ok: true, value: { kind: 'cron', text: trimmed, cron: fields.value } };
  }
  return {
    ok: false,
    problem: `The schedule expression ${JSON.stringify(text)} is not one profileflow runs: use rate(N minutes|hours|days), for example rate(5minutes), or cron(minutes hours day-of-month month day-of-week year).`,
  };
}

export interface ScheduleInput {
  ScheduleExpression: string;
  /** Epoch milliseconds. */
  ScheduleStartTime?: number;
  ScheduleEndTime?: number;
  /** Seconds. */
  ScheduleOffset?: number;
}

/** The schedule of a flow activated at `activatedAtMs`, or the problem that stops it from running. */
export function buildSchedule(input: ScheduleInput, activatedAtMs: number): Parsed<Schedule> {
  const expression = parseScheduleExpression(input.ScheduleExpression);
  if (!expression.ok) return expression;
  const startMs = input.ScheduleStartTime ?? activatedAtMs;
  if (input.ScheduleEndTime !== undefined && input.ScheduleEndTime <= startMs) {
    return {
      ok: false,
      problem: `ScheduleEndTime ${new Date(input.ScheduleEndTime).toISOString()} is not after the schedule's start ${new Date(startMs).toISOString()}.`,
    };
  }
  return { ok: true, value: { expression: expression.value, startMs, endMs: input.ScheduleEndTime, offsetMs: (input.ScheduleOffset ?? 0) * 1000 } };
}

/** The next tick stored for a schedule that has none left (its ScheduleEndTime passed): never due again. */
export const NO_MORE_TICKS = Number.MAX_SAFE_INTEGER;

/** The first tick strictly after `afterMs`, or undefined when the schedule has ended. */
export function nextTickAfter(schedule: Schedule, afterMs: number): number | undefined {
  let tick: number | undefined;
  if (schedule.expression.kind === 'rate') {
    const { everyMs } = schedule.expression;
    const k = afterMs < schedule.startMs ? 0 : Math.floor((afterMs - schedule.startMs) / everyMs) + 1;
    tick = schedule.startMs + k * everyMs;
  } else {
    tick = nextCronTick(schedule.expression.cron, Math.max(afterMs + 1, schedule.startMs));
  }
  if (tick === undefined || (schedule.endMs !== undefined && tick > schedule.endMs)) return undefined;
  return tick;
}

/**
 * The latest tick at or before `nowMs` that is after `afterMs`: when a process comes back after missing
 * several ticks, the flow runs once for the newest of them, not once per tick missed.
 */
export function latestDueTick(schedule: Schedule, afterMs: number, nowMs: number): number | undefined {
  let due: number | undefined;
  let tick = nextTickAfter(schedule, afterMs);
  if (schedule.expression.kind === 'rate' && tick !== undefined && tick + schedule.offsetMs <= nowMs) {
    // Jump straight to the newest tick rather than walking every missed one.
    const { everyMs } = schedule.expression;
    const last = schedule.startMs + Math.floor((nowMs - schedule.offsetMs - schedule.startMs) / everyMs) * everyMs;
    const capped = schedule.endMs !== undefined ? Math.min(last, schedule.startMs + Math.floor((schedule.endMs - schedule.startMs) / everyMs) * everyMs) : last;
    return capped > afterMs ? capped : undefined;
  }
  while (tick !== undefined && tick + schedule.offsetMs <= nowMs) {
    due = tick;
    tick = nextTickAfter(schedule, tick);
  }
  return due;
}

/** When the run for `tick` becomes due: the tick plus the offset. */
export function runDueAt(schedule: Schedule, tick: number): number {
  return tick + schedule.offsetMs;
}

/** Words for status texts: "every hour", "every 5 minutes", "on cron(0 12 * * ? *) (UTC)". */
export function describeSchedule(expression: ScheduleExpression): string {
  if (expression.kind === 'cron') return `on ${expression.text} (UTC)`;
  const { amount, unit } = expression;
  return amount === 1 ? `every ${unit}` : `every ${amount} ${unit}s`;
}

// ---- cron -------------------------------------------------------------------------------------------

export interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  /** Undefined when the field is `?` (the day is chosen by the other day field). */
  daysOfMonth?: Set<number>;
  months: Set<number>;
  /** 1 = Sunday … 7 = Saturday, as EventBridge numbers them; undefined when `?`. */
  daysOfWeek?: Set<number>;
  /** Undefined when any year. */
  years?: Set<number>;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** `?` allowed (the two day fields). */
  any?: boolean;
}

const FIELD_RULES: FieldRule[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, any: true },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, any: true },
  { name: 'year', min: 1970, max: 2199 },
];

function parseCron(body: string): Parsed<CronFields> {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) return { ok: false, problem: `it has ${parts.length} fields where six are needed (minutes hours day-of-month month day-of-week year).` };
  const sets: (Set<number> | undefined)[] = [];
  for (let i = 0; i < 6; i++) {
    const field = parseCronField(parts[i]!, FIELD_RULES[i]!);
    if (!field.ok) return field;
    sets.push(field.value);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = sets;
  if ((daysOfMonth === undefined) === (daysOfWeek === undefined)) {
    return { ok: false, problem: 'exactly one of day-of-month and day-of-week must be ?.' };
  }
  return { ok: true, value: { minutes: minutes!, hours: hours!, daysOfMonth, months: months!, daysOfWeek, years: isFull(years!, FIELD_RULES[5]!) ? undefined : years } };
}

function isFull(set: Set<number>, rule: FieldRule): boolean {
  return set.size === rule.max - rule.min + 1;
}

/** A field: `*`, `?`, or a comma list of `v`, `a-b`, `*\/n`, `a/n`, `a-b/n` (numbers or names). */
function parseCronField(text: string, rule: FieldRule): Parsed<Set<number> | undefined> {
  if (text === '?') return rule.any ? { ok: true, value: undefined } : { ok: false, problem: `? is only allowed in day-of-month and day-of-week, not in ${rule.name}.` };
  if (/[LW#]/i.test(text.replace(/[A-Z]{3}/gi, (m) => (rule.names?.includes(m.toUpperCase()) ? '0' : m)))) {
    return { ok: false, problem: `${rule.name} ${JSON.stringify(text)} uses L, W or #, which profileflow does not evaluate.` };
  }
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/(\d+))?$/.exec(item);
    if (!m) return { ok: false, problem: `${rule.name} ${JSON.stringify(item)} is not a value, range, list or step.` };
    let lo = rule.min;
    let hi = rule.max;
    if (m[1] !== '*') {
      const [a, b] = m[1]!.split('-');
      const from = cronValue(a!, rule);
      if (from === undefined) return { ok: false, problem: `${rule.name} value ${JSON.stringify(a)} is outside ${rule.min}-${rule.max}.` };
      lo = from;
      hi = from;
      if (b !== undefined) {
        const to = cronValue(b, rule);
        if (to === undefined || to < from) return { ok: false, problem: `${rule.name} range ${JSON.stringify(m[1])} is not an ascending range within ${rule.min}-${rule.max}.` };
        hi = to;
      } else if (m[2] !== undefined) {
        hi = rule.max;
      }
    }
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) return { ok: false, problem: `${rule.name} step ${JSON.stringify(item)} must be at least 1.` };
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return { ok: true, value: out };
}

function cronValue(text: string, rule: FieldRule): number | undefined {
  let value: number;
  if (/^\d+$/.test(text)) value = Number(text);
  else {
    const index = rule.names?.indexOf(text.toUpperCase()) ?? -1;
    if (index < 0) return undefined;
    value = index + 1;
  }
  return value >= rule.min && value <= rule.max ? value : undefined;
}

/** Days searched before a cron is declared never to fire again (e.g. `cron(0 0 30 FEB ? *)`). */
const CRON_SEARCH_DAYS = 366 * 5;

/** The first minute at or after `fromMs` (rounded up to a whole minute) that the cron matches. */
function nextCronTick(cron: CronFields, fromMs: number): number | undefined {
  const start = new Date(Math.ceil(fromMs / 60_000) * 60_000);
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  const minuteOfStartDay = start.getUTCHours() * 60 + start.getUTCMinutes();
  const hours = [...cron.hours].sort((a, b) => a - b);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  for (let d = 0; d < CRON_SEARCH_DAYS; d++, day.setUTCDate(day.getUTCDate() + 1)) {
    if (cron.years && !cron.years.has(day.getUTCFullYear())) continue;
    if (!cron.months.has(day.getUTCMonth() + 1)) continue;
    if (cron.daysOfMonth && !cron.daysOfMonth.has(day.getUTCDate())) continue;
    if (cron.daysOfWeek && !cron.daysOfWeek.has(day.getUTCDay() + 1)) continue;
    const earliest = d === 0 ? minuteOfStartDay : 0;
    for (const h of hours) {
      for (const m of minutes) {
        if (h * 60 + m >= earliest) return day.getTime() + (h * 60 + m) * 60_000;
      }
    }
  }
  return undefined;
}
