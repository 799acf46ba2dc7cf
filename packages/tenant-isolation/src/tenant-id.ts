// Tenant id validation: one rule for every signal, label and header that carries a tenant.

/** Tenant ids: lowercase letters, digits and dashes, starting with a letter or digit, 1-63 chars. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Thrown for a tenant id that does not match {@link TENANT_ID_PATTERN}. */
export class InvalidTenantIdError extends Error {
  override readonly name = 'InvalidTenantIdError';
  constructor(
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`Invalid tenant id ${describe(value)}: ${reason}`);
  }
}

export function isValidTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID_PATTERN.test(value);
}

/** Returns the id unchanged when valid, otherwise throws an {@link InvalidTenantIdError} saying what to change. */
export function validateTenantId(value: unknown): string {
  if (isValidTenantId(value)) return value;
  throw new InvalidTenantIdError(value, explain(value));
}

function explain(value: unknown): string {
  if (typeof value !== 'string') return `expected a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return 'it is empty';
  if (value.length > 63) return `it is ${value.length} characters long; the maximum is 63`;
  if (/[A-Z]/.test(value)) return 'it contains uppercase letters; use lowercase';
  if (!/^[a-z0-9]/.test(value)) return 'it must start with a lowercase letter or digit';
  const bad = [...value].find((c) => !/[a-z0-9-]/.test(c)) ?? '';
  return `it contains ${JSON.stringify(bad)}; only a-z, 0-9 and "-" are allowed`;
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}
