/**
 * The operator's policy for connectors, as data: which folders a `files` source may read, which hosts
 * an HTTP source may reach, and which environment variables may hold secrets. Connector profiles are
 * written by callers of the admin routes; the policy is what the operator who started the process
 * allows them. It is checked when a profile is saved and again when a step reads it (a profile stored
 * before the policy changed, or written to the database directly, must not escape it).
 */
import { realpathSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isJsonObject } from '../domain/json-object.js';
import { abridge } from '../api/errors.js';
import { quoted } from './shared/settings.js';

export interface ConnectorPolicy {
  /** Absolute folders (realpath'd when the policy is loaded) that a `files` source may read below. Empty = the files kind is refused. */
  fileRoots: readonly string[];
  /** Host patterns HTTP connectors may reach: exact host names, or `*.domain` for any subdomain. */
  allowHosts: readonly string[];
  /** Loopback, link-local, private (RFC 1918, ULA, CGNAT…) and unspecified addresses: refused unless true. */
  allowPrivateAddresses: boolean;
  /** `…Env` settings may name only environment variables starting with this prefix. */
  secretEnvPrefix: string;
}

/**
 * The vendors' public API hosts. `*.x` matches any name ending in `.x` (not `x` itself); a `*` label
 * elsewhere matches exactly one label. Amazon S3 gets its endpoint families rather than
 * `*.amazonaws.com`, which would also admit every other AWS service and customer-controlled names
 * (API Gateway, ELB): the global endpoint and its virtual-hosted buckets, the regional endpoints
 * (`s3.<region>`, dual-stack and FIPS) and their virtual-hosted buckets.
 */
export const DEFAULT_ALLOW_HOSTS: readonly string[] = [
  '*.salesforce.com',
  '*.force.com',
  '*.service-now.com',
  '*.servicenowservices.com',
  '*.zendesk.com',
  '*.mktorest.com',
  's3.amazonaws.com',
  '*.s3.amazonaws.com',
  's3.*.amazonaws.com',
  '*.s3.*.amazonaws.com',
  's3.dualstack.*.amazonaws.com',
  '*.s3.dualstack.*.amazonaws.com',
  's3-fips.*.amazonaws.com',
  '*.s3-fips.*.amazonaws.com',
];

export const DEFAULT_SECRET_ENV_PREFIX = 'PROFILEFLOW_SECRET_';

/**
 * What applies when a caller (a library user, a test) gives no policy: no folder may be read, only the
 * vendors' hosts may be reached, never on a private address, and secrets only from PROFILEFLOW_SECRET_*.
 */
export const DEFAULT_CONNECTOR_POLICY: ConnectorPolicy = Object.freeze({
  fileRoots: Object.freeze([]),
  allowHosts: DEFAULT_ALLOW_HOSTS,
  allowPrivateAddresses: false,
  secretEnvPrefix: DEFAULT_SECRET_ENV_PREFIX,
});

const POLICY_KEYS = ['fileRoots', 'allowHosts', 'allowPrivateAddresses', 'secretEnvPrefix'] as const;
const HOST_PATTERN = /^(\*\.)?([a-z0-9-]+|\*)(\.([a-z0-9-]+|\*))*$/;

/**
 * A policy from configuration (`connectorPolicy` of the config file, with flags already merged in):
 * unknown keys, malformed values and roots that do not exist are problems naming them. Roots are
 * realpath'd here, so that containment is decided between real paths.
 */
export function loadConnectorPolicy(raw: unknown): { policy: ConnectorPolicy; problems: [] } | { policy?: undefined; problems: string[] } {
  if (!isJsonObject(raw)) {
    return { problems: ['connectorPolicy must be a JSON object {fileRoots?, allowHosts?, allowPrivateAddresses?, secretEnvPrefix?}.'] };
  }
  const input = raw;
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!(POLICY_KEYS as readonly string[]).includes(key)) {
      problems.push(`Unknown member ${quoted(key)} in connectorPolicy; its members are ${POLICY_KEYS.join(', ')}.`);
    }
  }
  const fileRoots: string[] = [];
  if (input.fileRoots !== undefined) {
    if (!Array.isArray(input.fileRoots) || input.fileRoots.some((r) => typeof r !== 'string' || r === '')) {
      problems.push('connectorPolicy.fileRoots must be a list of folder paths.');
    } else {
      for (const root of input.fileRoots as string[]) {
        try {
          const real = realpathSync(resolve(root));
          if (!statSync(real).isDirectory()) problems.push(`The file root ${quotedPath(root)} is not a folder.`);
          else fileRoots.push(real);
        } catch {
          problems.push(`The file root ${quotedPath(root)} does not exist.`);
        }
      }
    }
  }
  let allowHosts: string[] = [...DEFAULT_ALLOW_HOSTS];
  if (input.allowHosts !== undefined) {
    if (!Array.isArray(input.allowHosts) || input.allowHosts.some((h) => typeof h !== 'string')) {
      problems.push('connectorPolicy.allowHosts must be a list of host patterns (host names, or *.domain).');
    } else {
      allowHosts = (input.allowHosts as string[]).map(normaliseHost);
      for (const h of allowHosts) {
        if (!HOST_PATTERN.test(h) && isIP(h) === 0) problems.push(`connectorPolicy.allowHosts has the unusable pattern ${quotedPath(h)}.`);
      }
    }
  }
  if (input.allowPrivateAddresses !== undefined && typeof input.allowPrivateAddresses !== 'boolean') {
    problems.push('connectorPolicy.allowPrivateAddresses must be true or false.');
  }
  let secretEnvPrefix = DEFAULT_SECRET_ENV_PREFIX;
  if (input.secretEnvPrefix !== undefined) {
    // An empty prefix would let a profile name any variable of the process again.
    if (typeof input.secretEnvPrefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(input.secretEnvPrefix)) {
      problems.push('connectorPolicy.secretEnvPrefix must be a non-empty prefix of environment variable names (letters, digits, _).');
    } else secretEnvPrefix = input.secretEnvPrefix;
  }
  if (problems.length) return { problems };
  return {
    policy: { fileRoots, allowHosts, allowPrivateAddresses: input.allowPrivateAddresses === true, secretEnvPrefix },
    problems: [],
  };
}

/** Lower case, without a trailing dot and without the brackets of an IPv6 literal. */
export function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

/** Whether `host` (a URL's hostname) matches one of the patterns. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = normaliseHost(host);
  const hLabels = h.split('.');
  return patterns.some((raw) => {
    const p = normaliseHost(raw);
    if (isIP(p) !== 0 || isIP(h) !== 0) return p === h;
    const labels = p.split('.');
    if (labels[0] === '*') {
      // `*.x`: one or more labels before the rest.
      const rest = labels.slice(1);
      return hLabels.length > rest.length && labelsMatch(hLabels.slice(hLabels.length - rest.length), rest);
    }
    return hLabels.length === labels.length && labelsMatch(hLabels, labels);
  });
}

function labelsMatch(host: string[], pattern: string[]): boolean {
  return pattern.every((p, i) => p === host[i] || (p === '*' && host[i] !== ''));
}

/**
 * Why an address is not a public unicast one, or undefined when it is. IPv4-mapped, NAT64 and 6to4
 * IPv6 addresses are judged by the IPv4 address they carry, so `::ffff:127.0.0.1` is loopback too.
 * `address` must be an IP literal (what DNS answers, or a URL's normalised hostname).
 */
export function privateAddressReason(address: string): string | undefined {
  const a = normaliseHost(address);
  const v = isIP(a);
  if (v === 4) return ipv4Reason(ipv4Bytes(a));
  if (v === 6) {
    const b = ipv6Bytes(a);
    if (!b) return 'an unreadable IPv6 address';
    return ipv6Reason(b);
  }
  return 'not an IP address';
}

function ipv4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function ipv4Reason([a, b, c]: number[]): string | undefined {
  if (a === 0) return 'an unspecified address (0.0.0.0/8)';
  if (a === 127) return 'a loopback address (127.0.0.0/8)';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'a private address (RFC 1918)';
  if (a === 100 && b >= 64 && b <= 127) return 'a shared address (CGNAT, 100.64.0.0/10)';
  if (a === 169 && b === 254) return 'a link-local address (169.254.0.0/16)';
  if (a === 192 && b === 0 && c === 0) return 'an IETF protocol address (192.0.0.0/24)';
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) {
    return 'a documentation address';
  }
  if (a === 198 && (b === 18 || b === 19)) return 'a benchmarking address (198.18.0.0/15)';
  if (a >= 224 && a <= 239) return 'a multicast address';
  if (a >= 240) return 'a reserved or broadcast address (240.0.0.0/4)';
  return undefined;
}

/** The 16 bytes of an IPv6 literal (with an embedded dotted quad allowed), or undefined. */
function ipv6Bytes(a: string): number[] | undefined {
  let text = a.split('%')[0];
  let tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    tail = ipv4Bytes(quad[1]);
    text = `${text.slice(0, -quad[1].length)}0:0`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (rest === undefined && missing !== 0) return undefined;
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right].map((g) => Number.parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (quad) bytes.splice(12, 4, ...tail);
  return bytes;
}

function ipv6Reason(b: number[]): string | undefined {
  const zeroUpTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(16)) return 'an unspecified address (::)';
  if (zeroUpTo(15) && b[15] === 1) return 'a loopback address (::1)';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses reach the IPv4 address.
  if (zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff) return ipv4Reason(b.slice(12));
  if (zeroUpTo(12)) return ipv4Reason(b.slice(12)) ?? 'a deprecated IPv4-compatible address';
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they embed.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.slice(4, 12).every((x) => x === 0)) {
    return ipv4Reason(b.slice(12));
  }
  if (b[0] === 0x20 && b[1] === 0x02) return ipv4Reason(b.slice(2, 6));
  if ((b[0] & 0xfe) === 0xfc) return 'a unique local address (fc00::/7)';
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'a link-local address (fe80::/10)';
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return 'a site-local address (fec0::/10)';
  if (b[0] === 0xff) return 'a multicast address (ff00::/8)';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'a documentation address (2001:db8::/32)';
  if (b[0] === 0x01 && b.slice(1, 8).every((x) => x === 0)) return 'a discard address (100::/64)';
  return undefined;
}

/**
 * Why the policy refuses `url` before any DNS lookup (its scheme, its host against allowHosts, an IP
 * literal on a private address), or undefined. The WHATWG parser has already turned decimal, octal and
 * hexadecimal IPv4 forms (`http://2130706433/`) into dotted quads, so they meet the same rule.
 */
export function urlProblem(url: string, policy: ConnectorPolicy): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'it is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `the scheme ${quoted(u.protocol)} is not http or https`;
  const host = normaliseHost(u.hostname);
  if (!hostAllowed(host, policy.allowHosts)) {
    return `the host ${quoted(host)} is not among the hosts the operator's policy allows (allowHosts)`;
  }
  if (isIP(host) !== 0) return addressProblem(host, host, policy);
  return undefined;
}

/**
 * A path or host as a problem quotes it: whole up to the length of a long real one, control characters
 * escaped, so a value from a config file or a source's answer never floods a message or a terminal.
 */
function quotedPath(value: string): string {
  return `'${abridge(value, 512)}'`;
}

/** Why the policy refuses connecting to `address` (which `host` resolved to), or undefined. */
export function addressProblem(host: string, address: string, policy: ConnectorPolicy): string | undefined {
  if (policy.allowPrivateAddresses) return undefined;
  const reason = privateAddressReason(address);
  if (!reason) return undefined;
  const via = normaliseHost(host) === normaliseHost(address) ? `the host ${quotedPath(host)}` : `the host ${quotedPath(host)} resolves to ${address}, which`;
  return `${via} is ${reason}, which the operator's policy refuses (allowPrivateAddresses is false)`;
}

/** Whether `path` is `root` or lies below it, by whole path segments (`/data/x` does not hold `/data/xy`). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The root of the policy that holds the real path `real`, or undefined. */
export function rootHolding(real: string, policy: ConnectorPolicy): string | undefined {
  return policy.fileRoots.find((root) => isWithin(root, real));
}

/**
 * The problems the policy finds in a profile's settings, as sentences: a files directory outside every
 * root, a URL anywhere in the settings whose host is not allowed, an `…Env` setting (at any depth, so
 * Salesforce's `auth.clientSecretEnv` too) naming a variable without the secret prefix.
 */
export function policyProblems(kind: string, settings: Record<string, unknown>, policy: ConnectorPolicy): string[] {
  const problems: string[] = [];
  if (kind === 'files') problems.push(...directoryProblems(settings.directory, policy));
  const visit = (value: unknown, path: string) => {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      const name = `${path}${key}`;
      if (typeof v === 'string') {
        if (key.endsWith('Env') && !v.startsWith(policy.secretEnvPrefix)) {
          problems.push(
            `${name} names ${quoted(v)}, which does not start with ${policy.secretEnvPrefix}; the operator's policy allows only those.`,
          );
        } else if (readsAsHttpUrl(v)) {
          const problem = urlProblem(v, policy);
          if (problem) problems.push(`Setting '${name}' is refused: ${problem}.`);
        }
      } else if (!Array.isArray(v)) visit(v, `${name}.`);
    }
  };
  visit(settings, '');
  return problems;
}

/**
 * Whether a setting is an http(s) URL as the URL parser (and so fetch and the S3 SDK) reads it: the
 * parser forgives a leading space, a missing or doubled slash, a tab, a backslash, any case of the
 * scheme, so a test of the text's prefix would let such spellings through unchecked.
 */
function readsAsHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function directoryProblems(directory: unknown, policy: ConnectorPolicy): string[] {
  if (typeof directory !== 'string' || directory === '') return [];
  if (policy.fileRoots.length === 0) {
    return ["The operator's policy gives files sources no folder to read (connectorPolicy.fileRoots is empty), so kind 'files' is refused."];
  }
  let real: string;
  try {
    real = realpathSync(resolve(directory));
  } catch {
    return [`Setting 'directory' (${quoted(directory)}) does not exist.`];
  }
  if (!rootHolding(real, policy)) {
    return [`Setting 'directory' (${quoted(directory)}) is outside every folder the operator's policy lets files sources read (fileRoots).`];
  }
  return [];
}
