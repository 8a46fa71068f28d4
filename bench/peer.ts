// The peer: moto_server answering EventBridge Scheduler's ListSchedules (restJson1, GET /schedules,
// MaxResults 100; items carry a name, ARN, state, group and two timestamps, much like a workflow item)
// with 100 schedules seeded through boto3, against profileflow's ListWorkflows (100 items, Status and
// date window, SQLite, 1,000 workflows), measured in the same run with the same wrk invocation.
// Target: profileflow ≥ 20 × moto's requests per second.
// Run: npm run bench -- peer [--duration 10]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_HEADERS, machineInfo, parseFlags, printTable, round, sleep, startService, writeResult } from './lib/common.js';
import { createDomain, createWorkflow, putConnectorProfile, putObjectType } from './lib/fixtures.js';
import { runWrk } from './lib/load.js';
import { SEED_SPAN_MS, SEED_START, seedWorkflows } from './lib/seed.js';

const flags = parseFlags(process.argv.slice(2));
const DURATION_S = Number(flags.duration ?? 10);
const TARGET = 20;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const SEED_MOTO = `
import boto3, sys
c = boto3.client('scheduler', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='test', aws_secret_access_key='test')
for i in range(100):
    c.create_schedule(Name='bench-schedule-%03d' % i, ScheduleExpression='rate(1 hour)',
                      FlexibleTimeWindow={'Mode': 'OFF'}, State='ENABLED',
                      Target={'Arn': 'arn:aws:lambda:us-east-1:123456789012:function:bench', 'RoleArn': 'arn:aws:iam::123456789012:role/bench'})
print(len(c.list_schedules(MaxResults=100)['Schedules']))
`;

async function main() {
  const machine = await machineInfo();
  machine.moto = (() => {
    try {
      return execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unavailable';
    }
  })();

  const port = await freePort();
  const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const motoUrl = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-peer-'));
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(`${motoUrl}/moto-api/`);
        break;
      } catch {
        if (i > 200) throw new Error('moto_server did not start');
        await sleep(100);
      }
    }
    const seeded = execFileSync('python3', ['-c', SEED_MOTO, motoUrl], { encoding: 'utf8' }).trim();
    const motoHeaders = {
      ...AUTH_HEADERS,
      authorization: AUTH_HEADERS.authorization.replace('/profile/', '/scheduler/'),
    };
    const motoSpec = { method: 'GET' as const, paths: ['/schedules?MaxResults=100'], headers: motoHeaders, connections: 16 };
    const motoSample = await fetch(motoUrl + motoSpec.paths[0], { headers: motoHeaders });
    const motoBytes = (await motoSample.arrayBuffer()).byteLength;

    // profileflow: 1,000 workflows in one domain (the 1k domain of the control-plane benchmark).
    let svc = await startService(['--data-dir', dir, '--engine-mode', 'off']);
    await putConnectorProfile(svc.url, 100);
    await createDomain(svc.url, 'bench-peer');
    await putObjectType(svc.url, 'bench-peer');
    const template = await createWorkflow(svc.url, 'bench-peer', { flowName: 'peer-history', batches: 1 });
    await svc.stop();
    await seedWorkflows({ backend: 'sqlite', file: join(dir, 'profileflow.db') }, template, 1000, 1);
    svc = await startService(['--data-dir', dir, '--engine-mode', 'off']);
    const pfSpec = {
      method: 'POST' as const,
      paths: ['/domains/bench-peer/workflows?max-results=100'],
      body: JSON.stringify({ Status: 'COMPLETE', QueryStartDate: (SEED_START + SEED_SPAN_MS / 4) / 1000, QueryEndDate: (SEED_START + (3 * SEED_SPAN_MS) / 4) / 1000 }),
      headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
      connections: 16,
    };
    const pfSample = await fetch(svc.url + pfSpec.paths[0], { method: 'POST', headers: pfSpec.headers, body: pfSpec.body });
    const pfBody = (await pfSample.json()) as { Items: unknown[] };

    await runWrk(svc.url, { ...pfSpec, durationS: 2 });
    const pf = await runWrk(svc.url, { ...pfSpec, durationS: DURATION_S });
    await svc.stop();
    await runWrk(motoUrl, { ...motoSpec, durationS: 2 });
    const peer = await runWrk(motoUrl, { ...motoSpec, durationS: DURATION_S });

    const ratio = pf.rps / peer.rps;
    const rows = [
      { server: 'profileflow ListWorkflows', items: pfBody.Items.length, rps: Math.round(pf.rps), p50ms: round(pf.latencyMs.p50, 3), p99ms: round(pf.latencyMs.p99, 3), errors: pf.errors },
      { server: `moto ${machine.moto} ListSchedules`, items: Number(seeded), rps: Math.round(peer.rps), p50ms: round(peer.latencyMs.p50, 3), p99ms: round(peer.latencyMs.p99, 3), errors: peer.errors },
    ];
    printTable('peer: wrk -t1 -c16, same run', rows);
    printTable('peer: profileflow over moto', [{ ratio: round(ratio, 1), target: TARGET, met: ratio >= TARGET && pf.errors === 0 ? 'yes' : 'NO' }]);
    const file = writeResult('peer', {
      command: `npm run bench -- peer ${process.argv.slice(2).join(' ')}`.trim(),
      machine,
      load: { tool: 'wrk', threads: 1, connections: 16, durationS: DURATION_S },
      rows,
      motoBytes,
      ratio: round(ratio, 2),
      target: TARGET,
      met: ratio >= TARGET,
    });
    process.stdout.write(`\nwrote ${file}\n`);
  } finally {
    moto.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
