// Exposes the tenant limiter's refusals as OpenTelemetry metrics, so what each tenant lost to its
// budgets (and whether pressure cut them) shows up next to the rest of the platform's metrics.
import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { OVERFLOW_LABEL_VALUE, createLabelGuard } from './label-guard';
import type { BudgetKind } from './policy-types';
import type { TenantLimiter } from './rate-limit';

/** The OpenTelemetry instrument names registered by {@link observeTenantBudgets}. */
export const TENANT_BUDGET_METRICS = Object.freeze({
  telemetryDropped: 'autoweave.tenant.telemetry.dropped',
  requestsRejected: 'autoweave.tenant.requests.rejected',
  pressure: 'autoweave.tenant.pressure',
});

export interface TenantBudgetMetricsOptions {
  /**
   * Distinct `tenant.id` values reported, first come first served; later tenants are summed under
   * `__overflow__`. Only tenants that lost something take a value. Default 100.
   */
  readonly maxTenantLabels?: number;
  /**
   * Gives a tenant its own label value only when true, e.g. `(id) => registry.has(id)`, so ids that
   * arrived in propagated baggage but are not registered cannot take label values. A throw counts as false.
   */
  readonly accept?: (tenantId: string) => boolean;
  /** The label value of tenants refused by `accept` or beyond the cap. Default `__overflow__`. */
  readonly overflowValue?: string;
}

export interface TenantBudgetMetrics {
  /** Unregisters the callback; the instruments stay (OpenTelemetry has no way to remove them). */
  stop(): void;
}

const SIGNALS: readonly Exclude<BudgetKind, 'requests'>[] = ['spans', 'logs', 'series'];

/**
 * Registers, on `meter`, observable counters of telemetry dropped (`tenant.id`, `signal`) and
 * requests refused (`tenant.id`) per tenant, and a 0/1 gauge of whether telemetry budgets are
 * reduced by pressure. Read at collection time from `limiter.stats()`; nothing is added to the
 * limiter's hot path.
 */
export function observeTenantBudgets(
  limiter: TenantLimiter,
  meter: Meter,
  options: TenantBudgetMetricsOptions = {},
): TenantBudgetMetrics {
  const cap = options.maxTenantLabels ?? 100;
  if (!Number.isInteger(cap) || cap < 0) {
    throw new RangeError(`observeTenantBudgets: maxTenantLabels must be an integer ≥ 0, got ${String(cap)}`);
  }
  const overflow = options.overflowValue ?? OVERFLOW_LABEL_VALUE;
  const labels = createLabelGuard({
    cap,
    overflowValue: overflow,
    ...(options.accept === undefined ? {} : { accept: options.accept }),
  });
  const dropped = meter.createObservableCounter(TENANT_BUDGET_METRICS.telemetryDropped, {
    description:
      'Telemetry units (spans, log lines, new series) dropped because the tenant was over its budget',
    unit: '{item}',
  });
  const rejected = meter.createObservableCounter(TENANT_BUDGET_METRICS.requestsRejected, {
    description: 'Requests refused with 429 because the tenant was over its request rate',
    unit: '{request}',
  });
  const pressure = meter.createObservableGauge(TENANT_BUDGET_METRICS.pressure, {
    description: '1 while telemetry budgets are reduced because the process is under pressure, else 0',
  });

  const callback = (result: BatchObservableResult): void => {
    const stats = limiter.stats();
    result.observe(pressure, stats.underPressure ? 1 : 0);
    // Several tenants can share one label (`__overflow__`), so sum before observing each label once.
    const sums = new Map<string, [requests: number, spans: number, logs: number, series: number]>();
    for (const tenant of stats.byTenant) {
      const r = tenant.rejected;
      if (r.requests + r.spans + r.logs + r.series === 0) continue;
      const label = tenant.tenant === OVERFLOW_LABEL_VALUE ? overflow : labels.bound(tenant.tenant);
      const sum = sums.get(label) ?? [0, 0, 0, 0];
      sum[0] += r.requests;
      sum[1] += r.spans;
      sum[2] += r.logs;
      sum[3] += r.series;
      sums.set(label, sum);
    }
    for (const [tenant, [requests, spans, logs, series]] of sums) {
      if (requests > 0) result.observe(rejected, requests, { 'tenant.id': tenant });
      const bySignal = { spans, logs, series };
      for (const signal of SIGNALS) {
        if (bySignal[signal] > 0) result.observe(dropped, bySignal[signal], { 'tenant.id': tenant, signal });
      }
    }
  };
  const observables: Observable[] = [dropped, rejected, pressure];
  meter.addBatchObservableCallback(callback, observables);
  return {
    stop() {
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
