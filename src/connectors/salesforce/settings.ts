import { isJsonObject } from '../../domain/json-object.js';
import { type Checked, invalid, problemsOf, valid } from '../../domain/problem.js';
import { URL_RULE } from '../shared/http.js';
import { checkSettings, quoted, type SettingRules } from '../shared/settings.js';

/** OAuth 2.0 refresh token flow: a connected app's id and secret plus a user's refresh token. */
export interface RefreshTokenAuth {
  flow: 'refresh_token';
  /** Default `<instanceUrl>/services/oauth2/token`. */
  tokenUrl?: string;
  clientId: string;
  clientSecret?: string;
  /** The name of an environment variable holding the client secret (preferred to `clientSecret`). */
  clientSecretEnv?: string;
  refreshToken?: string;
  /** The name of an environment variable holding the refresh token (preferred to `refreshToken`). */
  refreshTokenEnv?: string;
}

/** OAuth 2.0 client credentials flow: the connected app runs as its configured integration user. */
export interface ClientCredentialsAuth {
  flow: 'client_credentials';
  tokenUrl?: string;
  clientId: string;
  clientSecret?: string;
  clientSecretEnv?: string;
}

export type SalesforceAuth = RefreshTokenAuth | ClientCredentialsAuth;

export interface SalesforceSettings {
  /** The org's My Domain URL, e.g. https://acme.my.salesforce.com; every API call goes there. */
  instanceUrl: string;
  apiVersion?: string;
  auth: SalesforceAuth;
  /** A window holding at least this many records is read with a Bulk API 2.0 query job. */
  bulkThreshold?: number;
  /** The wait between two polls of a Bulk API 2.0 query job's state. */
  bulkPollIntervalMs?: number;
  /** How long a Bulk API 2.0 query job may take before the read fails (transiently) and is retried. */
  bulkJobTimeoutMs?: number;
  /**
   * The most records one request for a bulk job's results asks for (its `maxRecords`); the CSV is
   * streamed and cut into pages, so this bounds requests, not memory.
   */
  bulkResultsMaxRecords?: number;
  /** How long one HTTP request may take before it counts as a (transient) timeout. */
  requestTimeoutMs?: number;
}

export const DEFAULT_API_VERSION = '60.0';
/** AppFlow reads a Salesforce object with Bulk API 2.0 once it holds a million records (AppFlow user guide). */
export const DEFAULT_BULK_THRESHOLD = 1_000_000;
export const DEFAULT_BULK_POLL_INTERVAL_MS = 2_000;
export const DEFAULT_BULK_JOB_TIMEOUT_MS = 3_600_000;
/** 50,000 records a results request: 20 requests for a million-record window instead of one a page. */
export const DEFAULT_BULK_RESULTS_MAX_RECORDS = 50_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

const API_VERSION = /^\d{2,3}\.0$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const AUTH_MEMBERS: Record<SalesforceAuth['flow'], readonly string[]> = {
  refresh_token: ['flow', 'tokenUrl', 'clientId', 'clientSecret', 'clientSecretEnv', 'refreshToken', 'refreshTokenEnv'],
  client_credentials: ['flow', 'tokenUrl', 'clientId', 'clientSecret', 'clientSecretEnv'],
};

const SALESFORCE_SETTINGS = {
  instanceUrl: { ...URL_RULE, required: true, describe: "the org's My Domain URL, such as https://acme.my.salesforce.com" },
  apiVersion: {
    type: 'custom',
    parse: (value: unknown, name: string): Checked<string> =>
      typeof value === 'string' && API_VERSION.test(value)
        ? valid(value)
        : invalid(`Setting '${name}' must be a Salesforce API version such as "${DEFAULT_API_VERSION}".`),
  },
  auth: { type: 'custom', required: true, describe: 'the OAuth 2.0 flow and its credentials', parse: checkAuth },
  bulkThreshold: { type: 'integer', min: 1 },
  bulkPollIntervalMs: { type: 'integer', min: 0, max: 600_000 },
  bulkJobTimeoutMs: { type: 'integer', min: 1, max: 86_400_000 },
  bulkResultsMaxRecords: { type: 'integer', min: 1, max: 1_000_000 },
  requestTimeoutMs: { type: 'integer', min: 1, max: 3_600_000 },
} satisfies SettingRules;

export function checkSalesforceSettings(settings: Record<string, unknown>): Checked<SalesforceSettings> {
  return checkSettings(settings, SALESFORCE_SETTINGS);
}

function checkAuth(value: unknown, name: string): Checked<SalesforceAuth> {
  if (!isJsonObject(value)) {
    return invalid(`Setting '${name}' must be an object {flow: "refresh_token" | "client_credentials", clientId, …}.`);
  }
  const auth = value;
  const flow = auth.flow;
  if (flow !== 'refresh_token' && flow !== 'client_credentials') {
    return invalid(`Setting '${name}.flow' must be "refresh_token" or "client_credentials".`);
  }
  const problems: string[] = [];
  for (const key of Object.keys(auth)) {
    if (!AUTH_MEMBERS[flow].includes(key)) {
      problems.push(`Setting '${name}' has an unknown member ${quoted(key)} for the ${flow} flow; known: ${AUTH_MEMBERS[flow].join(', ')}.`);
    }
  }
  const clientId = typeof auth.clientId === 'string' && auth.clientId !== '' ? auth.clientId : undefined;
  if (clientId === undefined) problems.push(`Setting '${name}.clientId' must be a non-empty string.`);
  const tokenUrl = auth.tokenUrl === undefined ? valid(undefined) : URL_RULE.parse(auth.tokenUrl, `${name}.tokenUrl`);
  const clientSecret = checkSecret(auth, name, 'clientSecret');
  const refreshToken = flow === 'refresh_token' ? checkSecret(auth, name, 'refreshToken') : valid(undefined);
  problems.push(...problemsOf(tokenUrl), ...problemsOf(clientSecret), ...problemsOf(refreshToken));
  if (problems.length || clientId === undefined || !tokenUrl.ok || !clientSecret.ok || !refreshToken.ok) return invalid(...problems);
  const secret = clientSecret.value;
  const common = {
    clientId,
    ...(tokenUrl.value === undefined ? {} : { tokenUrl: tokenUrl.value }),
    ...('inline' in secret ? { clientSecret: secret.inline } : { clientSecretEnv: secret.env }),
  };
  const refresh = refreshToken.value;
  if (refresh === undefined) return valid({ flow: 'client_credentials', ...common });
  return valid({ flow: 'refresh_token', ...common, ...('inline' in refresh ? { refreshToken: refresh.inline } : { refreshTokenEnv: refresh.env }) });
}

/** A secret given inline, or as the name of the environment variable holding it. */
type SecretForm = { inline: string } | { env: string };

/** Exactly one of `<member>` (the value) and `<member>Env` (an environment variable's name). */
function checkSecret(auth: Record<string, unknown>, name: string, member: string): Checked<SecretForm> {
  const direct = auth[member];
  const env = auth[`${member}Env`];
  if (direct !== undefined && env !== undefined) {
    return invalid(`Setting '${name}' must give either '${member}' or '${member}Env', not both.`);
  }
  if (direct === undefined && env === undefined) {
    return invalid(`Setting '${name}' must give '${member}Env' (the name of an environment variable holding it) or '${member}'.`);
  }
  if (direct !== undefined) {
    return typeof direct === 'string' && direct !== '' ? valid({ inline: direct }) : invalid(`Setting '${name}.${member}' must be a non-empty string.`);
  }
  return typeof env === 'string' && ENV_NAME.test(env)
    ? valid({ env })
    : invalid(`Setting '${name}.${member}Env' must be an environment variable name (letters, digits and _).`);
}

/** Settings with every default applied. */
export function resolvedSettings(s: SalesforceSettings): Required<Omit<SalesforceSettings, 'apiVersion'>> & { apiVersion: string } {
  return {
    instanceUrl: s.instanceUrl.replace(/\/+$/, ''),
    apiVersion: s.apiVersion ?? DEFAULT_API_VERSION,
    auth: s.auth,
    bulkThreshold: s.bulkThreshold ?? DEFAULT_BULK_THRESHOLD,
    bulkPollIntervalMs: s.bulkPollIntervalMs ?? DEFAULT_BULK_POLL_INTERVAL_MS,
    bulkJobTimeoutMs: s.bulkJobTimeoutMs ?? DEFAULT_BULK_JOB_TIMEOUT_MS,
    bulkResultsMaxRecords: s.bulkResultsMaxRecords ?? DEFAULT_BULK_RESULTS_MAX_RECORDS,
    requestTimeoutMs: s.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

export type ResolvedSettings = ReturnType<typeof resolvedSettings>;
