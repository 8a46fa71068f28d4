import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import type { ConnectorPolicy } from '../connectors/policy.js';
import { checkConnectorProfile, checkProfileName, maskSecrets } from '../connectors/profiles.js';
import type { Clock } from '../engine/clock.js';
import type { ConnectorProfileRecord, Store } from '../store/types.js';

export interface AdminRouteDeps {
  store: Store;
  clock: Clock;
  /** What saved profiles must stay within; DEFAULT_CONNECTOR_POLICY when not given. */
  connectorPolicy?: ConnectorPolicy;
}

const PROFILES_PATH = '/_profileflow/connector-profiles';
/** As many problems as one BadRequestException lists, like the AWS validator. */
const MAX_PROBLEMS = 10;

/**
 * The operator's routes under /_profileflow/. They answer errors in the AWS envelope (status,
 * X-Amzn-ErrorType, {"Message"}) by throwing the modelled error classes, so every client of the service
 * reads one error shape. Connector profiles can hold credentials: answers mask them, always.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  app.get(PROFILES_PATH, async (_request, reply) => {
    const profiles = await deps.store.connectorProfiles.list();
    return sendJson(reply, 200, { connectorProfiles: profiles.map(present) });
  });

  // A wildcard rather than `:name`: profile names may contain '/', which a path parameter cannot hold.
  app.route({
    method: ['GET', 'PUT', 'DELETE'],
    url: `${PROFILES_PATH}/*`,
    handler: async (request, reply) => {
      const name = profileNameOf(request);
      if (name === '' && request.method === 'GET') {
        const profiles = await deps.store.connectorProfiles.list();
        return sendJson(reply, 200, { connectorProfiles: profiles.map(present) });
      }
      const nameProblems = checkProfileName(name);
      if (nameProblems.length) throw validationError(nameProblems);

      if (request.method === 'GET') {
        const profile = await deps.store.connectorProfiles.get(name);
        if (!profile) throw notFound(name);
        return sendJson(reply, 200, present(profile));
      }
      if (request.method === 'DELETE') {
        if (!(await deps.store.connectorProfiles.delete(name))) throw notFound(name);
        return reply.code(204).send();
      }
      const checked = checkConnectorProfile(name, parseBody(request.body), deps.connectorPolicy);
      if (!checked.profile) throw validationError(checked.problems);
      const existed = (await deps.store.connectorProfiles.get(name)) !== undefined;
      const stored = await deps.store.connectorProfiles.put(checked.profile, 'api', deps.clock.now());
      return sendJson(reply, existed ? 200 : 201, present(stored));
    },
  });
}

function profileNameOf(request: FastifyRequest): string {
  const url = request.raw.url ?? '';
  const path = url.split('?')[0];
  const raw = path.slice(PROFILES_PATH.length + 1);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequestException(`The connector profile name in the path is not valid percent-encoding: '${raw.slice(0, 64)}'.`);
  }
}

function parseBody(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (text.trim() === '') {
    throw new BadRequestException('The request body must be a JSON object {kind, connectorTypes?, settings}.');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestException(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

function validationError(problems: string[]): BadRequestException {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const count = `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected`;
  return new BadRequestException(`${count}: ${shown.join(' ')}`);
}

function notFound(name: string): ResourceNotFoundException {
  return new ResourceNotFoundException(`The connector profile '${name}' does not exist.`);
}

/** The wire form: camelCase like the PUT body, ISO-8601 times, secrets masked. */
function present(profile: ConnectorProfileRecord): Record<string, unknown> {
  return {
    name: profile.name,
    kind: profile.kind,
    connectorTypes: profile.connectorTypes,
    settings: maskSecrets(profile.settings),
    source: profile.source,
    createdAt: new Date(profile.createdAt).toISOString(),
    updatedAt: new Date(profile.updatedAt).toISOString(),
  };
}

/** Bytes, not a string, so that Fastify leaves the content type as the AWS routes send it (no charset). */
function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body), 'utf8'));
}
