import { randomBytes } from 'node:crypto';
import type { AuditEventInput, AuditSink, TenantKeySet } from './policy-types';
import {
  DecryptError,
  ENCRYPTED_VALUE_PREFIX,
  TenantKeyError,
  createTenantCipher,
  generateTenantKey,
  isEncryptedValue,
  type TenantCipher,
} from './tenant-cipher';

const keyA1 = generateTenantKey();
const keyA2 = generateTenantKey();
const keyB1 = generateTenantKey();

class RecordingAudit implements AuditSink {
  readonly events: AuditEventInput[] = [];
  record(event: AuditEventInput): void {
    this.events.push(event);
  }
}

function setup(keys: Record<string, TenantKeySet | undefined>, env: Record<string, string> = {}) {
  const audit = new RecordingAudit();
  const cipher = createTenantCipher({ keysFor: (tenant) => keys[tenant], env, audit });
  return { cipher, audit, keys };
}

function decryptFailure(cipher: TenantCipher, tenant: string, token: string): DecryptError {
  try {
    cipher.decrypt(tenant, token);
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptError);
    return error as DecryptError;
  }
  throw new Error('decrypt succeeded');
}

function flipByte(token: string, index: number): string {
  const sep = token.lastIndexOf(':');
  const body = Buffer.from(token.slice(sep + 1), 'base64url');
  body[index] = body[index]! ^ 0x01;
  return token.slice(0, sep + 1) + body.toString('base64url');
}

describe('createTenantCipher', () => {
  it('round-trips values per tenant in the awenc:v1 format', () => {
    const { cipher } = setup({
      acme: { current: 'k1', keys: { k1: keyA1 } },
      globex: { current: 'k1', keys: { k1: keyB1 } },
    });
    for (const plaintext of ['alice@example.com', '', 'ünïcödé ✓ 😀', 'x'.repeat(100_000)]) {
      const token = cipher.encrypt('acme', plaintext);
      expect(token).toMatch(/^awenc:v1:k1:[A-Za-z0-9_-]+$/);
      expect(token).not.toContain(plaintext || '\u0000');
      expect(cipher.decrypt('acme', token)).toBe(plaintext);
      expect(cipher.decrypt('globex', cipher.encrypt('globex', plaintext))).toBe(plaintext);
    }
  });

  it('gives a different ciphertext each time for the same value', () => {
    const { cipher } = setup({ acme: { current: 'k1', keys: { k1: keyA1 } } });
    expect(cipher.encrypt('acme', 'same')).not.toBe(cipher.encrypt('acme', 'same'));
  });

  it("does not let tenant B decrypt tenant A's value, with B's own key under the same key id", () => {
    const { cipher } = setup({
      acme: { current: 'k1', keys: { k1: keyA1 } },
      globex: { current: 'k1', keys: { k1: keyB1 } },
    });
    const token = cipher.encrypt('acme', 'alice@example.com');
    const error = decryptFailure(cipher, 'globex', token);
    expect(error.reason).toBe('authentication_failed');
    expect(error.message).not.toContain('alice');
  });

  it("refuses A's value presented as B's even when both tenants were given the same key material", () => {
    // The tenant id is bound in as associated data: a shared (misconfigured) key still cannot move values.
    const { cipher } = setup({
      acme: { current: 'k1', keys: { k1: keyA1 } },
      globex: { current: 'k1', keys: { k1: keyA1 } },
    });
    const token = cipher.encrypt('acme', 'alice@example.com');
    expect(decryptFailure(cipher, 'globex', token).reason).toBe('authentication_failed');
    expect(cipher.decrypt('acme', token)).toBe('alice@example.com');
  });

  it("reports unknown_key when B has no key with A's key id, and no_keys for a tenant without keys", () => {
    const { cipher } = setup({
      acme: { current: 'acme-2024', keys: { 'acme-2024': keyA1 } },
      globex: { current: 'k1', keys: { k1: keyB1 } },
    });
    const token = cipher.encrypt('acme', 'secret');
    expect(decryptFailure(cipher, 'globex', token).reason).toBe('unknown_key');
    expect(decryptFailure(cipher, 'initech', token).reason).toBe('no_keys');
  });

  it('keeps decrypting k1 values after k2 becomes current, and encrypts new values under k2', () => {
    const keys: Record<string, TenantKeySet> = { acme: { current: 'k1', keys: { k1: keyA1 } } };
    const { cipher } = setup(keys);
    const old = cipher.encrypt('acme', 'before rotation');
    expect(old.startsWith(`${ENCRYPTED_VALUE_PREFIX}k1:`)).toBe(true);

    keys.acme = { current: 'k2', keys: { k1: keyA1, k2: keyA2 } };
    const fresh = cipher.encrypt('acme', 'after rotation');
    expect(fresh.startsWith(`${ENCRYPTED_VALUE_PREFIX}k2:`)).toBe(true);
    expect(cipher.decrypt('acme', old)).toBe('before rotation');
    expect(cipher.decrypt('acme', fresh)).toBe('after rotation');

    const moved = cipher.reencrypt('acme', old);
    expect(moved.startsWith(`${ENCRYPTED_VALUE_PREFIX}k2:`)).toBe(true);
    expect(cipher.decrypt('acme', moved)).toBe('before rotation');
    expect(cipher.reencrypt('acme', fresh)).toBe(fresh);

    // Once k1 is retired, its values are gone for good (which is what retiring a key is for).
    keys.acme = { current: 'k2', keys: { k2: keyA2 } };
    expect(decryptFailure(cipher, 'acme', old).reason).toBe('unknown_key');
    expect(cipher.decrypt('acme', moved)).toBe('before rotation');
  });

  it('rejects tampered values: a flipped bit anywhere, a swapped key id, a cut tag', () => {
    const { cipher } = setup({ acme: { current: 'k1', keys: { k1: keyA1, k2: keyA2 } } });
    const token = cipher.encrypt('acme', 'card on file');
    const raw = Buffer.from(token.slice(token.lastIndexOf(':') + 1), 'base64url');
    for (const index of [0, 11, 12, raw.length - 17, raw.length - 16, raw.length - 1]) {
      expect(decryptFailure(cipher, 'acme', flipByte(token, index)).reason).toBe('authentication_failed');
    }
    expect(decryptFailure(cipher, 'acme', token.replace(':k1:', ':k2:')).reason).toBe(
      'authentication_failed',
    );
    const cut = token.slice(0, token.lastIndexOf(':') + 1) + raw.subarray(0, 20).toString('base64url');
    expect(decryptFailure(cipher, 'acme', cut).reason).toBe('malformed');
    for (const bad of [
      'card on file',
      'awenc:v1:k1:',
      'awenc:v1:k 1:abc',
      'awenc:v2:k1:AAAA',
      'awenc:v1:k1:not base64!',
    ]) {
      expect(decryptFailure(cipher, 'acme', bad).reason).toBe('malformed');
    }
  });

  it('audits every decryption with who, whom and why, and every failure with its reason, never the value', () => {
    const { cipher, audit } = setup({
      acme: { current: 'k1', keys: { k1: keyA1 } },
      globex: { current: 'k1', keys: { k1: keyB1 } },
    });
    const token = cipher.encrypt('acme', 'alice@example.com');
    expect(audit.events).toEqual([]);

    cipher.decrypt('acme', token, { actor: 'support:jo', subject: 'user-42', reason: 'TICKET-9' });
    decryptFailure(cipher, 'globex', token);
    expect(() => cipher.decrypt('acme', flipByte(token, 20), { actor: 'support:jo' })).toThrow(DecryptError);

    expect(audit.events).toEqual([
      {
        type: 'crypto.decrypt',
        tenant: 'acme',
        subject: 'user-42',
        data: { keyId: 'k1', actor: 'support:jo', reason: 'TICKET-9' },
      },
      {
        type: 'crypto.decrypt_failure',
        tenant: 'globex',
        data: { failure: 'authentication_failed', keyId: 'k1' },
      },
      {
        type: 'crypto.decrypt_failure',
        tenant: 'acme',
        data: { failure: 'authentication_failed', keyId: 'k1', actor: 'support:jo' },
      },
    ]);
    const recorded = JSON.stringify(audit.events);
    expect(recorded).not.toContain('alice');
    expect(recorded).not.toContain(keyA1.slice(7));
  });

  it('audits re-encryption under an older key as a decryption with reason reencrypt', () => {
    const keys: Record<string, TenantKeySet> = { acme: { current: 'k1', keys: { k1: keyA1 } } };
    const { cipher, audit } = setup(keys);
    const old = cipher.encrypt('acme', 'v');
    keys.acme = { current: 'k2', keys: { k1: keyA1, k2: keyA2 } };
    cipher.reencrypt('acme', old);
    expect(audit.events).toEqual([
      { type: 'crypto.decrypt', tenant: 'acme', data: { keyId: 'k1', reason: 'reencrypt' } },
    ]);
  });

  it('does not hand out the plaintext when the audit sink fails', () => {
    const cipher = createTenantCipher({
      keysFor: () => ({ current: 'k1', keys: { k1: keyA1 } }),
      audit: {
        record() {
          throw new Error('audit store down');
        },
      },
    });
    const token = cipher.encrypt('acme', 'v');
    expect(() => cipher.decrypt('acme', token)).toThrow('audit store down');
  });

  it('reads hex:, base64: and env: keys, and follows a changed environment variable', () => {
    const hex = randomBytes(32).toString('hex');
    const env: Record<string, string> = { ACME_KEY: generateTenantKey() };
    const keys: Record<string, TenantKeySet> = {
      hexy: { current: 'h', keys: { h: `hex:${hex}` } },
      envy: { current: 'e', keys: { e: 'env:ACME_KEY' } },
    };
    const cipher = createTenantCipher({ keysFor: (t) => keys[t], env });
    expect(cipher.decrypt('hexy', cipher.encrypt('hexy', 'x'))).toBe('x');
    const before = cipher.encrypt('envy', 'y');
    expect(cipher.decrypt('envy', before)).toBe('y');

    env.ACME_KEY = `hex:${hex}`;
    expect(decryptFailure(cipher, 'envy', before).reason).toBe('authentication_failed');
    expect(cipher.decrypt('envy', cipher.encrypt('envy', 'z'))).toBe('z');
  });

  it.each([
    [
      'a 16-byte key',
      `base64:${randomBytes(16).toString('base64')}`,
      /AES-256 needs 32 bytes, the key has 16/,
    ],
    ['a short hex key', 'hex:abcd', /64 hex digits after hex:/],
    ['invalid base64', 'base64:!!!!', /not valid base64/],
    ['no prefix', randomBytes(32).toString('base64'), /must start with base64:, hex: or env:/],
    ['an unset variable', 'env:NOT_SET_ANYWHERE', /environment variable NOT_SET_ANYWHERE is not set/],
    ['a bad variable name', 'env:1BAD', /env: must be followed by an environment variable name/],
  ])('refuses %s with a TenantKeyError naming the tenant and key id', (_name, spec, message) => {
    const cipher = createTenantCipher({ keysFor: () => ({ current: 'k1', keys: { k1: spec } }), env: {} });
    expect(cipher.canEncrypt('acme')).toBe(false);
    let error: unknown;
    try {
      cipher.encrypt('acme', 'v');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(TenantKeyError);
    expect((error as TenantKeyError).message).toMatch(message);
    expect((error as TenantKeyError).message).toContain('tenant "acme" key "k1"');
    expect((error as TenantKeyError).keyId).toBe('k1');
  });

  it('refuses a current key id that is missing or malformed, and a tenant with no keys', () => {
    const keys: Record<string, TenantKeySet> = {
      missing: { current: 'k9', keys: { k1: keyA1 } },
      colon: { current: 'k:1', keys: { 'k:1': keyA1 } },
    };
    const cipher = createTenantCipher({ keysFor: (t) => keys[t] });
    expect(() => cipher.encrypt('missing', 'v')).toThrow(/tenant "missing" has no key "k9"/);
    expect(() => cipher.encrypt('colon', 'v')).toThrow(/encryption.current must be a key id/);
    expect(() => cipher.encrypt('nobody', 'v')).toThrow(/tenant "nobody" has no encryption keys/);
    expect(cipher.canEncrypt('nobody')).toBe(false);
  });

  it('reports a misconfigured older key as key_error on decrypt', () => {
    const keys: Record<string, TenantKeySet> = { acme: { current: 'k1', keys: { k1: keyA1 } } };
    const { cipher } = setup(keys);
    const token = cipher.encrypt('acme', 'v');
    keys.acme = { current: 'k2', keys: { k1: 'hex:00', k2: keyA2 } };
    const error = decryptFailure(cipher, 'acme', token);
    expect(error.reason).toBe('key_error');
    expect(error.cause).toBeInstanceOf(TenantKeyError);
  });

  it('needs keysFor', () => {
    expect(() => createTenantCipher({} as never)).toThrow(/keysFor/);
  });
});

describe('generateTenantKey and isEncryptedValue', () => {
  it('generates distinct 32-byte base64 keys', () => {
    const a = generateTenantKey();
    expect(a).toMatch(/^base64:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(7), 'base64')).toHaveLength(32);
    expect(generateTenantKey()).not.toBe(a);
  });

  it('recognises the shape of encrypted values only', () => {
    const cipher = createTenantCipher({ keysFor: () => ({ current: 'k1', keys: { k1: keyA1 } }) });
    expect(isEncryptedValue(cipher.encrypt('acme', 'v'))).toBe(true);
    for (const other of ['awenc:v1:k1:', 'awenc:v1::abc', 'hello', 42, undefined, 'awenc:v1:k1:a b']) {
      expect(isEncryptedValue(other)).toBe(false);
    }
  });
});
