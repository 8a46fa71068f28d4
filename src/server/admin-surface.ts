import type { FastifyInstance } from 'fastify';
import { authorizeAdminRoute } from './access.js';
import { requireJsonBody } from './browser-guard.js';
import { ADMIN_PREFIX } from './console-routes.js';
import { syncHook } from './request-context.js';

/** The largest body an admin route reads, in bytes. */
export const ADMIN_BODY_LIMIT = 256 * 1024;

/**
 * The service's own routes, as one encapsulated plugin under /_profileflow. Its hooks run for every
 * route registered inside it, whichever spelling of the URL the router matched, so authorization never
 * depends on the raw URL. Every route must say who may call it (`config.access`): a route that does not
 * is a programming error, caught when the app is built rather than by an attacker.
 */
export async function registerAdminSurface(app: FastifyInstance, register: (admin: FastifyInstance) => void): Promise<void> {
  await app.register(
    async (admin) => {
      admin.addHook('onRoute', (route) => {
        if (!route.config?.access) throw new Error(`The admin route ${String(route.method)} ${route.url} declares no access (public, account or operator).`);
        // Admin bodies are a few rules or one connector profile: no reason to hold the AWS routes' 8 MB.
        route.bodyLimit ??= ADMIN_BODY_LIMIT;
      });
      admin.addHook(
        'preHandler',
        syncHook((request) => {
          authorizeAdminRoute(request);
          requireJsonBody(request);
        }),
      );
      register(admin);
    },
    { prefix: ADMIN_PREFIX },
  );
}
