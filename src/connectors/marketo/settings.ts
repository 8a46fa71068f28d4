import { type Checked, invalid } from '../../domain/problem.js';
import { checkSecretPair, secretEnvRule, secretRule, URL_RULE } from '../shared/http.js';
import { checkSettings, type SettingRules } from '../shared/settings.js';

/**
 * Settings of a `marketo` connector profile: the REST endpoint (Admin > Web Services, e.g.
 * https://123-ABC-456.mktorest.com), the identity endpoint when it differs, a LaunchPoint service's
 * client id and secret (or `clientSecretEnv`), the lead fields read when a flow's tasks name none, and
 * how export jobs are waited for.
 */
export interface MarketoSettings {
  endpoint: string;
  identityEndpoint?: string;
  clientId: string;
  clientSecret?: string;
  clientSecretEnv?: string;
  fields?: string[];
  pollIntervalMs?: number;
  maxWaitMs?: number;
  timeoutMs?: number;
}

const SETTINGS = {
  endpoint: { ...URL_RULE, required: true, describe: 'the REST API endpoint, e.g. https://123-ABC-456.mktorest.com' },
  identityEndpoint: { ...URL_RULE, describe: 'the identity endpoint when it is not the REST endpoint' },
  clientId: { type: 'string', required: true, describe: "the LaunchPoint service's client id" },
  clientSecret: secretRule("the LaunchPoint service's client secret"),
  clientSecretEnv: secretEnvRule("the LaunchPoint service's client secret"),
  fields: { type: 'string-list' },
  pollIntervalMs: { type: 'integer', min: 0, max: 600_000 },
  maxWaitMs: { type: 'integer', min: 0, max: 86_400_000 },
  timeoutMs: { type: 'integer', min: 1000, max: 600_000 },
} satisfies SettingRules;

/** A `marketo` profile's settings, or their problems as sentences. */
export function checkMarketoSettings(settings: Record<string, unknown>): Checked<MarketoSettings> {
  const checked = checkSettings(settings, SETTINGS);
  if (!checked.ok) return checked;
  const problems = checkSecretPair(settings, 'clientSecret', true);
  return problems.length ? invalid(...problems) : checked;
}

export const DEFAULT_FIELDS = ['id', 'email', 'firstName', 'lastName', 'createdAt', 'updatedAt'];
export const DEFAULT_POLL_MS = 30_000;
export const DEFAULT_MAX_WAIT_MS = 6 * 3_600_000;
