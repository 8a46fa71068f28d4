/**
 * What a pure domain check answers: the value, or the problems found, each a full sentence naming the
 * value and the rule. Domain code never throws a wire error: an operation answers the problems as one
 * BadRequestException (operations/problems.ts), and the engine fails the step with them for good.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export function valid<T>(value: T): Checked<T> {
  return { ok: true, value };
}

export function invalid(...problems: string[]): { ok: false; problems: string[] } {
  return { ok: false, problems };
}

/** The problems of a check: none when it passed. */
export function problemsOf(checked: Checked<unknown>): string[] {
  return checked.ok ? [] : checked.problems;
}
