// Tenant API keys: the key records a config may hold (hashes only, never keys), and finding which
// tenant a presented key belongs to and whether it is revoked or expired.
import { ApiKeyIndex, MAX_API_KEY_LENGTH } from './credentials';
import type { ApiKeyRecord } from './policy-types';
import { isRecord, kind, shown, unknownFields } from './registry-problems';
import type { AuthenticationResult, ResolvedTenant } from './registry-types';

const KEY_FIELDS = ['id', 'hash', 'revoked', 'expiresAt'] as const;
export const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HASH = /^sha256:[0-9a-fA-F]{64}$/;
/** A date (UTC midnight) or a date-time with a zone; a time without a zone would depend on the server. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

/** What the index knows about each key: whose it is and whether it may still be used. */
export interface IndexedKey {
  readonly tenantId: string;
  readonly keyId: string;
  readonly revoked: boolean;
  readonly expiresAtMs: number | undefined;
}

/** Every key of every tenant, revoked and expired ones included so refusals can say whose key it was. */
export function indexApiKeys(tenants: Iterable<ResolvedTenant>): ApiKeyIndex<IndexedKey> {
  const index = new ApiKeyIndex<IndexedKey>();
  for (const tenant of tenants) {
    for (const key of tenant.config.apiKeys ?? []) {
      index.add(key.hash, {
        tenantId: tenant.id,
        keyId: key.id,
        revoked: key.revoked === true,
        expiresAtMs: key.expiresAt === undefined ? undefined : Date.parse(key.expiresAt),
      });
    }
  }
  return index;
}

/** The tenant whose key `key` is, or why not. Never throws. */
export function authenticateKey(
  index: ApiKeyIndex<IndexedKey>,
  tenants: ReadonlyMap<string, ResolvedTenant>,
  key: unknown,
  now: () => number,
): AuthenticationResult {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_API_KEY_LENGTH) {
    return { ok: false, reason: 'unknown' };
  }
  const entry = index.lookup(key);
  const tenant = entry === undefined ? undefined : tenants.get(entry.tenantId);
  if (entry === undefined || tenant === undefined) return { ok: false, reason: 'unknown' };
  const whose = { tenantId: entry.tenantId, keyId: entry.keyId };
  if (entry.revoked) return { ok: false, reason: 'revoked', ...whose };
  if (entry.expiresAtMs !== undefined && !(now() < entry.expiresAtMs)) {
    return { ok: false, reason: 'expired', ...whose };
  }
  return { ok: true, tenant, keyId: entry.keyId };
}

/**
 * A tenant's `apiKeys` list. `hashes` maps each key hash already configured to where, so one key
 * can never open two tenants; the hashes accepted here are added to it.
 */
export function checkApiKeys(
  raw: unknown,
  path: string,
  hashes: Map<string, string>,
  problems: string[],
): ApiKeyRecord[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.push(`${path}: expected a list of { id, hash } records, got ${kind(raw)}`);
    return undefined;
  }
  const ids = new Set<string>();
  const records: ApiKeyRecord[] = [];
  raw.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string') {
      problems.push(
        `${at}: expected { id, hash }, got a bare string (not shown, in case it is a key); store { id: "name", hash: hashApiKey(key) }`,
      );
      return;
    }
    if (!isRecord(entry)) {
      problems.push(`${at}: expected { id, hash }, got ${kind(entry)}`);
      return;
    }
    unknownFields(entry, KEY_FIELDS, at, problems);
    const id = entry.id;
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      problems.push(
        `${at}.id: ${shown(id)} is not a key id; use 1-64 letters, digits, "_", "." or "-" (it names the key in audit entries)`,
      );
    } else if (ids.has(id)) {
      problems.push(`${at}.id: ${JSON.stringify(id)} is used twice in this tenant; key ids must be unique`);
    } else {
      ids.add(id);
    }
    const hash = checkHash(entry.hash, `${at}.hash`, problems);
    if (hash !== undefined) {
      const where = hashes.get(hash);
      if (where !== undefined) {
        problems.push(
          `${at}.hash: the same key is already configured as ${where}; every key must be distinct`,
        );
      } else {
        hashes.set(hash, typeof id === 'string' ? `${at} (${JSON.stringify(id)})` : at);
      }
    }
    if (entry.revoked !== undefined && typeof entry.revoked !== 'boolean') {
      problems.push(`${at}.revoked: expected true or false, got ${shown(entry.revoked)}`);
    }
    let expiresAt: string | undefined;
    if (entry.expiresAt !== undefined) {
      if (
        typeof entry.expiresAt !== 'string' ||
        !INSTANT.test(entry.expiresAt) ||
        !Number.isFinite(Date.parse(entry.expiresAt))
      ) {
        problems.push(
          `${at}.expiresAt: ${shown(entry.expiresAt)} is not an ISO 8601 instant; write e.g. "2026-01-31T00:00:00Z" (a zone is required) or "2026-01-31"`,
        );
      } else {
        expiresAt = entry.expiresAt;
      }
    }
    if (typeof id === 'string' && hash !== undefined) {
      records.push({
        id,
        hash,
        ...(entry.revoked === true ? { revoked: true } : {}),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    }
  });
  return records;
}

function checkHash(raw: unknown, path: string, problems: string[]): string | undefined {
  if (typeof raw === 'string' && HASH.test(raw)) return raw.toLowerCase();
  if (typeof raw === 'string' && raw.startsWith('sha256:')) {
    problems.push(`${path}: expected "sha256:" followed by 64 hex digits, as hashApiKey(key) returns`);
  } else if (typeof raw === 'string') {
    // Never echo the value: someone may have pasted the key itself.
    problems.push(
      `${path}: this looks like a plaintext API key or another format (value not shown); store hashApiKey(key), "sha256:<64 hex digits>", never the key`,
    );
  } else {
    problems.push(`${path}: expected "sha256:<64 hex digits>" from hashApiKey(key), got ${kind(raw)}`);
  }
  return undefined;
}
