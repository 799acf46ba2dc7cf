// Helpers shared by the registry test suites.
import { TenantConfigError } from '../registry';

/** The TenantConfigError `fn` throws; fails the test if it throws anything else or nothing. */
export function configError(fn: () => unknown): TenantConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TenantConfigError) return error;
    throw new Error(`expected a TenantConfigError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a TenantConfigError');
}
