/**
 * docs/errors.md names every error the service can throw: each `new <Name>Exception(` in src/, and every
 * error class declared in src/api/errors.ts and src/auth/sigv4.ts (with its wire code where that differs
 * from the class name), so an error added without documenting it fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

const documented = (name: string) => new RegExp(`\\b${name}\\b`).test(doc);

describe('docs/errors.md', () => {
  const files = sourceFiles(join(ROOT, 'src'));

  test('names every exception src/ constructs', () => {
    const thrown = new Map<string, string>();
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new (\w+Exception)\(/g)) thrown.set(m[1], file.slice(ROOT.length + 1));
    }
    assert.ok(thrown.has('BadRequestException') && thrown.has('InvalidSignatureException'), 'the scan finds the known exceptions');
    const missing = [...thrown].filter(([name]) => !documented(name)).map(([name, file]) => `${name} (${file})`);
    assert.deepEqual(missing, [], `add these to docs/errors.md: ${missing.join(', ')}`);
  });

  test('names every error class of the wire, and the code each sends', () => {
    const declared: { name: string; code?: string }[] = [];
    for (const file of ['src/api/errors.ts', 'src/auth/sigv4.ts']) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/export class (\w+) extends ServiceError \{[\s\S]*?super\('(\w+)'/g)) declared.push({ name: m[1], code: m[2] });
      for (const m of text.matchAll(/export class (\w+) extends Error\b/g)) declared.push({ name: m[1] });
    }
    assert.ok(declared.length >= 13, `found ${declared.length} error classes`);
    const missing = declared.flatMap(({ name, code }) => [name, ...(code ? [code] : [])]).filter((n) => !documented(n));
    assert.deepEqual(missing, [], `add these to docs/errors.md: ${missing.join(', ')}`);
  });
});
