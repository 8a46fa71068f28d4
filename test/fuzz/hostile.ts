import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { StructureShape } from '../../src/api/model-types.js';
import { allOperations, operationModel, serviceModel, shapeOf } from '../../src/api/service.js';
import type { Credential } from '../../src/auth/credentials.js';
import { MAX_JSON_DEPTH } from '../../src/protocol/json.js';
import { buildApp } from '../../src/server/app.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';

/**
 * Hostile requests for every route of the model (implemented or not): members generated from the model
 * shapes and then mutated (wrong types, boundary lengths, unicode and control characters, huge and deeply
 * nested values), broken percent-encoding and path tricks in labels, duplicate query keys, absurd headers
 * and signatures, JSON nested at and beyond MAX_JSON_DEPTH (in bodies and in JSON carried by strings),
 * and names of Object.prototype members as map keys, structure members and object fields. Shared by the bounded test in `npm test` and the long run (`npm run fuzz`).
 */

export interface HostileCase {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Which app answers: auth off, or SigV4 verification with credentials. */
  auth: 'off' | 'sigv4';
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

const nasty = fc.constantFrom(
  '',
  '.',
  '..',
  '%2e%2e',
  '..%2F..%2Fetc%2Fpasswd',
  '%2F',
  '%00',
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%FF%FE',
  '\u0000',
  'a b',
  '%20',
  '🙂',
  '\uD800',
  "'; DROP TABLE domains; --",
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'x'.repeat(5000),
  '%25%32%46',
);

/** Text that is plausible, hostile, or both. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: nasty },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }).map((n) => 'a'.repeat(n)) },
);

/** Names of Object.prototype members: ordinary names to the service, never methods or the prototype. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];
const prototypeName = fc.constantFrom(...PROTOTYPE_NAMES);

/** A map key or field name: usually any text, often an Object.prototype member's name. */
const memberName = fc.oneof({ weight: 3, arbitrary: text }, { weight: 2, arbitrary: prototypeName });

/** An object with exactly these own members (`o[k] = v` with `__proto__` would set the prototype instead). */
function ownObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  return o;
}

/** Depths around the bound, and far beyond it. */
const depthNearBound = fc.constantFrom(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, MAX_JSON_DEPTH + 2, 1_000, 10_000, 100_000);

/** JSON text nested `depth` deep, as arrays, objects or both (never built as a value: it may be far too deep). */
function nestedJsonText(depth: number, style: number, leaf = '1'): string {
  if (style === 0) return '['.repeat(depth) + leaf + ']'.repeat(depth);
  if (style === 1) return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '[' : '{"__proto__":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return open + leaf + close;
}

const deepJsonText = fc.tuple(depthNearBound, fc.nat(2)).map(([depth, style]) => nestedJsonText(depth, style));

/** JSON text a string member may carry (PutProfileObject's Object): deep, or with Object.prototype names. */
const jsonInString = fc.oneof(
  deepJsonText.map((t) => `{"id":"x","v":${t}}`),
  fc.array(fc.tuple(prototypeName, fc.oneof(text, fc.jsonValue({ maxDepth: 2 }))), { maxLength: 4 }).map((entries) => JSON.stringify(ownObject(entries))),
);

/** Any JSON value, sometimes deep. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, -1, 0, 1.5, 2 ** 31, -(2 ** 53), 1e308, '', [], {}),
  fc.integer({ min: 1, max: 3000 }).map((depth) => nest(depth)),
);

function nest(depth: number): unknown {
  let v: unknown = 'deep';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** A value for a shape: mostly close to valid, often a bit wrong, sometimes anything at all. */
function valueOf(shapeName: string, depth: number): fc.Arbitrary<unknown> {
  const shape = shapeOf(shapeName);
  const wrong = anyJson;
  let right: fc.Arbitrary<unknown>;
  switch (shape.type) {
    case 'structure': {
      if (depth > 4) return fc.constant({});
      const members = Object.entries(shape.members).filter(([, ref]) => ref.location === undefined);
      const record = fc.record(Object.fromEntries(members.map(([name, ref]) => [name, valueOf(ref.shape, depth + 1)])), { requiredKeys: [] });
      // Members the model does not know, named after Object.prototype's: dropped, as unknown members are.
      right = fc.tuple(record, fc.array(fc.tuple(prototypeName, anyJson), { maxLength: 2 })).map(([r, extra]) => ownObject([...Object.entries(r), ...extra]));
      break;
    }
    case 'list':
      right = depth > 4 ? fc.constant([]) : fc.array(valueOf(shape.member.shape, depth + 1), { maxLength: (shape.max ?? 3) > 3 ? 4 : (shape.max ?? 3) + 1 });
      break;
    case 'map':
      right = depth > 4 ? fc.constant({}) : fc.array(fc.tuple(memberName, valueOf(shape.value.shape, depth + 1)), { maxLength: 3 }).map(ownObject);
      break;
    case 'string': {
      const boundary = [shape.min ?? 0, shape.max ?? 256].flatMap((n) => [n - 1, n, n + 1]).filter((n) => n >= 0 && n <= 300_000);
      right = fc.oneof(
        shape.enum ? fc.constantFrom(...shape.enum) : text,
        text,
        fc.constantFrom(...boundary).map((n) => 'x'.repeat(n)),
        jsonInString,
      );
      break;
    }
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      right = fc.oneof(
        fc.integer(),
        fc.double(),
        fc.constantFrom(shape.min ?? 0, (shape.min ?? 0) - 1, shape.max ?? 100, (shape.max ?? 100) + 1, 2 ** 31, 2 ** 63, Number.MAX_SAFE_INTEGER + 2),
      );
      break;
    case 'boolean':
      right = fc.boolean();
      break;
    case 'timestamp':
      right = fc.oneof(fc.double({ min: -1e13, max: 1e13 }), fc.constantFrom('1600000000', '2025-01-01T00:00:00Z', '-', 8.64e15));
      break;
    default:
      right = text;
  }
  return fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

function labelsOf(uri: string): string[] {
  return [...uri.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]);
}

function encodeLabel(raw: string, how: number): string {
  if (how === 0) {
    try {
      return encodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  // As sent: slashes, dots, percent signs and unicode left for the server to cope with.
  return how === 1 ? raw.replace(/[\s?#]/g, '') : raw.replace(/[\s?#]/g, '').replace(/\//g, '%2F');
}

const queryPart = fc.oneof(
  fc.tuple(fc.constantFrom('max-results', 'next-token', 'include-hidden', 'tagKeys', 'X-Amz-Algorithm', 'x'), text),
  fc.tuple(text, text),
);

const headerValue = fc.oneof(
  text.map((t) => t.replace(/[^\t\x20-\x7e]/g, '')),
  fc.integer({ min: 1, max: 8000 }).map((n) => 'h'.repeat(n)),
  fc.constantFrom(
    'AWS4-HMAC-SHA256 Credential=AKIDACCOUNTA0000001/20260101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=' + '0'.repeat(64),
    'AWS4-HMAC-SHA256 Credential=//////, SignedHeaders=;;;;, Signature=zz',
    'AWS4-HMAC-SHA256 Credential=AKIDACCOUNTA0000001/2026/us-east-1/profile/aws4_request,,,,SignedHeaders=,Signature=',
    'AWS4-HMAC-SHA256 ' + 'Credential='.repeat(500),
    'Basic Zm9vOmJhcg==',
  ),
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-amz-json-1.1', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '*/*', ';;;'),
    authorization: headerValue,
    'x-amz-date': fc.oneof(fc.constantFrom('20260101T000000Z', '99999999T999999Z', '', 'yesterday'), text.map((t) => t.replace(/[^\x20-\x7e]/g, ''))),
    'x-amz-content-sha256': fc.constantFrom('UNSIGNED-PAYLOAD', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'nope', ''),
    'x-custom': headerValue,
  },
  { requiredKeys: [] },
);

const rawBody = fc.oneof(
  fc.constantFrom('', '{', 'null', '[]', '"x"', '{"a":', '\u0000', '{}{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}'),
  fc.integer({ min: 1000, max: 150_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  // A body that nests at, just past or far past the bound in one of its members.
  fc.tuple(fc.constantFrom('Status', 'Tags', 'Fields', 'Keys', 'Values', 'Attributes', 'tags', 'FlowDefinition', '__proto__'), depthNearBound, fc.nat(2)).map(
    ([member, depth, style]) => `{"${member}":${nestedJsonText(depth, style)}}`,
  ),
  deepJsonText,
  fc.integer({ min: 1, max: 2_000_000 }).map((n) => JSON.stringify({ Object: 'o'.repeat(n) })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

/** One hostile request against a model route (or a made-up one). */
export const hostileCase: fc.Arbitrary<HostileCase> = fc
  .tuple(
    fc.constantFrom(...allOperations),
    fc.nat(),
    fc.array(text, { minLength: 4, maxLength: 4 }),
    fc.constantFrom(0, 0, 1, 2),
    fc.array(queryPart, { maxLength: 5 }),
    fc.boolean(),
    headers,
    fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: rawBody }),
    fc.constantFrom<'off' | 'sigv4'>('off', 'off', 'sigv4'),
    fc.nat(),
  )
  .chain(([route, methodPick, labelValues, how, query, keepMethod, hdrs, raw, auth, extraPath]) => {
    const model = serviceModel.operations[route.name];
    const inputShape = model?.input ? (shapeOf(model.input.shape) as StructureShape) : undefined;
    const bodyArb: fc.Arbitrary<string | Buffer | undefined> = raw !== undefined
      ? fc.constant(raw)
      : inputShape
        ? valueOf(operationModel(route.name).input!.shape, 0).map((v) => safeStringify(v))
        : fc.constant(undefined);
    return bodyArb.map((body) => {
      let path = route.requestUri.split('?')[0];
      labelsOf(route.requestUri).forEach((label, i) => {
        path = path.replace(new RegExp(`\\{${label}\\+?\\}`), encodeLabel(labelValues[i % labelValues.length], how));
      });
      if (extraPath % 7 === 0) path += '/..';
      if (extraPath % 11 === 0) path = path.replace(/\//g, '//');
      const qs = query.map(([k, v]) => `${encodeLabel(k, how)}=${encodeLabel(v, how)}`);
      if (query.length && extraPath % 3 === 0) qs.push(qs[0]); // duplicate key
      const method = keepMethod ? route.method : METHODS[methodPick % METHODS.length];
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(hdrs)) if (v !== undefined) h[k] = v;
      return { method, url: `${path}${qs.length ? `?${qs.join('&')}` : ''}`, headers: h, body: method === 'GET' || method === 'HEAD' ? undefined : body, auth };
    });
  });

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

export interface FuzzTarget {
  apps: Record<'off' | 'sigv4', FastifyInstance>;
  close(): Promise<void>;
}

export const FUZZ_CREDENTIALS = new Map<string, Credential>([['AKIDACCOUNTA0000001', { secretAccessKey: 'fuzz-secret', accountId: '111111111111' }]]);

/** Two apps over one in-memory store: auth off and SigV4 on. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const testStore: TestStore = await createTestStore('sqlite');
  const off = await buildApp({ store: testStore.store });
  const sigv4 = await buildApp({ store: testStore.store, auth: { mode: 'sigv4', credentials: FUZZ_CREDENTIALS } });
  return {
    apps: { off, sigv4 },
    close: async () => {
      await off.close();
      await sigv4.close();
      await testStore.dispose();
    },
  };
}

/** What was wrong with an answer, or undefined when it is a proper AWS-shaped answer. */
export function problemWith(c: HostileCase, res: { statusCode: number; headers: Record<string, unknown>; body: string }): string | undefined {
  const status = res.statusCode;
  const type = res.headers['x-amzn-errortype'];
  if (!res.headers['x-amzn-requestid']) return `no X-Amzn-RequestId (status ${status})`;
  if (status >= 500 && !(status === 501 && type === 'NotImplementedException')) return `status ${status}: ${res.body.slice(0, 300)}`;
  if (status >= 300) {
    if (typeof type !== 'string' || type === '') return `status ${status} without X-Amzn-ErrorType: ${res.body.slice(0, 200)}`;
    if (c.method === 'HEAD') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      return `status ${status} with a body that is not JSON: ${res.body.slice(0, 200)}`;
    }
    const message = (parsed as { Message?: unknown }).Message;
    if (typeof message !== 'string' || message.length === 0) return `status ${status} without a Message: ${res.body.slice(0, 200)}`;
    if (message.length > 4000) return `an error message of ${message.length} characters`;
  }
  return undefined;
}

/** Sends one case through `inject` and checks the answer. */
export async function runCase(target: FuzzTarget, c: HostileCase): Promise<string | undefined> {
  const res = await target.apps[c.auth].inject({ method: c.method as 'GET', url: c.url, headers: c.headers, payload: c.body });
  return problemWith(c, { statusCode: res.statusCode, headers: res.headers, body: res.body });
}

export function heapUsedMb(): number {
  return process.memoryUsage().heapUsed / 1024 / 1024;
}
