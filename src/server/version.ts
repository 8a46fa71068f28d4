import { readFileSync } from 'node:fs';

/** Read from package.json, which sits two levels above both src/server and dist/server. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
