import { BadRequestException } from '../api/errors.js';

/**
 * The deepest nesting of arrays and objects accepted in a request body or in JSON carried inside a
 * string member (PutProfileObject's Object). AWS documents no limit. Why 64: the deepest input of the
 * model nests 7 levels, the body counted (CreateIntegrationWorkflow's FlowDefinition), and profile objects are
 * flat records mapped by `_source.a.b` accessors; 64 leaves ten times that for caller data while
 * keeping every recursive walk over a value (validation, error messages, JSON.stringify, structured
 * cloning, the AppFlow task transforms) a few dozen frames deep, far from the stack's limit.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * The deepest nesting of brackets in a JSON text, counted outside strings (honouring escapes), in one
 * pass without recursion; it stops counting once `stopAbove` is passed, so the answer is then
 * `stopAbove + 1`. It does not check the grammar: JSON.parse does that, after this bounded it.
 */
export function jsonDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return deepest;
}

/**
 * A sentence naming `what` when `text` nests deeper than MAX_JSON_DEPTH; undefined when it does not.
 * `what` may be a function, so that a reader of millions of records builds the name only for a bad one.
 */
export function jsonDepthProblem(text: string, what: string | (() => string)): string | undefined {
  if (jsonDepth(text, MAX_JSON_DEPTH) <= MAX_JSON_DEPTH) return undefined;
  return `${capitalize(typeof what === 'string' ? what : what())} nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects: at most ${MAX_JSON_DEPTH} are accepted.`;
}

/**
 * JSON.parse for text a caller sent: the depth is bounded first, so no value that reaches a recursive
 * function can exhaust the stack. Throws a BadRequestException naming `what` ("the request body",
 * "the Object") for text that is too deep or not JSON.
 */
export function parseJsonBounded(text: string, what: string): unknown {
  const tooDeep = jsonDepthProblem(text, what);
  if (tooDeep) throw new BadRequestException(tooDeep);
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message.slice(0, 120) : 'parse error';
    throw new BadRequestException(`${capitalize(what)} is not valid JSON: ${detail}.`);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
