// Start-up: from spawning `node dist/bundle/profileflow.js serve` to its first successful GetDomain (200), 20 spawns,
// each on a fresh copy of a data dir holding one domain (migrations already applied, as on any start but
// the first); then the idle RSS one second later. Limits: median ≤ 400 ms, idle RSS ≤ 90 MB; a bare
// node:http server started and polled the same way is measured in the same run as the floor.
// Run: npm run bench -- startup [--runs 20] [--cpu-prof DIR]
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_HEADERS, DIST_MAIN, machineInfo, memoryOf, parseFlags, printTable, round, sleep, startService, writeResult } from './lib/common.js';
import { createDomain } from './lib/fixtures.js';
import { summariseProfile } from './lib/profile-summary.js';

const flags = parseFlags(process.argv.slice(2));
const RUNS = Number(flags.runs ?? 20);
const MEDIAN_LIMIT_MS = 400;
const RSS_LIMIT_MB = 90;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Spawns `args`, polls GET url every 2 ms until it answers 200; returns the time and the idle RSS. */
async function measure(args: string[], url: string): Promise<{ ms: number; idleRssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  let ms = 0;
  for (;;) {
    if (exited) throw new Error(`${args.join(' ')} exited before answering`);
    try {
      const res = await fetch(url, { headers: AUTH_HEADERS });
      await res.arrayBuffer();
      if (res.status === 200) {
        ms = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    await sleep(2);
  }
  await sleep(1000);
  const idleRssMb = memoryOf(child.pid!).rssMb;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
  return { ms, idleRssMb };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const machine = await machineInfo();
  const template = mkdtempSync(join(tmpdir(), 'pf-bench-start-'));
  const work: string[] = [];
  try {
    const svc = await startService(['--data-dir', template, '--engine-mode', 'off']);
    await createDomain(svc.url, 'bench-start');
    await svc.stop();

    const bare = join(template, 'bare.mjs');
    writeFileSync(
      bare,
      `import { createServer } from 'node:http';
const body = Buffer.from('{"DomainName":"bench-start"}');
createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(200, { 'content-type': 'application/json' }).end(body)); })
  .listen(Number(process.argv[2]), '127.0.0.1');\n`,
    );

    const pf: { ms: number; idleRssMb: number }[] = [];
    const floor: { ms: number; idleRssMb: number }[] = [];
    const profDir = flags['cpu-prof'] ? String(flags['cpu-prof']) : undefined;
    for (let i = 0; i < RUNS; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'pf-bench-start-run-'));
      work.push(dir);
      cpSync(template, dir, { recursive: true });
      const port = await freePort();
      const nodeArgs = profDir && i === RUNS - 1 ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
      pf.push(await measure([...nodeArgs, DIST_MAIN, 'serve', '--port', String(port), '--data-dir', dir], `http://127.0.0.1:${port}/domains/bench-start`));
      const port2 = await freePort();
      floor.push(await measure([bare, String(port2)], `http://127.0.0.1:${port2}/domains/bench-start`));
    }
    const medianMs = median(pf.map((r) => r.ms));
    const idleRss = median(pf.map((r) => r.idleRssMb));
    const rows = [
      {
        measure: 'start to first GetDomain (median ms)',
        profileflow: round(medianMs, 1),
        bareNodeHttp: round(median(floor.map((r) => r.ms)), 1),
        limit: MEDIAN_LIMIT_MS,
        ratioToLimit: round(medianMs / MEDIAN_LIMIT_MS, 3),
        met: medianMs <= MEDIAN_LIMIT_MS ? 'yes' : 'NO',
      },
      {
        measure: 'idle RSS 1 s later (median MB)',
        profileflow: round(idleRss, 1),
        bareNodeHttp: round(median(floor.map((r) => r.idleRssMb)), 1),
        limit: RSS_LIMIT_MB,
        ratioToLimit: round(idleRss / RSS_LIMIT_MB, 3),
        met: idleRss <= RSS_LIMIT_MB ? 'yes' : 'NO',
      },
    ];
    printTable(`startup: ${RUNS} spawns each (SQLite, fresh copy of a migrated data dir)`, rows);
    let profile;
    if (profDir) {
      const file = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
      if (file) {
        profile = summariseProfile(join(profDir, file), 20);
        printTable('startup profile: top self time (last spawn)', profile.lines as unknown as Record<string, unknown>[]);
      }
    }
    const file = writeResult('startup', {
      command: `npm run bench -- startup ${process.argv.slice(2).join(' ')}`.trim(),
      machine,
      runs: RUNS,
      rows,
      samples: { profileflowMs: pf.map((r) => round(r.ms, 1)), profileflowIdleRssMb: pf.map((r) => round(r.idleRssMb, 1)), bareMs: floor.map((r) => round(r.ms, 1)) },
      profile,
    });
    process.stdout.write(`\nwrote ${file}\n`);
  } finally {
    rmSync(template, { recursive: true, force: true });
    for (const d of work) rmSync(d, { recursive: true, force: true });
  }
}

await main();
