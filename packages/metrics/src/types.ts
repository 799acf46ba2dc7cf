import type { TelemetryBudget } from '@autoweave/tenant-isolation';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MeterProvider, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import type { Registry, RegistryContentType } from 'prom-client';

/** The two exposition formats `/metrics` can answer with. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** How the values of one label are bounded (see `createLabelGuard` in @autoweave/tenant-isolation). */
export interface LabelBound {
  /** Values always accepted; with `allowOnly`, the only ones. */
  readonly allow?: readonly string[];
  /** Accept only `allow`; anything else becomes `__overflow__`. Default false. */
  readonly allowOnly?: boolean;
  /** Distinct values accepted besides `allow` before overflowing. Default: the handle's `labelValueCap`. */
  readonly cap?: number;
  /** Admits values beyond `allow` (up to `cap`) only when true, e.g. `registry.has` for tenants. */
  readonly accept?: (value: string) => boolean;
  /** The value rejected values become. Default `__overflow__`; tenants use `__unknown__` for unregistered ids. */
  readonly overflowValue?: string;
}

/** Label values keyed by the declared label names. Numbers are turned into strings. */
export type LabelValues<L extends string> = { readonly [K in L]: string | number };

export interface MetricConfig<L extends string> {
  /** `autoweave_` prefix, snake case, unit suffix (`_seconds`, `_bytes`), counters end in `_total`. */
  readonly name: string;
  readonly help: string;
  /** Declare with `as const` so `inc`/`observe`/`set` are typed by them. */
  readonly labelNames?: readonly L[];
  /** Per-label bounds; labels not listed get a cap of `labelValueCap`. */
  readonly labelBounds?: { readonly [K in L]?: LabelBound };
}

export type CounterConfig<L extends string> = MetricConfig<L>;
export interface GaugeConfig<L extends string> extends MetricConfig<L> {
  /**
   * Called before each exposition of this gauge, to set values read from elsewhere (a queue's depth).
   * Concurrent scrapes share one call in flight. A rejection or throw is counted as a dropped
   * observation (`reason="collect_failed"`) and the last values are exposed; /metrics never fails for it.
   */
  readonly collect?: () => void | Promise<void>;
}

export interface HistogramConfig<L extends string> extends MetricConfig<L> {
  /** Upper bounds, finite, positive and strictly increasing. Default depends on the unit suffix. */
  readonly buckets?: readonly number[];
}

/** Every method is safe to call with bad input: problems are counted, never thrown. */
export interface MetricsCounter<L extends string> {
  readonly name: string;
  /** Adds `value` (default 1; must be finite and >= 0). Carries a trace exemplar inside a sampled span. */
  inc(labels: LabelValues<L>, value?: number): void;
  /**
   * The series of `labels`, bound once: its label values are bounded (and rejections counted) now,
   * not on every call. For hot loops; `inc(labels, v)` is already cheap.
   */
  labels(labels: LabelValues<L>): BoundCounter;
}

export interface BoundCounter {
  /** As {@link MetricsCounter.inc} for the bound labels. */
  inc(value?: number): void;
}

export interface MetricsGauge<L extends string> {
  readonly name: string;
  set(labels: LabelValues<L>, value: number): void;
  inc(labels: LabelValues<L>, value?: number): void;
  dec(labels: LabelValues<L>, value?: number): void;
  /** The series of `labels`, bound once (see {@link MetricsCounter.labels}). */
  labels(labels: LabelValues<L>): BoundGauge;
}

export interface BoundGauge {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

export interface MetricsHistogram<L extends string> {
  readonly name: string;
  readonly buckets: readonly number[];
  /** Records `value` (finite, >= 0). Carries a trace exemplar inside a sampled span. */
  observe(labels: LabelValues<L>, value: number): void;
  /** Starts a timer; the returned function records the elapsed seconds and returns them. */
  startTimer(labels: LabelValues<L>): () => number;
  /** The series of `labels`, bound once (see {@link MetricsCounter.labels}). */
  labels(labels: LabelValues<L>): BoundHistogram;
}

export interface BoundHistogram {
  /** As {@link MetricsHistogram.observe} for the bound labels. */
  observe(value: number): void;
  /** As {@link MetricsHistogram.startTimer} for the bound labels. */
  startTimer(): () => number;
}

export interface BusinessOperationAttributes {
  /** `true` → outcome `success`, `false` → `failure`, absent → `unknown`. */
  readonly success?: boolean;
  /** When a finite number >= 0, also observed (in seconds) in the duration histogram. */
  readonly durationMs?: number;
}

export interface DefaultMetricsOptions {
  /** Prefix for prom-client's default metrics. Default '' (standard `process_*`/`nodejs_*` names). */
  readonly prefix?: string;
  /** Labels added to every default metric. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface MetricsOptions {
  /** prom-client registry to use. Default: a new OpenMetrics registry (never the global one). */
  readonly registry?: Registry<RegistryContentType>;
  /** Collect prom-client's Node.js process metrics into the registry. Default true. */
  readonly defaultMetrics?: boolean | DefaultMetricsOptions;
  /** Set the handle's MeterProvider as the global OpenTelemetry one. Default false. */
  readonly registerGlobal?: boolean;
  /** Resource for the MeterProvider (not exposed as labels). */
  readonly resource?: Resource;
  /** OpenTelemetry views, passed to the MeterProvider. */
  readonly views?: readonly ViewOptions[];
  /** Distinct values per label per metric before `__overflow__`. Default 100. */
  readonly labelValueCap?: number;
  /** Bounds for `tenant_id` wherever it is a label. Default: cap `labelValueCap`. */
  readonly tenantBound?: LabelBound;
  /**
   * Per-tenant budget of new series (the tenant limiter of `@autoweave/tenant-isolation`): an
   * observation that would create a series for a tenant whose `series` bucket is empty is dropped and
   * counted (`reason="tenant_budget"`); the tenant's existing series keep working.
   */
  readonly tenantBudget?: Pick<TelemetryBudget, 'tryTake'>;
  /** Buckets (seconds) for `autoweave_business_operation_duration_seconds`. */
  readonly businessDurationBuckets?: readonly number[];
}

export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

/**
 * What a metric looks like from outside, for tools that check references to it (SLO definitions,
 * dashboards) before anything is scraped.
 */
export interface MetricDescription {
  /** The exposed family name; counters include `_total`. */
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  /** Declared label names (a histogram's `le` is not among them). */
  readonly labelNames: readonly string[];
  /** Histogram bucket upper bounds, without `+Inf`. */
  readonly buckets?: readonly number[];
}

export interface MetricsHandle {
  /** The prom-client registry behind the exposition. */
  readonly registry: Registry<RegistryContentType>;
  /** OpenTelemetry MeterProvider whose instruments appear in the same exposition. */
  readonly meterProvider: MeterProvider;
  counter<const L extends string = never>(config: CounterConfig<L>): MetricsCounter<L>;
  gauge<const L extends string = never>(config: GaugeConfig<L>): MetricsGauge<L>;
  histogram<const L extends string = never>(config: HistogramConfig<L>): MetricsHistogram<L>;
  /** Counts one business operation; never throws. */
  recordBusinessOperation(
    operation: string,
    tenantId?: string,
    attributes?: BusinessOperationAttributes,
  ): void;
  /**
   * Every metric defined through this handle's `counter`/`gauge`/`histogram` plus the handle's own
   * (`autoweave_business_*`, `autoweave_metrics_*`), in definition order. Not the default
   * `process_*`/`nodejs_*` metrics, not OpenTelemetry instruments.
   */
  describe(): readonly MetricDescription[];
  /** Renders the exposition; rejects if a collector fails. */
  collect(format?: ExpositionFormat): Promise<Exposition>;
  /** `/metrics` handler for node:http and express; negotiates the format from `Accept`. Never throws. */
  readonly handler: MetricsRequestHandler;
  /** Shuts down the MeterProvider and releases the global registration. Idempotent. */
  shutdown(): Promise<void>;
}
