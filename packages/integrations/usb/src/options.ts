// Option checks shared by the watcher and the instrumentation: each error names the field and says
// what to pass instead.

/** Thrown for a bad option of `createUsbWatcher` or `instrumentUsbWatcher`; `field` names it. */
export class UsbOptionsError extends Error {
  override readonly name = 'UsbOptionsError';
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined) {
    return String(v);
  }
  return typeof v;
};

/** A finite number ≥ `min`, or the default when undefined. */
export function numberOption(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new UsbOptionsError(field, `must be a finite number of milliseconds ≥ ${min}, got ${show(value)}`);
  }
  return value;
}

/** An object with the named methods, or undefined. */
export function objectOption<T>(
  field: string,
  value: unknown,
  methods: readonly string[],
  hint: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new UsbOptionsError(field, `must be ${hint}, got ${show(value)}`);
  }
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      throw new UsbOptionsError(field, `must have a method ${m}() (${hint})`);
    }
  }
  return value as T;
}

export function functionOption<T>(field: string, value: unknown, hint: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new UsbOptionsError(field, `must be ${hint}, got ${show(value)}`);
  return value as T;
}

export const errorMessage = (error: unknown): string => {
  // not `instanceof Error`: errors from a native binding or another realm (vm, jest) fail that test
  const message = (error as { message?: unknown } | null | undefined)?.message;
  if (typeof message === 'string') return message;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
};
