import { ApiKeyIndex, API_KEY_HASH_PATTERN, generateApiKey, hashApiKey, isApiKeyHash } from './credentials';

describe('hashApiKey', () => {
  it('stores the SHA-256 of the key as sha256:<hex>', () => {
    // The FIPS 180-2 test vector for "abc".
    expect(hashApiKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('gives distinct keys distinct hashes and the same key the same hash', () => {
    expect(hashApiKey('awk_a')).toBe(hashApiKey('awk_a'));
    expect(hashApiKey('awk_a')).not.toBe(hashApiKey('awk_b'));
    expect(hashApiKey('ключ-🔑')).toMatch(API_KEY_HASH_PATTERN);
  });

  it('refuses an empty or non-string key', () => {
    expect(() => hashApiKey('')).toThrow(/non-empty string/);
    expect(() => hashApiKey(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('generateApiKey', () => {
  it('makes prefixed keys carrying 32 random bytes as base64url', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^awk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
    expect(generateApiKey('acme')).toMatch(/^acme_[A-Za-z0-9_-]{43}$/);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey()));
    expect(keys.size).toBe(2000);
  });

  it.each(['', 'a_b', 'x'.repeat(17), 'key\n'])('refuses the prefix %j', (prefix) => {
    expect(() => generateApiKey(prefix)).toThrow(/1-16 letters or digits/);
  });
});

describe('isApiKeyHash', () => {
  it('accepts only sha256: and 64 lowercase hex digits', () => {
    expect(isApiKeyHash(hashApiKey('k'))).toBe(true);
    expect(isApiKeyHash(hashApiKey('k').toUpperCase())).toBe(false);
    expect(isApiKeyHash(`${hashApiKey('k')}0`)).toBe(false);
    expect(isApiKeyHash('awk_plaintext')).toBe(false);
    expect(isApiKeyHash(undefined)).toBe(false);
  });
});

describe('ApiKeyIndex', () => {
  it('finds the value for a presented key and nothing for other keys', () => {
    const index = new ApiKeyIndex<string>();
    index.add(hashApiKey('awk_one'), 'one');
    index.add(hashApiKey('awk_two'), 'two');
    expect(index.lookup('awk_one')).toBe('one');
    expect(index.lookup('awk_two')).toBe('two');
    expect(index.lookup('awk_three')).toBeUndefined();
    expect(index.lookup('awk_one ')).toBeUndefined();
    expect(index.getByHash(hashApiKey('awk_two'))).toBe('two');
    expect(index.size).toBe(2);
  });

  it('tells apart hashes that share the first 4 bytes (same bucket)', () => {
    const index = new ApiKeyIndex<number>();
    const hashes = Array.from({ length: 5 }, (_, i) => `sha256:deadbeef${i.toString(16).padStart(56, '0')}`);
    hashes.forEach((hash, i) => index.add(hash, i));
    hashes.forEach((hash, i) => expect(index.getByHash(hash)).toBe(i));
    expect(index.getByHash(`sha256:deadbeef${'f'.repeat(56)}`)).toBeUndefined();
  });

  it('returns nothing, never throws, for hostile presented keys', () => {
    const index = new ApiKeyIndex<string>();
    index.add(hashApiKey('awk_one'), 'one');
    for (const key of [undefined, null, 42, {}, [], '', 'x'.repeat(100_000), '\u0000', '\ud800']) {
      expect(index.lookup(key)).toBeUndefined();
    }
  });

  it('refuses to index a plaintext key', () => {
    const index = new ApiKeyIndex<string>();
    expect(() => index.add('awk_plaintext', 'x')).toThrow(/sha256:<64 hex digits>/);
  });
});
