// Metric naming: the rules our own metrics must follow, bucket validation, and the mapping from
// OpenTelemetry instrument names/units to Prometheus names (OTel "Prometheus compatibility" spec).

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** Thrown when a metric name, label name or bucket list breaks the naming rules (at definition time). */
export class MetricDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricDefinitionError';
  }
}

const NAME = /^autoweave_[a-z]([a-z0-9_]*[a-z0-9])?$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const UNIT_WORDS = /(^|_)(duration|latency|time|elapsed|lag|delay)(_|$)/;
const SIZE_WORDS = /(^|_)(size|bytes|memory)(_|$)/;
const NON_BASE_UNITS =
  /_(ms|milliseconds|millis|microseconds|us|ns|nanoseconds|minutes|hours|kb|mb|gb|kilobytes|megabytes)(_total)?$/;

/** Checks `name` against the house rules; throws `MetricDefinitionError` saying what to change. */
export function validateMetricName(name: string, kind: MetricKind): void {
  if (!NAME.test(name)) {
    throw new MetricDefinitionError(
      `metric name "${name}" must start with "autoweave_" and be lower snake case ([a-z0-9_])`,
    );
  }
  if (NON_BASE_UNITS.test(name)) {
    throw new MetricDefinitionError(
      `metric name "${name}" uses a non-base unit; use _seconds for durations and _bytes for sizes`,
    );
  }
  const stem = name.replace(/_total$/, '');
  if (kind === 'counter' && !name.endsWith('_total')) {
    throw new MetricDefinitionError(`counter name "${name}" must end with "_total"`);
  }
  if (kind !== 'counter' && name.endsWith('_total')) {
    throw new MetricDefinitionError(
      `${kind} name "${name}" must not end with "_total" (reserved for counters)`,
    );
  }
  if (/_(bucket|sum|count|created|info)$/.test(name)) {
    throw new MetricDefinitionError(
      `metric name "${name}" must not end with a reserved suffix (_bucket, _sum, _count, _created, _info)`,
    );
  }
  if (UNIT_WORDS.test(stem) && !/_seconds$/.test(stem)) {
    throw new MetricDefinitionError(
      `duration metric "${name}" must be in seconds: end with "_seconds"${kind === 'counter' ? '_total' : ''}`,
    );
  }
  if (SIZE_WORDS.test(stem) && !/_bytes$/.test(stem)) {
    throw new MetricDefinitionError(
      `size metric "${name}" must be in bytes: end with "_bytes"${kind === 'counter' ? '_total' : ''}`,
    );
  }
  if (kind === 'histogram' && !/_(seconds|bytes)$/.test(name)) {
    throw new MetricDefinitionError(
      `histogram name "${name}" must end with its unit: "_seconds" for durations or "_bytes" for sizes`,
    );
  }
}

/** Checks declared label names; histograms may not use `le`. */
export function validateLabelNames(metric: string, labelNames: readonly string[], kind: MetricKind): void {
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (!LABEL.test(label) || label.startsWith('__')) {
      throw new MetricDefinitionError(`label "${label}" of ${metric} is not a valid Prometheus label name`);
    }
    if (kind === 'histogram' && label === 'le') {
      throw new MetricDefinitionError(`histogram ${metric} cannot have a label named "le"`);
    }
    if (seen.has(label)) throw new MetricDefinitionError(`label "${label}" of ${metric} is declared twice`);
    seen.add(label);
  }
}

/** Checks histogram buckets: non-empty, finite, positive, strictly increasing. Returns a copy. */
export function validateBuckets(metric: string, buckets: readonly number[]): number[] {
  if (buckets.length === 0) throw new MetricDefinitionError(`buckets of ${metric} must not be empty`);
  buckets.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0) {
      throw new MetricDefinitionError(
        `bucket ${String(b)} of ${metric} must be a finite number > 0 (+Inf is implicit)`,
      );
    }
    const prev = buckets[i - 1];
    if (prev !== undefined && b <= prev) {
      throw new MetricDefinitionError(`buckets of ${metric} must be strictly increasing: ${prev} then ${b}`);
    }
  });
  return [...buckets];
}

export const DEFAULT_SECONDS_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
export const DEFAULT_BYTES_BUCKETS: readonly number[] = [
  64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
];

const UNIT_WORD: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};
const PER_WORD: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** Replaces every character not allowed in a Prometheus metric name by `_`, collapsing runs. */
export function sanitizeMetricName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

/** Prometheus label name for an OTel attribute key. */
export function sanitizeLabelName(key: string): string {
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  if (out.startsWith('__')) out = out.replace(/^_+/, '_');
  return out === '' ? '_' : out;
}

function unitSuffix(unit: string, isGauge: boolean): string {
  const withoutAnnotations = unit.replace(/\{[^}]*\}/g, '').trim();
  if (withoutAnnotations === '') return '';
  if (withoutAnnotations === '1') return isGauge ? 'ratio' : '';
  const [num = '', per] = withoutAnnotations.split('/', 2);
  const parts: string[] = [];
  if (num !== '') parts.push(UNIT_WORD[num] ?? num);
  if (per !== undefined && per !== '') parts.push('per', PER_WORD[per] ?? UNIT_WORD[per] ?? per);
  return sanitizeMetricName(parts.join('_')).replace(/^_+|_+$/g, '');
}

/**
 * Prometheus family name for an OpenTelemetry instrument: invalid characters become `_`, the unit
 * (minus `{annotations}`) is appended as a word unless already there, monotonic sums get `_total`.
 * `autoweave.tracing.spans.dropped` + `{span}` (counter) → `autoweave_tracing_spans_dropped_total`;
 * `http.server.duration` + `s` → `http_server_duration_seconds`; `1` on a gauge → `_ratio`.
 */
export function otelToPrometheusName(
  name: string,
  unit: string,
  type: 'counter' | 'gauge' | 'histogram',
): string {
  let base = sanitizeMetricName(name).replace(/_+$/, '');
  if (type === 'counter') base = base.replace(/_total$/, '');
  const suffix = unitSuffix(unit, type === 'gauge');
  if (suffix !== '' && !base.endsWith(`_${suffix}`) && base !== suffix) base = `${base}_${suffix}`;
  return type === 'counter' ? `${base}_total` : base;
}
