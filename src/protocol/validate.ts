import { characterCount } from '../domain/characters.js';
import { setOwn } from '../domain/own-properties.js';
import { abridge, BadRequestException } from '../api/errors.js';
import type { MemberRef, ServiceModel, Shape } from '../api/model-types.js';
import { serviceModel } from '../api/service.js';
import { shapeIn } from '../api/services.js';
import { timestampOfSeconds } from '../api/timestamp.js';

/** The rule a string holding U+0000 breaks. */
const NUL_RULE = 'Member must not contain the character U+0000';

/** AWS reports at most this many violations in one message; so do we. */
const MAX_REPORTED = 10;

/**
 * AWS patterns are whole-string matches (the Smithy model anchors them all). The one exception is TagArn,
 * whose anchored Smithy form `^arn:[a-z0-9]{1,10}:profile$` would reject every real ARN: botocore's
 * unanchored form is applied as a prefix check, which real ARNs pass.
 */
const PREFIX_PATTERN_SHAPES = new Set(['TagArn']);
/** Per model: the two services' models share shape names (TagKey, ConnectorProfileName) with different rules. */
const patternCaches = new WeakMap<ServiceModel, Map<string, RegExp>>();
/**
 * The models' patterns are Java regular expressions, which match code points: with the `u` flag so do
 * ours. Without it a surrogate pair in a class (AppFlow's Glue names, `\uD800\uDC00-\uDBFF\uDFFF` for
 * U+10000 to U+10FFFF) reads as a range out of order, and every request holding such a member was a 500.
 */
function patternFor(model: ServiceModel, shapeName: string, pattern: string): RegExp {
  let cache = patternCaches.get(model);
  if (!cache) patternCaches.set(model, (cache = new Map()));
  let re = cache.get(shapeName);
  if (!re) {
    const prefixOnly = model === serviceModel && PREFIX_PATTERN_SHAPES.has(shapeName);
    re = prefixOnly ? new RegExp(`^(?:${pattern})`, 'u') : new RegExp(`^(?:${pattern})$`, 'u');
    cache.set(shapeName, re);
  }
  return re;
}

/**
 * Bounds the Customer Profiles model leaves open, where one request's list would otherwise hold the
 * service for everyone: a value list (SearchProfiles' Values and AdditionalSearchKeys, AddProfileKey,
 * DeleteProfileKey, ListProfileObjects' ObjectFilter) of the 300,000 values an 8 MiB body holds took over
 * a second of the event loop. Reported as the model's own length rule would be.
 */
const SERVICE_LIST_LIMITS: Readonly<Record<string, number>> = { requestValueList: 10_000 };

export class Violations {
  readonly messages: string[] = [];
  private count = 0;

  add(path: string, value: unknown, rule: string, sensitive: boolean): void {
    this.count++;
    if (this.messages.length >= MAX_REPORTED) return;
    const shown = value === undefined || value === null ? 'null' : sensitive ? "'***'" : `'${abridge(value)}'`;
    this.messages.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${rule}`);
  }

  get size(): number {
    return this.count;
  }

  /** Throws one BadRequestException listing up to ten violations, in AWS's wording. */
  throwIfAny(): void {
    if (this.count === 0) return;
    const head = `${this.count} validation error${this.count === 1 ? '' : 's'} detected: `;
    throw new BadRequestException(head + this.messages.join('; '));
  }
}

/**
 * Checks a decoded JSON value against a model shape and returns it in its runtime form (timestamps become
 * Date; everything else keeps its JSON form). Members the model does not know are dropped, as AWS does.
 * Constraints are read from the model data, never written out per operation.
 */
export function readShape(
  shapeName: string,
  value: unknown,
  path: string,
  violations: Violations,
  sensitive = false,
  model: ServiceModel = serviceModel,
): unknown {
  const shape = shapeIn(model, shapeName);
  const secret = sensitive || shape.sensitive === true;
  switch (shape.type) {
    case 'structure': {
      if (!isPlainObject(value)) {
        violations.add(path, value, 'Member must be a structure (a JSON object)', secret);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members)) {
        const member = value[name];
        const memberPath = path ? `${path}.${name}` : name;
        if (member === undefined || member === null) {
          if (shape.required?.includes(name)) violations.add(memberPath, null, 'Member must not be null', false);
          continue;
        }
        const read = readShape(ref.shape, member, memberPath, violations, secret, model);
        if (read !== undefined) out[name] = read;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        violations.add(path, value, 'Member must be a list (a JSON array)', secret);
        return undefined;
      }
      checkSize(shape, value.length, path, value, violations, secret);
      const limit = model === serviceModel ? SERVICE_LIST_LIMITS[shapeName] : undefined;
      if (limit !== undefined && value.length > limit) {
        // Its items are not read: checking 300,000 of them is the work the bound is there to refuse.
        violations.add(path, value, `Member must have length less than or equal to ${limit}`, secret);
        return undefined;
      }
      return value.map((item, i) => {
        if (item === null) {
          violations.add(`${path}.${i + 1}`, null, 'Member must not be null', false);
          return undefined;
        }
        return readShape(shape.member.shape, item, `${path}.${i + 1}`, violations, secret, model);
      });
    }
    case 'map': {
      if (!isPlainObject(value)) {
        violations.add(path, value, 'Member must be a map (a JSON object)', secret);
        return undefined;
      }
      const entries = Object.entries(value);
      checkSize(shape, entries.length, path, value, violations, secret);
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries) {
        readShape(shape.key.shape, k, `${path}.key`, violations, secret, model);
        // The key names the entry in messages, abridged like any value: a 100,000-character key is possible.
        const entryPath = `${path}.${abridge(k)}`;
        if (v === null) {
          violations.add(entryPath, null, 'Member must not be null', false);
          continue;
        }
        setOwn(out, k, readShape(shape.value.shape, v, entryPath, violations, secret, model));
      }
      return out;
    }
    case 'string': {
      if (typeof value !== 'string') {
        violations.add(path, value, 'Member must be a string', secret);
        return undefined;
      }
      // The length trait counts characters. A string has at most as many characters as UTF-16 units, and
      // at least half as many: only a string near a bound needs counting.
      if (shape.min !== undefined && (value.length < shape.min || (value.length < 2 * shape.min && characterCount(value) < shape.min)))
        violations.add(path, value, `Member must have length greater than or equal to ${shape.min}`, secret);
      if (shape.max !== undefined && value.length > shape.max && characterCount(value) > shape.max)
        violations.add(path, value, `Member must have length less than or equal to ${shape.max}`, secret);
      if (shape.enum && !shape.enum.includes(value))
        violations.add(path, value, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`, secret);
      if (shape.pattern && !patternFor(model, shapeName, shape.pattern).test(value))
        violations.add(path, value, `Member must satisfy regular expression pattern: ${shape.pattern}`, secret);
      // PostgreSQL text cannot hold U+0000; refusing it on every backend keeps a suite run on SQLite true
      // of PostgreSQL. The models set no rule for it, so the wording follows theirs. A pattern has already
      // refused it where there is one.
      else if (value.includes('\u0000')) violations.add(path, value, NUL_RULE, secret);
      return value;
    }
    case 'integer':
    case 'long':
    case 'double':
    case 'float': {
      const integral = shape.type === 'integer' || shape.type === 'long';
      if (typeof value !== 'number' || !Number.isFinite(value) || (integral && !Number.isInteger(value))) {
        violations.add(path, value, integral ? 'Member must be an integer' : 'Member must be a number', secret);
        return undefined;
      }
      if (shape.type === 'integer' && (value > 2147483647 || value < -2147483648))
        violations.add(path, value, 'Member must fit in a 32-bit integer', secret);
      if (shape.min !== undefined && value < shape.min)
        violations.add(path, value, `Member must have value greater than or equal to ${shape.min}`, secret);
      if (shape.max !== undefined && value > shape.max)
        violations.add(path, value, `Member must have value less than or equal to ${shape.max}`, secret);
      return value;
    }
    case 'boolean': {
      if (typeof value !== 'boolean') {
        violations.add(path, value, 'Member must be a boolean', secret);
        return undefined;
      }
      return value;
    }
    case 'timestamp': {
      const date = readTimestamp(value);
      if (!date) {
        violations.add(path, value, 'Member must be a timestamp in epoch seconds', secret);
        return undefined;
      }
      return date;
    }
    default:
      violations.add(path, value, `Member has an unsupported type ${shape.type}`, secret);
      return undefined;
  }
}

/**
 * restJson1 timestamps are epoch seconds: the SDK sends fractions (1600000000.25), the CLI integers.
 * Numeric strings are accepted too: a hand-written JSON body may quote the number, and reading it costs
 * nothing a client could exploit.
 */
export function readTimestamp(value: unknown): Date | undefined {
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) seconds = Number(value);
  else return undefined;
  if (!Number.isFinite(seconds)) return undefined;
  const date = timestampOfSeconds(seconds);
  // Dates outside what JavaScript can represent (about ±273,790 years) are not timestamps.
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function checkSize(
  shape: Extract<Shape, { type: 'list' | 'map' }>,
  size: number,
  path: string,
  value: unknown,
  violations: Violations,
  sensitive: boolean,
): void {
  if (shape.min !== undefined && size < shape.min)
    violations.add(path, value, `Member must have length greater than or equal to ${shape.min}`, sensitive);
  if (shape.max !== undefined && size > shape.max)
    violations.add(path, value, `Member must have length less than or equal to ${shape.max}`, sensitive);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type { MemberRef };
