// Masks personal data and secrets in log records and span attributes before they leave the process,
// and encrypts the attributes a tenant marks sensitive under that tenant's own key.
import { isIPv6 } from 'node:net';
import { isPlausibleCardNumber } from './luhn';
import { DEFAULT_DENY_ATTRIBUTES, matches, NAME_CACHE_LIMIT, nameSet, normaliseName } from './redact-names';
import { createPolicyLookup, NO_POLICY, type CompiledPolicy } from './redact-policy';
import { REDACTION_MASKS, type RedactionCounts, type Redactor, type RedactorOptions } from './redact-types';
import { isEncryptedValue } from './tenant-cipher';

export { DEFAULT_DENY_ATTRIBUTES } from './redact-names';
export { REDACTION_MASKS } from './redact-types';
export type { RedactableLogRecord, RedactionKind, Redactor, RedactorOptions } from './redact-types';

/** Fields of a log record that the logging package always sets itself; the redactor leaves them alone. */
const LOG_FIELDS_KEPT = new Set(['level', 'timestamp', 'service', 'environment', 'tenant_id']);
/**
 * Correlation fields the logging package sets only inside a valid span: kept when they are the hex
 * ids it writes, redacted like any field when a caller put something else there.
 */
const LOG_FIELDS_HEX = new Set(['trace_id', 'span_id', 'trace_flags']);
const HEX_ID = /^[0-9a-f]{2,32}$/;

interface Walk {
  readonly tenantId: string | undefined;
  readonly policy: CompiledPolicy;
  /** Values still allowed in this record. */
  budget: number;
  /** String characters still allowed in this record, so one call's output stays bounded. */
  chars: number;
  /** The objects enclosing the current value, to spot cycles. */
  readonly ancestors: object[];
  /** Copy within the limits without redacting: the plaintext of a value about to be encrypted. */
  readonly raw: boolean;
}

const CLIP_DELIMITERS = ',;"\'<>()[]{}&';

// Each alternative starts only where the previous character cannot continue the token, so every
// token is scanned once from its start and no input makes the scan quadratic.
const STRUCTURED =
  /:\/\/[^\s/?#@]{1,256}@|(?<![\w-])(?:eyJ[\w-]{8,}\.[\w-]{2,}\.[\w-]*|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|xox[baprs]-[A-Za-z0-9-]{10,}|A[KS]IA[0-9A-Z]{16}(?![A-Za-z0-9])|AIza[\w-]{35}|glpat-[\w-]{20,}|npm_[A-Za-z0-9]{36}|awk_[\w-]{20,})|(?<![A-Za-z0-9])(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \t]+/g;
// A secret-looking name at the end of a key, then `=` or `:` (with optional quotes), e.g. `api_key=`,
// `"password": "`, `Authorization: `.
const KEY_VALUE =
  /(pass(?:wd|word|phrase)|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|authorization|cookie|credentials?|signature|session[_.-]?id)(["']?)[ \t]{0,3}[:=][ \t]{0,3}(["']?)/gi;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// IPv6 candidates (validated with net.isIPv6, so `12:30:45` and MAC addresses stay) or dotted quads
// with octets up to 255, not preceded by a letter or dot (`v1.2.3.4` stays) nor followed by `.digit`.
const IP_ADDRESS = new RegExp(
  `(?<![\\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\\.\\d{1,3}){0,3}(?![\\w:]|\\.\\d)|(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?!\\w|\\.\\d)`,
  'g',
);
// Digit sequences that could hold a card: one run of 13+ digits, or a 4-digit group followed by
// groups of 3–6 joined by single spaces or dashes; not inside a longer word or number.
const CARD_CANDIDATE = /\b\d{4}(?:\d{9,}|(?:[ -]\d{3,6})+)\b/g;
/** Values after `token:` and the like that are not secrets (and already-masked values). */
const NOT_SECRET_VALUES = new Set([
  '',
  'null',
  'undefined',
  'none',
  'true',
  'false',
  'nil',
  'n/a',
  '***',
  '*****',
]);
const ALREADY_MASKED = /^\[(?:redacted|filtered|hidden|masked|removed|sensitive|secret)\]/i;
/** Names ending in a secret word that are not secrets (pagination cursors). */
const NOT_SECRET_NAME_ENDINGS = ['pagetoken', 'nexttoken', 'continuationtoken', 'cursortoken'];
const AUTH_SCHEMES = /^(?:Bearer|Basic|Digest|Token|Negotiate|ApiKey|AWS4-HMAC-SHA256)$/i;

/**
 * Rebuilds a string with ranges replaced, left to right, without copying anything when nothing was
 * replaced. Reused across scans (`reset`) so redacting a clean line allocates nothing here.
 */
class Splicer {
  private s = '';
  private out = '';
  /** End of the last replaced range: nothing before it may be replaced again. */
  last = 0;

  reset(s: string): this {
    this.s = s;
    this.out = '';
    this.last = 0;
    return this;
  }

  replace(start: number, end: number, mask: string): void {
    this.out += this.s.slice(this.last, start) + mask;
    this.last = end;
  }

  result(): string {
    return this.last === 0 ? this.s : this.out + this.s.slice(this.last);
  }
}

/** Creates a redactor. See `RedactorOptions` for the limits; nothing it returns ever throws. */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const maxDepth = positiveInteger('maxDepth', options.maxDepth, 8);
  const maxStringLength = positiveInteger('maxStringLength', options.maxStringLength, 65_536);
  const maxValues = positiveInteger('maxValues', options.maxValues, 10_000);
  if (options.policyFor !== undefined && typeof options.policyFor !== 'function') {
    throw new TypeError(
      'createRedactor policyFor must be a function (tenantId) => RedactionPolicy | undefined',
    );
  }
  const { policyFor, cipher } = options;
  const globalDeny = nameSet(
    [
      ...(options.defaultDenyAttributes === false ? [] : DEFAULT_DENY_ATTRIBUTES),
      ...(options.denyAttributes ?? []),
    ],
    'denyAttributes',
  );
  /** Keys as written out, once checked for findings (keys get the always-on string rules). */
  const keyCache = new Map<string, string>();
  const counts: RedactionCounts = {
    email: 0,
    bearer: 0,
    api_key: 0,
    jwt: 0,
    card: 0,
    ip: 0,
    secret: 0,
    denied: 0,
    encrypted: 0,
    sensitive: 0,
    truncated: 0,
    circular: 0,
    depth: 0,
    binary: 0,
    unreadable: 0,
    limit: 0,
    failed: 0,
  };
  const policyOf = createPolicyLookup(policyFor);

  // ---- strings -------------------------------------------------------------------------------

  // One per redactor: the scans run one at a time and never nest, so they can share it.
  const splicer = new Splicer();

  const text = (value: string, maskIps: boolean): string => {
    let s = value;
    let clipped = false;
    if (s.length > maxStringLength) {
      s = clipAtBoundary(s, maxStringLength);
      clipped = true;
      counts.truncated++;
    }
    if (s.length >= 6) {
      // Named secrets first, so `Authorization: Bearer …` is masked whole, scheme included.
      s = keyValues(s);
      s = structured(s);
      if (s.indexOf('@') !== -1) s = emails(s);
      if (s.length >= 13) s = cards(s);
    }
    if (maskIps && s.length >= 2) s = ips(s);
    return clipped ? s + REDACTION_MASKS.truncated : s;
  };

  const structured = (s: string): string => {
    const re = STRUCTURED;
    re.lastIndex = 0;
    const edit = splicer.reset(s);
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const found = m[0];
      const start = m.index;
      const c0 = found.charCodeAt(0);
      if (c0 === 58 /* : */) {
        edit.replace(start, re.lastIndex, '://' + REDACTION_MASKS.secret + '@');
        counts.secret++;
      } else if (c0 === 101 /* e */ && found.startsWith('eyJ')) {
        edit.replace(start, re.lastIndex, REDACTION_MASKS.jwt);
        counts.jwt++;
      } else if (c0 === 66 || c0 === 98 /* B b */) {
        // `Bearer`/`Basic` and whitespace matched; the credential is the token after it, if it looks like one.
        const tokenStart = re.lastIndex;
        const tokenEnd = credentialEnd(s, tokenStart);
        if (!looksLikeCredential(s, tokenStart, tokenEnd)) continue;
        edit.replace(tokenStart, tokenEnd, REDACTION_MASKS.bearer);
        counts.bearer++;
        re.lastIndex = tokenEnd;
      } else {
        edit.replace(start, re.lastIndex, REDACTION_MASKS.api_key);
        counts.api_key++;
      }
    }
    return edit.result();
  };

  const keyValues = (s: string): string => {
    const re = KEY_VALUE;
    re.lastIndex = 0;
    const edit = splicer.reset(s);
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const word = (m[1] ?? '').toLowerCase();
      if (endsWithNotSecretName(s, m.index + word.length)) continue;
      const valueStart = re.lastIndex;
      // Already masked, by us or by the application.
      if (ALREADY_MASKED.test(s.slice(valueStart, valueStart + 16))) continue;
      const valueEnd = secretValueEnd(s, valueStart, m[3] ?? '', word);
      if (valueEnd <= valueStart || isHarmlessValue(s.slice(valueStart, valueEnd))) continue;
      edit.replace(valueStart, valueEnd, REDACTION_MASKS.secret);
      counts.secret++;
      re.lastIndex = valueEnd;
    }
    return edit.result();
  };

  const emails = (s: string): string => {
    const edit = splicer.reset(s);
    let at = s.indexOf('@');
    while (at !== -1) {
      let a = at;
      while (a > edit.last && isLocalPartChar(s.charCodeAt(a - 1))) a--;
      while (a < at && s.charCodeAt(a) === 46 /* . */) a++;
      const b = emailDomainEnd(s, at + 1);
      if (a < at && b > at + 1) {
        edit.replace(a, b, REDACTION_MASKS.email);
        counts.email++;
        at = s.indexOf('@', b);
      } else at = s.indexOf('@', at + 1);
    }
    return edit.result();
  };

  const cards = (s: string): string => {
    const re = CARD_CANDIDATE;
    re.lastIndex = 0;
    const edit = splicer.reset(s);
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const start = m.index;
      const end = re.lastIndex;
      // Fewer than 13 characters cannot hold 13 digits (`2024-118842`).
      if (end - start < 13) continue;
      // `1.4111…` and `4111….5` are decimals, not cards.
      if (start >= 2 && isDecimalPoint(s.charCodeAt(start - 1)) && isDigit(s.charCodeAt(start - 2))) continue;
      if (end + 1 < s.length && isDecimalPoint(s.charCodeAt(end)) && isDigit(s.charCodeAt(end + 1))) continue;
      const runs = digitRuns(s, start, end);
      const groups = runs.length / 2;
      for (let g = 0; g < groups;) {
        const matchEnd = cardAt(s, runs, g, groups);
        if (matchEnd === -1) {
          g++;
          continue;
        }
        edit.replace(runs[2 * g]!, runs[2 * matchEnd + 1]!, REDACTION_MASKS.card);
        counts.card++;
        g = matchEnd + 1;
      }
    }
    return edit.result();
  };

  const ips = (s: string): string => {
    const re = IP_ADDRESS;
    re.lastIndex = 0;
    const edit = splicer.reset(s);
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const found = m[0];
      if (found.length === 0) {
        re.lastIndex++;
        continue;
      }
      if (found.includes(':') && !(isIPv6(found) && /[0-9A-Fa-f]/.test(found))) continue;
      edit.replace(m.index, re.lastIndex, REDACTION_MASKS.ip);
      counts.ip++;
    }
    return edit.result();
  };

  // ---- names ---------------------------------------------------------------------------------

  const outputKey = (key: string): string => {
    const cached = keyCache.get(key);
    if (cached !== undefined) return cached;
    const result = text(key, false);
    if (keyCache.size >= NAME_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, result);
    return result;
  };

  // ---- values --------------------------------------------------------------------------------

  const sensitiveValue = (value: unknown, w: Walk): unknown => {
    if (value === undefined || value === null || isEncryptedValue(value)) return value;
    const tenantId = w.tenantId;
    if (cipher !== undefined && tenantId !== undefined) {
      try {
        if (cipher.canEncrypt(tenantId)) {
          // Non-strings are encrypted as JSON of a bounded copy (no cycles, limits applied).
          const snapshot: Walk = {
            tenantId,
            policy: NO_POLICY,
            budget: maxValues,
            chars: maxStringLength,
            ancestors: [],
            raw: true,
          };
          let plain = typeof value === 'string' ? value : jsonOf(walk(value, 0, snapshot));
          if (plain !== undefined) {
            if (plain.length > maxStringLength) plain = plain.slice(0, maxStringLength);
            const sealed = cipher.encrypt(tenantId, plain);
            counts.encrypted++;
            return sealed;
          }
        }
      } catch {
        // A failing cipher must not let the value through: fall back to the mask.
      }
    }
    counts.sensitive++;
    return REDACTION_MASKS.sensitive;
  };

  /** The value for an entry named `key`: masked, encrypted, or scanned. */
  const entry = (key: string, value: unknown, depth: number, w: Walk): unknown => {
    if (w.raw) return walk(value, depth, w);
    const p = w.policy;
    if (p.failClosed) {
      if (value === null || value === undefined || typeof value === 'boolean') return value;
      counts.failed++;
      return REDACTION_MASKS.denied;
    }
    if (matches(globalDeny, key) || (p.deny !== undefined && matches(p.deny, key))) {
      if (value === null || value === undefined || value === '') return value;
      counts.denied++;
      return REDACTION_MASKS.denied;
    }
    if (p.sensitive !== undefined && matches(p.sensitive, key)) return sensitiveValue(value, w);
    return walk(value, depth, w);
  };

  const walk = (value: unknown, depth: number, w: Walk): unknown => {
    switch (typeof value) {
      case 'string':
        if (w.chars <= 0) {
          counts.limit++;
          return REDACTION_MASKS.limit;
        }
        w.chars -= value.length;
        if (w.raw) return value.length > maxStringLength ? value.slice(0, maxStringLength) : value;
        return text(value, w.policy.maskIps);
      case 'number':
        if (w.raw) return value;
        if (value >= 1e12 && Number.isSafeInteger(value) && isPlausibleCardNumber(String(value))) {
          counts.card++;
          return REDACTION_MASKS.card;
        }
        return value;
      case 'bigint':
        if (w.raw) return value;
        if (value >= 1_000_000_000_000n && isPlausibleCardNumber(value.toString())) {
          counts.card++;
          return REDACTION_MASKS.card;
        }
        return value;
      case 'object':
        if (value === null) return null;
        return object(value, depth, w);
      case 'function':
      case 'symbol':
        // JSON drops them anyway, except a function named toJSON, which it would call.
        return undefined;
      default:
        return value;
    }
  };

  const object = (value: object, depth: number, w: Walk): unknown => {
    if (depth >= maxDepth) {
      counts.depth++;
      return REDACTION_MASKS.depth;
    }
    if (w.ancestors.includes(value)) {
      counts.circular++;
      return REDACTION_MASKS.circular;
    }
    w.ancestors.push(value);
    try {
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        counts.binary++;
        return `[binary ${value.byteLength} bytes]`;
      }
      if (value instanceof Date) return value;
      if (Array.isArray(value)) return array(value, depth, w);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        // What JSON.stringify would write is what must be redacted.
        const replaced: unknown = toJSON.call(value, '');
        if (replaced !== value) return walk(replaced, depth + 1, w);
      }
      return record(value as Record<string, unknown>, depth, w);
    } catch {
      // Proxies whose traps throw, toJSON that throws: nothing readable to write.
      counts.unreadable++;
      return REDACTION_MASKS.unreadable;
    } finally {
      w.ancestors.pop();
    }
  };

  const array = (value: readonly unknown[], depth: number, w: Walk): unknown[] => {
    const n = value.length;
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (w.budget-- <= 0) {
        counts.limit++;
        out.push(REDACTION_MASKS.limit);
        break;
      }
      let item: unknown;
      try {
        item = value[i];
      } catch {
        counts.unreadable++;
        out.push(REDACTION_MASKS.unreadable);
        continue;
      }
      out.push(walk(item, depth + 1, w));
    }
    return out;
  };

  const record = (
    value: Readonly<Record<string, unknown>>,
    depth: number,
    w: Walk,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (w.budget-- <= 0) {
        counts.limit++;
        setOwn(out, uniqueKey(out, '…'), REDACTION_MASKS.limit);
        break;
      }
      let item: unknown;
      try {
        item = value[key];
      } catch {
        counts.unreadable++;
        setOwn(out, w.raw ? key : uniqueKey(out, outputKey(key)), REDACTION_MASKS.unreadable);
        continue;
      }
      const redacted = entry(key, item, depth + 1, w);
      const name = w.raw ? key : outputKey(key);
      setOwn(out, name === key ? key : uniqueKey(out, name), redacted);
    }
    return out;
  };

  const newWalk = (tenantId: string | undefined): Walk => ({
    tenantId,
    policy: policyOf(tenantId),
    budget: maxValues,
    chars: maxStringLength * 4,
    ancestors: [],
    raw: false,
  });

  const tenantArg = (tenantId: unknown): string | undefined =>
    typeof tenantId === 'string' ? tenantId : undefined;

  return {
    redactString(value, tenantId) {
      try {
        if (typeof value !== 'string') return text(String(value), true);
        return text(value, policyOf(tenantArg(tenantId)).maskIps);
      } catch {
        counts.failed++;
        return REDACTION_MASKS.denied;
      }
    },

    redactAttributes(attributes, tenantId) {
      try {
        if (typeof attributes !== 'object' || attributes === null) return {};
        const w = newWalk(tenantArg(tenantId));
        w.ancestors.push(attributes);
        return record(attributes, 0, w);
      } catch {
        counts.failed++;
        return {};
      }
    },

    redactValue(value, tenantId) {
      try {
        return walk(value, 0, newWalk(tenantArg(tenantId)));
      } catch {
        counts.failed++;
        return REDACTION_MASKS.denied;
      }
    },

    logHook(logRecord) {
      try {
        const tenant = logRecord.tenant_id;
        const w = newWalk(typeof tenant === 'string' ? tenant : undefined);
        if (w.policy.failClosed) {
          counts.failed++;
          return false;
        }
        w.ancestors.push(logRecord);
        const target = logRecord as Record<string, unknown>;
        for (const key of Object.keys(target)) {
          if (LOG_FIELDS_KEPT.has(key)) continue;
          const value = target[key];
          if (LOG_FIELDS_HEX.has(key) && typeof value === 'string' && HEX_ID.test(value)) continue;
          const redacted = key === 'message' ? walk(value, 1, w) : entry(key, value, 1, w);
          const name = outputKey(key);
          if (name !== key) {
            delete target[key];
            setOwn(target, uniqueKey(target, name), redacted);
          } else if (redacted !== value) setOwn(target, key, redacted);
        }
        return logRecord;
      } catch {
        // Writing the record could leak what redaction was meant to remove.
        counts.failed++;
        return false;
      }
    },

    stats() {
      return { ...counts };
    },
  };
}

// ---- helpers -------------------------------------------------------------------------------------

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`createRedactor ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** `target[key] = value` as an own data property, even for a key named `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/** Two keys that redact to the same text must not overwrite each other. */
function uniqueKey(target: Record<string, unknown>, key: string): string {
  if (!Object.prototype.hasOwnProperty.call(target, key)) return key;
  for (let i = 2; ; i++) {
    const candidate = `${key}#${i}`;
    if (!Object.prototype.hasOwnProperty.call(target, candidate)) return candidate;
  }
}

/**
 * Cuts `s` to at most `limit` characters where no secret can straddle the cut: at the last whitespace
 * not between two digits (a spaced card number is kept or dropped whole), else at the last delimiter,
 * looking back at most 512 characters; a single longer token is cut hard.
 */
function clipAtBoundary(s: string, limit: number): string {
  const floor = Math.max(1, limit - 512);
  for (let i = limit; i >= floor; i--) {
    const c = s.charCodeAt(i);
    if (
      (c === 32 || c === 9 || c === 10 || c === 13) &&
      !(isDigit(s.charCodeAt(i - 1)) && isDigit(s.charCodeAt(i + 1)))
    ) {
      return s.slice(0, i);
    }
  }
  for (let i = limit; i >= floor; i--) {
    if (CLIP_DELIMITERS.includes(s[i]!)) return s.slice(0, i);
  }
  return s.slice(0, limit);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isDecimalPoint(c: number): boolean {
  return c === 46 || c === 44;
}

/** [start, end) of each digit run in `s[from, to)` (runs separated by one space or dash), flattened. */
function digitRuns(s: string, from: number, to: number): number[] {
  const runs: number[] = [from];
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 45) runs.push(i, i + 1);
  }
  runs.push(to);
  return runs;
}

/**
 * The group index the card starting at group `g` ends at, or -1. A card is one run of 13–19 digits,
 * or groups of 3–6 digits (the first of 4, as cards are printed: 4-4-4-4, 4-6-5, 4-4-4-4-3) adding
 * up to 13–19; the longest plausible one wins.
 */
function cardAt(s: string, runs: readonly number[], g: number, groups: number): number {
  const start = runs[2 * g]!;
  const firstLength = runs[2 * g + 1]! - start;
  if (firstLength >= 13 && firstLength <= 19) {
    return isPlausibleCardNumber(s.slice(start, start + firstLength)) ? g : -1;
  }
  if (firstLength !== 4) return -1;
  let digits = s.slice(start, start + 4);
  let best = -1;
  for (let k = g + 1; k < groups; k++) {
    const length = runs[2 * k + 1]! - runs[2 * k]!;
    if (length < 3 || length > 6) break;
    digits += s.slice(runs[2 * k], runs[2 * k + 1]);
    if (digits.length > 19) break;
    if (digits.length >= 13 && isPlausibleCardNumber(digits)) best = k;
  }
  return best;
}

function isLocalPartChar(c: number): boolean {
  // RFC-practical: letters, digits and . _ % + -
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

/** End of the domain of an address whose `@` is just before `start`, or `start` if it is not one. */
function emailDomainEnd(s: string, start: number): number {
  const n = s.length;
  let i = start;
  let lastDot = -1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 46) lastDot = i;
    else if (!isAlnum(c) && c !== 45) break;
    i++;
  }
  // Trailing dots and dashes end the sentence, not the domain.
  while (i > start && (s.charCodeAt(i - 1) === 46 || s.charCodeAt(i - 1) === 45)) i--;
  if (lastDot >= i - 1) lastDot = s.lastIndexOf('.', i - 1);
  if (lastDot <= start || !isAlnum(s.charCodeAt(start)) || i - lastDot - 1 < 2) return start;
  // The top-level domain is letters only (`lodash@4.17.21` is a package, not an address).
  for (let k = lastDot + 1; k < i; k++) {
    const c = s.charCodeAt(k) | 32;
    if (c < 97 || c > 122) return start;
  }
  // `icon@2x.png`: an image density suffix, not an address.
  let k = start;
  while (k < i && isDigit(s.charCodeAt(k))) k++;
  if (k > start && s.charCodeAt(k) === 120 /* x */ && s.charCodeAt(k + 1) === 46) return start;
  return i;
}

/** End of the credential after `Bearer ` / `Basic ` (token68 characters and `=` padding). */
function credentialEnd(s: string, start: number): number {
  const n = s.length;
  let i = start;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isAlnum(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 43 || c === 47) i++;
    else break;
  }
  while (i < n && s.charCodeAt(i) === 61 /* = */) i++;
  return i;
}

/**
 * Whether the word after `Bearer`/`Basic` is a credential rather than prose ("bearer of news"):
 * at least 8 characters with a digit, or with both upper- and lowercase letters.
 */
function looksLikeCredential(s: string, start: number, end: number): boolean {
  if (end - start < 8) return false;
  let digit = false;
  let upper = false;
  let lower = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
  }
  return digit || (upper && lower);
}

/** True when the name ending at `end` is a pagination cursor (`nextPageToken`), not a secret. */
function endsWithNotSecretName(s: string, end: number): boolean {
  let start = end;
  while (start > 0 && start > end - 64) {
    const c = s.charCodeAt(start - 1);
    if (isAlnum(c) || c === 95 || c === 45 || c === 46) start--;
    else break;
  }
  const name = normaliseName(s.slice(start, end));
  return NOT_SECRET_NAME_ENDINGS.some((ending) => name.endsWith(ending));
}

/**
 * End of the value after `name=` / `name: `: up to the closing quote when quoted; for cookies the
 * rest of the line (every cookie in it); for `Authorization` the scheme word and its credential;
 * otherwise up to whitespace or a delimiter (`&`, `,`, `;`, quotes, brackets).
 */
function secretValueEnd(s: string, start: number, quote: string, word: string): number {
  const n = s.length;
  if (quote !== '') {
    const q = quote.charCodeAt(0);
    const eol = lineEnd(s, start);
    for (let i = start; i < eol; i++) {
      const c = s.charCodeAt(i);
      if (c === 92 /* backslash */) i++;
      else if (c === q) return i;
    }
    return eol;
  }
  if (word.endsWith('cookie')) return lineEnd(s, start);
  if (s.charCodeAt(start) === 91 /* [ */) {
    const close = s.indexOf(']', start);
    const eol = lineEnd(s, start);
    return close === -1 || close > eol ? eol : close + 1;
  }
  let i = plainValueEnd(s, start);
  if (word === 'authorization' && AUTH_SCHEMES.test(s.slice(start, i))) {
    let j = i;
    while (j < n && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++;
    if (j > i) i = plainValueEnd(s, j);
  }
  return i;
}

function plainValueEnd(s: string, start: number): number {
  const n = s.length;
  let i = start;
  while (i < n) {
    const c = s.charCodeAt(i);
    // whitespace " ' & , ; < > ) ] }
    if (
      c <= 32 ||
      c === 34 ||
      c === 39 ||
      c === 38 ||
      c === 44 ||
      c === 59 ||
      c === 60 ||
      c === 62 ||
      c === 41 ||
      c === 93 ||
      c === 125
    )
      break;
    i++;
  }
  return i;
}

function lineEnd(s: string, start: number): number {
  const n = s.indexOf('\n', start);
  const end = n === -1 ? s.length : n;
  return end > start && s.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

function isHarmlessValue(value: string): boolean {
  return value.length <= 9 && NOT_SECRET_VALUES.has(value.toLowerCase());
}

/** JSON text of a non-string sensitive value, or undefined when it cannot be serialised. */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return undefined;
  }
}
