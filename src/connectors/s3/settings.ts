import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { policyLookup } from '../shared/http.js';
import { type ConnectorPolicy, DEFAULT_CONNECTOR_POLICY, urlProblem } from '../policy.js';
import { type Checked, invalid, problemsOf, valid } from '../../domain/problem.js';
import { checkSettings, type SettingRules } from '../shared/settings.js';
import { SourceError } from '../types.js';

/** How records are laid out in an object: JSON Lines, a JSON document (array or values), CSV with a header. */
export type S3Format = 'jsonl' | 'json' | 'csv';
export const S3_FORMATS: readonly S3Format[] = ['jsonl', 'json', 'csv'];
export type S3Compression = 'auto' | 'gzip' | 'none';
const COMPRESSIONS: readonly S3Compression[] = ['auto', 'gzip', 'none'];

/** The settings of a connector profile of kind `s3`, as stored (names of variables, never secrets). */
export interface S3Settings {
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  accessKeyIdEnv?: string;
  secretAccessKeyEnv?: string;
  sessionTokenEnv?: string;
  format?: S3Format;
  compression?: S3Compression;
  maxAttempts?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REGION = /^[a-z0-9-]{1,64}$/;

/** A setting holding the name of an environment variable. Its value is never echoed: it may be a secret put there by mistake. */
function envName(value: unknown, name: string): Checked<string> {
  return typeof value === 'string' && ENV_NAME.test(value)
    ? valid(value)
    : invalid(`Setting '${name}' must be the name of an environment variable (letters, digits and _, not starting with a digit); the value itself is not shown.`);
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: unknown, name: string): Checked<T> => {
    const found = allowed.find((a) => a === value);
    return found === undefined ? invalid(`Setting '${name}' must be one of ${allowed.join(', ')}.`) : valid(found);
  };
}

const SETTINGS = {
  region: {
    type: 'custom',
    parse: (v: unknown, name: string): Checked<string> =>
      typeof v === 'string' && REGION.test(v) ? valid(v) : invalid(`Setting '${name}' must be an AWS region name such as us-east-1.`),
  },
  endpoint: { type: 'custom', parse: checkEndpoint },
  forcePathStyle: {
    type: 'custom',
    parse: (v: unknown, name: string): Checked<boolean> => (typeof v === 'boolean' ? valid(v) : invalid(`Setting '${name}' must be true or false.`)),
  },
  accessKeyIdEnv: { type: 'custom', parse: envName },
  secretAccessKeyEnv: { type: 'custom', parse: envName },
  sessionTokenEnv: { type: 'custom', parse: envName },
  format: { type: 'custom', parse: oneOf(S3_FORMATS) },
  compression: { type: 'custom', parse: oneOf(COMPRESSIONS) },
  maxAttempts: { type: 'integer', min: 1, max: 10 },
} satisfies SettingRules;

/** Settings that would put a credential itself in the database, and where it belongs instead. */
const LITERAL_SECRETS: Record<string, string> = {
  accessKeyId: 'accessKeyIdEnv',
  secretAccessKey: 'secretAccessKeyEnv',
  sessionToken: 'sessionTokenEnv',
};

function checkEndpoint(value: unknown, name: string): Checked<string> {
  const notUrl = invalid(`Setting '${name}' must be an http:// or https:// URL.`);
  if (typeof value !== 'string' || value === '') return notUrl;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return notUrl;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return notUrl;
  if (url.username || url.password) {
    return invalid(`Setting '${name}' must not carry credentials in the URL; name environment variables in accessKeyIdEnv and secretAccessKeyEnv.`);
  }
  return valid(value);
}

/** An `s3` profile's settings, or their problems as sentences. */
export function checkS3Settings(settings: Record<string, unknown>): Checked<S3Settings> {
  const checked = checkSettings(settings, SETTINGS);
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return checked;
  const problems = problemsOf(checked);
  for (const [literal, env] of Object.entries(LITERAL_SECRETS)) {
    if (Object.hasOwn(settings, literal)) {
      problems.push(
        `Setting '${literal}' would keep a credential in clear in the service's database: put it in an environment ` +
          `variable of the profileflow process and give that variable's name in '${env}'.`,
      );
    }
  }
  const hasId = settings.accessKeyIdEnv !== undefined;
  const hasSecret = settings.secretAccessKeyEnv !== undefined;
  if (hasId !== hasSecret) {
    problems.push(`Settings 'accessKeyIdEnv' and 'secretAccessKeyEnv' go together: give both, or neither to use the default AWS credential chain.`);
  }
  if (settings.sessionTokenEnv !== undefined && !(hasId && hasSecret)) {
    problems.push(`Setting 'sessionTokenEnv' needs 'accessKeyIdEnv' and 'secretAccessKeyEnv' too.`);
  }
  return checked.ok && problems.length === 0 ? checked : invalid(...problems);
}

/**
 * An S3 client for a profile. Credentials come from the environment variables the settings name (read
 * now, so a rotated key is picked up by the next read) or, without them, from the SDK's default chain
 * (environment, shared files, SSO, container and instance roles).
 */
export type S3Sdk = typeof import('@aws-sdk/client-s3');

let sdk: Promise<S3Sdk> | undefined;

/**
 * The S3 SDK, loaded on the first S3 read: every `serve` registers this connector, and importing the
 * SDK up front costs about 120 ms of start-up and 24 MB of resident memory to processes that never read S3.
 */
export function loadS3Sdk(): Promise<S3Sdk> {
  sdk ??= import('@aws-sdk/client-s3');
  return sdk;
}

export function s3ClientFor(sdk: S3Sdk, profileName: string, settings: S3Settings, policy: ConnectorPolicy = DEFAULT_CONNECTOR_POLICY): S3Client {
  // The agents' lookup never sees an IP-literal endpoint, so the endpoint itself is checked here, at use.
  const refused = settings.endpoint === undefined ? undefined : urlProblem(settings.endpoint, policy);
  if (refused) throw new SourceError('permanent', `The S3 endpoint of connector profile '${profileName}' is refused: ${refused}.`);
  let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  if (settings.accessKeyIdEnv && settings.secretAccessKeyEnv) {
    credentials = {
      accessKeyId: fromEnv(profileName, 'accessKeyIdEnv', settings.accessKeyIdEnv),
      secretAccessKey: fromEnv(profileName, 'secretAccessKeyEnv', settings.secretAccessKeyEnv),
    };
    if (settings.sessionTokenEnv) credentials.sessionToken = fromEnv(profileName, 'sessionTokenEnv', settings.sessionTokenEnv);
  }
  // An S3-compatible store usually ignores the region but the signature still names one.
  const region =
    settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (settings.endpoint ? 'us-east-1' : undefined);
  return new sdk.S3Client({
    ...(region ? { region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle ?? false,
    ...(credentials ? { credentials } : {}),
    maxAttempts: settings.maxAttempts ?? 3,
    // The reader never uploads; this keeps requests plain for S3-compatible stores that predate
    // the SDK's default CRC checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    // Every connection the SDK opens resolves its host through the operator's policy (the endpoint it
    // builds from bucket and region too); an IP-literal endpoint was checked with the settings.
    requestHandler: {
      connectionTimeout: 10_000,
      requestTimeout: 300_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50, lookup: policyLookup(policy) }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50, lookup: policyLookup(policy) }),
    },
  });
}

function fromEnv(profileName: string, setting: string, variable: string): string {
  const value = process.env[variable];
  if (value === undefined || value === '') {
    throw new SourceError(
      'permanent',
      `The environment variable ${variable}, named by setting '${setting}' of connector profile '${profileName}', is not set in the profileflow process.`,
    );
  }
  return value;
}
