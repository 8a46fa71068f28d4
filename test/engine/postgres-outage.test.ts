import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { GetDomainCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends, POSTGRES_URL } from '../helpers/backends.js';
import { type ServiceProcess, startService } from '../helpers/cli-process.js';
import { eventually } from '../helpers/poll.js';
import { createContactDomain, createSyntheticWorkflow, serviceClient, serviceSandbox } from '../helpers/service-sandbox.js';
import { consecutiveBatches } from '../helpers/workflows.js';

const hasPostgres = (await availableBackends()).includes('postgres');
const TOTAL = 600;

/**
 * A TCP proxy between the service and PostgreSQL, so a test can take the database away without
 * stopping the PostgreSQL server that other suites share: `cut()` destroys every open connection and
 * refuses new ones; `restore()` lets them through again.
 */
class CuttableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('PostgreSQL unavailable for a while', { skip: hasPostgres ? false : 'PostgreSQL does not answer' }, () => {
  const sandbox = serviceSandbox('outage');
  const upstream = new URL(POSTGRES_URL);
  const proxy = new CuttableProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
  let service: ServiceProcess | undefined;
  after(async () => {
    await service?.stop('SIGKILL');
    await proxy.close();
    await sandbox.dispose();
  });

  test('requests answer 500 InternalServerException promptly, the process stays up, API and engine recover', async () => {
    await proxy.listen();
    const viaProxy = new URL(POSTGRES_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    viaProxy.searchParams.set('schema', sandbox.schema);
    const config = sandbox.writeConfig({ pageDelayMs: 40, engine: { leaseMs: 2000, pollIntervalMs: 50, pageSize: 20 }, recordsPerDay: TOTAL, seed: 3 });
    service = await startService(['serve', '--port', '0', '--database-url', viaProxy.toString(), '--config', config]);
    const client = serviceClient(service.url!);
    await createContactDomain(client, 'outage');
    const WorkflowId = await createSyntheticWorkflow(client, { domain: 'outage', flowName: 'outage-flow', batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1) });
    await eventually(async () => {
      const w = await client.send(new GetWorkflowCommand({ DomainName: 'outage', WorkflowId }));
      return (w.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0) >= 60 ? true : undefined;
    }, 'the first pages before the outage');

    proxy.cut();
    // Every request during the outage gets an answer (no hang: each call has a deadline), a 500 in the
    // AWS envelope, and the process keeps running.
    for (let i = 0; i < 3; i++) {
      const answered = await Promise.race([
        client.send(new GetDomainCommand({ DomainName: 'outage' })).then(
          () => ({ name: 'no error' }),
          (err: Error & { $metadata?: { httpStatusCode?: number } }) => ({ name: err.name, status: err.$metadata?.httpStatusCode }),
        ),
        new Promise<{ name: string }>((resolve) => setTimeout(() => resolve({ name: 'no answer within 15 s' }), 15_000).unref()),
      ]);
      assert.deepEqual(answered, { name: 'InternalServerException', status: 500 }, service.output().slice(-3000));
    }
    const health = await fetch(`${service.url}/_profileflow/health`);
    assert.equal(health.status, 200, 'the process is up and answers what needs no database');
    const degraded = (await health.json()) as { status: string; reason?: string };
    assert.equal(degraded.status, 'degraded', 'health says the database is gone');
    assert.equal(degraded.reason, 'the PostgreSQL server cannot be reached');
    assert.ok(service.output().includes(`storage degraded: the PostgreSQL server 127.0.0.1:${proxy.port}${viaProxy.pathname} cannot be reached`), 'the log names the server');
    assert.equal(service.proc.exitCode, null);

    proxy.restore();
    const done = await eventually(async () => {
      const w = await client.send(new GetWorkflowCommand({ DomainName: 'outage', WorkflowId }));
      return w.Status === 'COMPLETE' || w.Status === 'FAILED' ? w : undefined;
    }, 'the engine to finish the workflow once the database is back', 90_000);
    assert.equal(done.Status, 'COMPLETE', done.ErrorDescription);
    assert.equal(((await (await fetch(`${service.url}/_profileflow/health`)).json()) as { status: string }).status, 'ok', 'health is ok again');
    assert.equal(done.Metrics?.AppflowIntegration?.RecordsProcessed, TOTAL, 'no record lost or counted twice across the outage');
    const domain = await client.send(new GetDomainCommand({ DomainName: 'outage' }));
    assert.equal(domain.Stats?.ObjectCount, TOTAL);
    client.destroy();
    assert.equal(await service.stop('SIGTERM'), 0);
    service = undefined;
  });
});
