// Resolves the tenant of an incoming request from its bearer API key, then applies the tenant's IP
// and origin policies. A client-sent X-Tenant-ID is only ever checked against the key, never trusted.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createIpAllowList, normalizeIp } from './cidr';
import type { IpAllowList } from './cidr';
import { MAX_API_KEY_LENGTH } from './credentials';
import type { AuditEventInput, AuditEventType, AuditSink } from './policy-types';
import type { ResolvedTenant, TenantRegistry } from './registry';

/** Why a request was refused. 401 codes: no usable key; 403 codes: a valid key used where it may not be. */
export type TenantAccessErrorCode =
  | 'missing_credentials'
  | 'malformed_credentials'
  | 'unknown_key'
  | 'revoked_key'
  | 'expired_key'
  | 'ip_not_allowed'
  | 'origin_not_allowed'
  | 'tenant_mismatch';

/** The header a client may send to say which tenant it means; checked against the key, never trusted. */
export const TENANT_ID_HEADER = 'x-tenant-id';

/** Most header fields looked at in a plain header object; more means a hostile or broken request. */
const MAX_HEADER_FIELDS = 1000;
/** Longest X-Forwarded-For considered, and most hops walked, before the client address counts as unknown. */
const MAX_FORWARDED_LENGTH = 8192;
const MAX_FORWARDED_HOPS = 64;
/** RFC 6750 b64token after "Bearer", with optional surrounding spaces. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const MESSAGES: Readonly<Record<TenantAccessErrorCode, string>> = {
  missing_credentials: 'Send the API key as "Authorization: Bearer <key>".',
  malformed_credentials: 'The Authorization header must be one "Bearer <key>" value.',
  unknown_key: 'The API key is not valid.',
  revoked_key: 'The API key has been revoked.',
  expired_key: 'The API key has expired.',
  ip_not_allowed: 'This API key may not be used from this address.',
  origin_not_allowed: 'This API key may not be used from this origin.',
  tenant_mismatch:
    'X-Tenant-ID does not match the tenant of the API key; send the matching tenant or no X-Tenant-ID.',
};

/** A refused request: `status` and `headers` to send, `code` for the JSON body and the audit log. */
export class TenantAccessError extends Error {
  override readonly name = 'TenantAccessError';
  readonly status: 401 | 403;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The tenant whose key was presented, when the key was valid or known (403s, revoked and expired
   * keys): for labelling refusals by the verified tenant. Never the client's `X-Tenant-ID` claim.
   */
  readonly tenantId: string | undefined;

  constructor(
    readonly code: TenantAccessErrorCode,
    options: { readonly realm?: string; readonly tenantId?: string } = {},
  ) {
    super(MESSAGES[code]);
    this.tenantId = options.tenantId;
    const realm = (options.realm ?? 'autoweave').replace(/["\\\p{Cc}]/gu, '');
    const unauthenticated =
      code === 'missing_credentials' ||
      code === 'malformed_credentials' ||
      code === 'unknown_key' ||
      code === 'revoked_key' ||
      code === 'expired_key';
    this.status = unauthenticated ? 401 : 403;
    this.headers = !unauthenticated
      ? {}
      : code === 'missing_credentials'
        ? { 'WWW-Authenticate': `Bearer realm="${realm}"` }
        : { 'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token"` };
  }
}

/** A request with plain headers, for frameworks that are not Node's `http` (fetch `Headers` work too). */
export interface TenantRequestLike {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>> | Headers;
  /** The peer address of the connection (not a header). */
  readonly remoteAddress?: string | undefined;
}

export type TenantRequest = IncomingMessage | TenantRequestLike;

export interface ResolveTenantOptions {
  /** Receives `auth.failure`, `auth.tenant_mismatch`, `auth.ip_denied` and `auth.origin_denied` events. */
  readonly audit?: AuditSink;
  /**
   * CIDRs of proxies whose `X-Forwarded-For` is believed. Default none: the socket address is the
   * client. With proxies listed, the client is the rightmost forwarded address that is not a proxy.
   */
  readonly trustProxy?: readonly string[];
  /** Refuse requests without an `Origin` header for tenants that have `allowedOrigins`. Default false. */
  readonly requireOrigin?: boolean;
  /** Realm in `WWW-Authenticate`. Default `autoweave`. */
  readonly realm?: string;
}

export type ResolveTenantResult =
  | {
      readonly ok: true;
      readonly tenant: ResolvedTenant;
      readonly keyId: string;
      /** The client address used for the IP check, when known. */
      readonly clientIp: string | undefined;
    }
  | { readonly ok: false; readonly error: TenantAccessError };

/** A resolver with its options compiled once; see {@link createTenantResolver}. */
export type TenantResolver = (request: TenantRequest) => ResolveTenantResult;

/**
 * Authenticates `request` and returns its tenant or a {@link TenantAccessError}. Never throws for any
 * request, however malformed. Prefer {@link createTenantResolver} in servers: it checks `trustProxy`
 * once at startup (a bad CIDR there throws a CidrError, a programming error).
 */
export function resolveTenant(
  registry: TenantRegistry,
  request: TenantRequest,
  options: ResolveTenantOptions = {},
): ResolveTenantResult {
  return createTenantResolver(registry, options)(request);
}

/** Compiles the options once and returns `(request) => result`. Throws a CidrError for a bad `trustProxy`. */
export function createTenantResolver(
  registry: TenantRegistry,
  options: ResolveTenantOptions = {},
): TenantResolver {
  const trusted = options.trustProxy === undefined ? undefined : trustList(options.trustProxy);
  const audit = options.audit;
  const requireOrigin = options.requireOrigin ?? false;
  const realm = options.realm;

  const fail = (
    code: TenantAccessErrorCode,
    event: AuditEventType,
    tenant: string | undefined,
    data: Record<string, unknown>,
  ): ResolveTenantResult => {
    record(audit, { type: event, ...(tenant === undefined ? {} : { tenant }), data: { code, ...data } });
    const errorOptions = {
      ...(realm === undefined ? {} : { realm }),
      ...(tenant === undefined ? {} : { tenantId: tenant }),
    };
    return { ok: false, error: new TenantAccessError(code, errorOptions) };
  };

  return (request: TenantRequest): ResolveTenantResult => {
    let clientIp: string | undefined;
    try {
      const headers = readHeaders(request);
      clientIp = clientAddress(request, headers === undefined ? undefined : headers.forwardedFor, trusted);
      const ip = clientIp ?? null;
      if (headers === undefined) return fail('malformed_credentials', 'auth.failure', undefined, { ip });
      const claimed =
        headers.tenantId === undefined ? {} : { claimedTenant: auditText(headers.tenantId.join(', ')) };

      const authorization = headers.authorization;
      if (authorization === undefined || authorization.length === 0) {
        return fail('missing_credentials', 'auth.failure', undefined, { ip, ...claimed });
      }
      const key = authorization.length === 1 ? bearerToken(authorization[0]) : undefined;
      if (key === undefined)
        return fail('malformed_credentials', 'auth.failure', undefined, { ip, ...claimed });

      const result = registry.authenticate(key);
      if (!result.ok) {
        const code =
          result.reason === 'unknown'
            ? 'unknown_key'
            : result.reason === 'revoked'
              ? 'revoked_key'
              : 'expired_key';
        return fail(code, 'auth.failure', result.tenantId, {
          ip,
          keyFingerprint: fingerprint(key),
          ...(result.keyId === undefined ? {} : { keyId: result.keyId }),
          ...claimed,
        });
      }
      const { tenant, keyId } = result;

      if (headers.tenantId !== undefined && headers.tenantId.some((value) => value.trim() !== tenant.id)) {
        return fail('tenant_mismatch', 'auth.tenant_mismatch', tenant.id, { ip, keyId, ...claimed });
      }
      if (!tenant.allowsIp(clientIp)) {
        return fail('ip_not_allowed', 'auth.ip_denied', tenant.id, { ip, keyId });
      }
      const origin = headers.origin;
      if (tenant.allowedOrigins !== undefined) {
        const allowed =
          origin === undefined ? !requireOrigin : origin.length === 1 && tenant.allowsOrigin(origin[0]);
        if (!allowed) {
          return fail('origin_not_allowed', 'auth.origin_denied', tenant.id, {
            ip,
            keyId,
            origin: origin === undefined ? null : auditText(origin.join(', ')),
          });
        }
      }
      return { ok: true, tenant, keyId, clientIp };
    } catch {
      // Only a hostile request object (throwing getters, proxies) gets here; refuse it.
      return fail('malformed_credentials', 'auth.failure', undefined, { ip: clientIp ?? null });
    }
  };
}

/** Writes `error` as the response: its status, its headers and `{"error": code, "message": ...}`. Never throws. */
export function sendTenantError(res: ServerResponse, error: TenantAccessError): void {
  try {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.statusCode = error.status;
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify({ error: error.code, message: error.message }));
  } catch {
    // The connection is already gone; there is no one left to tell.
  }
}

interface RequestHeaders {
  readonly authorization: string[] | undefined;
  readonly tenantId: string[] | undefined;
  readonly origin: string[] | undefined;
  readonly forwardedFor: string[] | undefined;
}

const WANTED = new Set(['authorization', TENANT_ID_HEADER, 'origin', 'x-forwarded-for']);

/** The headers resolution needs, every value kept; undefined when the headers cannot be read safely. */
function readHeaders(request: unknown): RequestHeaders | undefined {
  // Node keeps only the first of duplicate Authorization headers in `headers`; `headersDistinct` has them all.
  const distinct: unknown = isObject(request) ? request.headersDistinct : undefined;
  const headers: unknown = isObject(distinct) ? distinct : isObject(request) ? request.headers : undefined;
  if (headers === undefined || headers === null) {
    return { authorization: undefined, tenantId: undefined, origin: undefined, forwardedFor: undefined };
  }
  if (!isObject(headers)) return undefined;
  const found = new Map<string, string[]>();
  if (typeof headers.get === 'function') {
    for (const name of WANTED) {
      const value: unknown = (headers.get as (name: string) => unknown).call(headers, name);
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string') return undefined;
      found.set(name, [value]);
    }
  } else {
    const names = Object.keys(headers);
    if (names.length > MAX_HEADER_FIELDS) return undefined;
    for (const name of names) {
      const lower = name.toLowerCase();
      if (!WANTED.has(lower)) continue;
      const value = headers[name];
      if (value === undefined) continue;
      const values = Array.isArray(value) ? (value as unknown[]) : [value];
      if (values.some((v) => typeof v !== 'string')) return undefined;
      found.set(lower, [...(found.get(lower) ?? []), ...(values as string[])]);
    }
  }
  return {
    authorization: found.get('authorization'),
    tenantId: found.get(TENANT_ID_HEADER),
    origin: found.get('origin'),
    forwardedFor: found.get('x-forwarded-for'),
  };
}

function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_API_KEY_LENGTH + 32) return undefined;
  const match = BEARER.exec(value.trim());
  const token = match?.[1];
  return token === undefined || token.length > MAX_API_KEY_LENGTH ? undefined : token;
}

/**
 * The client's address: the socket peer, or, when the peer is a trusted proxy, the rightmost
 * X-Forwarded-For hop that is not a trusted proxy. Undefined (unknown) when a hop is not an address
 * or the chain is too long, so tenants with an IP allow-list refuse the request.
 */
function clientAddress(
  request: unknown,
  forwardedFor: readonly string[] | undefined,
  trusted: IpAllowList | undefined,
): string | undefined {
  let ip = normalizeIp(peerAddress(request));
  if (ip === undefined || trusted === undefined || forwardedFor === undefined || !trusted.allows(ip))
    return ip;
  const joined = forwardedFor.join(',');
  if (joined.length > MAX_FORWARDED_LENGTH) return undefined;
  const hops = joined.split(',');
  for (let i = hops.length - 1, walked = 0; i >= 0; i--, walked++) {
    if (walked >= MAX_FORWARDED_HOPS) return undefined;
    const hop = normalizeIp(withoutPort((hops[i] ?? '').trim()));
    if (hop === undefined) return undefined;
    ip = hop;
    if (!trusted.allows(hop)) break;
  }
  return ip;
}

function peerAddress(request: unknown): unknown {
  if (!isObject(request)) return undefined;
  if (typeof request.remoteAddress === 'string') return request.remoteAddress;
  const socket = request.socket;
  return isObject(socket) ? socket.remoteAddress : undefined;
}

/** `[2001:db8::1]:443` → `2001:db8::1`, `10.1.2.3:5000` → `10.1.2.3`; anything else unchanged. */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(hop);
  if (bracketed !== null) return bracketed[1] ?? hop;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  return v4WithPort?.[1] ?? hop;
}

const trustCache = new WeakMap<readonly string[], IpAllowList>();

function trustList(cidrs: readonly string[]): IpAllowList {
  const cached = trustCache.get(cidrs);
  if (cached !== undefined) return cached;
  const list = createIpAllowList(cidrs);
  trustCache.set(cidrs, list);
  return list;
}

/** The first 8 hex digits of the key's SHA-256, so repeated attempts with one key can be grouped. */
function fingerprint(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8)}`;
}

/** Client-supplied text made safe for the audit log: at most 64 code points, invisible characters escaped. */
function auditText(value: string): string {
  const points = [...value.slice(0, 256)];
  const cut = points.slice(0, 64).join('');
  const escaped = cut.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return `\\u{${code.toString(16)}}`;
  });
  return points.length > 64 || value.length > 256 ? `${escaped}…` : escaped;
}

function record(audit: AuditSink | undefined, event: AuditEventInput): void {
  if (audit === undefined) return;
  try {
    audit.record(event);
  } catch {
    // AuditSink.record must not throw; a broken sink must not turn a refusal into a crash.
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
