#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { buildApp } from '../server/app.js';
import { VERSION } from '../server/version.js';
import { describeStore, openStore } from '../store/open-store.js';
import { ConfigError, DEFAULTS, resolveConfig, SETTINGS, storeConfigOf } from './config.js';

const HELP = `profileflow ${VERSION}: Amazon Connect Customer Profiles integration workflows, on your machine.

Usage:
  profileflow serve [options]     run the service (AWS restJson1 API + /_profileflow/ admin routes)
  profileflow migrate [options]   apply pending database migrations and exit
  profileflow --help | --version

Options (flag, environment variable, default):
${SETTINGS.map((s) => `  --${s.flag.padEnd(14)} ${s.env.padEnd(26)} ${s.help}${defaultOf(s.key)}`).join('\n')}
  --config FILE       PROFILEFLOW_CONFIG         JSON file with any of: ${SETTINGS.map((s) => s.key).join(', ')}

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
      const applied = await store.migrate();
      await store.close();
      process.stdout.write(
        `${describeStore(storeConfig)}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'}\n`,
      );
      return 0;
    }
    case 'serve':
      return serve(config, storeConfig);
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${HELP}`);
      return 1;
  }
}

async function serve(config: ReturnType<typeof resolveConfig>, storeConfig: ReturnType<typeof storeConfigOf>) {
  const store = await openStore(storeConfig);
  const app = await buildApp({ store, logger: { level: config.logLevel } });
  const address = await app.listen({ host: config.host, port: config.port });
  process.stdout.write(`profileflow ${VERSION} listening on ${address} (backend: ${describeStore(storeConfig)})\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal} received: finishing in-flight requests\n`);
      // close() stops accepting connections and waits for the requests in flight to be answered.
      await app.close();
      await store.close();
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
