import type { FastifyInstance, FastifyReply } from 'fastify';
import { BadRequestException, ThrottlingException } from '../api/errors.js';
import { accountScopeOf } from './access.js';
import type { ChangeFeed, FeedEvent } from './change-feed.js';

export interface EventsRouteOptions {
  /** A comment line this often keeps proxies and clients from timing the stream out (default 15 s). */
  heartbeatMs?: number;
}

/**
 * Streams one tenant account may hold open at once. Why: a stream's heartbeat keeps its connection from
 * ever going idle, so without a bound one tenant could hold every connection the service accepts
 * (`--max-connections`) and lock every other account out. The operator's streams are not counted.
 */
export const MAX_STREAMS_PER_ACCOUNT = 10;

/**
 * `GET /_profileflow/events`: Server-Sent Events of workflow and step changes, of flow runs that
 * ended and of profile merges (event types `workflow`, `step`, `flowRun` and `profileMerge`, JSON
 * data), filtered by `?domain=`, `?workflowId=`, `?flowName=`, `?accountId=`, `?region=`;
 * heartbeats as comments; `Last-Event-ID` (header or `?lastEventId=`) replays what this process still
 * holds. The stream ends when the client goes or the service stops.
 */
export function registerEventsRoutes(app: FastifyInstance, feed: ChangeFeed, options: EventsRouteOptions = {}): void {
  const open = new Set<FastifyReply>();
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const streamsOf = new Map<string, number>();

  // Streams never end on their own: without this, closing the app would wait for every listener.
  app.addHook('preClose', async () => {
    feed.close();
    for (const reply of open) reply.raw.end();
    open.clear();
  });

  // No HEAD twin: a stream has no headers-only form, and a hijacked HEAD would never answer.
  app.get('/events', { config: { access: 'account' }, exposeHeadRoute: false }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const filter = {
      domainName: query.domain,
      workflowId: query.workflowId,
      flowName: query.flowName,
      accountId: query.accountId,
      region: query.region,
    };
    for (const [name, value] of Object.entries(filter)) {
      if (value !== undefined && (value.length === 0 || value.length > 256)) {
        throw new BadRequestException(`The ${name} filter must be 1 to 256 characters.`);
      }
    }
    // A tenant sees only its own account's events; the operator (or the developer, auth off) any.
    filter.accountId = accountScopeOf(request, filter.accountId);
    const lastEventId = (request.headers['last-event-id'] as string | undefined) ?? query.lastEventId;
    const tenant = request.ctx.caller?.role === 'tenant' ? request.ctx.caller.accountId : undefined;
    if (tenant !== undefined) {
      const held = streamsOf.get(tenant) ?? 0;
      if (held >= MAX_STREAMS_PER_ACCOUNT) {
        throw new ThrottlingException(`Account ${tenant} already holds ${held} event streams, the most one account may hold open at once; close one first.`);
      }
      streamsOf.set(tenant, held + 1);
    }
    let released = false;
    const release = () => {
      if (released || tenant === undefined) return;
      released = true;
      const held = (streamsOf.get(tenant) ?? 1) - 1;
      if (held > 0) streamsOf.set(tenant, held);
      else streamsOf.delete(tenant);
    };

    reply.hijack();
    const raw = reply.raw;
    // Whatever ends the stream, a failed subscription included, gives its place back.
    raw.once('close', release);
    // A client gone before the handler ran closed the response already: its 'close' will not come again.
    if (raw.destroyed || !raw.socket || raw.socket.destroyed) release();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-amzn-requestid': request.id,
    });
    raw.write(`retry: 1000\n: profileflow events (poll every ${feed.intervalMs} ms)\n\n`);
    open.add(reply);

    const matches = (e: FeedEvent) =>
      (!filter.domainName || e.data.domainName === filter.domainName) &&
      (!filter.workflowId || ('workflowId' in e.data && e.data.workflowId === filter.workflowId)) &&
      (!filter.flowName || ('flowName' in e.data && e.data.flowName === filter.flowName)) &&
      (!filter.accountId || e.data.accountId === filter.accountId) &&
      (!filter.region || e.data.region === filter.region);
    const unsubscribe = await feed.subscribe((e) => {
      if (matches(e)) raw.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    }, lastEventId);
    if (raw.destroyed || raw.writableEnded) {
      unsubscribe();
      open.delete(reply);
      return;
    }
    // Told once the poller has read the current state: changes after this line are in the stream.
    raw.write(': ready\n\n');
    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref?.();
    request.log.info({ filter }, 'events stream opened');
    raw.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(reply);
    });
  });
}
