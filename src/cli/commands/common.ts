import { parseArgs } from 'node:util';
import { AppflowClient } from '@aws-sdk/client-appflow';
import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import { type SigningCredentials, signSigV4 } from '../../auth/sigv4.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4599';

/** Flags every client command takes, as the AWS CLI spells them. */
export const COMMON_OPTIONS = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export class UsageError extends Error {}

export interface Common {
  endpoint: string;
  region?: string;
  profile?: string;
  json: boolean;
}

export type Values = Record<string, string | boolean | undefined>;

export function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...COMMON_OPTIONS, ...options } });
    return { values: values as Values, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * The settings every client command shares. `service` picks the service-specific endpoint variable the
 * AWS CLI and SDKs read (AWS_ENDPOINT_URL_CUSTOMER_PROFILES, AWS_ENDPOINT_URL_APPFLOW) before AWS_ENDPOINT_URL.
 */
export function commonOf(values: Values, env: NodeJS.ProcessEnv = process.env, service: 'customer-profiles' | 'appflow' = 'customer-profiles'): Common {
  const output = (values.output as string | undefined) ?? env.AWS_DEFAULT_OUTPUT ?? 'table';
  if (output !== 'table' && output !== 'json' && output !== 'text') throw new UsageError(`--output must be table or json, got '${output}'.`);
  const serviceEndpoint = service === 'appflow' ? env.AWS_ENDPOINT_URL_APPFLOW : env.AWS_ENDPOINT_URL_CUSTOMER_PROFILES;
  const endpoint = (values['endpoint-url'] as string | undefined) || serviceEndpoint || env.AWS_ENDPOINT_URL || DEFAULT_ENDPOINT;
  try {
    new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint-url must be a URL, got '${endpoint}'.`);
  }
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    region: (values.region as string | undefined) || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    profile: (values.profile as string | undefined) || env.AWS_PROFILE || undefined,
    json: output === 'json',
  };
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Region and credentials for a command, resolved once. */
interface AwsSettings {
  region: string;
  /** Undefined only against a loopback endpoint when nothing is configured. */
  credentials: SigningCredentials | undefined;
}

const resolved = new WeakMap<Common, Promise<AwsSettings>>();

/**
 * Region and credentials as the AWS CLI finds them: the flags, then the environment, then the shared
 * config files (the SDK's default chain, `@aws-sdk/credential-provider-node`, reached through the
 * client's own `credentials()` so that `--profile` applies and no undeclared package is imported).
 * A loopback endpoint works without any: us-east-1, and no credentials.
 */
function awsSettingsOf(common: Common): Promise<AwsSettings> {
  let settings = resolved.get(common);
  if (!settings) {
    settings = resolveAwsSettings(common);
    resolved.set(common, settings);
  }
  return settings;
}

async function resolveAwsSettings(common: Common): Promise<AwsSettings> {
  const loopback = isLoopback(common.endpoint);
  let region = common.region;
  if (!region) {
    // The SDK's own chain (AWS_REGION, then the profile's region); it throws when it finds none.
    try {
      const probe = new CustomerProfilesClient({ endpoint: common.endpoint, profile: common.profile });
      region = await probe.config.region();
      probe.destroy();
    } catch {
      region = undefined;
    }
  }
  if (!region) {
    if (!loopback) throw new UsageError('No region: give --region, or set AWS_REGION / AWS_DEFAULT_REGION, or a region in your AWS profile.');
    region = 'us-east-1';
  }
  const probe = new CustomerProfilesClient({ endpoint: common.endpoint, region, profile: common.profile });
  try {
    const { accessKeyId, secretAccessKey, sessionToken } = await probe.config.credentials();
    return { region, credentials: { accessKeyId, secretAccessKey, sessionToken } };
  } catch (err) {
    if (!loopback) throw new UsageError(`No AWS credentials: ${(err as Error).message}`);
    return { region, credentials: undefined };
  } finally {
    probe.destroy();
  }
}

/**
 * The official client, configured as the AWS CLI would be (see `awsSettingsOf`). Against a loopback
 * endpoint without credentials, dummy ones stand in: a local profileflow accepts any by default.
 */
export async function clientOf(common: Common): Promise<CustomerProfilesClient> {
  const { region, credentials } = await awsSettingsOf(common);
  return new CustomerProfilesClient({
    endpoint: common.endpoint,
    region,
    credentials: credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
}

/** The official AppFlow client, with the region and credentials `clientOf` uses (signing name `appflow`). */
export async function appflowClientOf(common: Common): Promise<AppflowClient> {
  const { region, credentials } = await awsSettingsOf(common);
  return new AppflowClient({
    endpoint: common.endpoint,
    region,
    credentials: credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
}

/**
 * A call to an admin route under /_profileflow/; errors come back in the AWS envelope. Signed with
 * SigV4 (service `profile`, the command's region) whenever credentials are found, as `--auth sigv4`
 * wants; a service with `--auth off` ignores the signature.
 */
export async function admin(common: Common, method: string, path: string, body?: unknown): Promise<any> {
  const { region, credentials } = await awsSettingsOf(common);
  const url = `${common.endpoint}/_profileflow/${path}`;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const unsigned: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
  const headers = credentials ? signSigV4({ method, url, headers: unsigned, body: payload }, credentials, region, Date.now()) : unsigned;
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: payload });
  } catch (err) {
    if (connectionFailure(err)) throw err;
    throw new UsageError(`Cannot reach ${common.endpoint}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { Message?: string }).Message ?? text;
    } catch {
      // not JSON
    }
    throw new ServiceCallError(`${response.headers.get('x-amzn-errortype') ?? `HTTP ${response.status}`}: ${message}`);
  }
  return text ? JSON.parse(text) : {};
}

export class ServiceCallError extends Error {}

/** A plain table: a header row, then one row per item; columns as wide as their widest cell. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((r) => columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return `${[line(columns), ...cells.map(line)].join('\n')}\n`;
}

export function write(text: string): void {
  process.stdout.write(text);
}

export function printJson(value: unknown): void {
  write(`${JSON.stringify(value, (_k, v) => (v instanceof Date ? v.toISOString() : v), 2)}\n`);
}

export function iso(d: Date | undefined): string {
  return d ? d.toISOString() : '';
}

/**
 * A value given as any of its flags (the first is the one named) or, when `argument` names it, as a
 * positional argument: one is needed, and two that disagree are a usage error rather than one silently
 * winning.
 */
export function required(values: Values, flags: string | string[], argument?: { name: string; value: string | undefined }): string {
  const names = Array.isArray(flags) ? flags : [flags];
  const given: [string, string][] = [];
  for (const n of names) if (typeof values[n] === 'string') given.push([`--${n}`, values[n] as string]);
  if (argument?.value !== undefined) given.push([argument.name, argument.value]);
  if (new Set(given.map(([, v]) => v)).size > 1) {
    throw new UsageError(`${given.map(([k, v]) => `${k} '${v}'`).join(' and ')} disagree: give it once.`);
  }
  const v = given[0]?.[1];
  if (!v) throw new UsageError(argument ? `${argument.name} is required (as an argument or as --${names[0]}).` : `--${names[0]} is required.`);
  return v;
}

/** Positional arguments past the `expected` ones are a usage error naming the first. */
export function noMoreArguments(positionals: string[], expected: number): void {
  if (positionals.length > expected) throw new UsageError(`Unexpected argument '${positionals[expected]}'.`);
}

/** A flag's whole number, at least `min`; absent: `fallback`. */
export function wholeNumber(values: Values, flag: string, min: number, fallback: number): number;
export function wholeNumber(values: Values, flag: string, min: number, fallback?: number): number | undefined;
export function wholeNumber(values: Values, flag: string, min: number, fallback?: number): number | undefined {
  const raw = values[flag] as string | undefined;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be a whole number of at least ${min}, got '${raw}'.`);
  return n;
}

/** Flags that exclude each other: two of them given together are a usage error. */
export function atMostOne(values: Values, flags: string[]): void {
  const given = flags.filter((f) => values[f] !== undefined && values[f] !== false);
  if (given.length > 1) throw new UsageError(`${given.map((f) => `--${f}`).join(' and ')} exclude each other: give one.`);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/**
 * The network error code behind a failed call, wherever the client put it: on the error, its cause, or
 * one of an AggregateError's errors (Node tries every address of a name).
 */
export function connectionFailure(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 4) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return e.code;
  if (Array.isArray(e.errors)) for (const inner of e.errors) {
    const found = connectionFailure(inner, depth + 1);
    if (found) return found;
  }
  return connectionFailure(e.cause, depth + 1);
}
