#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { buildApp } from '../server/app.js';
import { VERSION } from '../server/version.js';
import { type Clock, ManualClock, systemClock } from '../engine/clock.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import { describeStore, migrateStore, openStore, type StoreConfig } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { ConfigError, DEFAULTS, resolveConfig, type ServiceConfig, SETTINGS, storeConfigOf } from './config.js';
import { loadConnectorProfiles } from './connector-profiles.js';

const HELP = `profileflow ${VERSION}: Amazon Connect Customer Profiles integration workflows, on your machine.

Usage:
  profileflow serve [options]     run the service (AWS restJson1 API + /_profileflow/ admin routes)
  profileflow worker [options]    run workflow steps only (PostgreSQL; add as many as you like)
  profileflow migrate [options]   apply pending database migrations and exit
  profileflow --help | --version

Options (flag, environment variable, default):
${SETTINGS.map((s) => `  --${s.flag.padEnd(14)} ${s.env.padEnd(26)} ${s.help}${defaultOf(s.key)}`).join('\n')}
  --config FILE       PROFILEFLOW_CONFIG         JSON file with any of: ${SETTINGS.map((s) => s.key).join(', ')}, connectorProfiles

Precedence: flag, then environment variable, then config file, then default.
Without --database-url the service keeps its state in SQLite under --data-dir.

Examples:
  profileflow serve
  profileflow serve --port 4599 --database-url postgres://postgres@127.0.0.1:5432/profileflow
  aws customer-profiles list-domains --endpoint-url http://127.0.0.1:4599
`;

function defaultOf(key: string): string {
  const value = (DEFAULTS as unknown as Record<string, unknown>)[key];
  return value === undefined ? '' : ` (default ${String(value)})`;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      config: { type: 'string' },
      ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }])),
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 1;
  }
  const config = resolveConfig(values as Record<string, string | undefined>, process.env);
  const storeConfig = storeConfigOf(config);
  switch (command) {
    case 'migrate': {
      const store = await openStore(storeConfig, { migrate: false });
      const applied = await migrateStore(storeConfig, store);
      await store.close();
      process.stdout.write(
        `${describeStore(storeConfig)}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'}\n`,
      );
      return 0;
    }
    case 'serve':
      return serve(config, storeConfig);
    case 'worker':
      return worker(config, storeConfig);
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${HELP}`);
      return 1;
  }
}

async function serve(config: ServiceConfig, storeConfig: StoreConfig) {
  const store = await openStore(storeConfig);
  const clock = config.clock === 'manual' ? new ManualClock(Date.now()) : systemClock;
  await loadConnectorProfiles(store, config.connectorProfiles ?? [], clock);
  const engine = createEngine(store, clock, config, config.engineMode);
  const app = await buildApp({ store, clock, engine, logger: { level: config.logLevel } });
  engine.onEvent((event) => {
    if (event.type === 'error') app.log.error({ err: event.error }, 'engine error');
  });
  const address = await app.listen({ host: config.host, port: config.port });
  engine.start();
  // The handlers go in before the banner: whoever waits for the banner may signal at once, and a signal
  // with no handler yet would kill the process without draining.
  const stopped = untilSignal(async () => {
    // Stop claiming first so no new step starts, then let in-flight requests finish.
    await engine.stop();
    await app.close();
    await store.close();
  });
  process.stdout.write(
    `profileflow ${VERSION} listening on ${address} (backend: ${describeStore(storeConfig)}; engine: ${config.engineMode}; clock: ${config.clock})\n`,
  );
  return stopped;
}

/** A process that only runs workflow steps (PostgreSQL: as many as you like beside `serve`). */
async function worker(config: ServiceConfig, storeConfig: StoreConfig) {
  if (storeConfig.backend !== 'postgres') {
    throw new ConfigError('profileflow worker needs --database-url: on SQLite, serve runs the engine in its own process.');
  }
  const store = await openStore(storeConfig);
  const engine = createEngine(store, systemClock, config, 'auto');
  engine.onEvent((event) => {
    if (event.type === 'error') process.stderr.write(`engine error: ${String((event.error as Error)?.message ?? event.error)}\n`);
  });
  engine.start();
  const stopped = untilSignal(async () => {
    await engine.stop();
    await store.close();
  });
  process.stdout.write(`profileflow ${VERSION} worker ${engine.owner} running (backend: ${describeStore(storeConfig)})\n`);
  return stopped;
}

function createEngine(store: Store, clock: Clock, config: ServiceConfig, mode: ServiceConfig['engineMode']): Engine {
  return new Engine(store, clock, {
    ...(config.engine as Partial<EngineOptions>),
    mode,
    concurrency: config.concurrency,
    pageDelayMs: config.pageDelayMs,
  });
}

/** Resolves with exit code 0 once SIGINT or SIGTERM has been handled by `shutdown`. */
function untilSignal(shutdown: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal} received: finishing in-flight work\n`);
      await shutdown();
      resolve(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`profileflow: ${(err as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`profileflow: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
