// The metrics handle: one prom-client registry plus an OpenTelemetry MeterProvider whose pull reader
// is collected on every scrape, merged into a single exposition without duplicate names.
import { diag, metrics as otelMetrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Counter, Gauge, Registry, collectDefaultMetrics, type RegistryContentType } from 'prom-client';
import { OVERFLOW_LABEL_VALUE, currentTenant } from '@autoweave/tenant-isolation';
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  fromOpenTelemetry,
  fromPromClient,
  renderOpenMetrics,
  renderPrometheus,
  reservedNames,
  type Family,
  type PromClientMetric,
} from './exposition';
import { createHandler } from './handler';
import {
  LabelBinder,
  createCounter,
  createGauge,
  createHistogram,
  type InstrumentContext,
} from './instruments';
import { DEFAULT_SECONDS_BUCKETS, MetricDefinitionError, validateBuckets } from './names';
import type {
  Exposition,
  ExpositionFormat,
  MetricDescription,
  MetricsCounter,
  MetricsHandle,
  MetricsOptions,
} from './types';

/** Names of the metrics this package emits about itself and for `recordBusinessOperation`. */
export const METRIC_NAMES = Object.freeze({
  labelValuesRejected: 'autoweave_metrics_label_values_rejected_total',
  observationsDropped: 'autoweave_metrics_observations_dropped_total',
  duplicateFamilies: 'autoweave_metrics_duplicate_families',
  businessOperations: 'autoweave_business_operations_total',
  businessOperationDuration: 'autoweave_business_operation_duration_seconds',
});

/** A MetricReader with no schedule: the exposition collects it on each scrape. */
class PullMetricReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Creates the metrics handle. Nothing global is touched unless `registerGlobal` is true. */
export function createMetrics(options: MetricsOptions = {}): MetricsHandle {
  const labelValueCap = options.labelValueCap ?? 100;
  if (!Number.isInteger(labelValueCap) || labelValueCap < 0) {
    throw new MetricDefinitionError(`labelValueCap must be a non-negative integer, got ${labelValueCap}`);
  }
  const ownRegistry = options.registry === undefined;
  // prom-client's typings omit the constructor's content-type argument.
  const OpenMetricsRegistry = Registry as unknown as new (
    contentType: RegistryContentType,
  ) => Registry<RegistryContentType>;
  const registry = options.registry ?? new OpenMetricsRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
  const exemplars = (registry.contentType as string) === Registry.OPENMETRICS_CONTENT_TYPE;

  const defaults = options.defaultMetrics ?? true;
  if (defaults !== false) {
    const config = defaults === true ? {} : defaults;
    collectDefaultMetrics({
      register: registry,
      prefix: config.prefix ?? '',
      ...(config.labels !== undefined ? { labels: { ...config.labels } } : {}),
    });
    // These three are gauges named `_total`, which promtool rejects; `sum(nodejs_active_handles)`
    // etc. give the same totals from the per-type gauges that stay.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      registry.removeSingleMetric(`${config.prefix ?? ''}nodejs_${name}`);
    }
  }

  // Filled at definition time only, so observing never touches it.
  const catalog: MetricDescription[] = [];
  const remember = <M extends { readonly name: string; readonly buckets?: readonly number[] }>(
    type: MetricDescription['type'],
    config: { readonly help: string; readonly labelNames?: readonly string[] },
    metric: M,
  ): M => {
    catalog.push(
      Object.freeze({
        name: metric.name,
        type,
        help: config.help,
        labelNames: Object.freeze([...(config.labelNames ?? [])]),
        ...(metric.buckets !== undefined ? { buckets: metric.buckets } : {}),
      }),
    );
    return metric;
  };

  const rejected = new Counter({
    name: METRIC_NAMES.labelValuesRejected,
    help: 'Label values replaced by __overflow__ because the label was full or the value not allowed.',
    labelNames: ['metric', 'label'] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: METRIC_NAMES.observationsDropped,
    help: 'Observations not recorded: invalid value, unexpressible OpenTelemetry instrument, or an internal error.',
    labelNames: ['metric', 'reason'] as const,
    registers: [registry],
  });
  const duplicates = new Gauge({
    name: METRIC_NAMES.duplicateFamilies,
    help: 'OpenTelemetry metric families left out of the last exposition because prom-client already had the name.',
    registers: [registry],
  });
  for (const [metric, labelNames] of [
    [rejected, ['metric', 'label']],
    [dropped, ['metric', 'reason']],
    [duplicates, []],
  ] as const) {
    const { name, help } = metric as unknown as { name: string; help: string };
    remember(metric instanceof Counter ? 'counter' : 'gauge', { help, labelNames }, { name });
  }

  // Our own bookkeeping labels take only declared metric/label names, so they need no guard;
  // the `metric` label of dropped OpenTelemetry instruments is bounded below.
  const ctx: InstrumentContext = {
    registry,
    exemplars,
    labelValueCap,
    tenantBound: options.tenantBound,
    tenantBudget: options.tenantBudget,
    onRejected: (metric, label, count) => rejected.inc({ metric, label }, count),
    onDropped: (metric, reason) => dropped.inc({ metric, reason }),
  };
  const otelDropBinder = new LabelBinder(METRIC_NAMES.observationsDropped, ['metric'], {}, ctx);

  const counter: MetricsHandle['counter'] = (config) =>
    remember('counter', config, createCounter(config, ctx));
  const gauge: MetricsHandle['gauge'] = (config) => remember('gauge', config, createGauge(config, ctx));
  const histogram: MetricsHandle['histogram'] = (config) =>
    remember('histogram', config, createHistogram(config, ctx));

  const businessConfig = {
    name: METRIC_NAMES.businessOperations,
    help: 'Business operations by operation, tenant and outcome (success, failure, unknown).',
    labelNames: ['operation', 'tenant_id', 'outcome'] as const,
    labelBounds: { outcome: { allow: ['success', 'failure', 'unknown'], allowOnly: true } },
  };
  // A new operation and tenant gets its success and failure series at once (the other at 0), so an
  // error ratio reads 0 rather than no data until the first failure. Overflowed labels get no twins.
  const businessOps: MetricsCounter<'operation' | 'tenant_id' | 'outcome'> = remember(
    'counter',
    businessConfig,
    createCounter(businessConfig, ctx, (labels) => {
      if (labels.operation === OVERFLOW_LABEL_VALUE || labels.tenant_id === OVERFLOW_LABEL_VALUE) return;
      for (const outcome of ['success', 'failure'] as const)
        if (outcome !== labels.outcome) businessOps.labels({ ...labels, outcome } as never);
    }),
  );
  const businessDuration = histogram({
    name: METRIC_NAMES.businessOperationDuration,
    help: 'Duration of business operations that reported durationMs.',
    labelNames: ['operation', 'tenant_id', 'outcome'] as const,
    labelBounds: { outcome: { allow: ['success', 'failure', 'unknown'], allowOnly: true } },
    buckets: validateBuckets(
      METRIC_NAMES.businessOperationDuration,
      options.businessDurationBuckets ?? DEFAULT_SECONDS_BUCKETS,
    ),
  });
  const reader = new PullMetricReader();
  const meterProvider = new MeterProvider({
    ...(options.resource !== undefined ? { resource: options.resource } : {}),
    ...(options.views !== undefined ? { views: [...options.views] } : {}),
    readers: [reader],
  });
  const registeredGlobal =
    options.registerGlobal === true && otelMetrics.setGlobalMeterProvider(meterProvider);
  if (options.registerGlobal === true && !registeredGlobal) {
    diag.warn('@autoweave/metrics: a global MeterProvider is already registered; keeping it');
  }

  const warned = new Set<string>();
  let isShutdown = false;

  async function collectFamilies(): Promise<Family[]> {
    // prom-client wins a name clash: its metrics are declared in this process under our naming rules.
    const taken = new Set<string>();
    for (const m of registry.getMetricsAsArray()) {
      // prom-client's typings say MetricType is a numeric enum; at runtime it is 'counter', 'gauge', ...
      const type = m.type as unknown as string;
      for (const n of reservedNames(
        type === 'counter' ? `${m.name.replace(/_total$/, '')}_total` : m.name,
        type,
      )) {
        taken.add(n);
      }
    }
    const { resourceMetrics, errors } = await reader.collect();
    for (const err of errors)
      diag.warn(`@autoweave/metrics: OpenTelemetry collection error: ${describe(err)}`);
    const otel = fromOpenTelemetry(resourceMetrics);
    for (const name of otel.unsupported) {
      dropped.inc({ ...otelDropBinder.bind({ metric: name }), reason: 'unsupported' });
    }
    const kept: Family[] = [];
    let duplicateCount = 0;
    for (const family of otel.families) {
      const names = reservedNames(family.name, family.type);
      if (names.some((n) => taken.has(n))) {
        duplicateCount++;
        if (!warned.has(family.name)) {
          warned.add(family.name);
          diag.warn(
            `@autoweave/metrics: OpenTelemetry metric ${family.name} duplicates a prom-client metric; left out`,
          );
        }
        continue;
      }
      names.forEach((n) => taken.add(n));
      kept.push(family);
    }
    duplicates.set(duplicateCount);
    const promMetrics = (await registry.getMetricsAsJSON()) as unknown as PromClientMetric[];
    return [...promMetrics.map(fromPromClient), ...kept];
  }

  async function collect(format: ExpositionFormat = 'prometheus'): Promise<Exposition> {
    if (isShutdown) throw new Error('the metrics handle has been shut down');
    const families = await collectFamilies();
    return format === 'openmetrics'
      ? { contentType: OPENMETRICS_CONTENT_TYPE, body: renderOpenMetrics(families) }
      : { contentType: PROMETHEUS_CONTENT_TYPE, body: renderPrometheus(families) };
  }

  return {
    registry,
    meterProvider,
    counter,
    gauge,
    histogram,
    recordBusinessOperation(operation, tenantId, attributes): void {
      try {
        const outcome =
          attributes?.success === true ? 'success' : attributes?.success === false ? 'failure' : 'unknown';
        const labels = { operation, tenant_id: tenantId || currentTenant() || '', outcome };
        businessOps.inc(labels);
        const ms = attributes?.durationMs;
        if (ms !== undefined) businessDuration.observe(labels, ms / 1000);
      } catch {
        dropped.inc({ metric: METRIC_NAMES.businessOperations, reason: 'error' });
      }
    },
    describe: () => [...catalog],
    collect,
    handler: createHandler(collect),
    async shutdown(): Promise<void> {
      if (isShutdown) return;
      isShutdown = true;
      if (registeredGlobal) otelMetrics.disable();
      try {
        await meterProvider.shutdown();
      } finally {
        if (ownRegistry) registry.clear();
      }
    },
  };
}
