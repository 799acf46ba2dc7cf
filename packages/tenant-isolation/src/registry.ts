// The tenant registry: who the tenants are, their API key hashes, limits and network policies,
// validated as a whole (every problem listed with its path) and changed only through audited calls.
// This module puts the pieces together; each concern lives in its own registry-*.ts module.
import { checkRegistryOptions, readTenantFile } from './registry-config';
import { Registry } from './registry-store';
import type { LoadTenantRegistryOptions, TenantRegistry, TenantRegistryOptions } from './registry-types';

export { DEFAULT_TENANT_LIMITS } from './registry-limits';
export { TenantConfigError } from './registry-problems';
export { parseTenantRegistryConfig, readTenantRegistryConfig } from './registry-config';
export type {
  AuthenticationFailure,
  AuthenticationResult,
  LoadTenantRegistryOptions,
  ResolvedTenant,
  TenantRegistry,
  TenantRegistryChange,
  TenantRegistryConfig,
  TenantRegistryOptions,
} from './registry-types';

/**
 * A registry from tenants given in code. Validates everything and throws one {@link TenantConfigError}
 * listing every problem (`tenants[1].allowedIps[0]: "10.0.0.0/33": prefix length must be 0-32 for IPv4`).
 */
export function createTenantRegistry(options: TenantRegistryOptions): TenantRegistry {
  const { plans, defaultPlan, tenants } = checkRegistryOptions(options);
  return new Registry(plans, defaultPlan, tenants, options);
}

/**
 * Reads a tenant file (`.yaml`, `.yml` or `.json`, shaped `{ plans, defaultPlan, tenants }`) and
 * builds a registry. Throws a {@link TenantConfigError} naming the file and every problem.
 */
export async function loadTenantRegistry(
  path: string,
  options: LoadTenantRegistryOptions = {},
): Promise<TenantRegistry> {
  const { plans, defaultPlan, tenants } = await readTenantFile(path);
  return new Registry(plans, defaultPlan, tenants, options);
}
