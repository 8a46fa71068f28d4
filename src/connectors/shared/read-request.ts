import { DEFAULT_CONNECTOR_POLICY, policyProblems } from '../policy.js';
import { type Connector, type ReadRequest, SourceError } from '../types.js';

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
 * The profile's settings, typed, once the connector and the operator's policy find no problem with them.
 * Profiles are checked when stored, but one stored before a rule existed (or edited in the database, or
 * saved under a laxer policy) must fail the step, not the process.
 */
export function usableSettings<S>(request: ReadRequest, connector: Pick<Connector<S>, 'parseSettings'>): S {
  const profile = request.profile;
  const checked = connector.parseSettings(profile.settings);
  const problems = checked.ok ? policyProblems(profile.kind, profile.settings, request.policy ?? DEFAULT_CONNECTOR_POLICY) : checked.problems;
  if (!checked.ok || problems.length) {
    throw new SourceError('permanent', `Connector profile '${profile.name}' has unusable settings: ${problems.join(' ')}`);
  }
  return checked.value;
}
