// The metrics of the instrumentation, made once per metrics handle (a registry refuses a second
// metric of the same name, and two loaders may share one handle), and fed to the SLO evaluator
// when one is given, so Prometheus and the in-process evaluator count the same loads and executions.
import { PLUGIN_LOAD_LATENCY_SLO, bucketsFor, sloHistogram } from '@autoweave/sli-slo';
import type { LabelValues, MetricsHandle } from '@autoweave/metrics';
import type { SloDefinition } from '@autoweave/sli-slo';
import type { InstrumentPluginLoaderOptions, PluginFailureReason } from './types';

/** The metric names this package emits (the load histogram is the `plugin-load-latency` SLO's). */
export const PLUGIN_METRICS = Object.freeze({
  loadDuration: 'autoweave_plugin_load_duration_seconds',
  executionDuration: 'autoweave_plugin_execution_duration_seconds',
  failures: 'autoweave_plugin_failures_total',
  telemetryErrors: 'autoweave_plugin_telemetry_errors_total',
  /** Owned by @autoweave/metrics; executions are counted there as `operation="plugin.execute"`. */
  businessOperations: 'autoweave_business_operations_total',
});

/** Every `reason` label value; anything else a foreign loader throws is counted as `error`. */
export const FAILURE_REASONS: readonly PluginFailureReason[] = Object.freeze([
  'error',
  'timeout',
  'aborted',
  'invalid-manifest',
  'not-found',
  'not-loaded',
  'closed',
]);

export type Phase = 'load' | 'execute';
export type Outcome = 'success' | 'failure';
type Evaluator = NonNullable<InstrumentPluginLoaderOptions['sloEvaluator']>;

/** Where one load or execution is recorded; every method is safe to call (the caller catches). */
export interface Instruments {
  readonly evaluator: Evaluator | undefined;
  observe(phase: Phase, plugin: string, outcome: Outcome, seconds: number): void;
  failure(phase: Phase, plugin: string, reason: PluginFailureReason): void;
  /** One execution as a business operation; `success` undefined for a caller's cancellation. */
  operation(name: string, tenant: string | undefined, success: boolean | undefined, seconds: number): void;
  telemetryError(): void;
}

const byMetrics = new WeakMap<MetricsHandle, Instruments>();

/** The ratio SLOs on `autoweave_business_operations_total` whose total side counts `operation`. */
function operationSlos(evaluator: Evaluator | undefined, operation: string): SloDefinition[] {
  return (evaluator?.slos ?? []).filter((slo) => {
    const sli = slo.sli;
    if (sli.kind !== 'ratio' || sli.total.metric !== PLUGIN_METRICS.businessOperations) return false;
    const wanted = sli.total.matchers?.operation;
    return wanted === undefined || wanted === operation;
  });
}

const tenantMatches = (slo: SloDefinition, tenant: string): boolean => {
  const sli = slo.sli;
  if (sli.kind !== 'ratio') return false;
  const matchers = sli.total.matchers ?? {};
  // our events carry only `operation` (checked already) and `tenant_id`; any other matcher selects other series
  return Object.entries(matchers).every(
    ([name, value]) => name === 'operation' || (name === 'tenant_id' && value === tenant),
  );
};

/**
 * The instruments of `options.metrics` (made on first use) feeding `options.sloEvaluator`. Without a
 * metrics handle, only the evaluator is fed.
 */
export function instrumentsFor(options: InstrumentPluginLoaderOptions): Instruments {
  const { metrics, sloEvaluator: evaluator } = options;
  const existing = metrics === undefined ? undefined : byMetrics.get(metrics);
  if (existing !== undefined) {
    if (existing.evaluator !== evaluator) {
      throw new TypeError(
        'instrumentPluginLoader: options.metrics already carries the plugin metrics fed to another sloEvaluator; pass the same sloEvaluator (or none) for every loader sharing a metrics handle',
      );
    }
    return existing;
  }
  const cap = options.maxPluginLabels ?? 50;
  const plugin = { cap };
  const outcome = { allow: ['success', 'failure'], allowOnly: true, overflowValue: 'failure' };
  const loadSlo = evaluator?.slos.find(
    (s) => s.sli.kind === 'latency' && s.sli.histogram === PLUGIN_METRICS.loadDuration,
  );
  const slosByOperation = new Map<string, SloDefinition[]>();
  const loadHelp =
    'Time to load a plugin (read and check its manifest, import its module), by plugin and outcome.';
  type L = 'plugin' | 'outcome';

  let observeLoad: (labels: LabelValues<L>, seconds: number) => void = () => undefined;
  let observeExecution: (labels: LabelValues<L>, seconds: number) => void = () => undefined;
  let countFailure: (labels: LabelValues<'plugin' | 'phase' | 'reason'>) => void = () => undefined;
  let telemetryError = (): void => undefined;
  if (metrics !== undefined) {
    const labelBounds = { plugin, outcome };
    const loadHistogram =
      evaluator !== undefined && loadSlo !== undefined
        ? sloHistogram(metrics, evaluator, loadSlo, {
            help: loadHelp,
            labelNames: ['plugin', 'outcome'],
            labelBounds,
          })
        : metrics.histogram({
            name: PLUGIN_METRICS.loadDuration,
            help: loadHelp,
            labelNames: ['plugin', 'outcome'],
            labelBounds,
            buckets: bucketsFor(PLUGIN_LOAD_LATENCY_SLO),
          });
    const executionHistogram = metrics.histogram({
      name: PLUGIN_METRICS.executionDuration,
      help: 'Time of one plugin execution, from the call to its settling, by plugin and outcome.',
      labelNames: ['plugin', 'outcome'],
      labelBounds,
    });
    const failures = metrics.counter({
      name: PLUGIN_METRICS.failures,
      help: 'Plugin loads and executions that failed, by plugin, phase and reason.',
      labelNames: ['plugin', 'phase', 'reason'],
      labelBounds: {
        plugin,
        phase: { allow: ['load', 'execute'], allowOnly: true },
        reason: { allow: FAILURE_REASONS, allowOnly: true, overflowValue: 'error' },
      },
    });
    const errors = metrics.counter({
      name: PLUGIN_METRICS.telemetryErrors,
      help: 'Failures inside the plugin instrumentation, caught so the loader and its callers never see them.',
    });
    errors.inc({}, 0); // exposed at 0 from the start, so rate() sees the first failure
    observeLoad = (labels, seconds) => loadHistogram.observe(labels, seconds);
    observeExecution = (labels, seconds) => executionHistogram.observe(labels, seconds);
    countFailure = (labels) => failures.inc(labels);
    telemetryError = () => errors.inc({});
  } else if (evaluator !== undefined && loadSlo !== undefined) {
    observeLoad = (labels, seconds) => evaluator.recordLatency(loadSlo.id, seconds, labels);
  }

  const instruments: Instruments = {
    evaluator,
    observe(phase, name, result, seconds) {
      (phase === 'load' ? observeLoad : observeExecution)({ plugin: name, outcome: result }, seconds);
    },
    failure(phase, name, reason) {
      countFailure({ plugin: name, phase, reason });
    },
    operation(operation, tenant, success, seconds) {
      // one object shape per outcome (no spread): this runs on every execution
      const durationMs = seconds * 1000;
      metrics?.recordBusinessOperation(
        operation,
        tenant,
        success === undefined ? { durationMs } : { success, durationMs },
      );
      if (success === undefined || evaluator === undefined) return;
      let slos = slosByOperation.get(operation);
      if (slos === undefined) {
        slos = operationSlos(evaluator, operation);
        if (slosByOperation.size < 100) slosByOperation.set(operation, slos);
      }
      for (const slo of slos) {
        if (tenantMatches(slo, tenant ?? '')) {
          evaluator.record(slo.id, success, { operation, tenant_id: tenant ?? '' });
        }
      }
    },
    telemetryError: () => telemetryError(),
  };
  if (metrics !== undefined) byMetrics.set(metrics, instruments);
  return instruments;
}
