// One model of metric families for both sources (prom-client and OpenTelemetry SDK metrics) and the
// two text renderings: Prometheus 0.0.4 (no exemplars) and OpenMetrics 1.0.0 (exemplars, `# EOF`).
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Attributes } from '@opentelemetry/api';
import { otelToPrometheusName, sanitizeLabelName } from './names';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Exemplar {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp?: number;
}

export interface Sample {
  /** Full sample name as in the Prometheus text format, e.g. `x_total`, `x_bucket`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly exemplar?: Exemplar;
}

export interface Family {
  /** Family name as in the Prometheus text format (counters end in `_total`). */
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  readonly samples: readonly Sample[];
}

/** Every sample name a family of `type` called `name` can produce (for duplicate detection). */
export function reservedNames(name: string, type: string): string[] {
  if (type === 'counter') {
    const base = name.replace(/_total$/, '');
    return [base, `${base}_total`, `${base}_created`];
  }
  if (type === 'histogram' || type === 'summary') {
    return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`, `${name}_created`];
  }
  return [name];
}

// ---- prom-client ----

interface PromClientValue {
  value: number;
  labels?: Record<string, string | number>;
  metricName?: string;
  exemplar?: { labelSet?: Record<string, string | number>; value?: number | null; timestamp?: number } | null;
}

export interface PromClientMetric {
  name: string;
  help: string;
  type: string;
  values?: PromClientValue[];
}

function stringLabels(labels: Record<string, string | number> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (labels === undefined) return out;
  for (const [k, v] of Object.entries(labels)) {
    if (v !== undefined) out[k] = String(v);
  }
  return out;
}

/** Converts prom-client `metric.get()` results. Counters always end in `_total` in both formats. */
export function fromPromClient(metric: PromClientMetric): Family {
  const type: FamilyType =
    (['counter', 'gauge', 'histogram', 'summary'] as const).find((t) => t === metric.type) ?? 'untyped';
  // prom-client strips `_total` from counter names in place when an OpenMetrics registry renders itself.
  const name = type === 'counter' ? `${metric.name.replace(/_total$/, '')}_total` : metric.name;
  const samples: Sample[] = (metric.values ?? []).map((v) => {
    const sampleName = type === 'counter' ? name : (v.metricName ?? name);
    const ex = v.exemplar;
    const exemplarLabels = ex?.labelSet !== undefined ? stringLabels(ex.labelSet) : {};
    const hasExemplar =
      ex !== undefined &&
      ex !== null &&
      typeof ex.value === 'number' &&
      Object.keys(exemplarLabels).length > 0;
    const sample: Sample = { name: sampleName, labels: stringLabels(v.labels), value: v.value };
    if (!hasExemplar) return sample;
    return {
      ...sample,
      exemplar: {
        labels: exemplarLabels,
        value: ex.value as number,
        ...(typeof ex.timestamp === 'number' ? { timestamp: ex.timestamp } : {}),
      },
    };
  });
  return { name, help: metric.help, type, samples };
}

// ---- OpenTelemetry ----

function attributeValue(v: unknown): string {
  if (Array.isArray(v)) return JSON.stringify(v);
  return String(v);
}

/** OTel attributes → Prometheus labels; keys that collide after sanitizing are joined with `;`. */
export function attributesToLabels(attributes: Attributes): Record<string, string> {
  const grouped = new Map<string, string[]>();
  for (const key of Object.keys(attributes).sort()) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    const label = sanitizeLabelName(key);
    grouped.set(label, [...(grouped.get(label) ?? []), attributeValue(value)]);
  }
  const out: Record<string, string> = {};
  for (const [label, values] of grouped) out[label] = values.join(';');
  return out;
}

export interface OtelConversion {
  readonly families: Family[];
  /** Instruments that could not be expressed (exponential histograms). */
  readonly unsupported: string[];
}

function convertMetric(metric: MetricData): Family | undefined {
  const { name: otelName, description, unit } = metric.descriptor;
  const help = description !== '' ? description : otelName;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
    case DataPointType.GAUGE: {
      const type = metric.dataPointType === DataPointType.SUM && metric.isMonotonic ? 'counter' : 'gauge';
      const name = otelToPrometheusName(otelName, unit, type);
      return {
        name,
        help,
        type,
        samples: metric.dataPoints.map((p) => ({
          name,
          labels: attributesToLabels(p.attributes),
          value: p.value,
        })),
      };
    }
    case DataPointType.HISTOGRAM: {
      const name = otelToPrometheusName(otelName, unit, 'histogram');
      const samples: Sample[] = [];
      for (const p of metric.dataPoints) {
        const labels = attributesToLabels(p.attributes);
        const { boundaries, counts } = p.value.buckets;
        let cumulative = 0;
        boundaries.forEach((le, i) => {
          cumulative += counts[i] ?? 0;
          samples.push({
            name: `${name}_bucket`,
            labels: { ...labels, le: formatValue(le) },
            value: cumulative,
          });
        });
        samples.push({ name: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: p.value.count });
        if (p.value.sum !== undefined) samples.push({ name: `${name}_sum`, labels, value: p.value.sum });
        samples.push({ name: `${name}_count`, labels, value: p.value.count });
      }
      return { name, help, type: 'histogram', samples };
    }
    default:
      return undefined;
  }
}

/** Converts one collection of the OTel SDK into families, in scope order. */
export function fromOpenTelemetry(resourceMetrics: ResourceMetrics): OtelConversion {
  const families: Family[] = [];
  const unsupported: string[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const family = convertMetric(metric);
      if (family === undefined) unsupported.push(metric.descriptor.name);
      else families.push(family);
    }
  }
  return { families, unsupported };
}

// ---- rendering ----

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Prometheus text format 0.0.4. Exemplars are not part of this format and are left out. */
export function renderPrometheus(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${s.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** OpenMetrics 1.0.0 text: counter families named without `_total`, exemplars, `# EOF`. */
export function renderOpenMetrics(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    const name = f.type === 'counter' ? f.name.replace(/_total$/, '') : f.name;
    const type = f.type === 'untyped' ? 'unknown' : f.type;
    lines.push(`# TYPE ${name} ${type}`);
    lines.push(`# HELP ${name} ${escapeLabelValue(f.help)}`);
    for (const s of f.samples) {
      let line = `${s.name}${formatLabels(s.labels)} ${formatValue(s.value)}`;
      const exemplarAllowed = f.type === 'counter' || s.name.endsWith('_bucket');
      if (s.exemplar !== undefined && exemplarAllowed) {
        line += ` # ${formatLabels(s.exemplar.labels)} ${formatValue(s.exemplar.value)}`;
        if (s.exemplar.timestamp !== undefined) line += ` ${s.exemplar.timestamp.toFixed(3)}`;
      }
      lines.push(line);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
