// Option checks of createBullMQTelemetry and instrumentQueues: each error names the function and
// the field and says what to pass instead.

/** Thrown for a bad option; `field` names it. */
export class BullMQOptionsError extends TypeError {
  override readonly name = 'BullMQOptionsError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return 'undefined';
};

const fail = (what: string, field: string, message: string): never => {
  throw new BullMQOptionsError(field, `${what}: ${field} ${message}`);
};

export function requireObject(what: string, field: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(what, field, `must be an object, got ${show(value)}`);
  }
}

/** Undefined, or an object with the named methods. */
export function optionalObject(
  what: string,
  field: string,
  value: unknown,
  methods: readonly string[],
): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null) {
    fail(
      what,
      field,
      `must be an object with ${methods.map((m) => `${m}()`).join(' and ')}, got ${show(value)}`,
    );
  }
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      fail(what, field, `must have a ${m}() method; got an object without it`);
    }
  }
}

export function optionalBoolean(what: string, field: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  return fail(what, field, `must be true or false, got ${show(value)}`);
}

/** Undefined, or one of `choices`. */
export function optionalChoice<T extends string>(
  what: string,
  field: string,
  value: unknown,
  choices: readonly T[],
): T | undefined {
  if (value === undefined || choices.includes(value as T)) return value as T | undefined;
  return fail(what, field, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${show(value)}`);
}

/** Undefined, or an integer ≥ `min`. */
export function optionalInteger(
  what: string,
  field: string,
  value: unknown,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(what, field, `must be an integer ≥ ${min}, got ${show(value)}`);
  }
  return value as number;
}

/** Undefined, or an array of strings (each one of `allowed` when given). */
export function optionalStrings<T extends string>(
  what: string,
  field: string,
  value: unknown,
  allowed?: readonly T[],
): readonly T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return fail(what, field, `must be an array of strings, got ${show(value)}`);
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') fail(what, field, `must contain only strings, got ${show(item)}`);
    if (allowed !== undefined && !allowed.includes(item as T)) {
      fail(what, field, `may contain only ${allowed.map((a) => `'${a}'`).join(', ')}; got ${show(item)}`);
    }
  }
  return value as T[];
}

/** Undefined, or an array of finite numbers > 0 in increasing order (histogram buckets, seconds). */
export function optionalBuckets(what: string, field: string, value: unknown): readonly number[] | undefined {
  if (value === undefined) return undefined;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (b, i) =>
        typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > (value[i - 1] as number)),
    );
  if (!ok)
    fail(
      what,
      field,
      `must be a non-empty array of finite seconds > 0 in increasing order, got ${show(value)}`,
    );
  return value as number[];
}

export const errorMessage = (error: unknown): string => {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
};
