// Typed counters, gauges and histograms: names checked at definition, label values bounded per label,
// trace exemplars from the active span, and nothing ever thrown at observation. Each instrument keeps
// its own series (see series.ts) and registers itself in the prom-client registry as a metric that
// prom-client can render and `getMetricsAsJSON()` can read, so it costs less per observation than a
// prom-client metric (which sorts and joins the label names on every call).
import { TraceFlags, context, isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';
import {
  TENANT_LABEL,
  currentTenant,
  isValidTenantId,
  type LabelGuard,
  type TelemetryBudget,
} from '@autoweave/tenant-isolation';
import type { Registry, RegistryContentType } from 'prom-client';
import {
  DEFAULT_BYTES_BUCKETS,
  DEFAULT_SECONDS_BUCKETS,
  MetricDefinitionError,
  validateBuckets,
  validateLabelNames,
  validateMetricName,
  type MetricKind,
} from './names';
import type {
  CounterConfig,
  GaugeConfig,
  HistogramConfig,
  LabelBound,
  LabelValues,
  MetricsCounter,
  MetricsGauge,
  MetricsHistogram,
} from './types';
import { SeriesTable, labelGuardFor } from './series';

export type DropReason = 'invalid_value' | 'error' | 'tenant_budget' | 'collect_failed';

/** What every instrument needs from its handle. */
export interface InstrumentContext {
  readonly registry: Registry<RegistryContentType>;
  readonly exemplars: boolean;
  readonly labelValueCap: number;
  readonly tenantBound: LabelBound | undefined;
  readonly tenantBudget: Pick<TelemetryBudget, 'tryTake'> | undefined;
  /** Counts a label value replaced by `__overflow__`. */
  onRejected(metric: string, label: string, count: number): void;
  /** Counts an observation that was not recorded. */
  onDropped(metric: string, reason: DropReason): void;
}

/** An exemplar as prom-client reports it (seconds since the epoch as timestamp). */
interface PromExemplar {
  readonly labelSet: Readonly<Record<string, string>>;
  value: number;
  timestamp: number;
}

/** One sample as prom-client's `metric.get()` returns it. */
interface PromValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
  readonly exemplar?: PromExemplar | null;
}

/** The shape prom-client's Registry needs from a metric to render, reset and merge it. */
interface RegistryMetric {
  name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; values: PromValue[]; aggregator: 'sum' }>;
  reset(): void;
}

// Read once: the API's CommonJS exports are getters, called on every access otherwise.
const traceApi = trace;
const contextApi = context;

// The last span context found valid, and its exemplar labels: a sampled request observes many
// series under one span, and checking 48 hex digits plus a new label set each time cost more than
// the observation itself. SDK span contexts are fixed once the span starts.
let lastValid: SpanContext | undefined;
let lastLabelSet: Readonly<Record<string, string>> = {};

/** The exemplar labels of the active sampled span, if any. */
function sampledSpanLabels(): Readonly<Record<string, string>> | undefined {
  const span = traceApi.getSpan(contextApi.active());
  if (span === undefined) return undefined;
  const ctx = span.spanContext();
  if ((ctx.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  if (ctx !== lastValid) {
    if (!isSpanContextValid(ctx)) return undefined;
    lastValid = ctx;
    lastLabelSet = { trace_id: ctx.traceId, span_id: ctx.spanId };
  }
  return lastLabelSet;
}

/** `previous` updated in place when it is of the same span, else a new exemplar. */
function exemplarOf(
  previous: PromExemplar | null | undefined,
  labelSet: Readonly<Record<string, string>>,
  value: number,
): PromExemplar {
  const timestamp = Date.now() / 1000;
  if (previous?.labelSet !== labelSet) return { labelSet, value, timestamp };
  previous.value = value;
  previous.timestamp = timestamp;
  return previous;
}

/** Turns caller label values into bounded strings; never throws. */
export class LabelBinder {
  private readonly guards: { name: string; guard: LabelGuard }[];

  constructor(
    private readonly metric: string,
    labelNames: readonly string[],
    bounds: Readonly<Record<string, LabelBound | undefined>>,
    private readonly ctx: InstrumentContext,
  ) {
    this.guards = labelNames.map((name) => ({
      name,
      guard: labelGuardFor(name, bounds, ctx.tenantBound, ctx.labelValueCap),
    }));
  }

  bind(labels: unknown): Record<string, string> {
    const source = (typeof labels === 'object' && labels !== null ? labels : {}) as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const { name, guard } of this.guards) {
      let raw = source[name];
      if (raw === undefined && name === TENANT_LABEL) raw = currentTenant();
      if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
      // An invalid tenant id is as hostile as any other value: it goes to the overflow bucket.
      if (name === TENANT_LABEL && typeof raw === 'string' && !isValidTenantId(raw)) raw = undefined;
      const before = guard.rejected;
      out[name] = guard.bound(raw);
      const rejected = guard.rejected - before;
      if (rejected > 0) this.ctx.onRejected(this.metric, name, rejected);
    }
    return out;
  }
}

interface Defined {
  readonly name: string;
  readonly labelNames: readonly string[];
  readonly bounds: Readonly<Record<string, LabelBound | undefined>>;
}

function define<L extends string>(
  kind: MetricKind,
  config: CounterConfig<L>,
  ctx: InstrumentContext,
): Defined {
  if (typeof config !== 'object' || config === null)
    throw new MetricDefinitionError('metric config must be an object');
  validateMetricName(config.name, kind);
  if (typeof config.help !== 'string' || config.help.trim() === '') {
    throw new MetricDefinitionError(`metric ${config.name} needs a non-empty help text`);
  }
  const labelNames: L[] = [...(config.labelNames ?? [])];
  validateLabelNames(config.name, labelNames, kind);
  if (ctx.registry.getSingleMetric(config.name) !== undefined) {
    throw new MetricDefinitionError(`metric ${config.name} is already registered in this registry`);
  }
  const bounds = (config.labelBounds ?? {}) as Readonly<Record<string, LabelBound | undefined>>;
  for (const key of Object.keys(bounds)) {
    if (!labelNames.includes(key as L)) {
      throw new MetricDefinitionError(
        `labelBounds of ${config.name} names "${key}", which is not in labelNames`,
      );
    }
  }
  return { name: config.name, labelNames, bounds };
}

function seriesTable<S>(
  defined: Defined,
  ctx: InstrumentContext,
  create: (labels: Readonly<Record<string, string>>) => S,
): SeriesTable<S> {
  return new SeriesTable<S>(
    {
      metric: defined.name,
      labelNames: defined.labelNames,
      bounds: defined.bounds,
      labelValueCap: ctx.labelValueCap,
      tenantBound: ctx.tenantBound,
      onRejected: (metric, label, count) => ctx.onRejected(metric, label, count),
      tenantBudget: ctx.tenantBudget,
      onBudgetDrop: (metric) => ctx.onDropped(metric, 'tenant_budget'),
    },
    create,
  );
}

/**
 * Wraps a gauge's `collect` so overlapping scrapes share one call, and a failing one is counted
 * (the gauge then shows its last values) instead of failing the whole exposition.
 */
function sharedCollect(collect: () => void | Promise<void>, onFailed: () => void): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  const run = async (): Promise<void> => {
    try {
      await collect();
    } catch {
      onFailed();
    }
  };
  return () =>
    (inFlight ??= run().finally(() => {
      inFlight = undefined;
    }));
}

/** Registers a series table in the prom-client Registry with the `get()`/`reset()` shape it reads. */
function register(
  ctx: InstrumentContext,
  name: string,
  help: string,
  type: RegistryMetric['type'],
  table: { reset(): void },
  values: () => PromValue[],
  collect?: () => Promise<void>,
): void {
  const metric: RegistryMetric = {
    name,
    help,
    type,
    aggregator: 'sum',
    // prom-client rewrites `name` on the registered object (counters lose `_total` in OpenMetrics),
    // so read it back from there rather than from the closure.
    get: async () => {
      if (collect !== undefined) await collect();
      return { name: metric.name, help, type, values: values(), aggregator: 'sum' };
    },
    reset: () => table.reset(),
  };
  // The Registry's typings want a prom-client Metric; at runtime it reads only the fields above.
  ctx.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

const validIncrement = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

interface CounterSeries {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
  exemplar: PromExemplar | null;
}

/**
 * `onNewSeries` hears of each series made, with its bounded labels, after the lookup that made it
 * has finished (so it may look series up itself).
 */
export function createCounter<L extends string>(
  config: CounterConfig<L>,
  ctx: InstrumentContext,
  onNewSeries?: (labels: Readonly<Record<string, string>>) => void,
): MetricsCounter<L> {
  const defined = define('counter', config, ctx);
  const { name } = defined;
  const made: Readonly<Record<string, string>>[] = [];
  const table = seriesTable<CounterSeries>(defined, ctx, (labels) => {
    if (onNewSeries !== undefined) made.push(labels);
    return { labels, value: 0, exemplar: null };
  });
  const announce = (): void => {
    while (made.length > 0) onNewSeries?.(made.pop() as Readonly<Record<string, string>>);
  };
  const exemplars = ctx.exemplars;
  const add = (series: CounterSeries, value: unknown): void => {
    if (!validIncrement(value)) return ctx.onDropped(name, 'invalid_value');
    series.value += value;
    if (exemplars) {
      const labelSet = sampledSpanLabels();
      if (labelSet !== undefined)
        series.exemplar = exemplarOf(series.exemplar, labelSet, value === 0 ? 1 : value);
    }
  };
  register(ctx, name, config.help, 'counter', table, () =>
    table.series().map((s) => ({ labels: { ...s.labels }, value: s.value, exemplar: s.exemplar })),
  );
  return {
    name,
    inc(labels: LabelValues<L>, value: number = 1): void {
      try {
        add(table.lookup(labels), value);
        if (made.length > 0) announce();
      } catch {
        ctx.onDropped(name, 'error');
      }
    },
    labels(labels) {
      const bound = boundSeries(table, labels);
      if (made.length > 0) announce();
      return {
        inc(value: number = 1): void {
          try {
            add(bound(), value);
          } catch {
            ctx.onDropped(name, 'error');
          }
        },
      };
    },
  };
}

interface GaugeSeries {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

export function createGauge<L extends string>(
  config: GaugeConfig<L>,
  ctx: InstrumentContext,
): MetricsGauge<L> {
  const defined = define('gauge', config, ctx);
  const { name } = defined;
  const table = seriesTable<GaugeSeries>(defined, ctx, (labels) => ({ labels, value: 0 }));
  register(
    ctx,
    name,
    config.help,
    'gauge',
    table,
    () => table.series().map((s) => ({ labels: { ...s.labels }, value: s.value })),
    config.collect === undefined
      ? undefined
      : sharedCollect(config.collect, () => ctx.onDropped(name, 'collect_failed')),
  );
  const valid = (value: unknown): value is number => {
    if (typeof value === 'number' && Number.isFinite(value)) return true;
    ctx.onDropped(name, 'invalid_value');
    return false;
  };
  const apply = (series: () => GaugeSeries, op: 'set' | 'inc' | 'dec', value: unknown): void => {
    try {
      if (!valid(value)) return;
      const s = series();
      s.value = op === 'set' ? value : op === 'inc' ? s.value + value : s.value - value;
    } catch {
      ctx.onDropped(name, 'error');
    }
  };
  return {
    name,
    set: (labels, value) => apply(() => table.lookup(labels), 'set', value),
    inc: (labels, value = 1) => apply(() => table.lookup(labels), 'inc', value),
    dec: (labels, value = 1) => apply(() => table.lookup(labels), 'dec', value),
    labels(labels) {
      const bound = boundSeries(table, labels);
      return {
        set: (value) => apply(bound, 'set', value),
        inc: (value = 1) => apply(bound, 'inc', value),
        dec: (value = 1) => apply(bound, 'dec', value),
      };
    },
  };
}

interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative; the last slot is `+Inf`. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
  /** Latest exemplar per bucket (last slot `+Inf`); created on the first one. */
  exemplars: (PromExemplar | null)[] | null;
}

/** Index of the first bucket whose upper bound is >= value; `bounds.length` for `+Inf`. */
function bucketIndex(bounds: Float64Array, value: number): number {
  let lo = 0;
  let hi = bounds.length;
  if (hi <= 16) {
    while (lo < hi && value > (bounds[lo] as number)) lo++;
    return lo;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value > (bounds[mid] as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createHistogram<L extends string>(
  config: HistogramConfig<L>,
  ctx: InstrumentContext,
): MetricsHistogram<L> {
  const defined = define('histogram', config, ctx);
  const { name } = defined;
  const buckets = validateBuckets(
    name,
    config.buckets ?? (name.endsWith('_bytes') ? DEFAULT_BYTES_BUCKETS : DEFAULT_SECONDS_BUCKETS),
  );
  const bounds = Float64Array.from(buckets);
  const table = seriesTable<HistogramSeries>(defined, ctx, (labels) => ({
    labels,
    counts: new Float64Array(bounds.length + 1),
    sum: 0,
    count: 0,
    exemplars: null,
  }));
  const exemplars = ctx.exemplars;
  const record = (series: HistogramSeries, value: unknown): void => {
    if (!validIncrement(value)) return ctx.onDropped(name, 'invalid_value');
    const i = bucketIndex(bounds, value);
    series.counts[i] = (series.counts[i] as number) + 1;
    series.sum += value;
    series.count++;
    if (exemplars) {
      const labelSet = sampledSpanLabels();
      if (labelSet !== undefined) {
        series.exemplars ??= new Array<PromExemplar | null>(bounds.length + 1).fill(null);
        series.exemplars[i] = exemplarOf(series.exemplars[i], labelSet, value);
      }
    }
  };
  register(ctx, name, config.help, 'histogram', table, () => {
    const values: PromValue[] = [];
    const bucket = `${name}_bucket`;
    for (const s of table.series()) {
      let cumulative = 0;
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += s.counts[i] as number;
        values.push({
          labels: { le: i < bounds.length ? (bounds[i] as number) : '+Inf', ...s.labels },
          value: cumulative,
          metricName: bucket,
          exemplar: s.exemplars?.[i] ?? null,
        });
      }
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${name}_count` });
    }
    return values;
  });
  const observe = (labels: unknown, value: unknown): void => {
    try {
      record(table.lookup(labels), value);
    } catch {
      ctx.onDropped(name, 'error');
    }
  };
  const timer = (done: (seconds: number) => void) => {
    const start = process.hrtime.bigint();
    return (): number => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      done(seconds);
      return seconds;
    };
  };
  return {
    name,
    buckets: Object.freeze([...buckets]),
    observe,
    startTimer: (labels) => timer((seconds) => observe(labels, seconds)),
    labels(labels) {
      const bound = boundSeries(table, labels);
      const observeBound = (value: number): void => {
        try {
          record(bound(), value);
        } catch {
          ctx.onDropped(name, 'error');
        }
      };
      return { observe: observeBound, startTimer: () => timer(observeBound) };
    },
  };
}

/**
 * The series of `labels`, looked up once (label values are bounded, and rejections counted, then)
 * and again only after the registry was reset. Never throws here: a failing lookup is retried, and
 * counted as dropped, on use.
 */
function boundSeries<S>(table: SeriesTable<S>, labels: unknown): () => S {
  let series: S | undefined;
  let generation = -1;
  try {
    series = table.lookup(labels);
    generation = table.generation;
  } catch {
    series = undefined;
  }
  return () => {
    if (series === undefined || generation !== table.generation) {
      series = table.lookup(labels);
      generation = table.generation;
    }
    return series;
  };
}
