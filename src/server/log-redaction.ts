import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * Query parameters of a SigV4 presigned URL that are credentials: the signature is a bearer token until
 * the URL expires, the credential names the access key, the security token is a session's secret.
 */
const SECRET_QUERY_PARAMETERS = new Set(['x-amz-signature', 'x-amz-credential', 'x-amz-security-token']);

export const REDACTED = 'REDACTED';

/**
 * The URL with the value of every credential query parameter replaced by REDACTED; everything else
 * byte for byte as received. Names are compared without case and after percent-decoding, since a
 * client may encode them either way and the verifier decodes them.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = url.slice(q + 1).split('&');
  let changed = false;
  for (let i = 0; i < params.length; i++) {
    const eq = params[i].indexOf('=');
    const rawName = eq === -1 ? params[i] : params[i].slice(0, eq);
    if (!SECRET_QUERY_PARAMETERS.has(decodeName(rawName).toLowerCase())) continue;
    params[i] = `${rawName}=${REDACTED}`;
    changed = true;
  }
  return changed ? `${url.slice(0, q)}?${params.join('&')}` : url;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * Fastify's own `req` serializer (lib/logger-pino.js) with the URL redacted: the "incoming request"
 * line every request logs at info.
 */
function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket ? request.socket.remotePort : undefined,
  };
}

/** Headers that carry credentials, wherever a log line might hold request headers. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-amz-security-token"]',
  'headers.authorization',
  'headers["x-amz-security-token"]',
];

type LoggerOption = FastifyServerOptions['logger'];

/**
 * The logger options with the redaction applied: the request serializer (a given one is wrapped, its
 * `url` redacted) and pino's `redact` for credential headers. `false` stays off.
 */
export function withLogRedaction(logger: LoggerOption): LoggerOption {
  if (logger === false || logger === undefined) return logger;
  const options = (logger === true ? {} : logger) as Exclude<LoggerOption, boolean | undefined> & {
    serializers?: Record<string, (value: never) => unknown>;
    redact?: string[] | { paths: string[]; censor?: unknown; remove?: boolean };
  };
  const given = options.serializers?.req as ((request: FastifyRequest) => unknown) | undefined;
  const req = given
    ? (request: FastifyRequest) => {
        const out = given(request) as Record<string, unknown> | undefined;
        return out && typeof out.url === 'string' ? { ...out, url: redactUrl(out.url) } : out;
      }
    : serializeRequest;
  const redact = Array.isArray(options.redact)
    ? { paths: [...options.redact, ...REDACTED_PATHS], censor: REDACTED }
    : { ...options.redact, paths: [...(options.redact?.paths ?? []), ...REDACTED_PATHS], censor: options.redact?.censor ?? REDACTED };
  return { ...options, serializers: { ...options.serializers, req }, redact } as LoggerOption;
}
