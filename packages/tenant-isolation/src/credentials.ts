// API keys: generated with enough randomness to make guessing hopeless, stored only as SHA-256
// hashes, and looked up so the final comparison is always constant-time over full digests.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A stored API key hash: `sha256:` and 64 lowercase hex digits. */
export const API_KEY_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Longest API key accepted anywhere; longer presented keys are malformed, not hashed. */
export const MAX_API_KEY_LENGTH = 512;

const PREFIX_PATTERN = /^[A-Za-z0-9]{1,16}$/;
/** Bytes of randomness in a generated key (256 bits). */
const KEY_BYTES = 32;

/** The stored form of `key`: `sha256:<hex>`. Hash keys before putting them in config; never store the key. */
export function hashApiKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError('hashApiKey needs the API key as a non-empty string');
  }
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/**
 * A new API key: `<prefix>_` and 32 random bytes as base64url (43 chars), e.g. `awk_Q2x...`.
 * The prefix lets secret scanners and people recognise the key; it adds no secrecy.
 */
export function generateApiKey(prefix = 'awk'): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(
      `generateApiKey prefix must be 1-16 letters or digits, got ${JSON.stringify(String(prefix).slice(0, 40))}`,
    );
  }
  return `${prefix}_${randomBytes(KEY_BYTES).toString('base64url')}`;
}

/** True for a well-formed stored hash (`sha256:` + 64 lowercase hex digits). */
export function isApiKeyHash(value: unknown): value is string {
  return typeof value === 'string' && API_KEY_HASH_PATTERN.test(value);
}

/** A key the index knows: its 32-byte digest and whatever the caller attaches. */
interface IndexedKey<T> {
  readonly digest: Buffer;
  readonly value: T;
}

/**
 * Maps key hashes to values without comparing the presented key against every stored one: keys are
 * bucketed by the first 4 bytes of their digest, and every candidate in the bucket is compared with
 * `timingSafeEqual` over the full digest. What timing can reveal is whether SHA-256 of the attacker's
 * own input shares 4 bytes with some stored digest, which tells nothing about any key.
 */
export class ApiKeyIndex<T> {
  readonly #buckets = new Map<number, IndexedKey<T>[]>();
  #size = 0;

  /** Adds a stored hash (`sha256:<hex>`). Throws a TypeError for anything else. */
  add(hash: string, value: T): void {
    const digest = digestOfHash(hash);
    const bucketKey = digest.readUInt32BE(0);
    const bucket = this.#buckets.get(bucketKey);
    if (bucket === undefined) this.#buckets.set(bucketKey, [{ digest, value }]);
    else bucket.push({ digest, value });
    this.#size++;
  }

  /** The value stored for the key whose hash is `hash`, if any. */
  getByHash(hash: string): T | undefined {
    if (!isApiKeyHash(hash)) return undefined;
    return this.#find(digestOfHash(hash));
  }

  /** The value stored for the presented key (hashed here), if any. Never throws. */
  lookup(key: unknown): T | undefined {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_API_KEY_LENGTH) return undefined;
    return this.#find(createHash('sha256').update(key, 'utf8').digest());
  }

  get size(): number {
    return this.#size;
  }

  #find(digest: Buffer): T | undefined {
    const bucket = this.#buckets.get(digest.readUInt32BE(0));
    if (bucket === undefined) return undefined;
    let found: T | undefined;
    // Compare with every candidate even after a match, so the time depends only on the bucket size.
    for (const candidate of bucket) {
      if (timingSafeEqual(candidate.digest, digest) && found === undefined) found = candidate.value;
    }
    return found;
  }
}

function digestOfHash(hash: string): Buffer {
  if (!isApiKeyHash(hash)) throw new TypeError('expected an API key hash of the form sha256:<64 hex digits>');
  return Buffer.from(hash.slice('sha256:'.length), 'hex');
}
