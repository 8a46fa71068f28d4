import { DEFAULT_CONNECTOR_POLICY, policyProblems } from '../policy.js';
import { type ReadRequest, SourceError } from '../types.js';

/**
 * What every read checks before it sends anything: a page size the engine can cut pages by, and a
 * signal not already aborted (a step cancelled while it was being claimed).
 */
export function startRead(request: ReadRequest): void {
  if (!Number.isInteger(request.pageSize) || request.pageSize < 1) {
    throw new SourceError('permanent', `The page size must be a positive integer, got ${request.pageSize}.`);
  }
  request.signal?.throwIfAborted();
}

/**
 * The profile's settings once `validate` and the operator's policy find no problem with them. Profiles
 * are checked when stored, but one stored before a rule existed (or edited in the database, or saved
 * under a laxer policy) must fail the step, not the process.
 */
export function usableSettings<T>(request: ReadRequest, validate: (settings: Record<string, unknown>) => string[]): T {
  const profile = request.profile;
  let problems = validate(profile.settings);
  if (problems.length === 0) problems = policyProblems(profile.kind, profile.settings, request.policy ?? DEFAULT_CONNECTOR_POLICY);
  if (problems.length) {
    throw new SourceError('permanent', `Connector profile '${profile.name}' has unusable settings: ${problems.join(' ')}`);
  }
  return profile.settings as T;
}
