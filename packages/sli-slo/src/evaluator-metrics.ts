// Publishes the in-process evaluator's view (SLI, error ratio, burn rate, budget left, alert states)
// as OpenTelemetry observable instruments, read from a fresh snapshot at every collection (scrape).
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { SloEvaluator } from './evaluator-types';

/**
 * The OpenTelemetry instrument names registered by {@link publishSloMetrics}, and (in the comments)
 * the Prometheus names `@autoweave/metrics` exposes them under.
 */
export const SLO_METRICS = Object.freeze({
  /** `autoweave_slo_sli_ratio{slo_id,slo_service,slo_window,<groupBy>}`: good / total. */
  sli: 'autoweave.slo.sli',
  /** `autoweave_slo_error_ratio{slo_id,slo_service,slo_window,<groupBy>}`: bad / total. */
  errorRatio: 'autoweave.slo.error',
  /** `autoweave_slo_burn_rate{slo_id,slo_service,slo_window,<groupBy>}`: error ratio / (1 − objective). */
  burnRate: 'autoweave.slo.burn_rate',
  /** `autoweave_slo_window_events{slo_id,slo_service,slo_window,<groupBy>}`: events in the window. */
  windowEvents: 'autoweave.slo.window.events',
  /** `autoweave_slo_error_budget_remaining_ratio{slo_id,slo_service,<groupBy>}` over the SLO window. */
  errorBudgetRemaining: 'autoweave.slo.error_budget_remaining',
  /** `autoweave_slo_objective_ratio{slo_id,slo_service}`. */
  objective: 'autoweave.slo.objective',
  /** `autoweave_slo_alert_firing{slo_id,slo_service,slo_tier,severity,<groupBy>}`: 1 firing, 0 not. */
  alertFiring: 'autoweave.slo.alert.firing',
  /** `autoweave_slo_events_dropped_total{reason}`: unknown_slo, invalid_value, wrong_kind. */
  eventsDropped: 'autoweave.slo.events.dropped',
});

export interface SloMetricsOptions {
  /**
   * Windows to publish per-window series for (`['5m', '1h', '30d']`). Default: every window of
   * every SLO. Fewer windows mean fewer series (see the caveat on the SDK's cardinality limit).
   */
  readonly windows?: readonly string[];
}

export interface SloMetrics {
  /**
   * Unregisters the callback: the series stop changing. OpenTelemetry cannot remove instruments, so
   * they keep their last values in the exposition until the MeterProvider shuts down.
   */
  stop(): void;
}

/**
 * Registers observable gauges of the evaluator's snapshot on `meter` (for one `/metrics`, the meter
 * of `@autoweave/metrics`' `meterProvider`). Each collection takes one snapshot, which also
 * re-evaluates the alert states. In a window without events `sli` and `error` are NaN (as the
 * recording rules' ratio of rates is) and the burn rate is 0.
 */
export function publishSloMetrics(
  evaluator: Pick<SloEvaluator, 'snapshot'>,
  meter: Meter,
  options: SloMetricsOptions = {},
): SloMetrics {
  const only = options.windows === undefined ? undefined : new Set(options.windows);
  const sli = meter.createObservableGauge(SLO_METRICS.sli, {
    description: 'SLI per window: the share of good events, measured in process',
    unit: '1',
  });
  const errorRatio = meter.createObservableGauge(SLO_METRICS.errorRatio, {
    description: 'Share of bad events per window, measured in process',
    unit: '1',
  });
  const burnRate = meter.createObservableGauge(SLO_METRICS.burnRate, {
    description:
      'Error ratio per window divided by the error budget (1 - objective); 1 spends the budget exactly',
  });
  const windowEvents = meter.createObservableGauge(SLO_METRICS.windowEvents, {
    description: 'Events counted in the window (what the min-events guard compares)',
    unit: '{event}',
  });
  const remaining = meter.createObservableGauge(SLO_METRICS.errorBudgetRemaining, {
    description: 'Error budget left over the SLO window: 1 untouched, 0 spent, below 0 overspent',
    unit: '1',
  });
  const objective = meter.createObservableGauge(SLO_METRICS.objective, {
    description: 'The SLO objective (target share of good events)',
    unit: '1',
  });
  const firing = meter.createObservableGauge(SLO_METRICS.alertFiring, {
    description: '1 while the multi-window burn-rate alert tier fires in process, else 0',
  });
  const dropped = meter.createObservableCounter(SLO_METRICS.eventsDropped, {
    description: 'Events the SLO evaluator ignored: unknown SLO id, invalid value or wrong SLI kind',
    unit: '{event}',
  });

  const callback = (result: BatchObservableResult): void => {
    const snap = evaluator.snapshot();
    for (const slo of snap.slos) {
      const base: Attributes = { slo_id: slo.id, slo_service: slo.service };
      result.observe(objective, slo.objective, base);
      for (const group of slo.groups) {
        const attrs: Attributes = { ...base, ...group.labels };
        result.observe(remaining, group.errorBudgetRemaining, attrs);
        for (const w of group.windows) {
          if (only !== undefined && !only.has(w.window)) continue;
          const at: Attributes = { ...attrs, slo_window: w.window };
          // NaN, as the rules' rate ratio gives for a window without traffic: a skipped observation
          // would leave the SDK repeating the last value.
          result.observe(sli, w.sli ?? Number.NaN, at);
          result.observe(errorRatio, w.errorRatio ?? Number.NaN, at);
          result.observe(burnRate, w.burnRate, at);
          result.observe(windowEvents, w.total, at);
        }
        for (const a of group.alerts) {
          result.observe(firing, a.firing ? 1 : 0, { ...attrs, slo_tier: a.tier, severity: a.severity });
        }
      }
    }
    result.observe(dropped, snap.dropped.unknownSlo, { reason: 'unknown_slo' });
    result.observe(dropped, snap.dropped.invalidValue, { reason: 'invalid_value' });
    result.observe(dropped, snap.dropped.wrongKind, { reason: 'wrong_kind' });
  };
  const observables: Observable[] = [
    sli,
    errorRatio,
    burnRate,
    windowEvents,
    remaining,
    objective,
    firing,
    dropped,
  ];
  meter.addBatchObservableCallback(callback, observables);
  return {
    stop() {
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
