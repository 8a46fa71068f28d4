import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket } from 'node:net';
import type { AuthSettings } from '../../src/auth/caller.js';
import { buildApp } from '../../src/server/app.js';
import { BodyBudget } from '../../src/server/body-budget.js';
import { createTestStore, type TestStore } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { openSocket } from '../helpers/raw-socket.js';
import { ALL_CREDENTIALS, KEY_A, KEY_A2, KEY_B, OPERATOR_KEY, OPERATOR_SECRET, sendSigned, signRequest } from './support.js';

/**
 * Request bodies are held whole until the request is answered. Before the budget, 100 connections each
 * sending all but the last byte of an 8 MiB PutProfileObject body made a served process hold 891 MB
 * (`.scratch`-style probe against `serve`; 1,000 connections and 32 MiB BatchPutProfileObject bodies
 * would be 32 GB): nothing bounded the bytes held across requests.
 */

const MiB = 1024 * 1024;
const PATH = '/domains/held/profiles/objects';

function amzDate(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Authorization naming `key` (SigV4's envelope: checked before the body; the signature after it). */
function authorization(key: string): Record<string, string> {
  const date = amzDate();
  return {
    'x-amz-date': date,
    authorization: `AWS4-HMAC-SHA256 Credential=${key}/${date.slice(0, 8)}/us-east-1/profile/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  };
}

interface Held {
  socket: Socket;
  /** The answer's head and what came of its body, once the service answers. */
  answer: Promise<string>;
  rest: Buffer;
}

/**
 * Sends the headers of a PutProfileObject of `length` bytes and `sent` bytes of its body (all but the
 * last byte unless told), and keeps the connection open.
 */
async function holdBody(port: number, headers: Record<string, string>, length: number, sent = length - 1): Promise<Held> {
  const socket = await openSocket(port);
  let text = '';
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('close', () => resolve(text));
  });
  socket.on('error', () => undefined);
  const all = { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': String(length), ...headers };
  socket.write(`PUT ${PATH} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  // A PutProfileObject padded with spaces to its length: a valid request once its last byte comes.
  const body = Buffer.from(`{"ObjectTypeName":"T","Object":"{}"${' '.repeat(length - 36)}}`);
  assert.equal(body.length, length);
  if (sent > 0) socket.write(body.subarray(0, sent));
  return { socket, answer, rest: body.subarray(sent) };
}

/** Sends the rest of the body. */
function finish(held: Held): void {
  held.socket.write(held.rest);
}

/** The service's own gauge of the bytes held (the operator's metrics, signed when signatures are required). */
async function heldBytes(port: number, signed = false): Promise<number> {
  const url = `http://127.0.0.1:${port}`;
  const text = signed
    ? (await sendSigned(await signRequest(url, 'GET', '/_profileflow/metrics', { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET }))).text
    : await (await fetch(`${url}/_profileflow/metrics`)).text();
  const m = /^profileflow_request_body_bytes (\d+)$/m.exec(text);
  assert.ok(m, 'the metrics show the bytes of bodies held');
  return Number(m[1]);
}

function heldReaches(port: number, bytes: number, what: string, signed = false): Promise<void> {
  return until(async () => (await heldBytes(port, signed)) === bytes, `${bytes} bytes held: ${what}`);
}

const account = (id: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=${id}/20261207/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=0` });


/**
 * A service with a 4 MiB budget (each account a quarter, 1 MiB) for the suite, listening on loopback;
 * `port()` once started. Sockets pushed to `open` are destroyed after the suite.
 */
function budgetedServer(auth?: AuthSettings): { port: () => number; open: Socket[] } {
  let ts: TestStore;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let port = 0;
  const open: Socket[] = [];
  before(async () => {
    ts = await createTestStore('sqlite');
    app = await buildApp({ store: ts.store, auth, limits: { bodyMemoryBytes: 4 * MiB } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of open) s.destroy();
    await app.close();
    await ts.dispose();
  });
  return { port: () => port, open };
}

describe('the bytes of request bodies held at once (authentication off)', () => {
  const server = budgetedServer();
  const { open } = server;
  const hold = async (...args: Parameters<typeof holdBody> extends [number, ...infer R] ? R : never) => {
    const held = await holdBody(server.port(), ...args);
    open.push(held.socket);
    return held;
  };

  test("an account's second body past its share is refused before it is read, and another account's is not", async () => {
    const port = server.port();
    const first = await hold(account('111111111111'), 900_000);
    await heldReaches(port, 900_000, 'the first body');
    const second = await hold(account('111111111111'), 900_000, 0);
    const refused = await second.answer;
    assert.match(refused, /^HTTP\/1\.1 429 /);
    assert.match(refused, /x-amzn-errortype: ThrottlingException/i);
    assert.match(refused, /already hold 1 MiB of request bodies, its share/);

    const other = await hold(account('222222222222'), 900_000);
    finish(other);
    assert.match(await other.answer, /^HTTP\/1\.1 404 [^]*ResourceNotFoundException/, 'read and answered: the domain does not exist');

    first.socket.destroy();
    await heldReaches(port, 0, 'a connection that goes gives its bytes back');
    const again = await hold(account('111111111111'), 900_000);
    finish(again);
    assert.match(await again.answer, /^HTTP\/1\.1 404 /);
    await heldReaches(port, 0, 'an answered request gives its bytes back');
  });

  test('past the whole budget every account is refused until bodies go', async () => {
    const port = server.port();
    const holders = [];
    for (const id of ['100000000001', '100000000002', '100000000003', '100000000004']) holders.push(await hold(account(id), 1_000_000));
    await heldReaches(port, 4_000_000, 'four accounts');
    const fifth = await hold(account('100000000005'), 1_000_000, 0);
    const refused = await fifth.answer;
    assert.match(refused, /^HTTP\/1\.1 429 [^]*ThrottlingException/);
    assert.match(refused, /already holds 4 MiB of request bodies, its limit/);
    for (const h of holders) finish(h);
    for (const h of holders) assert.match(await h.answer, /^HTTP\/1\.1 404 /);
    await heldReaches(port, 0, 'all answered');
  });

  test('one body larger than the share is read when nothing else is held; a body of no declared length counts at its limit', async () => {
    const port = server.port();
    const big = await hold(account('111111111111'), 3 * MiB);
    finish(big);
    assert.match(await big.answer, /^HTTP\/1\.1 404 /);

    const socket = await openSocket(port);
    open.push(socket);
    socket.on('error', () => undefined);
    socket.write(`PUT ${PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\naaaaa\r\n`);
    await heldReaches(port, 8 * MiB, 'the route limit, all a chunked body may grow to');
    const small = await hold(account('222222222222'), 10_000, 0);
    assert.match(await small.answer, /^HTTP\/1\.1 429 /);
    socket.destroy();
    await heldReaches(port, 0, 'the chunked body gone');
  });
});

describe('the bytes of request bodies held at once (SigV4)', () => {
  const server = budgetedServer({ mode: 'sigv4', credentials: ALL_CREDENTIALS });
  const { open } = server;

  test("an account's two keys share one share; an unknown key is refused before anything is counted", async () => {
    const port = server.port();
    const first = await holdBody(port, authorization(KEY_A), 900_000);
    open.push(first.socket);
    await heldReaches(port, 900_000, 'the first body', true);

    const sameAccount = await holdBody(port, authorization(KEY_A2), 900_000, 0);
    open.push(sameAccount.socket);
    assert.match(await sameAccount.answer, /^HTTP\/1\.1 429 [^]*its share/);

    const otherAccount = await holdBody(port, authorization(KEY_B), 900_000);
    open.push(otherAccount.socket);
    finish(otherAccount);
    assert.match(await otherAccount.answer, /^HTTP\/1\.1 403 [^]*signature/i, 'read, then its (made-up) signature checked');

    const unknown = await holdBody(port, authorization('AKIDNOBODY000000001'), 900_000, 0);
    open.push(unknown.socket);
    assert.match(await unknown.answer, /^HTTP\/1\.1 403 [^]*UnrecognizedClientException/);
    assert.equal(await heldBytes(port, true), 900_000);

    first.socket.destroy();
    await heldReaches(port, 0, 'the first body gone', true);
  });
});

test('the budget admits one body whatever its size when nothing is held, and counts every account apart', () => {
  const budget = new BodyBudget(1000);
  assert.equal(budget.perAccountBytes, 250);
  assert.equal(budget.reserve('a', 5000), 'ok');
  assert.equal(budget.reserve('b', 1), 'total');
  budget.release('a', 5000);
  assert.equal(budget.reserve('a', 200), 'ok');
  assert.equal(budget.reserve('a', 100), 'account');
  assert.equal(budget.reserve('b', 250), 'ok');
  assert.equal(budget.reserve('c', 250), 'ok');
  assert.equal(budget.reserve('d', 250), 'ok');
  assert.equal(budget.reserve('e', 200), 'total');
  assert.equal(budget.heldBytes, 950);
  for (const [who, bytes] of [['a', 200], ['b', 250], ['c', 250], ['d', 250]] as const) budget.release(who, bytes);
  assert.equal(budget.heldBytes, 0);
  assert.throws(() => new BodyBudget(0), RangeError);
});
