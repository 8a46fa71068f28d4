import { BadRequestException } from '../api/errors.js';
import type { ServiceModel, StructureShape } from '../api/model-types.js';
import { serviceModel } from '../api/service.js';
import { operationIn, shapeIn } from '../api/services.js';
import { parseJsonBounded } from './json.js';
import { isPlainObject, readShape, Violations } from './validate.js';

export interface RawRequest {
  labels: Record<string, string>;
  query: URLSearchParams;
  /** The body exactly as received; undefined or empty when there is none. */
  body: Buffer | undefined;
  contentType: string | undefined;
}

const JSON_CONTENT_TYPE = /^application\/(json|x-amz-json-1\.[01]|[\w.+-]+\+json)\s*(;.*)?$/i;

/**
 * Turns a routed request into the operation's input, named exactly as the model names its members:
 * URI labels and query parameters (coerced from text to the member's type) and the JSON body members.
 * Then every model constraint is checked at once; up to ten violations go back in one
 * BadRequestException.
 */
export function bindInput(operation: string, raw: RawRequest, model: ServiceModel = serviceModel): Record<string, unknown> {
  const inputRef = operationIn(model, operation).input;
  if (!inputRef) return {};
  const shape = shapeIn(model, inputRef.shape) as StructureShape;
  const members = Object.entries(shape.members);
  const hasBodyMembers = members.some(([, ref]) => ref.location === undefined);

  const assembled: Record<string, unknown> = {};
  if (hasBodyMembers) {
    const body = parseJsonBody(raw);
    for (const [name, ref] of members) {
      if (ref.location === undefined && body[name] !== undefined) assembled[name] = body[name];
    }
  }
  for (const [name, ref] of members) {
    if (ref.location === 'uri') {
      const value = raw.labels[ref.locationName ?? name];
      if (value !== undefined) assembled[name] = value;
    } else if (ref.location === 'querystring') {
      const key = ref.locationName ?? name;
      const target = shapeIn(model, ref.shape);
      if (target.type === 'list') {
        const all = raw.query.getAll(key);
        if (all.length > 0) assembled[name] = all;
      } else {
        const all = raw.query.getAll(key);
        // The signature sorts repeated parameters, so their order is not signed: taking one of two
        // values would let anyone on the way choose which. A single-valued member may appear once.
        if (all.length > 1) throw new BadRequestException(`The query parameter '${key}' appears ${all.length} times; it takes one value.`);
        if (all.length === 1) assembled[name] = coerceQueryValue(target.type, all[0]);
      }
    }
  }

  const violations = new Violations();
  const input = readShape(inputRef.shape, assembled, '', violations, false, model) as Record<string, unknown>;
  violations.throwIfAny();
  return input;
}

function coerceQueryValue(type: string, text: string): unknown {
  switch (type) {
    case 'integer':
    case 'long':
      return /^-?\d{1,16}$/.test(text) ? Number(text) : text;
    case 'double':
    case 'float':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    default:
      return text;
  }
}

function parseJsonBody(raw: RawRequest): Record<string, unknown> {
  if (!raw.body || raw.body.length === 0) return {};
  if (raw.contentType !== undefined && !JSON_CONTENT_TYPE.test(raw.contentType)) {
    throw new BadRequestException(
      `The content type '${raw.contentType.slice(0, 100)}' is not supported: send the body as application/json.`,
    );
  }
  const parsed = parseJsonBounded(raw.body.toString('utf8'), 'the request body');
  if (!isPlainObject(parsed)) throw new BadRequestException('The request body must be a JSON object.');
  return parsed;
}
