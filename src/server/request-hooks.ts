import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * One piece of per-request work (the route, a guard, a log line, a metric). It throws to refuse the
 * request; it returns a promise only when it must wait (a fault rule's delay), so every other request
 * runs its steps without a promise or a turn of the microtask queue.
 */
export type RequestStep = (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>;

type Phase = 'onRequest' | 'preHandler' | 'onResponse';

/**
 * The per-request steps of an app, each concern's steps contributed by its own module, run as one
 * Fastify hook per phase in the order they were added. Why one hook rather than one each: Fastify's
 * hook runner costs every request a callback and a call per hook, and an AWS request ran seven hooks
 * before its handler (one of them async) and two after, for steps that are each a few lines.
 */
export class RequestHooks {
  private readonly steps: Record<Phase, RequestStep[]> = { onRequest: [], preHandler: [], onResponse: [] };

  add(phase: Phase, step: RequestStep | undefined): this {
    if (step) this.steps[phase].push(step);
    return this;
  }

  /** Registers the hooks; steps added afterwards are not run. */
  register(app: FastifyInstance): void {
    for (const phase of ['onRequest', 'preHandler', 'onResponse'] as const) {
      const steps = [...this.steps[phase]];
      if (steps.length > 0) app.addHook(phase, runSteps(steps));
    }
  }
}

/** The steps in order, in Fastify's callback form: the first to throw (or reject) ends the request with its error. */
function runSteps(steps: RequestStep[]) {
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const from = (first: number): void => {
      for (let i = first; i < steps.length; i++) {
        let waiting: void | Promise<void>;
        try {
          waiting = steps[i](request, reply);
        } catch (err) {
          done(err as Error);
          return;
        }
        if (waiting) {
          waiting.then(() => from(i + 1), done);
          return;
        }
      }
      done();
    };
    from(0);
  };
}
