import { existsSync } from 'node:fs';

/** Debian's Chromium unless PROFILEFLOW_CHROMIUM names another executable. */
export const CHROMIUM = process.env.PROFILEFLOW_CHROMIUM ?? '/usr/bin/chromium';
/** CI sets this: a missing Chromium then fails the console tests instead of skipping them. */
const BROWSER_REQUIRED = process.env.PROFILEFLOW_REQUIRE_BROWSER === '1';

/**
 * The `skip` option of a suite that drives Chromium: false when it is there (or required, so that the
 * suite's own check fails loudly), else a one-line reason saying how to enable it, which the reporter
 * prints beside the suite's name.
 */
export function browserSkip(): false | string {
  if (existsSync(CHROMIUM) || BROWSER_REQUIRED) return false;
  return `Chromium not found at ${CHROMIUM}: apt-get install chromium, or set PROFILEFLOW_CHROMIUM to its executable (PROFILEFLOW_REQUIRE_BROWSER=1 makes this a failure)`;
}
