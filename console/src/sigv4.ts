/**
 * AWS Signature Version 4 in the browser, with WebCrypto (HMAC-SHA256, SHA-256): the Authorization
 * header form for fetch, and the presigned query form for EventSource, which cannot set headers.
 * The canonical request follows the rules src/auth/sigv4.ts verifies (non-S3 SigV4): the path as sent
 * is normalised and URI-encoded once more, the query is decoded as the server decodes it (no `+` as
 * space) and re-encoded RFC 3986-strict, sorted. Only what is asked is signed: the secret never leaves.
 */

/** What signs; the session token, if any, travels as `x-amz-security-token`. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The signing name of Customer Profiles (the third part of the credential scope). */
export const SERVICE = 'profile';
/** The signing names the console speaks: the credential scope's service chooses who answers a path. */
export type SigningService = 'profile' | 'appflow';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const encoder = new TextEncoder();

/** UTF-8, in a buffer of its own (what WebCrypto's typings want). */
function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(text));
}

/** WebCrypto exists only in a secure context (HTTPS, or http://localhost and http://127.0.0.1). */
export function canSign(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

/** RFC 3986 strict: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded (UTF-8). */
export function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A query string both sides read alike: every name and value strictly encoded, empty values left out. */
export function queryString(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
    .map(([k, v]) => `${strictEncode(k)}=${strictEncode(String(v))}`)
    .join('&');
}

/** `YYYYMMDDTHHMMSSZ`. */
export function amzDateOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return strictEncode(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(search: string, skipSignature: boolean): string {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  return raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return [decode(eq === -1 ? part : part.slice(0, eq)), decode(eq === -1 ? '' : part.slice(eq + 1))] as const;
    })
    .filter(([k]) => !(skipSignature && k === 'X-Amz-Signature'))
    .map(([k, v]) => [strictEncode(k), strictEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
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
  let key = await hmac(utf8(`AWS4${secret}`), date);
  for (const part of [region, service, 'aws4_request']) key = await hmac(key, part);
  return hex(await hmac(key, toSign));
}

interface Canonical {
  method: string;
  url: URL;
  /** Lower-case names → values; `host` is taken from the URL. */
  headers: Record<string, string>;
  payloadHash: string;
  presigned: boolean;
  amzDate: string;
  scope: string;
}

async function stringToSign(c: Canonical): Promise<{ toSign: string; signedHeaders: string }> {
  const headers: Record<string, string> = { ...c.headers, host: c.url.host };
  const names = Object.keys(headers).sort();
  const canonical = [
    c.method.toUpperCase(),
    canonicalUri(c.url.pathname),
    canonicalQuery(c.url.search, c.presigned),
    names.map((n) => `${n}:${headers[n].trim().replace(/\s+/g, ' ')}\n`).join(''),
    names.join(';'),
    c.payloadHash,
  ].join('\n');
  return { toSign: [ALGORITHM, c.amzDate, c.scope, await sha256Hex(canonical)].join('\n'), signedHeaders: names.join(';') };
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
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
  const payloadHash = await sha256Hex(request.body ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = payloadHash;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const { toSign, signedHeaders } = await stringToSign({ method: request.method, url: request.url, headers, payloadHash, presigned: false, amzDate, scope });
  const sig = await signature(credentials.secretAccessKey, amzDate.slice(0, 8), region, toSign, service);
  return { ...headers, authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}` };
}

/**
 * A presigned GET URL (query form: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders=host,
 * -Signature, and -Security-Token for a session), valid `expiresS` seconds from `now`. The payload is
 * the empty body's hash, as for any non-S3 GET.
 */
export async function presign(url: URL, credentials: Credentials, region: string, now: number, expiresS: number): Promise<URL> {
  const amzDate = amzDateOf(now);
  const scope = `${amzDate.slice(0, 8)}/${region}/${SERVICE}/aws4_request`;
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
  const { toSign } = await stringToSign({ method: 'GET', url: signed, headers: {}, payloadHash: await sha256Hex(''), presigned: true, amzDate, scope });
  signed.search = `${signed.search.slice(1)}&X-Amz-Signature=${await signature(credentials.secretAccessKey, amzDate.slice(0, 8), region, toSign)}`;
  return signed;
}
