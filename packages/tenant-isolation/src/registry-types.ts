// The registry's public types: the config it is built from, the tenants it serves, the result
// of authenticating a key and the changes it tells listeners about.
import type { ApiKeyRecord, AuditSink, TenantConfig, TenantLimits } from './policy-types';

/** The tenants, plans and default plan, as in a tenant file. */
export interface TenantRegistryConfig {
  readonly tenants: readonly TenantConfig[];
  /** Named limit sets. Fields a plan leaves out come from {@link DEFAULT_TENANT_LIMITS}. */
  readonly plans?: Readonly<Record<string, Partial<TenantLimits>>>;
  /** Plan for tenants that name none. Default: none (such tenants get {@link DEFAULT_TENANT_LIMITS}). */
  readonly defaultPlan?: string;
}

/** What a registry needs besides the tenants themselves. */
export interface LoadTenantRegistryOptions {
  /** Receives a `policy.change` event for every change made through the registry (never a key). */
  readonly audit?: AuditSink;
  /** Clock for key expiry, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Called when an `onChange` listener throws; the change stands and other listeners still run. Default: ignore. */
  readonly onListenerError?: (error: unknown) => void;
}

export interface TenantRegistryOptions extends TenantRegistryConfig, LoadTenantRegistryOptions {}

/** A tenant as the registry serves it: validated config, merged limits and compiled network policies. */
export interface ResolvedTenant {
  readonly id: string;
  /** Display name; the id when none is configured. */
  readonly name: string;
  readonly plan: string | undefined;
  /** Built-in defaults, then the plan, then the tenant's own overrides. */
  readonly limits: TenantLimits;
  /** The `X-Scope-OrgID` for Loki/Tempo/Mimir. */
  readonly orgId: string;
  /** The validated configuration (frozen; API key hashes in lowercase). */
  readonly config: TenantConfig;
  /** Canonical CIDRs requests may come from; undefined when any address may. */
  readonly allowedIps: readonly string[] | undefined;
  /** Canonical origin patterns; undefined when any origin may call, empty when none may. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** Whether a client at `ip` may use this tenant's keys. Never throws; false for garbage when restricted. */
  allowsIp(ip: unknown): boolean;
  /** Whether a request with this `Origin` header value may use this tenant's keys. Never throws. */
  allowsOrigin(origin: unknown): boolean;
}

/** Why a presented key was refused. */
export type AuthenticationFailure = 'unknown' | 'revoked' | 'expired';

export type AuthenticationResult =
  | { readonly ok: true; readonly tenant: ResolvedTenant; readonly keyId: string }
  | {
      readonly ok: false;
      readonly reason: AuthenticationFailure;
      /** For revoked and expired keys: whose key it was. */
      readonly tenantId?: string;
      readonly keyId?: string;
    };

/** What changed in the registry, as told to `onChange` listeners. */
export type TenantRegistryChange =
  | { readonly type: 'tenant.added'; readonly tenantId: string; readonly tenant: ResolvedTenant }
  | {
      readonly type: 'tenant.updated';
      readonly tenantId: string;
      readonly tenant: ResolvedTenant;
      readonly previous: ResolvedTenant;
      /** Top-level config fields whose value changed. */
      readonly fields: readonly string[];
    }
  | { readonly type: 'tenant.removed'; readonly tenantId: string; readonly previous: ResolvedTenant }
  | {
      readonly type: 'api_key.added' | 'api_key.revoked';
      readonly tenantId: string;
      readonly keyId: string;
      readonly tenant: ResolvedTenant;
    };

export interface TenantRegistry {
  get(id: string): ResolvedTenant | undefined;
  has(id: string): boolean;
  /** Tenant ids in configuration order (added tenants last). */
  ids(): string[];
  readonly size: number;
  /** The plans with defaults filled in. */
  readonly plans: Readonly<Record<string, TenantLimits>>;
  /** The tenant whose key this is, or why not. Never throws; constant-time comparison of full digests. */
  authenticate(key: unknown): AuthenticationResult;
  /** Revokes a key (the tenant's other keys keep working). Returns false if it was already revoked. */
  revokeKey(tenantId: string, keyId: string): boolean;
  /** Adds a key record (hash, never the key). Throws a TenantConfigError if it is invalid or already used. */
  addApiKey(tenantId: string, record: ApiKeyRecord): ResolvedTenant;
  /** Adds or replaces a tenant. Throws a TenantConfigError listing every problem; the registry is unchanged then. */
  upsertTenant(config: TenantConfig): ResolvedTenant;
  /** Removes a tenant and with it all its keys. Returns false if there was no such tenant. */
  removeTenant(id: string): boolean;
  /** Calls `listener` after each change; returns a function that unsubscribes. */
  onChange(listener: (change: TenantRegistryChange) => void): () => void;
}
