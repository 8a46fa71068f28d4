import { BadRequestException } from '../api/errors.js';
import type { Checked } from '../domain/problem.js';

/** A domain check's value, or its problems answered as one BadRequestException (the wire error). */
export function requireValid<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new BadRequestException(checked.problems.join(' '));
  return checked.value;
}
