import { getOwn } from '../own-properties.js';
import type { CompiledField, PathSegment, SourceSpec } from './types.js';

// Sources: `_source.a.b[0].c`, or a template `{{_source.FirstName}} {{_source.LastName}}`.

function parseAccessor(text: string): PathSegment[] | undefined {
  const m = /^_source((?:\.[^.[\]]+|\[\d+\])+)$/.exec(text.trim());
  if (!m) return undefined;
  const path: PathSegment[] = [];
  for (const part of m[1].matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    path.push(part[1] !== undefined ? part[1] : Number(part[2]));
  }
  return path;
}

export function parseSource(source: string): SourceSpec | undefined {
  if (!source.includes('{{')) {
    const path = parseAccessor(source);
    return path && { kind: 'path', path };
  }
  const parts: (string | PathSegment[])[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open === -1) {
      if (rest.includes('}}')) return undefined;
      parts.push(rest);
      break;
    }
    if (open > 0) {
      if (rest.slice(0, open).includes('}}')) return undefined;
      parts.push(rest.slice(0, open));
    }
    const close = rest.indexOf('}}', open);
    if (close === -1) return undefined;
    const path = parseAccessor(rest.slice(open + 2, close));
    if (!path) return undefined;
    parts.push(path);
    rest = rest.slice(close + 2);
  }
  return parts.some((p) => typeof p !== 'string') ? { kind: 'template', parts } : undefined;
}

function readPath(record: unknown, path: readonly PathSegment[]): unknown {
  let value = record;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if (typeof segment === 'number' ? !Array.isArray(value) : Array.isArray(value)) return undefined;
    value = getOwn(value, segment);
  }
  return value;
}

/** A scalar as text; blank text counts as absent (a blank email must not link every blank-email object). */
export function scalarText(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'boolean') text = String(value);
  return text === undefined || text.trim() === '' ? undefined : text;
}

/** A field's value: a scalar as text, or (for an object-valued accessor) the object itself. */
export function fieldValue(record: unknown, field: CompiledField): unknown {
  const { source } = field;
  if (source.kind === 'path') {
    const value = readPath(record, source.path);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    return scalarText(value);
  }
  let text = '';
  let any = false;
  for (const part of source.parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = scalarText(readPath(record, part));
    if (value !== undefined) {
      text += value;
      any = true;
    }
  }
  return any ? scalarText(text) : undefined;
}
