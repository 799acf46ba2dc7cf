// The live registry: serves tenants and authenticates keys, and applies changes (keys added or
// revoked, tenants added, updated or removed) only after validating them, auditing each one and
// telling listeners.
import type { ApiKeyRecord, AuditEventInput, AuditSink, TenantConfig, TenantLimits } from './policy-types';
import { authenticateKey, indexApiKeys } from './registry-keys';
import { TenantConfigError, describeList, isRecord } from './registry-problems';
import { changedFields, checkTenantAmong, presentFields } from './registry-tenant';
import type {
  AuthenticationResult,
  LoadTenantRegistryOptions,
  ResolvedTenant,
  TenantRegistry,
  TenantRegistryChange,
} from './registry-types';

export class Registry implements TenantRegistry {
  readonly #tenants = new Map<string, ResolvedTenant>();
  readonly #plans: ReadonlyMap<string, TenantLimits>;
  readonly #defaultPlan: string | undefined;
  readonly #audit: AuditSink | undefined;
  readonly #now: () => number;
  readonly #onListenerError: ((error: unknown) => void) | undefined;
  readonly #listeners = new Set<(change: TenantRegistryChange) => void>();
  #index = indexApiKeys([]);
  readonly plans: Readonly<Record<string, TenantLimits>>;

  constructor(
    plans: ReadonlyMap<string, TenantLimits>,
    defaultPlan: string | undefined,
    tenants: readonly ResolvedTenant[],
    options: LoadTenantRegistryOptions,
  ) {
    this.#plans = plans;
    this.#defaultPlan = defaultPlan;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    this.#onListenerError = options.onListenerError;
    this.plans = Object.freeze(Object.fromEntries(plans));
    for (const tenant of tenants) this.#tenants.set(tenant.id, tenant);
    this.#reindex();
  }

  get(id: string): ResolvedTenant | undefined {
    return typeof id === 'string' ? this.#tenants.get(id) : undefined;
  }

  has(id: string): boolean {
    return typeof id === 'string' && this.#tenants.has(id);
  }

  ids(): string[] {
    return [...this.#tenants.keys()];
  }

  get size(): number {
    return this.#tenants.size;
  }

  authenticate(key: unknown): AuthenticationResult {
    return authenticateKey(this.#index, this.#tenants, key, this.#now);
  }

  revokeKey(tenantId: string, keyId: string): boolean {
    const tenant = this.#require(tenantId, 'revokeKey');
    const keys = tenant.config.apiKeys ?? [];
    const record = keys.find((k) => k.id === keyId);
    if (record === undefined) {
      throw new TenantConfigError([
        `revokeKey: tenant ${JSON.stringify(tenantId)} has no key ${JSON.stringify(keyId)}; its keys are ${describeList(keys.map((k) => k.id))}`,
      ]);
    }
    if (record.revoked === true) return false;
    const apiKeys = keys.map((k) => (k.id === keyId ? { ...k, revoked: true } : k));
    const next = this.#rebuild({ ...tenant.config, apiKeys }, tenantId);
    this.#commit(next);
    this.#record(tenantId, { action: 'api_key.revoke', keyId });
    this.#emit({ type: 'api_key.revoked', tenantId, keyId, tenant: next });
    return true;
  }

  addApiKey(tenantId: string, record: ApiKeyRecord): ResolvedTenant {
    const tenant = this.#require(tenantId, 'addApiKey');
    const apiKeys = [...(tenant.config.apiKeys ?? []), record];
    const next = this.#rebuild({ ...tenant.config, apiKeys }, tenantId);
    this.#commit(next);
    const added = next.config.apiKeys?.[apiKeys.length - 1];
    const keyId = added?.id ?? '';
    this.#record(tenantId, {
      action: 'api_key.add',
      keyId,
      ...(added?.expiresAt === undefined ? {} : { expiresAt: added.expiresAt }),
    });
    this.#emit({ type: 'api_key.added', tenantId, keyId, tenant: next });
    return next;
  }

  upsertTenant(config: TenantConfig): ResolvedTenant {
    const id: unknown = isRecord(config) ? config.id : undefined;
    const previous = typeof id === 'string' ? this.#tenants.get(id) : undefined;
    const next = this.#rebuild(config, typeof id === 'string' ? id : undefined);
    this.#commit(next);
    if (previous === undefined) {
      this.#record(next.id, { action: 'tenant.add', fields: presentFields(next.config) });
      this.#emit({ type: 'tenant.added', tenantId: next.id, tenant: next });
    } else {
      const fields = changedFields(previous.config, next.config);
      this.#record(next.id, { action: 'tenant.update', fields });
      this.#emit({ type: 'tenant.updated', tenantId: next.id, tenant: next, previous, fields });
    }
    return next;
  }

  removeTenant(id: string): boolean {
    const previous = typeof id === 'string' ? this.#tenants.get(id) : undefined;
    if (previous === undefined) return false;
    this.#tenants.delete(id);
    this.#reindex();
    this.#record(id, { action: 'tenant.remove' });
    this.#emit({ type: 'tenant.removed', tenantId: id, previous });
    return true;
  }

  onChange(listener: (change: TenantRegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #require(tenantId: string, operation: string): ResolvedTenant {
    const tenant = typeof tenantId === 'string' ? this.#tenants.get(tenantId) : undefined;
    if (tenant === undefined) {
      throw new TenantConfigError([
        `${operation}: there is no tenant ${JSON.stringify(String(tenantId).slice(0, 80))}`,
      ]);
    }
    return tenant;
  }

  /** Validates `config` against the other tenants (all but `replacing`). Throws, leaving the registry as it was. */
  #rebuild(config: unknown, replacing: string | undefined): ResolvedTenant {
    return checkTenantAmong(config, this.#plans, this.#defaultPlan, this.#tenants.values(), replacing);
  }

  #commit(tenant: ResolvedTenant): void {
    this.#tenants.set(tenant.id, tenant);
    this.#reindex();
  }

  /** Changes are rare (config edits), so the key index is rebuilt whole rather than patched. */
  #reindex(): void {
    this.#index = indexApiKeys(this.#tenants.values());
  }

  #record(tenant: string, data: Record<string, unknown>): void {
    if (this.#audit === undefined) return;
    const event: AuditEventInput = { type: 'policy.change', tenant, data };
    try {
      this.#audit.record(event);
    } catch {
      // AuditSink.record must not throw; if one does anyway, the change has already been made.
    }
  }

  #emit(change: TenantRegistryChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        try {
          this.#onListenerError?.(error);
        } catch {
          // Nothing left to tell.
        }
      }
    }
  }
}
