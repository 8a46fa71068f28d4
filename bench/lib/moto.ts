// moto_server as a peer: EventBridge Scheduler's ListSchedules (restJson1, GET /schedules, MaxResults 100;
// items carry a name, ARN, state, group and two timestamps, much like a workflow item) over 100 schedules
// seeded through boto3. Undefined when moto_server or boto3 is not installed: the figure is then "not
// measured", never estimated.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { AUTH_HEADERS, sleep } from './common.js';
import type { LoadSpec } from './load.js';

export interface Moto {
  url: string;
  version: string;
  spec: LoadSpec;
  items: number;
  bytes: number;
  pid: number;
  stop(): Promise<void>;
}

const SEED = `
import boto3, sys
c = boto3.client('scheduler', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='test', aws_secret_access_key='test')
for i in range(100):
    c.create_schedule(Name='bench-schedule-%03d' % i, ScheduleExpression='rate(1 hour)',
                      FlexibleTimeWindow={'Mode': 'OFF'}, State='ENABLED',
                      Target={'Arn': 'arn:aws:lambda:us-east-1:123456789012:function:bench', 'RoleArn': 'arn:aws:iam::123456789012:role/bench'})
print(len(c.list_schedules(MaxResults=100)['Schedules']))
`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startMoto(): Promise<Moto | undefined> {
  let version: string;
  try {
    version = execFileSync('python3', ['-c', 'import moto, boto3; print(moto.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) return undefined;
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      if (i > 200) {
        await stop();
        throw new Error('moto_server did not start');
      }
      await sleep(100);
    }
  }
  const items = Number(execFileSync('python3', ['-c', SEED, url], { encoding: 'utf8' }).trim());
  const headers = { ...AUTH_HEADERS, authorization: AUTH_HEADERS.authorization.replace('/profile/', '/scheduler/') };
  const spec: LoadSpec = { method: 'GET', paths: ['/schedules?MaxResults=100'], headers };
  const sample = await fetch(url + spec.paths[0], { headers });
  const bytes = (await sample.arrayBuffer()).byteLength;
  return { url, version, spec, items, bytes, pid: child.pid!, stop };
}
