import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { invalid, valid, type Checked } from './problem.js';

/** The model's `token` shape allows at most 1024 characters. */
export const MAX_TOKEN_LENGTH = 1024;
/** No documented default for these operations; 100 is the model's maximum (and ListWorkflows' rule). */
export const DEFAULT_PAGE_SIZE = 100;

/**
 * Opaque, tamper-evident page tokens (the moto habit): the token carries the keyset position of the last
 * item returned and a hash of the request it belongs to (operation, account, region, domain, filters),
 * sealed with an HMAC. A token from another query, an edited token or garbage is a problem (a 400).
 * MaxResults is not bound, so a caller may change page size while walking.
 */
export class PageTokens {
  constructor(private readonly secret: Buffer) {}

  issue(binding: unknown, position: unknown): string {
    const payload = Buffer.from(JSON.stringify({ p: position, b: bindingHash(binding) })).toString('base64url');
    const token = `${payload}.${this.mac(payload)}`;
    if (token.length > MAX_TOKEN_LENGTH) throw new Error('A page position does not fit in a page token.');
    return token;
  }

  /** The position sealed in the token, or why the token was not issued for this request. */
  read(token: string, binding: unknown): Checked<unknown> {
    const dot = token.indexOf('.');
    const payload = token.slice(0, dot);
    // Compared as bytes: a token of the right length in characters but with non-ASCII ones would make
    // timingSafeEqual throw on buffers of unequal size.
    const mac = Buffer.from(token.slice(dot + 1), 'utf8');
    const expected = Buffer.from(this.mac(payload), 'utf8');
    if (dot < 1 || mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      return invalid('The NextToken is not valid: it was not issued by this service or has been altered.');
    }
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { p: unknown; b: string };
    if (decoded.b !== bindingHash(binding)) {
      return invalid('The NextToken does not belong to this request: it was issued for another resource or other filters.');
    }
    return valid(decoded.p);
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, 18).toString('base64url');
  }
}

function bindingHash(binding: unknown): string {
  return createHash('sha256').update(JSON.stringify(binding)).digest().subarray(0, 9).toString('base64url');
}
