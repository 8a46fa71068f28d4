import { readFileSync } from 'node:fs';
import type { StoreConfig } from '../store/open-store.js';

/** Everything `profileflow serve` can be told; later issues add to it. */
export interface ServiceConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  logLevel: string;
}

export const DEFAULTS: ServiceConfig = {
  host: '127.0.0.1',
  port: 4599,
  dataDir: './.profileflow',
  logLevel: 'warn',
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
] as const;

export class ConfigError extends Error {}

/** Precedence: flag, then environment variable, then the --config file, then the default. */
export function resolveConfig(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): ServiceConfig {
  const configFile = flags.config ?? env.PROFILEFLOW_CONFIG;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const s of SETTINGS) {
    const raw = flags[s.flag] ?? env[s.env] ?? fromFile[s.key];
    if (raw === undefined || raw === '') continue;
    config[s.key] = s.kind === 'port' ? parsePort(raw, s.flag) : String(raw);
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

function parsePort(raw: unknown, flag: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--${flag} must be a port number from 0 to 65535, got '${String(raw)}'.`);
  }
  return port;
}
