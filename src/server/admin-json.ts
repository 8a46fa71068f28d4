import type { FastifyReply } from 'fastify';
import { BadRequestException } from '../api/errors.js';
import { parseJsonBounded } from '../protocol/json.js';

/**
 * The admin surface's JSON bodies: one reading for every route, so that every route refuses the same
 * inputs the same way. `undefined` when there is no body (routes whose members are all optional).
 */
export function readJsonBody(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (text.trim() === '') return undefined;
  return parseJsonBounded(text, 'the request body');
}

/** A JSON object body; an absent body reads as `{}`. */
export function readJsonObject(body: unknown): Record<string, unknown> {
  const parsed = readJsonBody(body) ?? {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestException('The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** Bytes, not a string, so that Fastify leaves the content type as the AWS routes send it (no charset). */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body), 'utf8'));
}
