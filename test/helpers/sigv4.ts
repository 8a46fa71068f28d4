import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { type RawResponse, send } from '../protocol/raw.js';

/** What a signed request is made of: the signer's credentials, and what to change in the request. */
export interface SignOptions {
  body?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | string[]>;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  service?: string;
  signingDate?: Date;
  presign?: boolean;
  /** false: no x-amz-content-sha256 header, the payload hash only inside the signature (as botocore signs). */
  applyChecksum?: boolean;
}

/** A request signed by the SDK's own signer, returned unsent so a test can tamper with it. */
export async function signRequest(baseUrl: string, method: string, path: string, o: SignOptions): Promise<HttpRequest> {
  const url = new URL(baseUrl);
  const { accessKeyId } = o;
  const signer = new SignatureV4({
    service: o.service ?? 'profile',
    region: o.region ?? 'us-east-1',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: o.applyChecksum ?? true,
    credentials: { accessKeyId, secretAccessKey: o.secretAccessKey },
  });
  const request = new HttpRequest({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query: o.query,
    headers: { host: url.host, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
    body: o.body,
  });
  const signed = o.presign
    ? await signer.presign(request, { signingDate: o.signingDate, expiresIn: 300 })
    : await signer.sign(request, { signingDate: o.signingDate });
  return signed as HttpRequest;
}

/** Sends a signed (possibly altered) request with fetch and reads the answer whole. */
export async function sendSigned(request: HttpRequest, body: string | undefined = request.body as string | undefined): Promise<RawResponse> {
  const query = Object.entries(request.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encode(k)}=${encode(String(x ?? ''))}`))
    .join('&');
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== 'host'));
  return send(`${request.protocol}//${request.hostname}:${request.port}`, request.method, `${request.path}${query ? `?${query}` : ''}`, { body, headers });
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
