// Typed counters, gauges and histograms over prom-client: names checked at definition, label values
// bounded per label, trace exemplars from the active span, and nothing ever thrown at observation.
import { TraceFlags, isSpanContextValid, trace } from '@opentelemetry/api';
import {
  TENANT_LABEL,
  createLabelGuard,
  currentTenant,
  isValidTenantId,
  type LabelGuard,
} from '@autoweave/tenant-isolation';
import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';
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

export type DropReason = 'invalid_value' | 'error';

/** What every instrument needs from its handle. */
export interface InstrumentContext {
  readonly registry: Registry<RegistryContentType>;
  readonly exemplars: boolean;
  readonly labelValueCap: number;
  readonly tenantBound: LabelBound | undefined;
  /** Counts a label value replaced by `__overflow__`. */
  onRejected(metric: string, label: string, count: number): void;
  /** Counts an observation that was not recorded. */
  onDropped(metric: string, reason: DropReason): void;
}

type Exemplar = Record<string, string>;

/** `{trace_id, span_id}` of the active sampled span, if any. */
function activeExemplar(): Exemplar | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (ctx === undefined || !isSpanContextValid(ctx) || (ctx.traceFlags & TraceFlags.SAMPLED) === 0)
    return undefined;
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
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
    this.guards = labelNames.map((name) => {
      const bound = bounds[name] ?? (name === TENANT_LABEL ? ctx.tenantBound : undefined) ?? {};
      return {
        name,
        guard: createLabelGuard({
          ...(bound.allow !== undefined ? { allow: bound.allow } : {}),
          allowOnly: bound.allowOnly ?? false,
          cap: bound.cap ?? ctx.labelValueCap,
        }),
      };
    });
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

interface Defined<L extends string> {
  readonly name: string;
  readonly labelNames: readonly L[];
  readonly binder: LabelBinder;
}

function define<L extends string>(
  kind: MetricKind,
  config: CounterConfig<L>,
  ctx: InstrumentContext,
): Defined<L> {
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
  return { name: config.name, labelNames, binder: new LabelBinder(config.name, labelNames, bounds, ctx) };
}

const validIncrement = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function createCounter<L extends string>(
  config: CounterConfig<L>,
  ctx: InstrumentContext,
): MetricsCounter<L> {
  const { name, labelNames, binder } = define('counter', config, ctx);
  const counter = new Counter<string>({
    name,
    help: config.help,
    labelNames,
    registers: [ctx.registry],
    enableExemplars: ctx.exemplars,
  });
  return {
    name,
    inc(labels: LabelValues<L>, value: number = 1): void {
      try {
        if (!validIncrement(value)) return ctx.onDropped(name, 'invalid_value');
        const bound = binder.bind(labels);
        const exemplar = ctx.exemplars ? activeExemplar() : undefined;
        if (ctx.exemplars) {
          counter.inc({
            labels: bound,
            value,
            ...(exemplar !== undefined ? { exemplarLabels: exemplar } : {}),
          });
        } else {
          counter.inc(bound, value);
        }
      } catch {
        ctx.onDropped(name, 'error');
      }
    },
  };
}

export function createGauge<L extends string>(
  config: GaugeConfig<L>,
  ctx: InstrumentContext,
): MetricsGauge<L> {
  const { name, labelNames, binder } = define('gauge', config, ctx);
  const gauge = new Gauge<string>({ name, help: config.help, labelNames, registers: [ctx.registry] });
  const apply = (op: 'set' | 'inc' | 'dec', labels: unknown, value: unknown): void => {
    try {
      if (typeof value !== 'number' || !Number.isFinite(value)) return ctx.onDropped(name, 'invalid_value');
      gauge[op](binder.bind(labels), value);
    } catch {
      ctx.onDropped(name, 'error');
    }
  };
  return {
    name,
    set: (labels, value) => apply('set', labels, value),
    inc: (labels, value = 1) => apply('inc', labels, value),
    dec: (labels, value = 1) => apply('dec', labels, value),
  };
}

export function createHistogram<L extends string>(
  config: HistogramConfig<L>,
  ctx: InstrumentContext,
): MetricsHistogram<L> {
  const { name, labelNames, binder } = define('histogram', config, ctx);
  const buckets = validateBuckets(
    name,
    config.buckets ?? (name.endsWith('_bytes') ? DEFAULT_BYTES_BUCKETS : DEFAULT_SECONDS_BUCKETS),
  );
  const histogram = new Histogram<string>({
    name,
    help: config.help,
    labelNames,
    buckets,
    registers: [ctx.registry],
    enableExemplars: ctx.exemplars,
  });
  const observe = (labels: unknown, value: unknown): void => {
    try {
      if (!validIncrement(value)) return ctx.onDropped(name, 'invalid_value');
      const bound = binder.bind(labels);
      if (ctx.exemplars) {
        histogram.observe({ labels: bound, value, exemplarLabels: activeExemplar() ?? {} });
      } else {
        histogram.observe(bound, value);
      }
    } catch {
      ctx.onDropped(name, 'error');
    }
  };
  return {
    name,
    buckets: Object.freeze([...buckets]),
    observe,
    startTimer(labels) {
      const start = process.hrtime.bigint();
      return () => {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        observe(labels, seconds);
        return seconds;
      };
    },
  };
}
