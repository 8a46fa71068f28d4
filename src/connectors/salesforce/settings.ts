import { URL_RULE } from '../shared/http.js';
import { checkSettings, type SettingRules } from '../shared/settings.js';

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

export const SALESFORCE_SETTINGS: SettingRules = {
  instanceUrl: { ...URL_RULE, required: true, describe: "the org's My Domain URL, such as https://acme.my.salesforce.com" },
  apiVersion: {
    type: 'custom',
    check: (value, name) =>
      typeof value === 'string' && API_VERSION.test(value)
        ? []
        : [`Setting '${name}' must be a Salesforce API version such as "${DEFAULT_API_VERSION}".`],
  },
  auth: { type: 'custom', required: true, describe: 'the OAuth 2.0 flow and its credentials', check: checkAuth },
  bulkThreshold: { type: 'integer', min: 1 },
  bulkPollIntervalMs: { type: 'integer', min: 0, max: 600_000 },
  bulkJobTimeoutMs: { type: 'integer', min: 1, max: 86_400_000 },
  bulkResultsMaxRecords: { type: 'integer', min: 1, max: 1_000_000 },
  requestTimeoutMs: { type: 'integer', min: 1, max: 3_600_000 },
};

export function checkSalesforceSettings(settings: Record<string, unknown>): string[] {
  return checkSettings(settings, SALESFORCE_SETTINGS);
}

function checkAuth(value: unknown, name: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`Setting '${name}' must be an object {flow: "refresh_token" | "client_credentials", clientId, …}.`];
  }
  const auth = value as Record<string, unknown>;
  const flow = auth.flow;
  if (flow !== 'refresh_token' && flow !== 'client_credentials') {
    return [`Setting '${name}.flow' must be "refresh_token" or "client_credentials".`];
  }
  const problems: string[] = [];
  for (const key of Object.keys(auth)) {
    if (!AUTH_MEMBERS[flow].includes(key)) {
      problems.push(`Setting '${name}' has an unknown member '${key}' for the ${flow} flow; known: ${AUTH_MEMBERS[flow].join(', ')}.`);
    }
  }
  if (typeof auth.clientId !== 'string' || auth.clientId === '') problems.push(`Setting '${name}.clientId' must be a non-empty string.`);
  if (auth.tokenUrl !== undefined) problems.push(...URL_RULE.check(auth.tokenUrl, `${name}.tokenUrl`));
  problems.push(...checkSecret(auth, name, 'clientSecret'));
  if (flow === 'refresh_token') problems.push(...checkSecret(auth, name, 'refreshToken'));
  return problems;
}

/** Exactly one of `<member>` (the value) and `<member>Env` (an environment variable's name). */
function checkSecret(auth: Record<string, unknown>, name: string, member: string): string[] {
  const direct = auth[member];
  const env = auth[`${member}Env`];
  if (direct !== undefined && env !== undefined) {
    return [`Setting '${name}' must give either '${member}' or '${member}Env', not both.`];
  }
  if (direct === undefined && env === undefined) {
    return [`Setting '${name}' must give '${member}Env' (the name of an environment variable holding it) or '${member}'.`];
  }
  if (direct !== undefined && (typeof direct !== 'string' || direct === '')) {
    return [`Setting '${name}.${member}' must be a non-empty string.`];
  }
  if (env !== undefined && (typeof env !== 'string' || !ENV_NAME.test(env))) {
    return [`Setting '${name}.${member}Env' must be an environment variable name (letters, digits and _).`];
  }
  return [];
}

/** Settings with every default applied; only called on settings that passed the check. */
export function resolvedSettings(settings: Record<string, unknown>): Required<Omit<SalesforceSettings, 'apiVersion'>> & { apiVersion: string } {
  const s = settings as unknown as SalesforceSettings;
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
