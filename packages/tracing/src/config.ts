// Turns TracingOptions plus the standard OTEL_* environment variables into checked settings.
// A bad value fails startTracing with an error naming the option or variable, never later.
import type { SpanLimits } from '@opentelemetry/sdk-trace-base';
import type { BatchSettings } from './batch-processor';
import type { RecentTraceBufferOptions, TracingOptions } from './types';

/** startTracing was given an option (or environment variable) it cannot use; `field` names it. */
export class TracingConfigError extends Error {
  override readonly name = 'TracingConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedConfig {
  sampleRate: number;
  endpoint: string | undefined;
  compression: 'gzip' | 'none';
  spanLimits: Required<SpanLimits>;
  batch: BatchSettings;
  recentTraces: RecentTraceBufferOptions | undefined;
}

export const DEFAULT_SPAN_LIMITS: Readonly<Required<SpanLimits>> = Object.freeze({
  attributeValueLengthLimit: 4096,
  attributeCountLimit: 128,
  linkCountLimit: 128,
  eventCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
});

type Env = Record<string, string | undefined>;

function envValue(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function ratio(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new TracingConfigError(
      field,
      `${field} must be a number from 0 to 1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function resolveSampleRate(options: TracingOptions, env: Env): number {
  if (options.sampleRate !== undefined) return ratio(options.sampleRate, 'sampleRate');
  const raw = envValue(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined) return 1;
  const parsed = Number(raw);
  if (Number.isNaN(parsed)) {
    throw new TracingConfigError(
      'OTEL_TRACES_SAMPLER_ARG',
      `OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got ${JSON.stringify(raw)}`,
    );
  }
  return ratio(parsed, 'OTEL_TRACES_SAMPLER_ARG');
}

function resolveEndpoint(options: TracingOptions, env: Env): string | undefined {
  let field = 'endpoint';
  let endpoint = options.endpoint?.trim();
  if (endpoint === undefined || endpoint === '') {
    field = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
    endpoint = envValue(env, field);
  }
  if (endpoint === undefined) {
    field = 'OTEL_EXPORTER_OTLP_ENDPOINT';
    endpoint = envValue(env, field);
  }
  if (endpoint === undefined) return undefined;
  if (!URL.canParse(endpoint)) {
    throw new TracingConfigError(
      field,
      `${field} must be a URL such as http://127.0.0.1:4317, got ${JSON.stringify(endpoint)}`,
    );
  }
  return endpoint;
}

/**
 * Default 'none', as in the OTLP exporter specification: gzip costs the application about 10 µs of CPU
 * per span (measured in bench/), worth paying only when the collector is across a slow link.
 */
function resolveCompression(options: TracingOptions, env: Env): 'gzip' | 'none' {
  let field = 'compression';
  let value: unknown = options.compression;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION']) {
    if (value !== undefined) break;
    field = name;
    value = envValue(env, name);
  }
  if (value === undefined) return 'none';
  if (value !== 'gzip' && value !== 'none') {
    throw new TracingConfigError(field, `${field} must be 'gzip' or 'none', got ${JSON.stringify(value)}`);
  }
  return value;
}

function count(value: unknown, field: string, allowZero = false): number {
  const min = allowZero ? 0 : 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TracingConfigError(
      field,
      `${field} must be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function numberFromEnv(env: Env, name: string): number | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  return count(Number.isNaN(parsed) ? raw : parsed, name);
}

function resolveBatch(options: TracingOptions, env: Env): BatchSettings {
  const b = options.batch ?? {};
  const pick = (key: keyof BatchSettings, envName: string | undefined, fallback: number): number => {
    const value = b[key];
    if (value !== undefined) return count(value, `batch.${key}`);
    return (envName === undefined ? undefined : numberFromEnv(env, envName)) ?? fallback;
  };
  const maxQueueSize = pick('maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', 2048);
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(
      pick('maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512),
      maxQueueSize,
    ),
    scheduledDelayMillis: pick('scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY', 5000),
    exportTimeoutMillis: pick('exportTimeoutMillis', 'OTEL_BSP_EXPORT_TIMEOUT', 10_000),
    flushTimeoutMillis: pick('flushTimeoutMillis', undefined, 30_000),
  };
}

function resolveSpanLimits(options: TracingOptions): Required<SpanLimits> {
  const limits = { ...DEFAULT_SPAN_LIMITS };
  for (const key of Object.keys(DEFAULT_SPAN_LIMITS) as (keyof SpanLimits)[]) {
    const value = options.spanLimits?.[key];
    if (value !== undefined) limits[key] = count(value, `spanLimits.${key}`, true);
  }
  return limits;
}

export function resolveConfig(options: TracingOptions, env: Env = process.env): ResolvedConfig {
  const endpoint = resolveEndpoint(options, env);
  const compression = resolveCompression(options, env);
  const wanted = options.recentTraces ?? endpoint === undefined;
  return {
    sampleRate: resolveSampleRate(options, env),
    endpoint,
    compression,
    spanLimits: resolveSpanLimits(options),
    batch: resolveBatch(options, env),
    recentTraces: wanted === false ? undefined : wanted === true ? {} : wanted,
  };
}
