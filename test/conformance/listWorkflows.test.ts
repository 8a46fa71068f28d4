import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  DeleteWorkflowCommand,
  type ListWorkflowsCommandInput,
  ListWorkflowsCommand,
  type ListWorkflowsItem,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  allWorkflows,
  alterToken,
  consecutiveBatches,
  createWorkflow,
  putConnectorProfile,
  putObjectType,
  setupWorkflowEnv,
  uniqueProfileName,
  type WorkflowEnv,
} from '../helpers/workflows.js';

const STATUSES = ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'SPLIT', 'RETRY', 'CANCELLED'];

/** The model makes all six members required; StatusDescription is 1..255. */
function assertItemShape(item: ListWorkflowsItem): void {
  assert.deepEqual(Object.keys(item).sort(), ['CreatedAt', 'LastUpdatedAt', 'Status', 'StatusDescription', 'WorkflowId', 'WorkflowType']);
  assert.equal(item.WorkflowType, 'APPFLOW_INTEGRATION');
  assert.match(item.WorkflowId!, /^[a-f0-9]{32}$/);
  assert.ok(STATUSES.includes(item.Status!), `Status ${item.Status}`);
  assert.equal(typeof item.StatusDescription, 'string');
  assert.ok(item.StatusDescription!.trim().length >= 1 && item.StatusDescription!.length <= 255, `StatusDescription '${item.StatusDescription}'`);
  assert.ok(item.CreatedAt instanceof Date && !Number.isNaN(item.CreatedAt.getTime()));
  assert.ok(item.LastUpdatedAt instanceof Date && !Number.isNaN(item.LastUpdatedAt.getTime()));
}

/** Newest first: CreatedAt descending, then WorkflowId descending. */
function newestFirst(a: { id: string; at: number }, b: { id: string; at: number }): number {
  return b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

for (const backend of await availableBackends()) {
  describe(`ListWorkflows [${backend}]`, () => {
    const t0 = Date.UTC(2026, 3, 20, 9, 0, 0, 125);
    const clock = new ManualClock(t0);
    // This server's engine is never run.
    let s: TestServer;
    let env: WorkflowEnv;
    /** The workflows of `env.domain`, with their creation times. */
    const made: { id: string; at: number }[] = [];
    before(async () => {
      s = await startServer(backend, { clock });
      env = await setupWorkflowEnv(s, 'lw');
      // 17 workflows over 9 instants, several sharing an instant (ties are broken by WorkflowId).
      const instants = [0, 0, 0, 1000, 2000, 2000, 3000, 4000, 4000, 4000, 4000, 5000, 6000, 7000, 7000, 8000, 8000];
      for (const offset of instants) {
        clock.set(t0 + offset);
        made.push({ id: await createWorkflow(s.client, { env }), at: t0 + offset });
      }
      clock.set(t0 + 60_000);
    });
    after(() => s.close());

    const list = (input: Omit<ListWorkflowsCommandInput, 'DomainName'> & { DomainName?: string } = {}) =>
      s.client.send(new ListWorkflowsCommand({ DomainName: env.domain, ...input }));

    describe('serialization', () => {
      test('every item carries all six members, with a StatusDescription of 1..255 characters', async () => {
        const out = await list();
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.Items?.length, made.length);
        assert.equal(out.NextToken, undefined, 'no NextToken on the last page');
        const byId = new Map(made.map((m) => [m.id, m.at]));
        for (const item of out.Items!) {
          assertItemShape(item);
          assert.equal(item.Status, 'NOT_STARTED');
          assert.equal(item.CreatedAt!.getTime(), byId.get(item.WorkflowId!), 'CreatedAt to the millisecond');
          assert.equal(item.LastUpdatedAt!.getTime(), byId.get(item.WorkflowId!));
        }
      });

      test('an empty JSON body {} is accepted, as the SDK and CLI send it', async () => {
        const response = await fetch(`${s.url}/domains/${env.domain}/workflows`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(response.status, 200);
        const body = (await response.json()) as { Items: { WorkflowId: string; CreatedAt: unknown }[] };
        assert.equal(body.Items.length, made.length);
        assert.equal(typeof body.Items[0].CreatedAt, 'number', 'timestamps are epoch seconds on the wire');
      });

      test('a domain without workflows lists none', async () => {
        await s.client.send(new CreateDomainCommand({ DomainName: 'lw-empty', DefaultExpirationDays: 1 }));
        const out = await list({ DomainName: 'lw-empty' });
        assert.deepEqual(out.Items ?? [], []);
        assert.equal(out.NextToken, undefined);
      });
    });

    describe('validation', () => {
      test('MaxResults 1 and 100 are accepted, 0 and 101 rejected', async () => {
        const one = await list({ MaxResults: 1 });
        assert.equal(one.Items?.length, 1);
        assert.ok(one.NextToken);
        const hundred = await list({ MaxResults: 100 });
        assert.equal(hundred.Items?.length, made.length);
        assert.equal(hundred.NextToken, undefined);
        await expectAwsError(list({ MaxResults: 0 }), 'BadRequestException', 400, "at 'MaxResults'", 'value greater than or equal to 1');
        await expectAwsError(list({ MaxResults: 101 }), 'BadRequestException', 400, "at 'MaxResults'", 'value less than or equal to 100');
      });

      test('NextToken must hold 1..1024 characters', async () => {
        await expectAwsError(list({ NextToken: '' }), 'BadRequestException', 400, "at 'NextToken'", 'length greater than or equal to 1');
        await expectAwsError(list({ NextToken: 'n'.repeat(1025) }), 'BadRequestException', 400, "at 'NextToken'", 'length less than or equal to 1024');
        const err = await expectAwsError(list({ NextToken: 'n'.repeat(1024) }), 'BadRequestException', 400, 'NextToken');
        assert.ok(!err.message.includes('length'), `a 1024-character token passes the length rule: ${err.message}`);
      });

      test('Status and WorkflowType take only their enum values', async () => {
        await expectAwsError(list({ Status: 'DONE' as never }), 'BadRequestException', 400, "at 'Status'", 'enum value set');
        await expectAwsError(list({ WorkflowType: 'GLUE' as never }), 'BadRequestException', 400, "at 'WorkflowType'", 'enum value set');
      });

      test('QueryStartDate after QueryEndDate is a BadRequestException; equal dates are accepted', async () => {
        await expectAwsError(
          list({ QueryStartDate: new Date(t0 + 1), QueryEndDate: new Date(t0) }),
          'BadRequestException',
          400,
          'QueryStartDate',
          'QueryEndDate',
        );
        const equal = await list({ QueryStartDate: new Date(t0), QueryEndDate: new Date(t0) });
        assert.equal(equal.Items?.length, 3, 'the three workflows created at exactly that instant');
      });
    });

    describe('behaviour', () => {
      test('lists newest first: CreatedAt descending, then WorkflowId descending for equal CreatedAt', async () => {
        const out = await list();
        assert.deepEqual(
          out.Items!.map((i) => i.WorkflowId),
          [...made].sort(newestFirst).map((m) => m.id),
        );
      });

      for (const size of [1, 2, 3, 7]) {
        test(`walking with MaxResults ${size} returns every workflow exactly once, in order`, async () => {
          const walk = await allWorkflows(s.client, env.domain, size);
          assert.deepEqual(
            walk.items.map((i) => i.WorkflowId),
            [...made].sort(newestFirst).map((m) => m.id),
          );
          assert.equal(walk.pages, Math.ceil(made.length / size));
          walk.items.forEach(assertItemShape);
        });
      }

      test('without MaxResults a page holds at most 100 workflows', async () => {
        const big = await setupWorkflowEnv(s, 'lw-105');
        const ids: string[] = [];
        for (let i = 0; i < 105; i++) ids.push(await createWorkflow(s.client, { env: big }));
        const first = await list({ DomainName: big.domain });
        assert.equal(first.Items?.length, 100);
        assert.ok(first.NextToken);
        const second = await list({ DomainName: big.domain, NextToken: first.NextToken });
        assert.equal(second.Items?.length, 5);
        assert.equal(second.NextToken, undefined);
        const listed = [...first.Items!, ...second.Items!].map((i) => i.WorkflowId!);
        assert.deepEqual([...listed].sort(), [...ids].sort());
      });

      test('QueryStartDate and QueryEndDate bound CreatedAt inclusively and exactly, finer than a millisecond too', async () => {
        const edges = await setupWorkflowEnv(s, 'lw-dates');
        const base = Date.UTC(2026, 4, 1, 12, 0, 0, 250);
        const at: Record<string, number> = { before: base - 1, start: base, middle: base + 500, end: base + 999, after: base + 1000 };
        const ids: Record<string, string> = {};
        const saved = clock.now();
        try {
          for (const [name, time] of Object.entries(at)) {
            clock.set(time);
            ids[name] = await createWorkflow(s.client, { env: edges });
          }
        } finally {
          clock.set(saved);
        }
        const query = async (filter: Omit<ListWorkflowsCommandInput, 'DomainName'>) =>
          (await allWorkflows(s.client, edges.domain, undefined, filter)).items.map((i) => i.WorkflowId);

        assert.deepEqual(await query({ QueryStartDate: new Date(at.start), QueryEndDate: new Date(at.end) }), [ids.end, ids.middle, ids.start]);
        assert.deepEqual(await query({ QueryStartDate: new Date(at.start) }), [ids.after, ids.end, ids.middle, ids.start]);
        assert.deepEqual(await query({ QueryEndDate: new Date(at.end) }), [ids.end, ids.middle, ids.start, ids.before]);
        assert.deepEqual(await query({ QueryStartDate: new Date(at.after + 1) }), []);
        assert.deepEqual(await query({ QueryEndDate: new Date(at.before - 1) }), []);
        // Whole seconds, as the CLI sends them, bound the same way.
        assert.deepEqual(
          await query({ QueryStartDate: new Date(Date.UTC(2026, 4, 1, 12, 0, 0)), QueryEndDate: new Date(Date.UTC(2026, 4, 1, 12, 0, 2)) }),
          [ids.after, ids.end, ids.middle, ids.start, ids.before],
        );
        // The filter holds across pages.
        assert.deepEqual(
          (await allWorkflows(s.client, edges.domain, 1, { QueryStartDate: new Date(at.start), QueryEndDate: new Date(at.end) })).items.map(
            (i) => i.WorkflowId,
          ),
          [ids.end, ids.middle, ids.start],
        );

        // A raw body may carry bounds finer than a millisecond: 0.4 ms after `before` and 0.4 ms before
        // `after` leave both out, where the nearest millisecond would have let both in.
        const raw = async (body: string) => {
          const response = await fetch(`${s.url}/domains/${edges.domain}/workflows`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          const text = await response.text();
          return { status: response.status, text, ids: response.status === 200 ? (JSON.parse(text) as { Items: { WorkflowId: string }[] }).Items.map((i) => i.WorkflowId) : [] };
        };
        const secondsText = (ms: number, extra: string) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}${extra}`;
        const fine = await raw(`{"QueryStartDate":${secondsText(at.before, '4')},"QueryEndDate":${secondsText(at.end, '6')}}`);
        assert.equal(fine.status, 200, fine.text);
        assert.deepEqual(fine.ids, [ids.end, ids.middle, ids.start]);
        // Exact milliseconds, however the fraction is written, still include their own instant.
        const exact = await raw(`{"QueryStartDate":${secondsText(at.start, '000')},"QueryEndDate":${secondsText(at.start, '0')}}`);
        assert.equal(exact.status, 200, exact.text);
        assert.deepEqual(exact.ids, [ids.start]);
        // Two bounds within one millisecond are ordered by their exact values.
        const inverted = await raw(`{"QueryStartDate":${secondsText(at.middle, '4')},"QueryEndDate":${secondsText(at.middle, '3')}}`);
        assert.equal(inverted.status, 400, inverted.text);
        assert.match(inverted.text, /QueryStartDate .*\.7504Z is after QueryEndDate .*\.7503Z/);
        const within = await raw(`{"QueryStartDate":${secondsText(at.middle, '3')},"QueryEndDate":${secondsText(at.middle, '4')}}`);
        assert.equal(within.status, 200, within.text);
        assert.deepEqual(within.ids, [], 'no workflow was created between the two bounds');
      });

      test('a walk while new workflows are created between pages returns every earlier workflow exactly once', async () => {
        const moving = await setupWorkflowEnv(s, 'lw-moving');
        const saved = clock.now();
        const base = Date.UTC(2026, 5, 1);
        const existing: string[] = [];
        try {
          for (let i = 0; i < 10; i++) {
            clock.set(base + Math.floor(i / 2) * 1000);
            existing.push(await createWorkflow(s.client, { env: moving }));
          }
          const seen: string[] = [];
          let token: string | undefined;
          let round = 0;
          do {
            const out = await list({ DomainName: moving.domain, MaxResults: 3, NextToken: token });
            seen.push(...out.Items!.map((i) => i.WorkflowId!));
            token = out.NextToken;
            // Between pages: one newer workflow, and one at the very instant of a workflow already listed.
            round += 1;
            clock.set(base + 100_000 + round);
            await createWorkflow(s.client, { env: moving });
            clock.set(base + 4000);
            await createWorkflow(s.client, { env: moving });
          } while (token);
          assert.equal(new Set(seen).size, seen.length, `no workflow is listed twice: ${seen.length} listed`);
          for (const id of existing) assert.equal(seen.filter((x) => x === id).length, 1, `${id} listed once`);
        } finally {
          clock.set(saved);
        }
      });

      test('a walk goes on when the workflow its token points at is deleted between pages', async () => {
        const shrinking = await setupWorkflowEnv(s, 'lw-shrinking');
        const saved = clock.now();
        const ids: { id: string; at: number }[] = [];
        try {
          for (let i = 0; i < 6; i++) {
            clock.set(Date.UTC(2026, 5, 2) + i * 1000);
            ids.push({ id: await createWorkflow(s.client, { env: shrinking }), at: clock.now() });
          }
        } finally {
          clock.set(saved);
        }
        const order = [...ids].sort(newestFirst).map((m) => m.id);
        const first = await list({ DomainName: shrinking.domain, MaxResults: 2 });
        assert.deepEqual(first.Items!.map((i) => i.WorkflowId), order.slice(0, 2));
        await s.client.send(new DeleteWorkflowCommand({ DomainName: shrinking.domain, WorkflowId: order[1] }));
        const rest = await list({ DomainName: shrinking.domain, NextToken: first.NextToken });
        assert.deepEqual(rest.Items!.map((i) => i.WorkflowId), order.slice(2));
      });

      test('a token is good only with the filters, domain and account it was issued for, and unaltered', async () => {
        const filtered = { Status: 'NOT_STARTED' as const, QueryStartDate: new Date(t0 + 1000), QueryEndDate: new Date(t0 + 8000) };
        const first = await list({ ...filtered, MaxResults: 2 });
        const token = first.NextToken!;
        assert.ok(token);
        const next = await list({ ...filtered, MaxResults: 2, NextToken: token });
        assert.equal(next.Items?.length, 2, 'the token works with the request it was issued for');

        const changes: Omit<ListWorkflowsCommandInput, 'DomainName'>[] = [
          { ...filtered, Status: 'COMPLETE' },
          { QueryStartDate: filtered.QueryStartDate, QueryEndDate: filtered.QueryEndDate },
          { ...filtered, QueryStartDate: new Date(t0 + 1001) },
          { ...filtered, QueryEndDate: new Date(t0 + 7999) },
          { ...filtered, QueryStartDate: undefined },
          { ...filtered, WorkflowType: 'APPFLOW_INTEGRATION' },
        ];
        for (const changed of changes) {
          await expectAwsError(list({ ...changed, MaxResults: 2, NextToken: token }), 'BadRequestException', 400, 'NextToken');
        }

        await s.client.send(new CreateDomainCommand({ DomainName: 'lw-token-other', DefaultExpirationDays: 1 }));
        await expectAwsError(list({ ...filtered, DomainName: 'lw-token-other', NextToken: token }), 'BadRequestException', 400, 'NextToken');

        const otherAccount = s.clientFor({ accountId: '111122223333' });
        await otherAccount.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 1 }));
        await expectAwsError(
          otherAccount.send(new ListWorkflowsCommand({ DomainName: env.domain, ...filtered, NextToken: token })),
          'BadRequestException',
          400,
          'NextToken',
        );

        await expectAwsError(list({ ...filtered, NextToken: alterToken(token) }), 'BadRequestException', 400, 'NextToken');
      });

      test('a domain that does not exist is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(list({ DomainName: 'lw-no-domain' }), 'ResourceNotFoundException', 404, 'lw-no-domain');
      });

      test('a missing domain is reported before a NextToken or date problem of the same request', async () => {
        const token = (await list({ MaxResults: 2 })).NextToken!;
        assert.ok(token);
        await expectAwsError(list({ DomainName: 'lw-no-domain', NextToken: token }), 'ResourceNotFoundException', 404, 'lw-no-domain');
        await expectAwsError(list({ DomainName: 'lw-no-domain', NextToken: alterToken(token) }), 'ResourceNotFoundException', 404, 'lw-no-domain');
        await expectAwsError(
          list({ DomainName: 'lw-no-domain', QueryStartDate: new Date(t0 + 2000), QueryEndDate: new Date(t0) }),
          'ResourceNotFoundException',
          404,
          'lw-no-domain',
        );
      });

      test('another account or another region sees none of the workflows', async () => {
        await expectAwsError(
          s.clientFor({ region: 'eu-central-1' }).send(new ListWorkflowsCommand({ DomainName: env.domain })),
          'ResourceNotFoundException',
          404,
        );
        const otherAccount = s.clientFor({ accountId: '777788889999' });
        await otherAccount.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 1 }));
        await putObjectType(otherAccount, env.domain);
        const theirs = await createWorkflow(otherAccount, { env });
        const out = await otherAccount.send(new ListWorkflowsCommand({ DomainName: env.domain }));
        assert.deepEqual(out.Items?.map((i) => i.WorkflowId), [theirs]);
        const ours = await list();
        assert.ok(!ours.Items!.some((i) => i.WorkflowId === theirs));
      });
    });

    describe('filters on status while the engine runs', () => {
      // A server of its own: its engine runs, and runs only these workflows.
      const clock2 = new ManualClock(Date.UTC(2026, 6, 1));
      let s2: TestServer;
      let e: WorkflowEnv;
      const ids: Record<string, string> = {};
      before(async () => {
        s2 = await startServer(backend, { clock: clock2, engine: { pageSize: 12 } });
        e = await setupWorkflowEnv(s2, 'lw-status');
        const failing = uniqueProfileName('lw-failing');
        await putConnectorProfile(s2, failing, { faults: [{ page: 1, kind: 'permanent' }] });
        ids.complete = await createWorkflow(s2.client, { env: e });
        clock2.advance(1000);
        ids.failed = await createWorkflow(s2.client, { env: { ...e, profile: failing } });
        await s2.engine.runUntilIdle();
        clock2.advance(1000);
        ids.running = await createWorkflow(s2.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 2) });
        await s2.engine.advance({ pages: 1 });
        clock2.advance(1000);
        ids.waiting = await createWorkflow(s2.client, { env: e });
      });
      after(() => s2.close());

      const byStatus = async (Status?: ListWorkflowsCommandInput['Status'], pageSize?: number) =>
        (await allWorkflows(s2.client, e.domain, pageSize, Status ? { Status } : {})).items;

      test('the Status filter returns exactly the workflows in that status', async () => {
        const expected: [NonNullable<ListWorkflowsCommandInput['Status']>, string[]][] = [
          ['NOT_STARTED', [ids.waiting]],
          ['IN_PROGRESS', [ids.running]],
          ['COMPLETE', [ids.complete]],
          ['FAILED', [ids.failed]],
          ['RETRY', []],
          ['SPLIT', []],
          ['CANCELLED', []],
        ];
        for (const [status, want] of expected) {
          const items = await byStatus(status);
          assert.deepEqual(items.map((i) => i.WorkflowId), want, `Status ${status}`);
          for (const item of items) {
            assertItemShape(item);
            assert.equal(item.Status, status);
          }
        }
        // With page size 1, the filtered walk is the same.
        assert.deepEqual((await byStatus('COMPLETE', 1)).map((i) => i.WorkflowId), [ids.complete]);
      });

      test('each status has a description a person can read', async () => {
        const all = await byStatus();
        assert.equal(all.length, 4);
        const descriptions = new Map(all.map((i) => [i.Status, i.StatusDescription]));
        assert.equal(descriptions.size, 4);
        assert.equal(new Set(descriptions.values()).size, 4, 'each status is described differently');
        all.forEach(assertItemShape);
      });

      test('the WorkflowType filter returns the APPFLOW_INTEGRATION workflows', async () => {
        const items = (await allWorkflows(s2.client, e.domain, 2, { WorkflowType: 'APPFLOW_INTEGRATION' })).items;
        assert.deepEqual(items.map((i) => i.WorkflowId), [ids.waiting, ids.running, ids.failed, ids.complete]);
      });

      test('LastUpdatedAt follows the run while CreatedAt stays the creation time', async () => {
        const all = await byStatus();
        const running = all.find((i) => i.WorkflowId === ids.running)!;
        assert.equal(running.CreatedAt!.getTime(), Date.UTC(2026, 6, 1) + 2000);
        assert.equal(running.LastUpdatedAt!.getTime(), Date.UTC(2026, 6, 1) + 2000);
        clock2.advance(5000);
        await s2.engine.advance({ pages: 1 });
        const after1 = (await byStatus()).find((i) => i.WorkflowId === ids.running)!;
        assert.equal(after1.CreatedAt!.getTime(), Date.UTC(2026, 6, 1) + 2000);
        assert.equal(after1.LastUpdatedAt!.getTime(), clock2.now());
      });

      test('a deleted workflow is listed CANCELLED (and found by Status=CANCELLED) until the engine purges it', async () => {
        await s2.client.send(new DeleteWorkflowCommand({ DomainName: e.domain, WorkflowId: ids.waiting }));
        const cancelled = await byStatus('CANCELLED');
        assert.deepEqual(cancelled.map((i) => i.WorkflowId), [ids.waiting]);
        assertItemShape(cancelled[0]);
        assert.match(cancelled[0].StatusDescription!, /^Cancelled: the workflow is being deleted/);
        assert.deepEqual((await byStatus('NOT_STARTED')).map((i) => i.WorkflowId), []);
        await s2.engine.advance({ pages: 1 });
        assert.deepEqual(await byStatus('CANCELLED'), []);
        assert.ok(!(await byStatus()).some((i) => i.WorkflowId === ids.waiting), 'gone once purged');
      });
    });
  });
}
