import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { type ConnectorPolicy, DEFAULT_CONNECTOR_POLICY, loadConnectorPolicy } from '../connectors/policy.js';
import { checkDeclaredProfiles } from '../connectors/profiles.js';
import type { ConnectorProfile } from '../connectors/types.js';
import type { StoreConfig } from '../store/open-store.js';
import { checkWebhooks, type WebhookConfig } from '../engine/webhooks.js';

/** Everything `profileflow serve` can be told, from flags, environment and the config file. */
export interface ServiceConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  logLevel: string;
  /** Declared in the --config file only (a list does not fit a flag); upserted at each `serve` start. */
  connectorProfiles?: ConnectorProfile[];
  /**
   * What connector profiles may reach (docs/configuration.md): the config file's `connectorPolicy`, with
   * --file-roots and --allow-private-addresses (or their variables) taking precedence over its members.
   */
  connectorPolicy: ConnectorPolicy;
  /** --file-roots: folders a `files` source may read below (merged into connectorPolicy). */
  fileRoots?: string[];
  /** --allow-private-addresses (merged into connectorPolicy). */
  allowPrivateAddresses?: boolean;
  /** auto runs steps as they come due; manual only when advanced through /_profileflow/engine/advance; off never. */
  engineMode: 'auto' | 'manual' | 'off';
  /** system, or manual: time moves only through /_profileflow/clock (deterministic tests). */
  clock: 'system' | 'manual';
  pageDelayMs: number;
  concurrency: number;
  /** The config file's `engine` object: leaseMs, pollIntervalMs, pageSize, maxRecordsPerStep, minWindowMs, retry. */
  engine: Record<string, unknown>;
  /** Config file only: POSTed when a workflow ends (COMPLETE, FAILED, CANCELLED). */
  webhooks?: WebhookConfig[];
  /** Config file only: `{"pollIntervalMs": 250}` for GET /_profileflow/events. */
  events?: { pollIntervalMs?: number };
  /** off | sigv4; unset: sigv4 when credentials are configured, off on a loopback address, else a refusal to start. */
  auth?: 'off' | 'sigv4';
  /** JSON file: access key id → {secretAccessKey, accountId} (else PROFILEFLOW_CREDENTIALS holds that JSON). */
  credentialsFile?: string;
  /** Requests per second per (account, region, operation); 0 turns throttling off. Unset: off on loopback, else the default. */
  throttleRate?: number;
  /** Bucket size (burst) of the throttle. */
  throttleBurst?: number;
  /** `profileflow worker` only: serve /_profileflow/metrics and /_profileflow/health on this port (on --host). */
  metricsPort?: number;
  /** JSON file: access key id → {secretAccessKey} of the operator (else PROFILEFLOW_OPERATOR_CREDENTIALS holds that JSON). */
  operatorCredentialsFile?: string;
  /** Host names the service answers to beyond loopback names and --host; `*` for any. */
  allowedHosts?: string[];
  /** Origins whose pages may call the AWS routes (CORS); none by default. */
  corsOrigins?: string[];
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxConnections?: number;
  /** MiB of request bodies held at once; an account at most a quarter. */
  bodyMemoryMb?: number;
  /** SQLite: start serve and migrate without PRAGMA quick_check (it is skipped anyway above 4 GiB). */
  skipIntegrityCheck: boolean;
  /** serve: keep the state in a fresh temporary folder, removed when the process stops. */
  ephemeral: boolean;
}

export const DEFAULTS: ServiceConfig = {
  host: '127.0.0.1',
  port: 4599,
  dataDir: './.profileflow',
  logLevel: 'warn',
  engineMode: 'auto',
  clock: 'system',
  pageDelayMs: 0,
  concurrency: 4,
  engine: {},
  skipIntegrityCheck: false,
  ephemeral: false,
  connectorPolicy: DEFAULT_CONNECTOR_POLICY,
};

/** Each setting: its flag, its environment variable, its key in the --config file. */
export const SETTINGS = [
  { key: 'host', flag: 'host', env: 'PROFILEFLOW_HOST', help: 'address to listen on', kind: 'string' },
  { key: 'port', flag: 'port', env: 'PROFILEFLOW_PORT', help: 'port to listen on (0 picks a free one)', kind: 'port' },
  { key: 'dataDir', flag: 'data-dir', env: 'PROFILEFLOW_DATA_DIR', help: 'directory of the SQLite file', kind: 'string' },
  {
    key: 'databaseUrl',
    flag: 'database-url',
    env: 'PROFILEFLOW_DATABASE_URL',
    help: 'postgres://… selects PostgreSQL instead of SQLite (?schema=NAME picks a schema)',
    kind: 'string',
  },
  { key: 'logLevel', flag: 'log-level', env: 'PROFILEFLOW_LOG_LEVEL', help: 'fatal|error|warn|info|debug', kind: 'string' },
  { key: 'engineMode', flag: 'engine-mode', env: 'PROFILEFLOW_ENGINE_MODE', help: 'auto|manual|off: when workflow steps run', kind: 'auto|manual|off' },
  { key: 'clock', flag: 'clock', env: 'PROFILEFLOW_CLOCK', help: 'system|manual: manual time moves only when told', kind: 'system|manual' },
  { key: 'pageDelayMs', flag: 'page-delay-ms', env: 'PROFILEFLOW_PAGE_DELAY_MS', help: 'pause after each ingested page', kind: 'int' },
  { key: 'concurrency', flag: 'concurrency', env: 'PROFILEFLOW_CONCURRENCY', help: 'steps this process runs at once', kind: 'int' },
  { key: 'auth', flag: 'auth', env: 'PROFILEFLOW_AUTH', help: 'off|sigv4: verify SigV4 signatures (default: sigv4 with credentials, off on loopback)', kind: 'off|sigv4' },
  { key: 'credentialsFile', flag: 'credentials-file', env: 'PROFILEFLOW_CREDENTIALS_FILE', help: 'JSON {accessKeyId: {secretAccessKey, accountId}} (or PROFILEFLOW_CREDENTIALS)', kind: 'string' },
  { key: 'throttleRate', flag: 'throttle-rate', env: 'PROFILEFLOW_THROTTLE_RATE', help: 'requests/s per account, region and operation; 0 = off (default: off on loopback, else 10)', kind: 'number' },
  { key: 'throttleBurst', flag: 'throttle-burst', env: 'PROFILEFLOW_THROTTLE_BURST', help: 'throttle bucket size (default 20)', kind: 'int' },
  // These two are members of the config file's connectorPolicy object rather than top-level keys.
  { key: 'fileRoots', flag: 'file-roots', env: 'PROFILEFLOW_FILE_ROOTS', help: `folders files sources may read below, separated by '${delimiter}' (default: none)`, kind: 'path-list', policy: true },
  { key: 'allowPrivateAddresses', flag: 'allow-private-addresses', env: 'PROFILEFLOW_ALLOW_PRIVATE_ADDRESSES', help: 'true|false: let HTTP sources reach loopback and private addresses (default false)', kind: 'true|false', policy: true },
  { key: 'metricsPort', flag: 'metrics-port', env: 'PROFILEFLOW_METRICS_PORT', help: 'worker only: serve /_profileflow/metrics and /health on this port (default: none)', kind: 'port' },
  { key: 'operatorCredentialsFile', flag: 'operator-credentials-file', env: 'PROFILEFLOW_OPERATOR_CREDENTIALS_FILE', help: 'JSON {accessKeyId: {secretAccessKey}} of the operator, who reaches /_profileflow/ (or PROFILEFLOW_OPERATOR_CREDENTIALS)', kind: 'string' },
  { key: 'allowedHosts', flag: 'allowed-hosts', env: 'PROFILEFLOW_ALLOWED_HOSTS', help: 'comma-separated Host names answered besides loopback and --host; * for any', kind: 'list' },
  { key: 'corsOrigins', flag: 'cors-origins', env: 'PROFILEFLOW_CORS_ORIGINS', help: 'comma-separated origins whose pages may call the AWS routes (CORS; default none)', kind: 'list' },
  { key: 'headersTimeoutMs', flag: 'headers-timeout-ms', env: 'PROFILEFLOW_HEADERS_TIMEOUT_MS', help: 'time to receive the request headers (default 10000)', kind: 'int' },
  { key: 'requestTimeoutMs', flag: 'request-timeout-ms', env: 'PROFILEFLOW_REQUEST_TIMEOUT_MS', help: 'time to receive a whole request (default 30000)', kind: 'int' },
  { key: 'idleTimeoutMs', flag: 'idle-timeout-ms', env: 'PROFILEFLOW_IDLE_TIMEOUT_MS', help: 'close a connection idle this long (default 120000)', kind: 'int' },
  { key: 'maxConnections', flag: 'max-connections', env: 'PROFILEFLOW_MAX_CONNECTIONS', help: 'open connections accepted at once (default 1000)', kind: 'int' },
  { key: 'bodyMemoryMb', flag: 'body-memory-mb', env: 'PROFILEFLOW_BODY_MEMORY_MB', help: 'MiB of request bodies held at once, an account at most a quarter (default 256)', kind: 'int' },
  {
    key: 'skipIntegrityCheck',
    flag: 'skip-integrity-check',
    env: 'PROFILEFLOW_SKIP_INTEGRITY_CHECK',
    help: 'SQLite: start without PRAGMA quick_check (a flag; the env variable takes 1/true; skipped anyway above 4 GiB)',
    kind: 'boolean',
  },
  {
    key: 'ephemeral',
    flag: 'ephemeral',
    env: 'PROFILEFLOW_EPHEMERAL',
    help: 'serve: state in a fresh temporary folder, removed when the process stops (instead of --data-dir)',
    kind: 'boolean',
  },
] as const;

export class ConfigError extends Error {}

/** Whole-number settings for which 0 means nothing sensible. */
const AT_LEAST_ONE = new Set(['concurrency', 'body-memory-mb']);

/** The members a config file may have: every setting (those of the policy inside connectorPolicy) and the objects and lists. */
export const FILE_KEYS: readonly string[] = [
  ...SETTINGS.filter((s) => !('policy' in s)).map((s) => s.key),
  'engine',
  'connectorProfiles',
  'connectorPolicy',
  'webhooks',
  'events',
];
const ENGINE_KEYS = ['leaseMs', 'pollIntervalMs', 'pageSize', 'maxRecordsPerStep', 'minWindowMs', 'retry'];

/**
 * A key the service does not know would otherwise be ignored, and a typo (`throttleRates`) would silently
 * leave its setting at the default: refused, with the nearest known key.
 */
function refuseUnknownKeys(object: Record<string, unknown>, known: readonly string[], where: string): void {
  const unknown = Object.keys(object).filter((k) => !known.includes(k));
  if (unknown.length === 0) return;
  const described = unknown.map((k) => {
    const nearest = nearestOf(k, known);
    return `'${k.slice(0, 64)}'${nearest ? ` (did you mean '${nearest}'?)` : ''}`;
  });
  throw new ConfigError(`${where} has unknown member${unknown.length === 1 ? '' : 's'} ${described.join(', ')}; the members are ${known.join(', ')}.`);
}

/** The known key closest to `key` by edit distance, when it is close enough to be a likely typo. */
function nearestOf(key: string, known: readonly string[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (!best || d < best.d) best = { k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Precedence: flag, then environment variable, then the --config file, then the default. */
export function resolveConfig(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): ServiceConfig {
  const configFile = flags.config ?? env.PROFILEFLOW_CONFIG;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  refuseUnknownKeys(fromFile, FILE_KEYS, `The config file ${configFile}`);
  if (isObject(fromFile.engine)) refuseUnknownKeys(fromFile.engine, ENGINE_KEYS, `The config file ${configFile}'s engine object`);
  const filePolicy = fromFile.connectorPolicy ?? {};
  if (typeof filePolicy !== 'object' || filePolicy === null || Array.isArray(filePolicy)) {
    throw new ConfigError(`The config file member connectorPolicy must be a JSON object {fileRoots?, allowHosts?, allowPrivateAddresses?, secretEnvPrefix?}.`);
  }
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const s of SETTINGS) {
    const fileValue = 'policy' in s ? (filePolicy as Record<string, unknown>)[s.key] : fromFile[s.key];
    // An empty value (`PROFILEFLOW_PORT=`) counts as not given, so the next source still speaks.
    const raw = [flags[s.flag], env[s.env], fileValue].find((v) => v !== undefined && v !== null && v !== '');
    if (raw === undefined) continue;
    config[s.key] = parseSetting(s.kind, raw, s.flag);
  }
  const policy = loadConnectorPolicy({
    ...filePolicy,
    ...(config.fileRoots !== undefined ? { fileRoots: config.fileRoots } : {}),
    ...(config.allowPrivateAddresses !== undefined ? { allowPrivateAddresses: config.allowPrivateAddresses } : {}),
  });
  if (!policy.policy) throw new ConfigError(`The connector policy is unusable: ${policy.problems.join(' ')}`);
  config.connectorPolicy = policy.policy;
  if (fromFile.engine !== undefined) {
    if (typeof fromFile.engine !== 'object' || fromFile.engine === null || Array.isArray(fromFile.engine)) {
      throw new ConfigError('The config file member engine must be a JSON object.');
    }
    config.engine = fromFile.engine;
  }
  if (fromFile.connectorProfiles !== undefined) {
    const { profiles, problems } = checkDeclaredProfiles(fromFile.connectorProfiles, policy.policy);
    if (problems.length) throw new ConfigError(`The config file ${configFile} declares unusable connector profiles: ${problems.join(' ')}`);
    config.connectorProfiles = profiles;
  }
  if (fromFile.webhooks !== undefined) {
    const { webhooks, problems } = checkWebhooks(fromFile.webhooks);
    if (problems.length) throw new ConfigError(`The config file ${configFile} declares unusable webhooks: ${problems.join(' ')}`);
    config.webhooks = webhooks;
  }
  if (fromFile.events !== undefined) {
    const poll = (fromFile.events as { pollIntervalMs?: unknown } | null)?.pollIntervalMs;
    if (poll !== undefined && (!Number.isInteger(poll) || (poll as number) < 10 || (poll as number) > 60_000)) {
      throw new ConfigError('The config file member events.pollIntervalMs must be a whole number of milliseconds from 10 to 60000.');
    }
    config.events = { pollIntervalMs: poll as number | undefined };
  }
  return config as unknown as ServiceConfig;
}

export function storeConfigOf(config: ServiceConfig): StoreConfig {
  if (config.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
      throw new ConfigError(`--database-url must be a postgres:// URL, got '${config.databaseUrl.split('@').pop()}'.`);
    }
    return { backend: 'postgres', databaseUrl: config.databaseUrl };
  }
  return { backend: 'sqlite', dataDir: config.dataDir };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read the config file ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`The config file ${path} is not a JSON object: ${(err as Error).message}`);
  }
}

function parseSetting(kind: string, raw: unknown, flag: string): unknown {
  if (kind === 'port') return parsePort(raw, flag);
  if (kind === 'list') {
    const items = Array.isArray(raw) ? raw : String(raw).split(',');
    if (items.some((i) => typeof i !== 'string')) throw new ConfigError(`--${flag} must be a list of strings.`);
    return (items as string[]).map((i) => i.trim()).filter((i) => i !== '');
  }
  if (kind === 'boolean') {
    // A flag given without a value (parseArgs says true), or true/false, 1/0 from the environment or the file.
    if (raw === true || raw === 'true' || raw === '1') return true;
    if (raw === false || raw === 'false' || raw === '0') return false;
    throw new ConfigError(`--${flag} takes no value; its environment variable takes 1, true, 0 or false, got '${String(raw)}'.`);
  }
  if (kind === 'path-list') {
    // From the config file a JSON list; from a flag or variable a PATH-like list.
    if (Array.isArray(raw)) return raw;
    return String(raw).split(delimiter).filter((p) => p !== '');
  }
  if (kind === 'true|false') {
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new ConfigError(`--${flag} must be true or false, got '${String(raw)}'.`);
  }
  if (kind === 'number') {
    const n = /^\d{1,9}(\.\d{1,9})?$/.test(String(raw)) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(n)) throw new ConfigError(`--${flag} must be a number of 0 or more, got '${String(raw)}'.`);
    return n;
  }
  if (kind === 'int') {
    const n = /^\d{1,9}$/.test(String(raw)) ? Number(raw) : Number.NaN;
    const positive = AT_LEAST_ONE.has(flag);
    if (!Number.isInteger(n) || (positive && n < 1)) {
      throw new ConfigError(`--${flag} must be a whole number${positive ? ' of at least 1' : ''}, got '${String(raw)}'.`);
    }
    return n;
  }
  if (kind.includes('|')) {
    const choices = kind.split('|');
    if (!choices.includes(String(raw))) throw new ConfigError(`--${flag} must be one of ${choices.join(', ')}, got '${String(raw)}'.`);
  }
  return String(raw);
}

function parsePort(raw: unknown, flag: string): number {
  // Digits only: Number() would also read '0x50', '1e3' or ' 80 ' as ports.
  const port = /^\d{1,5}$/.test(String(raw)) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--${flag} must be a port number from 0 to 65535, got '${String(raw)}'.`);
  }
  return port;
}
