import { DEFAULT_PAGE_SIZE, type PageTokens } from '../domain/page-token.js';
import { requireValid } from './problems.js';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Keyset pagination for every list operation: fetch one row more than the page to know whether
 * another page exists, and seal the last returned row's key in the token. No OFFSET, so rows added
 * during a walk never shift the rows not yet returned.
 */
export async function paginate<Row, Key>(options: {
  tokens: PageTokens;
  binding: unknown;
  maxResults: number | undefined;
  nextToken: string | undefined;
  fetch: (after: Key | undefined, limit: number) => Promise<Row[]>;
  keyOf: (row: Row) => Key;
}): Promise<Page<Row>> {
  const size = options.maxResults ?? DEFAULT_PAGE_SIZE;
  const after = options.nextToken === undefined ? undefined : (requireValid(options.tokens.read(options.nextToken, options.binding)) as Key);
  const rows = await options.fetch(after, size + 1);
  if (rows.length <= size) return { items: rows };
  const items = rows.slice(0, size);
  return { items, nextToken: options.tokens.issue(options.binding, options.keyOf(items[items.length - 1])) };
}
