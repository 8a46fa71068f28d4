import type { ServiceModel, StructureShape } from '../api/model-types.js';
import { serviceModel } from '../api/service.js';
import { operationIn, shapeIn } from '../api/services.js';

/**
 * Writes an operation's output as restJson1 JSON text: only the members the model declares (so nothing
 * internal can leak), absent optional members omitted, timestamps as epoch seconds (fractional when the
 * time has milliseconds). The text is exactly what `JSON.stringify` makes of the same members
 * (test/unit/serialize.test.ts holds the two side by side).
 */
export function serializeOutput(operation: string, output: unknown, model: ServiceModel = serviceModel): string {
  const outputRef = operationIn(model, operation).output;
  if (!outputRef || output === undefined || output === null) return '{}';
  return writerOf(model, outputRef.shape)(output) ?? '{}';
}

/** The JSON text of one non-null value of a shape; undefined means "omit" (as JSON.stringify omits). */
type Writer = (value: unknown) => string | undefined;

/**
 * One writer per shape, built on first use and kept. Why text rather than a copy of the output for
 * JSON.stringify: a 100-item list page was copied member by member into fresh objects that JSON.stringify
 * then walked again; writing the text straight from the handler's output, with a structure's members
 * read by generated code (`v.WorkflowId`…, see `structureWriter`), cost 20–30 % less CPU for the
 * serialization of ListWorkflows and GetWorkflowSteps (docs/performance.md).
 */
const writers = new WeakMap<ServiceModel, Map<string, Writer>>();

function writerOf(model: ServiceModel, shapeName: string): Writer {
  let byName = writers.get(model);
  if (!byName) writers.set(model, (byName = new Map()));
  let writer = byName.get(shapeName);
  if (!writer) {
    // A recursive shape reaches itself while being built: it then gets this forwarder.
    let built: Writer | undefined;
    byName.set(shapeName, (value) => built!(value));
    built = buildWriter(model, shapeName);
    byName.set(shapeName, built);
    writer = built;
  }
  return writer;
}

function buildWriter(model: ServiceModel, shapeName: string): Writer {
  const shape = shapeIn(model, shapeName);
  switch (shape.type) {
    case 'structure':
      return structureWriter(model, shape);
    case 'list': {
      const writeItem = writerOf(model, shape.member.shape);
      return (value) => {
        const items = value as unknown[];
        if (!Array.isArray(items)) throw new TypeError(`${shapeName} is not an array.`);
        let out = '[';
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          const text = item === undefined || item === null ? undefined : writeItem(item);
          out += (i === 0 ? '' : ',') + (text ?? 'null');
        }
        return `${out}]`;
      };
    }
    case 'map': {
      const writeValue = writerOf(model, shape.value.shape);
      return (value) => {
        const entries = value as Record<string, unknown>;
        let out = '{';
        for (const key of Object.keys(entries)) {
          const entry = entries[key];
          const text = entry === undefined || entry === null ? undefined : writeValue(entry);
          if (text !== undefined) out += (out.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + text;
        }
        return `${out}}`;
      };
    }
    case 'timestamp':
      return (value) => (value instanceof Date ? secondsText(value.getTime()) : typeof value === 'number' ? secondsText(value) : undefined);
    case 'string':
      return stringText;
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      return numberText;
    default:
      return (value) => JSON.stringify(value) as string | undefined;
  }
}

const MEMBER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `(v) => { let o = '{', t, x; x = v.A; if (x != null && (t = w[0](x)) !== undefined) o += … }`: each member
 * read by name at its own place in the code, where a loop over the names made every read a keyed lookup
 * of many shapes (the loop form was measured slower than the copy it replaced). Names come from the
 * vendored model and are checked to be identifiers.
 */
function structureWriter(model: ServiceModel, shape: StructureShape): Writer {
  const members = Object.entries(shape.members);
  const lines = members.map(([name], i) => {
    if (!MEMBER_NAME.test(name)) throw new Error(`The model's member name '${name}' is not an identifier.`);
    const key = JSON.stringify(`${JSON.stringify(name)}:`);
    return `x = v.${name}; if (x != null && (t = w[${i}](x)) !== undefined) o += (o.length > 1 ? ',' : '') + ${key} + t;`;
  });
  const make = new Function('w', `return (v) => { let o = '{', t, x; ${lines.join(' ')} return o + '}'; };`) as (w: Writer[]) => Writer;
  return make(members.map(([, ref]) => writerOf(model, ref.shape)));
}

/** Characters JSON.stringify escapes (quote, backslash, controls) or checks (surrogates, paired or lone). */
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;

function stringText(value: unknown): string | undefined {
  if (typeof value === 'string' && !NEEDS_ESCAPING.test(value)) return `"${value}"`;
  return JSON.stringify(value) as string | undefined;
}

/** The last millisecond a Date can hold (ECMAScript's time range). */
const MAX_DATE_MS = 8_640_000_000_000_000;

/**
 * Epoch milliseconds as JSON.stringify writes them in seconds, from integer arithmetic: a list page
 * writes two hundred timestamps, and the shortest-digits conversion of a fraction cost five times as
 * much. For a whole number of milliseconds in a Date's range the quotient's shortest form is its three
 * decimals with trailing zeros dropped: there the doubles are less than a thousandth apart (below 2^43
 * seconds), so that decimal, and no shorter one, reads back as the quotient.
 */
function secondsText(ms: number): string | undefined {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DATE_MS) return numberText(ms / 1000);
  const seconds = Math.floor(ms / 1000);
  const rest = ms - seconds * 1000;
  if (rest === 0) return `${seconds}`;
  if (rest % 100 === 0) return `${seconds}.${rest / 100}`;
  if (rest % 10 === 0) return `${seconds}.${rest < 100 ? '0' : ''}${rest / 10}`;
  return `${seconds}.${rest < 10 ? '00' : rest < 100 ? '0' : ''}${rest}`;
}

function numberText(value: unknown): string | undefined {
  // For a finite number, String and JSON.stringify write the same digits (-0 as 0 in both).
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return JSON.stringify(value) as string | undefined;
}
