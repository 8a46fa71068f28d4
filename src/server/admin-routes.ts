import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import type { ConnectorPolicy } from '../connectors/policy.js';
import { checkConnectorProfile, checkProfileName, maskSecrets } from '../connectors/profiles.js';
import type { Clock } from '../engine/clock.js';
import type { ConnectorProfileRecord, Store } from '../store/types.js';
import { readJsonBody, sendJson } from './admin-json.js';

export interface AdminRouteDeps {
  store: Store;
  clock: Clock;
  /** What saved profiles must stay within; DEFAULT_CONNECTOR_POLICY when not given. */
  connectorPolicy?: ConnectorPolicy;
}

const PROFILES_PATH = '/connector-profiles';
/** As many problems as one BadRequestException lists, like the AWS validator. */
const MAX_PROBLEMS = 10;

/**
 * The connector profiles, on the admin surface (operator only: profiles hold credentials and decide
 * what every account's flows read). They answer errors in the AWS envelope (status,
 * X-Amzn-ErrorType, {"Message"}) by throwing the modelled error classes, so every client of the service
 * reads one error shape. Connector profiles can hold credentials: answers mask them, always.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  app.get(PROFILES_PATH, { config: { access: 'operator' } }, async (_request, reply) => {
    const profiles = await deps.store.connectorProfiles.list();
    return sendJson(reply, 200, { connectorProfiles: profiles.map(present) });
  });

  // A wildcard rather than `:name`: profile names may contain '/', which a path parameter cannot hold.
  app.route({
    method: ['GET', 'PUT', 'DELETE'],
    url: `${PROFILES_PATH}/*`,
    config: { access: 'operator' },
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

/** The name as the router decoded it (the wildcard parameter): no second reading of the raw URL. */
function profileNameOf(request: FastifyRequest): string {
  return (request.params as Record<string, string | undefined>)['*'] ?? '';
}

function parseBody(body: unknown): unknown {
  const parsed = readJsonBody(body);
  if (parsed === undefined) throw new BadRequestException('The request body must be a JSON object {kind, connectorTypes?, settings}.');
  return parsed;
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
