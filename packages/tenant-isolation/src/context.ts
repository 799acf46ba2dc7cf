// The current tenant, carried in AsyncLocalStorage (always) and in OpenTelemetry W3C baggage
// (whenever an OpenTelemetry context manager is registered), so it crosses process boundaries
// together with the trace context.
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, propagation, type Context } from '@opentelemetry/api';
import { isValidTenantId, validateTenantId } from './tenant-id';
import type { TenantInfo } from './types';

/** The W3C baggage key and span attribute that carry the tenant. */
export const TENANT_BAGGAGE_KEY = 'tenant.id';
/** The span/log attribute name for the tenant (OpenTelemetry side). */
export const TENANT_ATTRIBUTE = 'tenant.id';
/** The Prometheus and Loki label name for the tenant. */
export const TENANT_LABEL = 'tenant_id';
/**
 * The `tenant_id` label value of telemetry recorded outside any tenant (background work, startup).
 * `__` names are no valid tenant id, so no tenant can claim it.
 */
export const NO_TENANT_LABEL_VALUE = '__none__';

const storage = new AsyncLocalStorage<string>();

/** Runs `fn` with `tenantId` as the current tenant; throws `InvalidTenantIdError` before running anything if it is invalid. */
export function runWithTenant<T>(tenantId: string, fn: () => T): T {
  const id = validateTenantId(tenantId);
  return storage.run(id, () => context.with(withTenantBaggage(context.active(), id), fn));
}

/** The current tenant id, or undefined outside any tenant. Never throws: an invalid baggage value is ignored. */
export function currentTenant(): string | undefined {
  return currentTenantInfo()?.id;
}

/** The current tenant and where it came from; `baggage` means a propagated context from another process. */
export function currentTenantInfo(): TenantInfo | undefined {
  const local = storage.getStore();
  if (local !== undefined) return { id: local, source: 'context' };
  const fromBaggage = tenantFromContext(context.active());
  return fromBaggage === undefined ? undefined : { id: fromBaggage, source: 'baggage' };
}

/** The tenant in an OpenTelemetry context's baggage (e.g. one returned by `propagation.extract`), if valid. */
export function tenantFromContext(ctx: Context): string | undefined {
  const value = propagation.getBaggage(ctx)?.getEntry(TENANT_BAGGAGE_KEY)?.value;
  return isValidTenantId(value) ? value : undefined;
}

/** A copy of `ctx` whose baggage carries `tenantId` (other baggage entries are kept). */
export function withTenantBaggage(ctx: Context, tenantId: string): Context {
  const id = validateTenantId(tenantId);
  const baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, baggage.setEntry(TENANT_BAGGAGE_KEY, { value: id }));
}

/**
 * Binds `fn` to the tenant current now, so a callback registered here (an event listener, a queue
 * handler) runs as this tenant wherever it is later called from.
 */
export function bindToTenant<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const tenant = currentTenant();
  const ctx = context.active();
  if (tenant === undefined) return (...args) => context.with(ctx, () => storage.exit(() => fn(...args)));
  return (...args) => storage.run(tenant, () => context.with(ctx, () => fn(...args)));
}
