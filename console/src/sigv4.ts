/**
 * AWS Signature Version 4 in the browser, with WebCrypto (HMAC-SHA256, SHA-256): the Authorization
 * header form for fetch, and the presigned query form for EventSource, which cannot set headers.
 * The canonical request comes from src/auth/sigv4-canonical.ts, the very module the server verifies
 * with, so what the console signs is what the server checks. Only what is asked is signed: the secret
 * never leaves.
 */
import {
  ALGORITHM,
  amzDateOf,
  authorizationHeader,
  credentialScope,
  outgoingCanonicalRequest,
  signingKeyChain,
  SIGNING_SERVICE,
  stringToSign,
  uriEncode,
} from '../../src/auth/sigv4-canonical.js';

/** What signs; the session token, if any, travels as `x-amz-security-token`. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The signing name of Customer Profiles (the third part of the credential scope). */
export const SERVICE = SIGNING_SERVICE;
/** The signing names the console speaks: the credential scope's service chooses who answers a path. */
export type SigningService = typeof SIGNING_SERVICE | 'appflow';

const encoder = new TextEncoder();

/** UTF-8, in a buffer of its own (what WebCrypto's typings want). */
function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(text));
}

/** WebCrypto exists only in a secure context (HTTPS, or http://localhost and http://127.0.0.1). */
export function canSign(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

/** A query string both sides read alike: every name and value strictly encoded, empty values left out. */
export function queryString(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(String(v))}`)
    .join('&');
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(data: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', utf8(data)));
}

async function hmac(key: Uint8Array<ArrayBuffer> | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', cryptoKey, utf8(data));
}

async function signature(secret: string, date: string, region: string, toSign: string, service: SigningService = SERVICE): Promise<string> {
  const { first, chain } = signingKeyChain(secret, date, region, service);
  let key: Uint8Array<ArrayBuffer> | ArrayBuffer = utf8(first);
  for (const part of chain) key = await hmac(key, part);
  return hex(await hmac(key, toSign));
}

/**
 * The headers that sign a fetch of `url` (Authorization form): `x-amz-date`, `x-amz-content-sha256`,
 * the session token if any, and every header given (lower-cased); `host` is signed but not returned
 * (the browser sends it). Send `body` exactly as given and `url` exactly as signed.
 */
export async function signHeaders(
  request: { method: string; url: URL; headers?: Record<string, string>; body?: string },
  credentials: Credentials,
  region: string,
  now: number,
  service: SigningService = SERVICE,
): Promise<Record<string, string>> {
  const amzDate = amzDateOf(now);
  const scope = credentialScope(amzDate.slice(0, 8), region, service);
  const payloadHash = await sha256Hex(request.body ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = payloadHash;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const { canonical, signedHeaders } = outgoingCanonicalRequest({ method: request.method, url: request.url, headers, payloadHash, presigned: false });
  const sig = await signature(credentials.secretAccessKey, amzDate.slice(0, 8), region, stringToSign(amzDate, scope, await sha256Hex(canonical)), service);
  return { ...headers, authorization: authorizationHeader(credentials.accessKeyId, scope, signedHeaders, sig) };
}

/**
 * A presigned GET URL (query form: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders=host,
 * -Signature, and -Security-Token for a session), valid `expiresS` seconds from `now`. The payload is
 * the empty body's hash, as for any non-S3 GET.
 */
export async function presign(url: URL, credentials: Credentials, region: string, now: number, expiresS: number): Promise<URL> {
  const amzDate = amzDateOf(now);
  const scope = credentialScope(amzDate.slice(0, 8), region, SIGNING_SERVICE);
  const signed = new URL(url);
  const extra: Record<string, string> = {
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(expiresS),
    'X-Amz-SignedHeaders': 'host',
  };
  if (credentials.sessionToken) extra['X-Amz-Security-Token'] = credentials.sessionToken;
  const base = signed.search.replace(/^\?/, '');
  signed.search = [base, queryString(extra)].filter(Boolean).join('&');
  const { canonical } = outgoingCanonicalRequest({ method: 'GET', url: signed, headers: {}, payloadHash: await sha256Hex(''), presigned: true });
  const toSign = stringToSign(amzDate, scope, await sha256Hex(canonical));
  signed.search = `${signed.search.slice(1)}&X-Amz-Signature=${await signature(credentials.secretAccessKey, amzDate.slice(0, 8), region, toSign)}`;
  return signed;
}
