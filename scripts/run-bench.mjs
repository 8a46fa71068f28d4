#!/usr/bin/env node
// Runs the benchmarks (never part of `npm test`): builds dist/ first, because every benchmark spawns the
// built service as a user would, then runs each bench/<name>.ts in its own Node process, one after the
// other (two at once would measure each other). Each writes bench/results/<name>.json and prints a table.
//   npm run bench                          all of them, in the order below
//   npm run bench -- control-plane         one (or several names); flags after the names go to each
//   npm run bench -- ingestion --records 5000000 --no-limit
//   npm run bench -- --no-build startup    skip the build (dist/ is already current)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['startup', 'control-plane', 'peer', 'ingestion', 'scale-out', 'throttle', 'testing-start'];
/** Without names, every benchmark, and ingestion a second time on PostgreSQL. */
const DEFAULT_RUNS = [['startup'], ['control-plane'], ['peer'], ['ingestion'], ['ingestion', '--backend', 'postgres'], ['scale-out'], ['throttle'], ['testing-start']];

const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const rest = args.filter((a) => a !== '--no-build');
const names = [];
while (rest.length && !rest[0].startsWith('--')) names.push(rest.shift());
const runs = names.length ? names.map((n) => [n]) : DEFAULT_RUNS;
for (const [name] of runs) {
  if (!existsSync(join(root, 'bench', `${name}.ts`))) {
    console.error(`unknown benchmark '${name}'; known: ${ALL.join(', ')}`);
    process.exit(2);
  }
}

if (build) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  const bundle = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'inherit' });
  if (bundle.status !== 0) process.exit(bundle.status ?? 1);
}

let failed = 0;
for (const [name, ...extra] of runs) {
  process.stdout.write(`\n=== ${[name, ...extra].join(' ')} ===\n`);
  // The ingestion limit holds the final rows in memory (about 1 GB at 1,000,000 records).
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', join('bench', `${name}.ts`), ...extra, ...rest], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`benchmark ${name} failed (exit ${r.status})\n`);
  }
}
process.exit(failed ? 1 : 0);
