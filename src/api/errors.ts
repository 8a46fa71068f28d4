/**
 * The five errors the model declares, plus the two that only the front door answers (an unknown route,
 * an operation that profileflow knows but does not implement yet). Every one travels the same way:
 * status, `X-Amzn-ErrorType: <code>`, JSON body `{"Message": "..."}`.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export class BadRequestException extends ServiceError {
  constructor(message: string) {
    super('BadRequestException', 400, message);
  }
}
export class AccessDeniedException extends ServiceError {
  constructor(message: string) {
    super('AccessDeniedException', 403, message);
  }
}
export class ResourceNotFoundException extends ServiceError {
  constructor(message: string) {
    super('ResourceNotFoundException', 404, message);
  }
}
export class ThrottlingException extends ServiceError {
  constructor(message: string) {
    super('ThrottlingException', 429, message);
  }
}
export class InternalServerException extends ServiceError {
  constructor(message = 'An internal service error occurred.') {
    super('InternalServerException', 500, message);
  }
}
/** Not in the model: what an unmatched route answers (AWS front ends answer UnknownOperationException). */
export class UnknownOperationException extends ServiceError {
  constructor(message: string) {
    super('UnknownOperationException', 404, message);
  }
}
/** Not in the model: a service route (`/_profileflow/…`) asked for a change the resource's state refuses. */
export class ConflictException extends ServiceError {
  constructor(message: string) {
    super('ConflictException', 409, message);
  }
}
/** Not in the model: a real Customer Profiles operation that profileflow has not built yet. */
export class NotImplementedException extends ServiceError {
  constructor(message: string) {
    super('NotImplementedException', 501, message);
  }
}

/**
 * Shortens a value for an error message so that a huge input never becomes a huge answer. The value
 * is written out as JSON by an explicit stack and only as far as the message shows it, so neither a
 * huge nor a deeply nested value (whatever reached here) costs more than `max` characters of work
 * or any recursion.
 */
export function abridge(value: unknown, max = 64): string {
  const text = typeof value === 'string' ? value : previewJson(value, max + 1);
  const shown = escapeControlCharacters(text);
  return shown.length > max ? `${shown.slice(0, max)}...` : shown;
}

/**
 * Control characters written as `\u00XX`: they would make a message unreadable in logs and terminals,
 * and PostgreSQL cannot store U+0000 in a stored message at all.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The first `limit` characters (or a little more) of JSON.stringify(value), without recursion. */
function previewJson(value: unknown, limit: number): string {
  let out = '';
  // Each entry is either text to write or a value still to write out.
  const stack: ({ text: string } | { value: unknown })[] = [{ value }];
  while (stack.length > 0 && out.length < limit) {
    const next = stack.pop() as { text: string } | { value: unknown };
    if ('text' in next) {
      out += next.text;
      continue;
    }
    const v = next.value;
    if (v === null || typeof v !== 'object') {
      out += scalarJson(v);
      continue;
    }
    const array = Array.isArray(v);
    // Only as many entries as could still show; pushed in reverse so that they pop in order.
    const entries: [string, unknown][] = array ? v.slice(0, limit).map((item) => ['', item]) : Object.entries(v).slice(0, limit);
    out += array ? '[' : '{';
    stack.push({ text: array ? ']' : '}' });
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, item] = entries[i];
      stack.push({ value: item });
      const key = array ? '' : `${JSON.stringify(k)}:`;
      stack.push({ text: i > 0 ? `,${key}` : key });
    }
  }
  return out;
}

function scalarJson(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  return v === undefined ? 'undefined' : String(v);
}
