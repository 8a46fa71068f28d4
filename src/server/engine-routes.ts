import type { FastifyInstance } from 'fastify';
import { BadRequestException } from '../api/errors.js';
import { readJsonObject } from './admin-json.js';
import { type Clock, ClockRangeError, ManualClock } from '../engine/clock.js';
import type { Engine } from '../engine/engine.js';

/**
 * Controls for people testing their own code (moto's state manager, freely): see the engine, advance
 * it page by page in manual mode, and move the manual clock so back-offs and leases elapse on demand.
 */
export function registerEngineRoutes(app: FastifyInstance, engine: Engine, clock: Clock): void {
  app.get('/engine', { config: { access: 'operator' } }, async () => ({
    mode: engine.options.mode,
    owner: engine.owner,
    clock: clock instanceof ManualClock ? 'manual' : 'system',
    now: new Date(clock.now()).toISOString(),
    options: { ...engine.options },
  }));

  app.post('/engine/advance', { config: { access: 'operator' } }, async (request) => {
    const body = readJsonObject(request.body);
    const pages = body.pages;
    if (pages !== undefined && (!Number.isInteger(pages) || (pages as number) < 1 || (pages as number) > 100_000)) {
      throw new BadRequestException('pages must be a whole number from 1 to 100000.');
    }
    if (body.untilIdle !== undefined && typeof body.untilIdle !== 'boolean') {
      throw new BadRequestException('untilIdle must be true or false.');
    }
    return engine.advance({ pages: pages as number | undefined, untilIdle: body.untilIdle === true });
  });

  app.post('/clock', { config: { access: 'operator' } }, async (request) => {
    if (!(clock instanceof ManualClock)) {
      throw new BadRequestException('The clock is the system clock; start the service with --clock manual to move it.');
    }
    const body = readJsonObject(request.body);
    if (body.advanceMs !== undefined) {
      if (typeof body.advanceMs !== 'number' || !Number.isFinite(body.advanceMs) || body.advanceMs < 0) {
        throw new BadRequestException('advanceMs must be a number of milliseconds, 0 or more.');
      }
      moveClock('advanceMs', () => clock.advance(body.advanceMs as number));
    } else if (body.set !== undefined) {
      const t = typeof body.set === 'string' ? Date.parse(body.set) : Number.NaN;
      if (Number.isNaN(t)) throw new BadRequestException('set must be an ISO-8601 date-time.');
      moveClock('set', () => clock.set(t));
    } else {
      throw new BadRequestException('Give advanceMs (milliseconds) or set (an ISO-8601 date-time).');
    }
    engine.wake();
    return { now: new Date(clock.now()).toISOString() };
  });
}

/** A move outside the times the clock can show is the caller's mistake, and the clock stays where it was. */
function moveClock(member: 'advanceMs' | 'set', move: () => void): void {
  try {
    move();
  } catch (err) {
    if (err instanceof ClockRangeError) throw new BadRequestException(`${member}: ${err.message}`);
    throw err;
  }
}
