// Origin allow-lists: which browser origins may call with a tenant's key. Patterns are checked
// when the config loads; request origins are compared after the normalisation browsers apply.
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

/** Longest Origin header value considered; longer values are never allowed. */
const MAX_ORIGIN_LENGTH = 2048;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };
const SCHEME = /^[a-z][a-z0-9+.-]*$/;
/** A serialised origin as browsers send it: scheme, host (name, IPv4 or [IPv6]) and optional port. */
const ORIGIN_HEADER =
  /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::([0-9]{1,5}))?$/;

/** Thrown for an origin pattern that cannot be used; says what to write instead. */
export class OriginPatternError extends Error {
  override readonly name = 'OriginPatternError';
  constructor(
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`${shown(value)}: ${reason}`);
  }
}

/** A set of allowed origins. */
export interface OriginPolicy {
  /**
   * Whether a request with this `Origin` header value may proceed. Never throws; false for anything
   * that is not one serialised origin. `null` is allowed only when the pattern `null` is listed.
   */
  allows(origin: unknown): boolean;
  /** The patterns in canonical form (lowercase, default ports dropped, hosts in punycode). */
  readonly origins: readonly string[];
}

interface WildcardPattern {
  readonly scheme: string;
  /** `.example.com`: the host must end with it and have at least one label before it. */
  readonly suffix: string;
  readonly port: string;
}

type ParsedPattern =
  | { readonly kind: 'exact'; readonly origin: string }
  | { readonly kind: 'wildcard'; readonly origin: string; readonly pattern: WildcardPattern }
  | { readonly kind: 'null' | 'any'; readonly origin: string };

/**
 * The canonical form of an origin pattern, or throws an {@link OriginPatternError}. Patterns:
 * `https://app.example.com`, `http://localhost:3000`, `https://*.example.com` (any subdomain, not
 * the apex), `null` (sandboxed iframes, `file:`), `*` (any origin except `null`).
 */
export function parseOriginPattern(pattern: unknown): string {
  return compilePattern(pattern).origin;
}

/** An origin allow-list. Throws an {@link OriginPatternError} naming the first bad pattern. */
export function createOriginPolicy(patterns: Iterable<string>): OriginPolicy {
  const exact = new Set<string>();
  const wildcards: WildcardPattern[] = [];
  const origins: string[] = [];
  let allowNull = false;
  let allowAny = false;
  let index = 0;
  for (const entry of patterns) {
    let parsed: ParsedPattern;
    try {
      parsed = compilePattern(entry);
    } catch (error) {
      if (error instanceof OriginPatternError) {
        throw new OriginPatternError(entry, `entry ${index}: ${error.reason}`);
      }
      throw error;
    }
    index++;
    origins.push(parsed.origin);
    if (parsed.kind === 'exact') exact.add(parsed.origin);
    else if (parsed.kind === 'wildcard') wildcards.push(parsed.pattern);
    else if (parsed.kind === 'null') allowNull = true;
    else allowAny = true;
  }
  return {
    allows(origin: unknown): boolean {
      if (typeof origin !== 'string' || origin.length === 0 || origin.length > MAX_ORIGIN_LENGTH)
        return false;
      if (origin === 'null') return allowNull;
      const parts = parseOriginHeader(origin);
      if (parts === undefined) return false;
      if (allowAny) return true;
      if (exact.has(serialise(parts.scheme, parts.host, parts.port))) return true;
      return wildcards.some(
        (w) =>
          w.scheme === parts.scheme &&
          w.port === parts.port &&
          parts.host.length > w.suffix.length &&
          parts.host.endsWith(w.suffix),
      );
    },
    origins,
  };
}

function compilePattern(pattern: unknown): ParsedPattern {
  if (typeof pattern !== 'string') {
    throw new OriginPatternError(pattern, 'expected an origin string such as "https://app.example.com"');
  }
  if (pattern.length === 0) throw new OriginPatternError(pattern, 'it is empty');
  if (pattern.length > MAX_ORIGIN_LENGTH)
    throw new OriginPatternError(pattern, 'it is too long for an origin');
  if (pattern.trim() !== pattern) throw new OriginPatternError(pattern, 'remove the surrounding whitespace');
  if (pattern === 'null') return { kind: 'null', origin: 'null' };
  if (pattern === '*') return { kind: 'any', origin: '*' };
  const match = /^([^:/?#]+):\/\/([^/?#]*)(.*)$/.exec(pattern);
  if (match === null) {
    throw new OriginPatternError(pattern, 'write scheme://host[:port], e.g. "https://app.example.com"');
  }
  const scheme = (match[1] ?? '').toLowerCase();
  const authority = match[2] ?? '';
  const rest = match[3] ?? '';
  const example = `${scheme}://${authority}`;
  if (!SCHEME.test(scheme)) throw new OriginPatternError(pattern, `${shown(scheme)} is not a URL scheme`);
  if (rest !== '') {
    throw new OriginPatternError(
      pattern,
      `an origin has no path, query or fragment; remove ${shown(rest)} and write ${shown(example)}`,
    );
  }
  if (authority.includes('@')) {
    throw new OriginPatternError(pattern, 'an origin has no user info; remove the part before "@"');
  }
  const { host: rawHost, port: rawPort } = splitHostPort(authority);
  if (rawPort !== undefined && !/^[0-9]{1,5}$/.test(rawPort)) {
    throw new OriginPatternError(pattern, `the port ${shown(rawPort)} must be a number 1-65535`);
  }
  if (rawPort !== undefined && (Number(rawPort) < 1 || Number(rawPort) > 65535)) {
    throw new OriginPatternError(pattern, `the port ${rawPort} must be 1-65535`);
  }
  const port =
    rawPort === undefined || DEFAULT_PORTS[scheme] === String(Number(rawPort)) ? '' : String(Number(rawPort));
  const wildcard = rawHost.startsWith('*.');
  const base = wildcard ? rawHost.slice(2) : rawHost;
  if (base.includes('*')) {
    throw new OriginPatternError(
      pattern,
      'only a leading "*." wildcard is supported (e.g. "https://*.example.com"); "*" cannot be part of a label',
    );
  }
  const host = canonicalHost(base);
  if (host === undefined)
    throw new OriginPatternError(pattern, `${shown(base)} is not a valid host name or address`);
  if (wildcard) {
    if (host.startsWith('[') || isIPv4(host)) {
      throw new OriginPatternError(pattern, 'a "*." wildcard needs a domain name, not an IP address');
    }
    if (!host.includes('.') && host !== 'localhost') {
      throw new OriginPatternError(
        pattern,
        `"*.${host}" would allow every site under a top-level domain; name the site, e.g. "${scheme}://*.example.${host}"`,
      );
    }
    const origin = serialise(scheme, `*.${host}`, port);
    return { kind: 'wildcard', origin, pattern: { scheme, suffix: `.${host}`, port } };
  }
  return { kind: 'exact', origin: serialise(scheme, host, port) };
}

function splitHostPort(authority: string): { host: string; port: string | undefined } {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end === -1) return { host: authority, port: undefined };
    const after = authority.slice(end + 1);
    return { host: authority.slice(0, end + 1), port: after.startsWith(':') ? after.slice(1) : undefined };
  }
  const colon = authority.lastIndexOf(':');
  return colon === -1
    ? { host: authority, port: undefined }
    : { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

/** Lowercase, punycode for names, compressed form for [IPv6]; undefined when not a host. */
function canonicalHost(host: string): string | undefined {
  if (host === '') return undefined;
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return undefined;
    const inner = host.slice(1, -1);
    if (!isIPv6(inner) || inner.includes('%')) return undefined;
    // The URL parser gives the form browsers serialise, e.g. [2001:db8::1].
    return new URL(`http://${host}`).hostname;
  }
  const ascii = domainToASCII(host);
  if (ascii === '' || ascii.endsWith('.') || !/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(ascii)) return undefined;
  return ascii;
}

function parseOriginHeader(origin: string): { scheme: string; host: string; port: string } | undefined {
  const match = ORIGIN_HEADER.exec(origin.toLowerCase());
  if (match === null) return undefined;
  const scheme = match[1] ?? '';
  let host = match[2] ?? '';
  const rawPort = match[3];
  if (host.startsWith('[')) {
    const canonical = canonicalHost(host);
    if (canonical === undefined) return undefined;
    host = canonical;
  }
  if (rawPort === undefined) return { scheme, host, port: '' };
  const n = Number(rawPort);
  if (n < 1 || n > 65535) return undefined;
  return { scheme, host, port: DEFAULT_PORTS[scheme] === String(n) ? '' : String(n) };
}

function serialise(scheme: string, host: string, port: string): string {
  return port === '' ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
}

function shown(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
