import { abridge } from '../../api/errors.js';
import { isJsonObject } from '../../domain/json-object.js';
import { type Checked, invalid, valid } from '../../domain/problem.js';

/**
 * A value sent to us, as a problem sentence quotes it: abridged and with control characters escaped, as
 * the API's validator shows values, so that a setting or member name of any length never makes the
 * answer as long (a 20,000-character name was repeated whole).
 */
export function quoted(value: unknown): string {
  // abridge, not String(): an object whose toString is not a function makes String() throw.
  return `'${abridge(value)}'`;
}

/** How many unknown values of one list setting a problem names. */
const SHOWN_VALUES = 5;

/** A connector's settings described as data, checked by one function (the dynalite habit). */
export type SettingRule = { required?: boolean; describe?: string } & (
  | { type: 'string' }
  | { type: 'integer' | 'number'; min?: number; max?: number }
  | { type: 'string-or-number' }
  | { type: 'string-list'; allowed?: readonly string[] }
  /** Anything more structured: the parse answers the value as its type, or its problems as sentences. */
  | { type: 'custom'; parse: (value: unknown, name: string) => Checked<unknown> }
);

export type SettingRules = Record<string, SettingRule>;

/** The type of the value a rule lets through. */
type RuleValue<R> = R extends { type: 'string' }
  ? string
  : R extends { type: 'integer' | 'number' }
    ? number
    : R extends { type: 'string-or-number' }
      ? string | number
      : R extends { type: 'string-list' }
        ? string[]
        : R extends { type: 'custom'; parse: (value: unknown, name: string) => Checked<infer T> }
          ? T
          : never;

type RequiredNames<R> = { [K in keyof R]: R[K] extends { required: true } ? K : never }[keyof R];

/**
 * The settings a rule table describes: one member per rule, optional unless the rule is required. A
 * table declared with `satisfies SettingRules` keeps the literal types this reads.
 */
export type SettingsOf<R extends SettingRules> = {
  [K in RequiredNames<R>]: RuleValue<R[K]>;
} & {
  [K in Exclude<keyof R, RequiredNames<R>>]?: RuleValue<R[K]>;
};

/**
 * The settings as the table describes them, or their problems as sentences naming the setting and the
 * rule. A null member counts as absent and is left out of the value.
 */
export function checkSettings<R extends SettingRules>(settings: Record<string, unknown>, rules: R): Checked<SettingsOf<R>> {
  if (!isJsonObject(settings)) {
    return invalid('The settings must be a JSON object.');
  }
  const problems: string[] = [];
  for (const name of Object.keys(settings)) {
    if (!Object.hasOwn(rules, name)) {
      problems.push(`Unknown setting ${quoted(name)}; the known settings are ${Object.keys(rules).join(', ')}.`);
    }
  }
  const value: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(rules)) {
    const raw = settings[name];
    if (raw === undefined || raw === null) {
      if (rule.required) problems.push(`Setting '${name}' is required${rule.describe ? `: ${rule.describe}` : ''}.`);
      continue;
    }
    if (holdsNul(raw)) {
      // A path, an address or a credential holding it would fail only later, in the middle of a read.
      problems.push(`Setting '${name}' holds the character U+0000, which no setting may contain.`);
      continue;
    }
    const checked = checkOne(name, raw, rule);
    if (checked.ok) value[name] = checked.value;
    else problems.push(...checked.problems);
  }
  if (problems.length) return invalid(...problems);
  // Every member was checked against its rule just above, which is what SettingsOf<R> describes.
  return valid(value as SettingsOf<R>);
}

function checkOne(name: string, value: unknown, rule: SettingRule): Checked<unknown> {
  switch (rule.type) {
    case 'string':
      return typeof value === 'string' && value !== '' ? valid(value) : invalid(`Setting '${name}' must be a non-empty string.`);
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !(rule.type === 'integer' ? Number.isInteger(value) : Number.isFinite(value))) {
        return invalid(`Setting '${name}' must be ${rule.type === 'integer' ? 'an integer' : 'a number'}.`);
      }
      if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
        return invalid(`Setting '${name}' must be between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'}, got ${value}.`);
      }
      return valid(value);
    }
    case 'string-or-number':
      return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))
        ? valid(value)
        : invalid(`Setting '${name}' must be a number or a non-empty string.`);
    case 'string-list': {
      const list = stringList(value);
      if (!list) return invalid(`Setting '${name}' must be a non-empty list of strings.`);
      const unknown = rule.allowed ? list.filter((v) => !rule.allowed?.includes(v)) : [];
      const more = unknown.length > SHOWN_VALUES ? ` and ${unknown.length - SHOWN_VALUES} more` : '';
      return unknown.length
        ? invalid(`Setting '${name}' names unknown values ${unknown.slice(0, SHOWN_VALUES).map(quoted).join(', ')}${more}; allowed: ${rule.allowed?.join(', ')}.`)
        : valid(list);
    }
    case 'custom':
      return rule.parse(value, name);
  }
}

/** Whether a string anywhere in `value` (a JSON value, bounded in depth where it was parsed) holds U+0000. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (isJsonObject(value)) return Object.entries(value).some(([k, v]) => k.includes('\u0000') || holdsNul(v));
  return false;
}

/** `value` when it is a non-empty list of strings. */
function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const list: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string') return undefined;
    list.push(v);
  }
  return list;
}
