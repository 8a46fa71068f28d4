import { Readable } from 'node:stream';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { ServiceModel } from '../../src/api/model-types.js';
import { type ApiService, appflowService, customerProfilesService, type ServiceName, shapeIn } from '../../src/api/services.js';
import type { Credential } from '../../src/auth/credentials.js';
import { signSigV4 } from '../../src/auth/sigv4.js';
import { SOURCE_CONNECTOR_TYPES } from '../../src/connectors/profiles.js';
import { connectorKinds } from '../../src/connectors/index.js';
import { seedIds } from '../../src/domain/ids.js';
import { ManualClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { appflowOperations } from '../../src/operations/appflow/index.js';
import { operations } from '../../src/operations/index.js';
import { MAX_JSON_DEPTH } from '../../src/protocol/json.js';
import { ADMIN_BODY_LIMIT } from '../../src/server/admin-surface.js';
import { buildApp } from '../../src/server/app.js';
import { ADMIN_PREFIX } from '../../src/server/console-routes.js';
import { FaultInjector } from '../../src/server/faults.js';
import type { AdminAccess } from '../../src/server/request-context.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';

/**
 * Hostile requests for every route of both models (Customer Profiles and the AppFlow slice, implemented or
 * not) and for every route of the service's own surface under /_profileflow/: members generated from the
 * model shapes (or, for the admin routes, from what each route reads) and then mutated (wrong types,
 * boundary lengths, unicode and control characters, huge and deeply nested values), broken
 * percent-encoding and path tricks in labels, duplicate query keys, absurd headers and signatures, JSON
 * nested at and beyond MAX_JSON_DEPTH (in bodies and in JSON carried by strings), and names of
 * Object.prototype members as map keys, structure members and object fields. Against the SigV4 app a case
 * is sent unsigned or forged, or signed for real with a tenant's or the operator's key, so that the
 * handlers behind authentication are reached too and the line between tenant and operator is tried.
 * Shared by the bounded test in `npm test` and the long run (`npm run fuzz`).
 */

/** Which route table a case was generated from. */
export type Surface = ServiceName | 'admin';

export interface HostileCase {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Which app answers: auth off, or SigV4 verification with credentials. */
  auth: 'off' | 'sigv4';
  surface?: Surface;
  /** What the case was aimed at, for reports: an operation name or an admin route (`PUT /_profileflow/faults`). */
  target?: string;
  /** Signed for real when sent (runCase signs, so that the signature is fresh): with whose key, for which service. */
  signAs?: 'tenant' | 'operator';
  signingService?: string;
  /**
   * Why this request must be refused (any status from 400 up); with `status`, the exact refusal it must get.
   * Computed by the generator from what it aimed at, never from what the service answered.
   */
  refuse?: { why: string; status?: number; code?: string };
  /** The console's static files: a browser's site whose misses are plain text, not the AWS envelope. */
  staticSite?: boolean;
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

/**
 * Any JSON value, sometimes deep, sometimes an object whose own members shadow Object.prototype's with
 * values that are not functions (`{"toString": 1}`): String() or a template literal of it throws, so
 * code that quotes a value it did not check fails there.
 */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, -1, 0, 1.5, 2 ** 31, -(2 ** 53), 1e308, '', [], {}),
  fc.integer({ min: 1, max: 3000 }).map((depth) => nest(depth)),
  fc.array(fc.tuple(fc.constantFrom('toString', 'valueOf'), fc.jsonValue({ maxDepth: 1 })), { minLength: 1, maxLength: 2 }).map((entries) => ownObject(entries)),
);

function nest(depth: number): unknown {
  let v: unknown = 'deep';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

const valueArbitraries = new Map<string, fc.Arbitrary<unknown>>();

/**
 * A value for a shape of `model`: mostly close to valid, often a bit wrong, sometimes anything at all.
 * Built once per shape and depth: AppFlow's input shapes are large, and a case is generated thousands of times.
 */
function valueOf(model: ServiceModel, shapeName: string, depth: number): fc.Arbitrary<unknown> {
  const key = `${String(model.metadata.uid)}\u0000${shapeName}\u0000${Math.min(depth, 5)}`;
  let arbitrary = valueArbitraries.get(key);
  if (!arbitrary) valueArbitraries.set(key, (arbitrary = buildValueOf(model, shapeName, depth)));
  return arbitrary;
}

function buildValueOf(model: ServiceModel, shapeName: string, depth: number): fc.Arbitrary<unknown> {
  const shape = shapeIn(model, shapeName);
  const wrong = anyJson;
  let right: fc.Arbitrary<unknown>;
  switch (shape.type) {
    case 'structure': {
      if (depth > 4) return fc.constant({});
      const members = Object.entries(shape.members).filter(([, ref]) => ref.location === undefined);
      const record = fc.record(Object.fromEntries(members.map(([name, ref]) => [name, valueOf(model, ref.shape, depth + 1)])), { requiredKeys: [] });
      // Members the model does not know, named after Object.prototype's: dropped, as unknown members are.
      right = fc.tuple(record, fc.array(fc.tuple(prototypeName, anyJson), { maxLength: 2 })).map(([r, extra]) => ownObject([...Object.entries(r), ...extra]));
      break;
    }
    case 'list':
      right = depth > 4 ? fc.constant([]) : fc.array(valueOf(model, shape.member.shape, depth + 1), { maxLength: (shape.max ?? 3) > 3 ? 4 : (shape.max ?? 3) + 1 });
      break;
    case 'map':
      right = depth > 4 ? fc.constant({}) : fc.array(fc.tuple(memberName, valueOf(model, shape.value.shape, depth + 1)), { maxLength: 3 }).map(ownObject);
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

/** A route template's labels (`{DomainName}`, `{Uri+}`, `:flowName`, a trailing `*`) filled in order. */
function fillTemplate(template: string, values: readonly string[], how: number): string {
  let i = 0;
  return template.replace(/\{[^}]+\}|:[A-Za-z]+|\*/g, () => encodeLabel(values[i++ % values.length], how));
}

const TENANT_KEY = 'AKIDACCOUNTA0000001';
const TENANT_ACCOUNT = '111111111111';
/** An account no fuzz key belongs to: a tenant asking for it must be refused. */
const OTHER_ACCOUNT = '222222222222';
const OPERATOR_KEY = 'AKIDOPERATOR0000001';

export const FUZZ_CREDENTIALS = new Map<string, Credential>([
  [TENANT_KEY, { secretAccessKey: 'fuzz-secret', accountId: TENANT_ACCOUNT }],
  [OPERATOR_KEY, { secretAccessKey: 'fuzz-operator-secret', accountId: '', role: 'operator' }],
]);

const accountId = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(TENANT_ACCOUNT, OTHER_ACCOUNT, '000000000000') }, { weight: 1, arbitrary: text });

/** ARNs of either service, of our account or another's, sometimes malformed: what /tags/{resourceArn} routes on. */
const arnText = fc
  .tuple(fc.constantFrom('profile', 'appflow', 's3', ''), fc.constantFrom('us-east-1', 'eu-west-2', ''), accountId, fc.constantFrom('domains', 'flow', 'connectorprofile'), text)
  .map(([service, region, account, kind, name]) => `arn:aws:${service}:${region}:${account}:${kind}/${name}`);

const labelText = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: arnText });

const queryPart = fc.oneof(
  fc.tuple(
    fc.constantFrom('max-results', 'next-token', 'include-hidden', 'tagKeys', 'X-Amz-Algorithm', 'x', 'accountId', 'region', 'limit', 'after', 'domain', 'lastEventId'),
    text,
  ),
  fc.tuple(text, text),
);

const headerValue = fc.oneof(
  text.map((t) => t.replace(/[^\t\x20-\x7e]/g, '')),
  fc.integer({ min: 1, max: 8000 }).map((n) => 'h'.repeat(n)),
  fc.constantFrom(
    'AWS4-HMAC-SHA256 Credential=AKIDACCOUNTA0000001/20260101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=' + '0'.repeat(64),
    'AWS4-HMAC-SHA256 Credential=AKIDOPERATOR0000001/20260101/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=' + '0'.repeat(64),
    'AWS4-HMAC-SHA256 Credential=AKIDACCOUNTA0000001/20260101/us-east-1/appflow/aws4_request, SignedHeaders=host, Signature=' + '0'.repeat(64),
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

/** The headers a real signature covers: the forged ones (authorization, x-amz-*) are the signer's. */
const SIGNER_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-content-sha256']);

const rawBody = fc.oneof(
  fc.constantFrom('', '{', 'null', '[]', '"x"', '{"a":', '\u0000', '{}{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}'),
  fc.integer({ min: 1000, max: 150_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  // A body that nests at, just past or far past the bound in one of its members.
  fc.tuple(
    fc.constantFrom('Status', 'Tags', 'Fields', 'Keys', 'Values', 'Attributes', 'tags', 'FlowDefinition', 'tasks', 'connectorProfileConfig', 'rules', 'settings', '__proto__'),
    depthNearBound,
    fc.nat(2),
  ).map(([member, depth, style]) => `{"${member}":${nestedJsonText(depth, style)}}`),
  deepJsonText,
  fc.integer({ min: 1, max: 2_000_000 }).map((n) => JSON.stringify({ Object: 'o'.repeat(n) })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

/** What is done to a request on top of its generated members: any route's case goes through the same. */
interface Mutations {
  methodPick: number;
  keepMethod: boolean;
  /** How labels and query parts are encoded (encodeLabel). */
  how: number;
  query: [string, string][];
  /** Picks the path tricks: a trailing `/..` (multiples of 7), doubled slashes (of 11), a duplicated query key (of 3). */
  extraPath: number;
  headers: Record<string, string>;
  /** A hostile body in place of the generated one. */
  raw: string | Buffer | undefined;
}

/** `keepMethod`: how often the route's own method is kept (out of 4). */
function mutations(keepMethod: number): fc.Arbitrary<Mutations> {
  return fc.record({
    methodPick: fc.nat(),
    keepMethod: fc.nat(3).map((n) => n < keepMethod),
    how: fc.constantFrom(0, 0, 1, 2),
    query: fc.array(queryPart, { maxLength: 5 }),
    extraPath: fc.nat(),
    headers,
    raw: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: rawBody }),
  });
}

type Signing = Pick<HostileCase, 'auth' | 'signAs' | 'signingService'>;

/** Auth off; SigV4 with forged headers as generated; or really signed, mostly for `service`, sometimes for another. */
function signing(weights: { off: number; forged: number; signed: number }, service: string): fc.Arbitrary<Signing> {
  return fc.oneof(
    { weight: weights.off, arbitrary: fc.constant<Signing>({ auth: 'off' }) },
    { weight: weights.forged, arbitrary: fc.constant<Signing>({ auth: 'sigv4' }) },
    {
      weight: weights.signed,
      arbitrary: fc.record({
        auth: fc.constant<'sigv4'>('sigv4'),
        signAs: fc.constantFrom<'tenant' | 'operator'>('tenant', 'tenant', 'operator'),
        signingService: fc.constantFrom(service, service, service, service === 'appflow' ? 'profile' : 'appflow', 's3'),
      }),
    },
  );
}

/** The request line, headers and body of a case, with the mutations applied. `intact`: reached as generated. */
function assemble(
  method: string,
  template: string,
  labels: readonly string[],
  ownQuery: readonly (readonly [string, string])[],
  generatedBody: string | undefined,
  m: Mutations,
  who: Signing,
): Pick<HostileCase, 'method' | 'url' | 'headers' | 'body'> & { intact: boolean; bodyKept: boolean } {
  const filled = fillTemplate(template, labels.length ? labels : [''], m.how);
  let path = filled;
  if (m.extraPath % 7 === 0) path += '/..';
  if (m.extraPath % 11 === 0) path = path.replace(/\//g, '//');
  const qs = [...ownQuery, ...m.query].map(([k, v]) => `${encodeLabel(k, m.how)}=${encodeLabel(v, m.how)}`);
  if (qs.length && m.extraPath % 3 === 0) qs.push(qs[0]); // duplicate key
  const finalMethod = m.keepMethod ? method : METHODS[m.methodPick % METHODS.length];
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers)) if (v !== undefined && !(who.signAs && SIGNER_HEADERS.has(k))) h[k] = v;
  const body = finalMethod === 'GET' || finalMethod === 'HEAD' ? undefined : (m.raw ?? generatedBody);
  // No label of any route is longer than 256 (a FlowName): a longer one is its route's to refuse.
  const plainLabels = labels.every((l) => /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,255}$/.test(l));
  // A content type Fastify cannot parse (`;;;`) is a 400 before any route runs, as an oversized body is.
  const readableType = h['content-type'] === undefined || /^[^\s;/]+\/[^\s;]+/.test(h['content-type']);
  const intact = finalMethod === method && path === filled && plainLabels && readableType && (body === undefined || body.length <= ADMIN_BODY_LIMIT);
  return { method: finalMethod, url: `${path}${qs.length ? `?${qs.join('&')}` : ''}`, headers: h, body, intact, bodyKept: m.raw === undefined };
}

/**
 * One hostile request against a route of one AWS service's model (or a made-up one): any route, and more
 * often one profileflow implements, where a handler reads what was sent (the rest answer 501 unread).
 */
function awsCase(service: ApiService, implemented: Readonly<Record<string, unknown>>): fc.Arbitrary<HostileCase> {
  const built = service.routes.filter((r) => Object.hasOwn(implemented, r.name));
  const pick = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...built) }, { weight: 1, arbitrary: fc.constantFrom(...service.routes) });
  return fc
    .tuple(pick, fc.array(labelText, { minLength: 4, maxLength: 4 }), mutations(2), signing({ off: 2, forged: 1, signed: 1 }, service.name))
    .chain(([route, labelValues, m, who]) => {
      const input = service.model.operations[route.name]?.input;
      const bodyArb: fc.Arbitrary<string | undefined> = input ? valueOf(service.model, input.shape, 0).map((v) => safeStringify(v)) : fc.constant(undefined);
      return bodyArb.map((generated): HostileCase => {
        const { intact: _intact, bodyKept: _bodyKept, ...request } = assemble(route.method, route.requestUri.split('?')[0], labelValues, [], generated, m, who);
        const refuse =
          who.auth === 'sigv4' && !who.signAs
            ? { why: 'an unsigned or forged request' }
            : who.signAs === 'operator'
              ? { why: 'operator credentials on an AWS API' }
              : undefined;
        return { ...request, ...who, surface: service.name, target: route.name, ...(refuse ? { refuse } : {}) };
      });
    });
}

/** What an admin route reads, close to valid: its labels in order, its query, its body, and the account it asks for. */
interface AdminInput {
  labels?: string[];
  query?: [string, string][];
  body?: unknown;
  /** The account the request names, and where: a tenant naming another one must be refused. */
  asks?: { account: string; in: 'query' | 'body' };
}

/** A route of the service's own surface, as registered (patterns relative to ADMIN_PREFIX). */
interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: string;
  /** Who may call it, as docs/security.md says: the oracle, never read back from the route's config. */
  access: AdminAccess;
  input?: fc.Arbitrary<AdminInput>;
}

const anyValue = fc.oneof(text, fc.integer(), fc.boolean(), anyJson);

const connectorProfileBody = fc
  .tuple(
    fc.record(
      {
        kind: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...connectorKinds()) }, { weight: 1, arbitrary: anyValue }),
        connectorTypes: fc.oneof(fc.array(fc.oneof(fc.constantFrom(...SOURCE_CONNECTOR_TYPES), text), { maxLength: 3 }), anyJson),
        settings: fc.oneof(
          { weight: 3, arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom('recordsPerDay', 'seed', 'root', 'bucket', 'region', 'endpoint', 'instanceUrl', 'baseUrl', 'clientId', 'clientSecretEnv', 'prefix'), memberName), anyValue), { maxLength: 5 }).map(ownObject) },
          { weight: 1, arbitrary: anyJson },
        ),
      },
      { requiredKeys: [] },
    ),
    fc.array(fc.tuple(prototypeName, anyJson), { maxLength: 2 }),
  )
  .map(([profile, extra]) => ownObject([...Object.entries(profile), ...extra]));

/** Fault rules near the validator's edges. Any rule a case installs is removed after it (runCase). */
const faultRules = fc
  .tuple(
    fc.array(
      fc.record(
        {
          operation: fc.oneof(fc.constantFrom('*', 'GetDomain', 'ListWorkflows', 'appflow:CreateFlow', 'CreateFlow'), text, anyJson),
          probability: fc.oneof(fc.double({ min: 0, max: 1 }), fc.constantFrom(-0.1, 1.1, Number.NaN), anyJson),
          error: fc.oneof(
            fc.constantFrom('BadRequestException', 'InternalServerException', 'ThrottlingException', 'Nope', '__proto__'),
            fc.record({ status: fc.oneof(fc.integer({ min: 100, max: 700 }), anyJson), code: fc.oneof(text, fc.constantFrom('X', 'ServiceUnavailable')), message: text }, { requiredKeys: [] }),
            anyJson,
          ),
          latencyMs: fc.oneof(fc.integer({ min: -1, max: 60_001 }), anyJson),
          accountId,
        },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
    fc.boolean(),
  )
  .map(([rules, wrapped]) => ({ body: wrapped ? { rules } : rules, accounts: rules.map((r) => r.accountId) }));

const profileName = fc.oneof(fc.constantFrom('shared', 'a/b', 'x'.repeat(256), 'x'.repeat(257)), text);
const consolePath = fc.oneof(fc.constantFrom('', 'index.html', 'assets/', 'assets/nope.js', 'domains/shop/workflows', '../package.json', '..%2F..%2Fpackage.json', '.env', 'a\\b'), text);
const wholeNumberText = fc.oneof(fc.integer({ min: -2, max: 200_000 }).map(String), fc.constantFrom('1e3', '0x10', '9'.repeat(20), ' 1'), text);

/** Query pairs of the members given, the absent ones left out. */
function queryOf(members: Record<string, string | undefined>): [string, string][] {
  return Object.entries(members).filter((entry): entry is [string, string] => entry[1] !== undefined);
}

/** An account asked for in the query, or none. */
const accountInQuery = fc.option(accountId, { nil: undefined }).map((account): AdminInput => (account === undefined ? {} : { query: [['accountId', account]], asks: { account, in: 'query' } }));

/**
 * Every route of the admin surface (the test checks this list against the app's own routes), with what
 * each reads. The engine's and the clock's routes exist because the fuzz target runs a manual engine.
 */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', pattern: '/health', access: 'public' },
  { method: 'GET', pattern: '/console', access: 'public', input: fc.array(queryPart, { maxLength: 2 }).map((query) => ({ query })) },
  { method: 'GET', pattern: '/console/*', access: 'public', input: consolePath.map((p) => ({ labels: [p] })) },
  { method: 'GET', pattern: '/connector-profiles', access: 'operator' },
  { method: 'GET', pattern: '/connector-profiles/*', access: 'operator', input: profileName.map((n) => ({ labels: [n] })) },
  { method: 'PUT', pattern: '/connector-profiles/*', access: 'operator', input: fc.tuple(profileName, connectorProfileBody).map(([n, body]) => ({ labels: [n], body })) },
  { method: 'DELETE', pattern: '/connector-profiles/*', access: 'operator', input: profileName.map((n) => ({ labels: [n] })) },
  {
    method: 'POST',
    pattern: '/flows/:accountId/:region/:flowName/signal',
    access: 'operator',
    input: fc
      .tuple(accountId, fc.oneof(fc.constantFrom('us-east-1', 'moon-1'), text), fc.oneof(fc.constantFrom('flow-1', 'a'), text), fc.oneof(fc.constant({}), anyJson))
      .map(([account, region, flow, body]) => ({ labels: [account, region, flow], body })),
  },
  { method: 'GET', pattern: '/faults', access: 'account' },
  {
    method: 'PUT',
    pattern: '/faults',
    access: 'account',
    input: faultRules.map(({ body, accounts }): AdminInput => {
      const other = accounts.find((a) => typeof a === 'string' && /^\d{12}$/.test(a) && a !== TENANT_ACCOUNT);
      return { body, ...(other !== undefined ? { asks: { account: other, in: 'body' } } : {}) };
    }),
  },
  { method: 'DELETE', pattern: '/faults', access: 'account' },
  {
    method: 'GET',
    pattern: '/workflows/:domainName/:workflowId/progress',
    access: 'account',
    input: fc
      .tuple(fc.oneof(fc.constant('kept'), text), fc.oneof(fc.constant('0'.repeat(32)), text), fc.option(wholeNumberText, { nil: undefined }), fc.option(wholeNumberText, { nil: undefined }), fc.option(fc.oneof(fc.constant('us-east-1'), text), { nil: undefined }), accountInQuery)
      .map(([domain, workflow, after, limit, region, scope]) => ({ labels: [domain, workflow], query: [...queryOf({ after, limit, region }), ...(scope.query ?? [])], asks: scope.asks })),
  },
  { method: 'GET', pattern: '/webhooks', access: 'operator', input: fc.option(wholeNumberText, { nil: undefined }).map((limit) => ({ query: queryOf({ limit }) })) },
  { method: 'GET', pattern: '/metrics', access: 'operator' },
  {
    method: 'GET',
    pattern: '/events',
    access: 'account',
    input: fc
      .tuple(fc.array(fc.tuple(fc.constantFrom('domain', 'workflowId', 'flowName', 'region', 'lastEventId'), fc.oneof(text, fc.constantFrom('', 'x'.repeat(257)))), { maxLength: 3 }), accountInQuery)
      .map(([filters, scope]) => ({ query: [...filters, ...(scope.query ?? [])], asks: scope.asks })),
  },
  {
    method: 'POST',
    pattern: '/reset',
    access: 'account',
    input: fc
      .tuple(fc.option(accountId, { nil: undefined }), fc.boolean())
      .map(([account, inBody]): AdminInput => (account === undefined ? {} : inBody ? { body: { accountId: account }, asks: { account, in: 'body' } } : { query: [['accountId', account]], asks: { account, in: 'query' } })),
  },
  { method: 'GET', pattern: '/ids', access: 'operator' },
  { method: 'POST', pattern: '/ids', access: 'operator', input: fc.oneof(text, fc.integer(), fc.constant(null), fc.double(), anyJson).map((seed) => ({ body: { seed } })) },
  { method: 'GET', pattern: '/engine', access: 'operator' },
  {
    method: 'POST',
    pattern: '/engine/advance',
    access: 'operator',
    input: fc
      .record({ pages: fc.oneof(fc.integer({ min: -1, max: 100_001 }), fc.double(), anyJson), untilIdle: fc.oneof(fc.boolean(), anyJson) }, { requiredKeys: [] })
      .map((body) => ({ body })),
  },
  {
    method: 'POST',
    pattern: '/clock',
    access: 'operator',
    input: fc
      .oneof(
        fc.record({ advanceMs: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e308 }), fc.constantFrom(8.64e15, 1e308, Number.MAX_SAFE_INTEGER, -1), anyJson) }),
        fc.record({ set: fc.oneof(fc.constantFrom('2026-06-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '1970-01-01T00:00:00Z', '0000-01-01T00:00:00Z'), text, anyJson) }),
        fc.constant({}),
      )
      .map((body) => ({ body })),
  },
];

/** One hostile request against a route of the admin surface, sent with no key, a forged one, a tenant's or the operator's. */
const adminCase: fc.Arbitrary<HostileCase> = fc
  // The route's own method more often than on the AWS routes: another method on an admin path is only an
  // unknown route, while the handlers behind the access check are few and each reads its own body.
  .tuple(fc.constantFrom(...ADMIN_ROUTES), mutations(3), signing({ off: 1, forged: 1, signed: 2 }, 'profile'), fc.nat(3))
  .chain(([route, m, who, jsonPick]) =>
    (route.input ?? fc.constant<AdminInput>({})).map((input): HostileCase => {
      // Mostly JSON, or requireJsonBody refuses every state-changing request before its handler.
      const hdrs = jsonPick === 0 ? m.headers : { ...m.headers, 'content-type': 'application/json' };
      const generated = input.body === undefined ? undefined : safeStringify(input.body);
      const request = assemble(route.method, ADMIN_PREFIX + route.pattern, input.labels ?? [], input.query ?? [], generated, { ...m, headers: hdrs }, who);
      const servedScope = who.signingService === 'profile' || who.signingService === 'appflow';
      // Another method is another route (or none): what this route's access says holds only for its own.
      const sameRoute = request.method === route.method || (route.method === 'GET' && request.method === 'HEAD');
      let refuse: HostileCase['refuse'];
      if (who.auth === 'sigv4' && !who.signAs && !(route.access === 'public' && sameRoute)) refuse = { why: 'an unsigned or forged request' };
      else if (who.signAs === 'tenant' && route.access === 'operator' && sameRoute) {
        refuse = { why: 'a tenant key on an operator route', ...(request.intact ? { status: 403, ...(servedScope ? { code: 'AccessDeniedException' } : {}) } : {}) };
      } else if (who.signAs === 'tenant' && route.access === 'account' && sameRoute && input.asks && input.asks.account !== TENANT_ACCOUNT && /^\d{12}$/.test(input.asks.account)) {
        if (input.asks.in === 'query' || request.bodyKept) refuse = { why: `a tenant key asking for account ${input.asks.account}` };
      }
      const { intact: _intact, bodyKept: _bodyKept, ...sent } = request;
      return {
        ...sent,
        ...who,
        surface: 'admin',
        target: `${route.method} ${ADMIN_PREFIX}${route.pattern}`,
        ...(refuse ? { refuse } : {}),
        ...(route.pattern.startsWith('/console') ? { staticSite: true } : {}),
      };
    }),
  );

/**
 * One hostile request: a Customer Profiles route (115 in its model, 39 implemented), an AppFlow route
 * (25, 16 implemented) or an admin route (21), weighted by the handlers behind them.
 */
export const hostileCase: fc.Arbitrary<HostileCase> = fc.oneof(
  { weight: 6, arbitrary: awsCase(customerProfilesService, operations) },
  { weight: 2, arbitrary: awsCase(appflowService, appflowOperations) },
  { weight: 2, arbitrary: adminCase },
);

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

export interface FuzzTarget {
  apps: Record<'off' | 'sigv4', FastifyInstance>;
  /** Shared by both apps, so that a rule a case installs can be removed after it. */
  faults: FaultInjector;
  close(): Promise<void>;
}

/**
 * Two apps over one in-memory store, auth off and SigV4 on, with a manual engine and clock so that the
 * engine's and the clock's admin routes exist.
 */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const testStore: TestStore = await createTestStore('sqlite');
  const clock = new ManualClock();
  const engine = new Engine(testStore.store, clock, { mode: 'manual' });
  const faults = new FaultInjector();
  const deps = { store: testStore.store, clock, engine, operator: { faults } };
  const off = await buildApp(deps);
  const sigv4 = await buildApp({ ...deps, auth: { mode: 'sigv4', credentials: FUZZ_CREDENTIALS } });
  return {
    apps: { off, sigv4 },
    faults,
    close: async () => {
      await engine.stop();
      await off.close();
      await sigv4.close();
      await testStore.dispose();
      // POST /_profileflow/ids seeds ids for the whole process: back to random for whatever runs next.
      seedIds(undefined);
    },
  };
}

/** What was wrong with an answer, or undefined when it is a proper AWS-shaped answer. */
export function problemWith(c: HostileCase, res: { statusCode: number; headers: Record<string, unknown>; body: string }): string | undefined {
  const status = res.statusCode;
  const type = res.headers['x-amzn-errortype'];
  if (!res.headers['x-amzn-requestid']) return `no X-Amzn-RequestId (status ${status})`;
  if (c.refuse) {
    if (status < 400) return `${c.refuse.why} was answered ${status}, not refused`;
    if (c.refuse.status !== undefined && status !== c.refuse.status) return `${c.refuse.why} was answered ${status} ${String(type)}, not ${c.refuse.status}`;
    if (c.refuse.code !== undefined && type !== c.refuse.code) return `${c.refuse.why} was answered ${String(type)}, not ${c.refuse.code}`;
  }
  // The console is a browser's static site: redirects and plain-text misses, and a documented 503 before it is built.
  if (c.staticSite && (status < 500 || (status === 503 && res.body.startsWith('The web console is not built')))) return undefined;
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
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `status ${status} with a body that is not a JSON object: ${res.body.slice(0, 200)}`;
    // Customer Profiles' error shapes spell it Message, AppFlow's message; the SDKs read either.
    const members = ['Message', 'message'].filter((m) => Object.hasOwn(parsed, m));
    if (members.length !== 1) return `status ${status} with ${members.length ? 'both Message and message' : 'no Message'}: ${res.body.slice(0, 200)}`;
    const message = (parsed as Record<string, unknown>)[members[0]];
    if (typeof message !== 'string' || message.length === 0) return `status ${status} without a Message: ${res.body.slice(0, 200)}`;
    if (message.length > 4000) return `an error message of ${message.length} characters`;
    // The two validation codes name their service, and so the member its error shapes use.
    const expected = type === 'BadRequestException' ? 'Message' : type === 'ValidationException' ? 'message' : members[0];
    if (members[0] !== expected) return `a ${type} whose message is in '${members[0]}', not '${expected}'`;
  }
  return undefined;
}

/** Longer than any request of a case should take; past it the case is reported as a hang. */
const CASE_DEADLINE_MS = 20_000;

/** Sends one case through `inject` and checks the answer. Fault rules the case installed are removed after it. */
export async function runCase(target: FuzzTarget, c: HostileCase): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CASE_DEADLINE_MS / 1000} s`), CASE_DEADLINE_MS);
  });
  try {
    return await Promise.race([answerTo(target, c), hang]);
  } finally {
    clearTimeout(timer);
    // A rule may rightly ask for 500s or minute-long delays: it must not count against the cases after it.
    if (c.surface === 'admin') target.faults.clear();
  }
}

async function answerTo(target: FuzzTarget, c: HostileCase): Promise<string | undefined> {
  const headers = c.signAs ? signedHeaders(c) : c.headers;
  // As a stream: the events route answers a stream that never ends by itself.
  const res = await target.apps[c.auth].inject({ method: c.method as 'GET', url: c.url, headers, payload: c.body, payloadAsStream: true });
  let body = '';
  if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    // Its opening is the answer; closing it, as a client going away would, gives the stream's place back.
    res.raw.res.destroy();
  } else {
    body = await readAll(res.stream());
  }
  return problemWith(c, { statusCode: res.statusCode, headers: res.headers, body });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The case's headers plus a real signature over the request exactly as `inject` will send it: inject reads
 * the URL as `new URL(url, 'http://localhost')` does (a leading `//` kept as a path), so that is what is signed.
 */
function signedHeaders(c: HostileCase): Record<string, string> {
  const url = c.url.startsWith('//') ? new URL(`http://localhost${c.url}`) : new URL(c.url, 'http://localhost');
  const key = c.signAs === 'operator' ? OPERATOR_KEY : TENANT_KEY;
  const credentials = { accessKeyId: key, secretAccessKey: FUZZ_CREDENTIALS.get(key)!.secretAccessKey };
  try {
    return { ...signSigV4({ method: c.method, url: url.href, headers: c.headers, body: c.body }, credentials, 'us-east-1', Date.now(), c.signingService), host: url.host };
  } catch {
    // Nothing a signer could encode: sent as generated, to be refused like any unsigned request.
    return c.headers;
  }
}

/**
 * Every route the app registered under ADMIN_PREFIX, as `METHOD /path` (HEAD twins left out), read from
 * Fastify's route tree: a route added to the service and not to ADMIN_ROUTES is seen by the test.
 */
export function adminRoutesOf(app: FastifyInstance): string[] {
  const found: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const m = /^([\s│├└─]*?)(?:[├└]── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length;
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop();
    const path = (stack[stack.length - 1]?.path ?? '') + m[2];
    stack.push({ depth, path });
    if (!m[3] || !path.startsWith(`${ADMIN_PREFIX}/`)) continue;
    for (const method of m[3].split(', ')) if (method !== 'HEAD') found.push(`${method} ${path}`);
  }
  return found.sort();
}

export function heapUsedMb(): number {
  return process.memoryUsage().heapUsed / 1024 / 1024;
}
