// Per-tenant encryption of sensitive telemetry values (AES-256-GCM under the tenant's own key, chosen
// by key id so keys can rotate): only that tenant's keys decrypt them, and every decryption is audited.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { AuditSink, TenantKeySet } from './policy-types';

/** What every encrypted value starts with; the full form is `awenc:v1:<keyId>:<base64url(iv | ciphertext | tag)>`. */
export const ENCRYPTED_VALUE_PREFIX = 'awenc:v1:';

const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const HEX_PATTERN = /^[0-9a-fA-F]{64}$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A tenant's key configuration is missing or wrong; the message names the tenant, the key id and the fix. */
export class TenantKeyError extends Error {
  override readonly name = 'TenantKeyError';
  constructor(
    message: string,
    readonly tenantId: string,
    readonly keyId?: string,
  ) {
    super(message);
  }
}

/**
 * Why a value did not decrypt:
 * `malformed` (not an `awenc:v1:` value), `no_keys` (the tenant has no keys), `unknown_key` (the
 * tenant has no key with the value's key id), `key_error` (that key is misconfigured; see `cause`),
 * `authentication_failed` (wrong tenant, wrong key material, or the value was altered).
 */
export type DecryptFailure = 'malformed' | 'no_keys' | 'unknown_key' | 'key_error' | 'authentication_failed';

/** Thrown by `decrypt`/`reencrypt`; never carries the value or any key material. */
export class DecryptError extends Error {
  override readonly name = 'DecryptError';
  constructor(
    message: string,
    readonly reason: DecryptFailure,
    readonly tenantId: string,
    readonly keyId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Who decrypts what and why: recorded in the `crypto.decrypt` audit event. */
export interface DecryptContext {
  /** The person or service decrypting (user id, service account). */
  readonly actor?: string;
  /** The data subject the value belongs to, when known. */
  readonly subject?: string;
  /** Why (ticket, GDPR export, ...). */
  readonly reason?: string;
}

export interface TenantCipherOptions {
  /** The tenant's keys (e.g. from the tenant registry's `encryption`); undefined when it has none. */
  readonly keysFor: (tenantId: string) => TenantKeySet | undefined;
  /** Where `env:VARIABLE` keys are read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives `crypto.decrypt` and `crypto.decrypt_failure` for every decryption attempt. */
  readonly audit?: AuditSink;
}

export interface TenantCipher {
  /**
   * `plaintext` encrypted under the tenant's current key, as `awenc:v1:<keyId>:<base64url>`.
   * Throws a TenantKeyError when the tenant has no usable current key.
   */
  encrypt(tenantId: string, plaintext: string): string;
  /**
   * The plaintext of a value `encrypt` made for this same tenant, under any of its keys (current or
   * older). Audited; throws a DecryptError when it cannot decrypt (for the tenant's own tools).
   */
  decrypt(tenantId: string, token: string, context?: DecryptContext): string;
  /** True when `encrypt` would succeed for the tenant (it has a current key that parses). Never throws. */
  canEncrypt(tenantId: string): boolean;
  /**
   * The value under the tenant's current key: unchanged if already there (after authenticating it),
   * otherwise decrypted (audited, reason `reencrypt` unless given) and encrypted again. For rotation.
   */
  reencrypt(tenantId: string, token: string, context?: DecryptContext): string;
}

/** A new random AES-256 key in the form `TenantKeySet.keys` takes: `base64:` and 32 random bytes. */
export function generateTenantKey(): string {
  return `base64:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** True when `value` has the shape of an encrypted value (it says nothing about who can decrypt it). */
export function isEncryptedValue(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith(ENCRYPTED_VALUE_PREFIX)) return false;
  return parseToken(value) !== undefined;
}

interface CachedKey {
  readonly spec: string;
  readonly material: string;
  readonly key: KeyObject;
}

interface ParsedToken {
  readonly keyId: string;
  readonly body: string;
}

/** Creates the cipher. Key material is parsed once per tenant and key id and kept as KeyObjects. */
export function createTenantCipher(options: TenantCipherOptions): TenantCipher {
  if (typeof options?.keysFor !== 'function') {
    throw new TypeError('createTenantCipher needs keysFor: (tenantId) => TenantKeySet | undefined');
  }
  const { keysFor, audit } = options;
  const env = options.env ?? process.env;
  const cache = new Map<string, Map<string, CachedKey>>();

  const keyFor = (tenantId: string, set: TenantKeySet, keyId: string): KeyObject => {
    const spec: unknown = typeof set.keys === 'object' && set.keys !== null ? set.keys[keyId] : undefined;
    if (typeof spec !== 'string') {
      throw new TenantKeyError(
        `tenant "${tenantId}" has no key "${keyId}" in encryption.keys`,
        tenantId,
        keyId,
      );
    }
    const material = resolveSpec(tenantId, keyId, spec, env);
    let perTenant = cache.get(tenantId);
    const cached = perTenant?.get(keyId);
    if (cached !== undefined && cached.spec === spec && cached.material === material) return cached.key;
    const bytes = decodeMaterial(tenantId, keyId, spec, material);
    const key = createSecretKey(bytes);
    // The KeyObject holds its own copy; do not leave the key in a garbage-collected buffer.
    bytes.fill(0);
    if (perTenant === undefined) {
      perTenant = new Map();
      cache.set(tenantId, perTenant);
    }
    perTenant.set(keyId, { spec, material, key });
    return key;
  };

  const currentKey = (tenantId: string): { keyId: string; key: KeyObject } => {
    const set = keysFor(tenantId);
    if (set === undefined) {
      throw new TenantKeyError(
        `tenant "${tenantId}" has no encryption keys; set its encryption.keys`,
        tenantId,
      );
    }
    const keyId = set.current;
    if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
      throw new TenantKeyError(
        `tenant "${tenantId}" encryption.current must be a key id of letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(keyId)}`,
        tenantId,
      );
    }
    return { keyId, key: keyFor(tenantId, set, keyId) };
  };

  const record = (
    type: 'crypto.decrypt' | 'crypto.decrypt_failure',
    tenantId: string,
    context: DecryptContext | undefined,
    data: Record<string, unknown>,
  ): void => {
    if (audit === undefined) return;
    if (context?.actor !== undefined) data.actor = context.actor;
    if (context?.reason !== undefined) data.reason = context.reason;
    audit.record({
      type,
      tenant: tenantId,
      ...(context?.subject !== undefined ? { subject: context.subject } : {}),
      data,
    });
  };

  const fail = (
    tenantId: string,
    context: DecryptContext | undefined,
    reason: DecryptFailure,
    message: string,
    keyId?: string,
    cause?: unknown,
  ): never => {
    record('crypto.decrypt_failure', tenantId, context, {
      failure: reason,
      ...(keyId !== undefined ? { keyId } : {}),
    });
    throw new DecryptError(message, reason, tenantId, keyId, cause === undefined ? undefined : { cause });
  };

  /** Decrypts without auditing success (callers audit), auditing and throwing on failure. */
  const open = (
    tenantId: string,
    token: string,
    context: DecryptContext | undefined,
  ): { keyId: string; plaintext: string } => {
    const parsed = typeof token === 'string' ? parseToken(token) : undefined;
    if (parsed === undefined) {
      return fail(
        tenantId,
        context,
        'malformed',
        `not an encrypted value (expected ${ENCRYPTED_VALUE_PREFIX}<keyId>:<data>)`,
      );
    }
    const { keyId, body } = parsed;
    const set = keysFor(tenantId);
    if (set === undefined)
      return fail(tenantId, context, 'no_keys', `tenant "${tenantId}" has no encryption keys`, keyId);
    if (typeof set.keys !== 'object' || set.keys === null || typeof set.keys[keyId] !== 'string') {
      return fail(tenantId, context, 'unknown_key', `tenant "${tenantId}" has no key "${keyId}"`, keyId);
    }
    let key: KeyObject;
    try {
      key = keyFor(tenantId, set, keyId);
    } catch (error) {
      return fail(
        tenantId,
        context,
        'key_error',
        `tenant "${tenantId}" key "${keyId}" is misconfigured`,
        keyId,
        error,
      );
    }
    const raw = Buffer.from(body, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) {
      return fail(tenantId, context, 'malformed', 'encrypted value is too short', keyId);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(tenantId, keyId));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const head = decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES));
      const tail = decipher.final();
      return { keyId, plaintext: (tail.length === 0 ? head : Buffer.concat([head, tail])).toString('utf8') };
    } catch {
      return fail(
        tenantId,
        context,
        'authentication_failed',
        `value does not authenticate for tenant "${tenantId}" under key "${keyId}" (another tenant's value, another key, or altered)`,
        keyId,
      );
    }
  };

  const encrypt = (tenantId: string, plaintext: string): string => {
    if (typeof plaintext !== 'string') throw new TypeError('encrypt needs the plaintext as a string');
    const { keyId, key } = currentKey(tenantId);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(tenantId, keyId));
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${ENCRYPTED_VALUE_PREFIX}${keyId}:${body.toString('base64url')}`;
  };

  return {
    encrypt,

    decrypt(tenantId, token, context) {
      const { keyId, plaintext } = open(tenantId, token, context);
      // Audited before the plaintext is handed out: a decryption that cannot be recorded does not happen.
      record('crypto.decrypt', tenantId, context, { keyId });
      return plaintext;
    },

    canEncrypt(tenantId) {
      try {
        currentKey(tenantId);
        return true;
      } catch {
        return false;
      }
    },

    reencrypt(tenantId, token, context) {
      const withReason: DecryptContext = { ...context, reason: context?.reason ?? 'reencrypt' };
      const { keyId, plaintext } = open(tenantId, token, withReason);
      const current = currentKey(tenantId);
      if (keyId === current.keyId) return token;
      record('crypto.decrypt', tenantId, withReason, { keyId });
      return encrypt(tenantId, plaintext);
    },
  };
}

/** Binds a value to its tenant and key id, so it cannot be replayed as another tenant's value. */
function aad(tenantId: string, keyId: string): Buffer {
  return Buffer.from(`awenc:v1\0${tenantId}\0${keyId}`, 'utf8');
}

function parseToken(token: string): ParsedToken | undefined {
  if (!token.startsWith(ENCRYPTED_VALUE_PREFIX)) return undefined;
  const sep = token.indexOf(':', ENCRYPTED_VALUE_PREFIX.length);
  if (sep === -1) return undefined;
  const keyId = token.slice(ENCRYPTED_VALUE_PREFIX.length, sep);
  const body = token.slice(sep + 1);
  if (!KEY_ID_PATTERN.test(keyId) || !BASE64URL_PATTERN.test(body)) return undefined;
  return { keyId, body };
}

/** The `base64:`/`hex:` text a key spec stands for, reading `env:` specs from the environment. */
function resolveSpec(
  tenantId: string,
  keyId: string,
  spec: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (!spec.startsWith('env:')) return spec;
  const name = spec.slice(4);
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new TenantKeyError(
      `tenant "${tenantId}" key "${keyId}": env: must be followed by an environment variable name, got ${JSON.stringify(name.slice(0, 64))}`,
      tenantId,
      keyId,
    );
  }
  const value = env[name];
  if (value === undefined || value === '') {
    throw new TenantKeyError(
      `tenant "${tenantId}" key "${keyId}": environment variable ${name} is not set; set it to base64:<32 bytes> or hex:<64 hex digits>`,
      tenantId,
      keyId,
    );
  }
  if (value.startsWith('env:')) {
    throw new TenantKeyError(
      `tenant "${tenantId}" key "${keyId}": environment variable ${name} must hold the key (base64:... or hex:...), not another env: reference`,
      tenantId,
      keyId,
    );
  }
  return value.trim();
}

function decodeMaterial(tenantId: string, keyId: string, spec: string, material: string): Buffer {
  const where = spec.startsWith('env:') ? `${spec.slice(4)} (from ${spec})` : 'the key';
  let bytes: Buffer;
  if (material.startsWith('base64:')) {
    const text = material.slice(7);
    if (!BASE64_PATTERN.test(text)) {
      throw new TenantKeyError(
        `tenant "${tenantId}" key "${keyId}": ${where} is not valid base64 after base64:`,
        tenantId,
        keyId,
      );
    }
    bytes = Buffer.from(text, 'base64');
  } else if (material.startsWith('hex:')) {
    const text = material.slice(4);
    if (!HEX_PATTERN.test(text)) {
      throw new TenantKeyError(
        `tenant "${tenantId}" key "${keyId}": ${where} must be 64 hex digits after hex: (32 bytes), got ${text.length} characters`,
        tenantId,
        keyId,
      );
    }
    bytes = Buffer.from(text, 'hex');
  } else {
    throw new TenantKeyError(
      `tenant "${tenantId}" key "${keyId}": ${where} must start with base64:, hex: or env: (generate one with generateTenantKey())`,
      tenantId,
      keyId,
    );
  }
  if (bytes.length !== KEY_BYTES) {
    throw new TenantKeyError(
      `tenant "${tenantId}" key "${keyId}": AES-256 needs 32 bytes, ${where} has ${bytes.length}; generate one with generateTenantKey()`,
      tenantId,
      keyId,
    );
  }
  return bytes;
}
