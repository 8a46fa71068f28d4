#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js) into dist/bundle/profileflow.js, the file `profileflow`
// runs. Why: Node 20 loads an ESM module graph file by file, and kysely and fastify alone are several
// hundred modules; one bundle starts `serve` in about half the time and with about 20 MB less resident
// memory (docs/performance.md, start-up). Code split: what `serve` never touches (the client commands,
// the PostgreSQL dialect) stays in chunks loaded on demand. Native and optional packages stay outside.
import { build } from 'esbuild';

await build({
  entryPoints: { profileflow: 'dist/cli/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pg', '@aws-sdk/*', '@smithy/*'],
  // Some bundled CommonJS packages call require() for Node built-ins.
  banner: { js: "import { createRequire as __profileflowRequire } from 'node:module'; const require = __profileflowRequire(import.meta.url);" },
  logLevel: 'warning',
});
