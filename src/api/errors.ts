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
/** Not in the model: a real Customer Profiles operation that profileflow has not built yet. */
export class NotImplementedException extends ServiceError {
  constructor(message: string) {
    super('NotImplementedException', 501, message);
  }
}

/** Shortens a value for an error message so that a huge input never becomes a huge answer. */
export function abridge(value: unknown, max = 64): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  // Control characters would make the message unreadable in logs and terminals.
  text = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
