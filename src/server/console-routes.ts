import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where the service's own routes live. */
export const ADMIN_PREFIX = '/_profileflow';
/** Where the web console is served. Its client-side routes live under it too. */
export const CONSOLE_PATH = `${ADMIN_PREFIX}/console`;

/**
 * `vite build` writes the console to `<package>/dist/console`. From `dist/server/` (built) and from
 * `src/server/` (tests through tsx) alike, that directory is `../../dist/console`.
 */
export const DEFAULT_CONSOLE_ROOT = fileURLToPath(new URL('../../dist/console/', import.meta.url));

export interface ConsoleRouteOptions {
  /** The built console (a directory holding index.html and assets/); defaults to dist/console. */
  root?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console talks only to this origin and loads nothing from anywhere else; inline scripts and
 * style attributes are not needed (Preact sets styles through the CSSOM, which CSP allows).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite names every file under assets/ after a hash of its content: it never changes under that name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current assets, so it is revalidated every time (cheap: an ETag). */
const REVALIDATE = 'no-cache';

/**
 * Serves the built web console (static files, no package for it): `GET /_profileflow/console/<file>`
 * answers the file with its content type; any other path without a file extension answers index.html,
 * so the console's own routes (`/_profileflow/console/domains/shop/workflows`) survive a reload; a
 * missing file with an extension is a 404. Paths are decoded once and must stay inside the root:
 * `..`, `.`, backslashes and NUL are refused before the file system is asked.
 */
export function registerConsoleRoutes(app: FastifyInstance, options: ConsoleRouteOptions = {}): void {
  const root = resolve(options.root ?? DEFAULT_CONSOLE_ROOT);
  // On the admin surface the routes are relative to its prefix; on an app of their own (tests), absolute.
  const base = app.prefix === ADMIN_PREFIX ? CONSOLE_PATH.slice(ADMIN_PREFIX.length) : CONSOLE_PATH;
  const open = { config: { access: 'public' as const } };

  app.get(base, open, async (request, reply) => {
    const url = request.raw.url ?? CONSOLE_PATH;
    const q = url.indexOf('?');
    return reply.redirect(`${CONSOLE_PATH}/${q === -1 ? '' : url.slice(q)}`, 308);
  });

  app.get(`${base}/*`, open, async (request, reply) => {
    const relative = relativePathOf(request);
    if (relative === undefined) return sendText(reply, 400, 'The console path is not valid.');

    if (relative !== '' && !relative.endsWith('/')) {
      const file = resolve(root, relative);
      if (file !== root && !file.startsWith(root + sep)) return sendText(reply, 404, 'Not found.');
      const served = await sendFile(request, reply, file, relative.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
      if (served) return reply;
      // A file name that is not there is a 404; anything else is one of the console's own routes.
      if (extname(relative) !== '') return sendText(reply, 404, 'Not found.');
    }
    const index = resolve(root, 'index.html');
    if (await sendFile(request, reply, index, REVALIDATE)) return reply;
    return sendText(
      reply,
      503,
      `The web console is not built (no ${index}). Run \`npm run build\`, which builds it with Vite into dist/console.`,
    );
  });
}

/** The path under the console, percent-decoded once; undefined when it could escape the root. */
function relativePathOf(request: FastifyRequest): string | undefined {
  // The wildcard as the router decoded it (once), however the prefix was spelled.
  const decoded = (request.params as Record<string, string | undefined>)['*'] ?? '';
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.startsWith('/')) return undefined;
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return undefined;
  return decoded;
}

/** Answers a regular file (or 304 when the client holds the same version); false when there is none. */
async function sendFile(request: FastifyRequest, reply: FastifyReply, file: string, cacheControl: string): Promise<boolean> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return false;
  }
  if (!info.isFile()) return false;
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const notModified = request.headers['if-none-match'] === etag;
  let body: Buffer | undefined;
  if (!notModified) {
    try {
      body = await readFile(file);
    } catch {
      return false;
    }
  }
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  reply
    .header('content-type', type)
    .header('cache-control', cacheControl)
    .header('etag', etag)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (type.startsWith('text/html')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.code(notModified ? 304 : 200).send(body);
  return true;
}

function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(text);
}
