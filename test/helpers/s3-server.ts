/**
 * A real S3-compatible server on loopback for connector tests (s3rver, in a child process), and a small
 * proxy in front of it that answers scripted failures: S3 error documents, connection resets before the
 * response or in the middle of a body.
 *
 * Why a child process: s3rver 3.7.1 makes ListObjectsV2 continuation tokens with single DES, which
 * OpenSSL 3 (Node >= 17) keeps in its legacy provider; without `--openssl-legacy-provider` every
 * truncated listing answers 500 ERR_OSSL_EVP_UNSUPPORTED. The flag is given to s3rver's own process so
 * the test runner needs none, and the server's buffers stay out of the memory the tests measure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The one key pair s3rver knows. It checks access key ids but not SigV4 signatures. */
export const S3RVER_ACCESS_KEY_ID = 'S3RVER';
export const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';

export interface S3TestServer {
  endpoint: string;
  /** A client for fixtures: path-style, s3rver's key pair, no CRC checksums (s3rver predates them). */
  client: S3Client;
  createBucket(bucket: string): Promise<void>;
  put(bucket: string, key: string, body: string | Buffer | Readable, options?: { contentEncoding?: string; contentLength?: number }): Promise<void>;
  /**
   * Sets an object's LastModified. The S3 API has no way to, but s3rver's filesystem store answers the
   * modification time of the file that holds the object, so that file's mtime is set.
   */
  setLastModified(bucket: string, key: string, at: Date): Promise<void>;
  close(): Promise<void>;
}

const CHILD = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] });
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (err) => { console.error(err); process.exit(1); },
);
// The test process holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'pf-s3rver-'));
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, s3rverPath, directory], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    createBucket: async (bucket) => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    put: async (bucket, key, body, options = {}) => {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ...(options.contentEncoding ? { ContentEncoding: options.contentEncoding } : {}),
          ContentLength: options.contentLength ?? (typeof body === 'string' || Buffer.isBuffer(body) ? Buffer.byteLength(body) : undefined),
        }),
      );
    },
    setLastModified: async (bucket, key, at) => {
      const parts = key.split('/');
      const name = parts.pop()!;
      await utimes(join(directory, bucket, ...parts, `${name}._S3rver_object`), at, at);
    },
    close: async () => {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin!.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** What the proxy does to one matching request instead of forwarding it untouched. */
export type Fault =
  /** Answers `status` with an S3 error document (the documented `<Error><Code>…` XML). */
  | { kind: 'error'; status: number; code: string; message: string }
  /** Resets the connection before any response. */
  | { kind: 'reset' }
  /** Forwards the request, then resets the connection after `afterBytes` bytes of the response body. */
  | { kind: 'reset-body'; afterBytes: number };

export interface FaultRule {
  fault: Fault;
  /** Which requests it applies to (method and path with query); every request when absent. */
  match?: (method: string, url: string) => boolean;
  /** How many matching requests it spoils; then it is spent. Default: every one. */
  times?: number;
}

export interface FaultProxy {
  endpoint: string;
  inject(rule: FaultRule): void;
  /** Forgets every rule and the request log. */
  clear(): void;
  /** Each request seen, as "METHOD /path?query" (then " range=…" when it has a Range header), in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let rules: { rule: FaultRule; left: number }[] = [];
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const rangeHeader = req.headers.range;
    requests.push(`${method} ${url}${rangeHeader ? ` range=${rangeHeader}` : ''}`);
    const entry = rules.find((r) => r.left > 0 && (r.rule.match?.(method, url) ?? true));
    if (entry) entry.left--;
    const fault = entry?.rule.fault;
    if (fault?.kind === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === 'error') {
      req.resume();
      const bucket = decodeURIComponent(url.split('?')[0].split('/')[1] ?? '');
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${fault.code}</Code><Message>${fault.message}</Message>` +
        `<BucketName>${bucket}</BucketName><RequestId>PF0000000000TEST</RequestId><HostId>proxy</HostId></Error>`;
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method, path: url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (fault?.kind !== 'reset-body') {
          up.pipe(res);
          return;
        }
        let sent = 0;
        up.on('data', (chunk: Buffer) => {
          if (sent >= fault.afterBytes) return;
          const part = chunk.subarray(0, fault.afterBytes - sent);
          sent += part.length;
          if (sent >= fault.afterBytes) {
            up.destroy();
            // The promised bytes reach the client, then the connection ends short of Content-Length,
            // as a dropped link does (a reset here could discard them from the client's buffer).
            res.write(part, () => res.socket?.destroy());
          } else {
            res.write(part);
          }
        });
      },
    );
    forward.on('error', () => res.socket?.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    inject: (rule) => rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }),
    clear: () => {
      rules = [];
      requests.length = 0;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
