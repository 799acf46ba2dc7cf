// Attribute and value redaction: walks attribute maps, log metadata and nested values within the
// redactor's limits, masking denied names, encrypting sensitive ones and scanning every string.
import { isPlausibleCardNumber } from './luhn';
import { matches, NAME_CACHE_LIMIT, type NameSet } from './redact-names';
import { NO_POLICY, type CompiledPolicy } from './redact-policy';
import { REDACTION_MASKS, type RedactionCounts } from './redact-types';
import { isEncryptedValue, type TenantCipher } from './tenant-cipher';

export interface Walk {
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

/** What a walker needs from the redactor that owns it. */
export interface ValueWalkerOptions {
  readonly maxDepth: number;
  readonly maxStringLength: number;
  readonly maxValues: number;
  readonly cipher: Pick<TenantCipher, 'encrypt' | 'canEncrypt'> | undefined;
  /** The deny list for every tenant. */
  readonly globalDeny: NameSet;
  readonly counts: RedactionCounts;
  /** The redactor's string masking. */
  readonly text: (value: string, maskIps: boolean) => string;
  readonly policyOf: (tenantId: string | undefined) => CompiledPolicy;
}

export interface ValueWalker {
  /** A fresh walk for one record or map, with the tenant's policy and the full budgets. */
  readonly newWalk: (tenantId: string | undefined) => Walk;
  /** Any value, redacted (objects and arrays as copies). */
  readonly walk: (value: unknown, depth: number, w: Walk) => unknown;
  /** The value for an entry named `key`: masked, encrypted, or scanned. */
  readonly entry: (key: string, value: unknown, depth: number, w: Walk) => unknown;
  /** A redacted copy of an object's own enumerable entries. */
  readonly record: (
    value: Readonly<Record<string, unknown>>,
    depth: number,
    w: Walk,
  ) => Record<string, unknown>;
  /** A key as written out: scanned with the always-on string rules, cached. */
  readonly outputKey: (key: string) => string;
}

/** The value walk of one redactor; its functions share the redactor's counters and caches. */
export function createValueWalker(options: ValueWalkerOptions): ValueWalker {
  const { maxDepth, maxStringLength, maxValues, cipher, globalDeny, counts, text, policyOf } = options;
  /** Keys as written out, once checked for findings (keys get the always-on string rules). */
  const keyCache = new Map<string, string>();

  const outputKey = (key: string): string => {
    const cached = keyCache.get(key);
    if (cached !== undefined) return cached;
    const result = text(key, false);
    if (keyCache.size >= NAME_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, result);
    return result;
  };

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

  return { newWalk, walk, entry, record, outputKey };
}

/** `target[key] = value` as an own data property, even for a key named `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/** Two keys that redact to the same text must not overwrite each other. */
export function uniqueKey(target: Record<string, unknown>, key: string): string {
  if (!Object.prototype.hasOwnProperty.call(target, key)) return key;
  for (let i = 2; ; i++) {
    const candidate = `${key}#${i}`;
    if (!Object.prototype.hasOwnProperty.call(target, candidate)) return candidate;
  }
}

/** JSON text of a non-string sensitive value, or undefined when it cannot be serialised. */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return undefined;
  }
}
