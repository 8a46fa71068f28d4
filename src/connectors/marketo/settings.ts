import { secretRules, URL_RULE } from '../shared/http.js';
import type { SettingRules } from '../shared/settings.js';

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

export const MARKETO_SETTINGS: SettingRules = {
  endpoint: { ...URL_RULE, required: true, describe: 'the REST API endpoint, e.g. https://123-ABC-456.mktorest.com' },
  identityEndpoint: { ...URL_RULE, describe: 'the identity endpoint when it is not the REST endpoint' },
  clientId: { type: 'string', required: true, describe: "the LaunchPoint service's client id" },
  ...secretRules('clientSecret', "the LaunchPoint service's client secret"),
  fields: { type: 'string-list' },
  pollIntervalMs: { type: 'integer', min: 0, max: 600_000 },
  maxWaitMs: { type: 'integer', min: 0, max: 86_400_000 },
  timeoutMs: { type: 'integer', min: 1000, max: 600_000 },
};

export const DEFAULT_FIELDS = ['id', 'email', 'firstName', 'lastName', 'createdAt', 'updatedAt'];
export const DEFAULT_POLL_MS = 30_000;
export const DEFAULT_MAX_WAIT_MS = 6 * 3_600_000;
