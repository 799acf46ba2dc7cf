// Attribute names the redactor masks whatever their value: the default deny list, and sets of names
// matched case- and separator-insensitively, also as the last words of a longer name.

/**
 * Attribute names masked whatever their value (matched case-insensitively, ignoring `-`, `_`, `.`
 * and camelCase differences, and as the last words of a longer name: `http.request.header.authorization`,
 * `X-Api-Key`, `userPassword`).
 */
export const DEFAULT_DENY_ATTRIBUTES: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'client_secret',
  'authorization',
  'proxy_authorization',
  'cookie',
  'set_cookie',
  'api_key',
  'apikey',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'private_key',
  'secret_key',
  'secret_access_key',
  'credentials',
]);

/** Attribute names, normalised, with a bounded cache of names already checked. */
export interface NameSet {
  readonly entries: ReadonlySet<string>;
  readonly cache: Map<string, boolean>;
}

/** Most names a cache holds before it starts over, so hostile key names cannot grow it without end. */
export const NAME_CACHE_LIMIT = 2048;

/** Splits an attribute name into lowercase words: `X-Api-Key`, `api.key`, `apiKey`, `APIKey` → `…api`, `key`. */
function nameWords(name: string): string[] {
  const words: string[] = [];
  let word = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const lower = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (!upper && !lower) {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }
    if (upper && word !== '') {
      const prev = name.charCodeAt(i - 1);
      const next = i + 1 < name.length ? name.charCodeAt(i + 1) : 0;
      const prevLower = (prev >= 97 && prev <= 122) || (prev >= 48 && prev <= 57);
      const nextLower = next >= 97 && next <= 122;
      // apiKey → api|Key ; APIKey → API|Key
      if (prevLower || nextLower) {
        words.push(word);
        word = '';
      }
    }
    word += upper ? String.fromCharCode(c + 32) : name[i];
  }
  if (word !== '') words.push(word);
  return words;
}

export function normaliseName(name: string): string {
  return nameWords(name).join('');
}

export function nameSet(names: readonly string[], field: string): NameSet {
  if (!Array.isArray(names)) {
    throw new TypeError(`${field} must be an array of attribute names, got ${typeof names}`);
  }
  const entries = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new TypeError(`${field} entries must be non-empty strings, got ${JSON.stringify(name)}`);
    }
    entries.add(normaliseName(name));
  }
  return { entries, cache: new Map() };
}

/** True when `name`, or its last words (`http.request.header.authorization` → `authorization`), is in the set. */
export function matches(set: NameSet, name: string): boolean {
  const cached = set.cache.get(name);
  if (cached !== undefined) return cached;
  const words = nameWords(name);
  let suffix = '';
  let found = false;
  for (let i = words.length - 1; i >= 0; i--) {
    suffix = words[i] + suffix;
    if (set.entries.has(suffix)) {
      found = true;
      break;
    }
  }
  if (set.cache.size >= NAME_CACHE_LIMIT) set.cache.clear();
  set.cache.set(name, found);
  return found;
}
