// Checks an ObservabilityConfig and resolves it against the OTEL_* environment: every bad field is
// collected into one ObservabilityConfigError; precedence is config, then environment, then defaults.
import { isValidTenantId } from '@autoweave/tenant-isolation';
import { DEFAULT_SLOS, type SloDefinition } from '@autoweave/sli-slo';
import type { RecentTraceBufferOptions } from '@autoweave/tracing';
import type { ConfigProblem, ObservabilityConfig, ResolvedObservabilityConfig } from './types';

/** The configuration has bad fields; `problems` lists every one of them. */
export class ObservabilityConfigError extends Error {
  override readonly name = 'ObservabilityConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(
      `invalid observability configuration:\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

const KNOWN_KEYS: readonly (keyof ObservabilityConfig)[] = [
  'serviceName',
  'serviceVersion',
  'environment',
  'otlpEndpoint',
  'lokiEndpoint',
  'samplingRate',
  'enableTracing',
  'enableMetrics',
  'enableLogging',
  'enableHealthMonitoring',
  'enableSlo',
  'maxTraceExportBatchSize',
  'metricsExportInterval',
  'enableProductionOptimizations',
  'tenants',
  'lokiDefaultOrgId',
  'slos',
  'recentTraces',
  'logLevel',
  'logStream',
  'healthWindowMs',
  'eventLoopDelayThresholdMs',
  'env',
];

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
const PRODUCTION_SAMPLING_RATE = 0.1;
const DEFAULT_METRICS_INTERVAL_MS = 10_000;
const MIN_METRICS_INTERVAL_MS = 100;

type Env = Readonly<Record<string, string | undefined>>;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The known key closest to `key`, when it is plausibly a typo of it. */
function suggest(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of KNOWN_KEYS) {
    const d = known.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
};

function envValue(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

/** `key1=value1,key2=value2` with percent-encoded values, as the OTel spec defines it. */
function parseResourceAttributes(raw: string | undefined, problems: ConfigProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (key === '') {
      problems.push({
        field: 'OTEL_RESOURCE_ATTRIBUTES',
        message: `expected key=value pairs separated by commas, got ${JSON.stringify(pair)}`,
      });
      continue;
    }
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      problems.push({
        field: 'OTEL_RESOURCE_ATTRIBUTES',
        message: `the value of ${key} is not valid percent-encoding`,
      });
    }
  }
  return out;
}

/** Environment variables arrive as strings; options must already be numbers. */
function fromEnv(field: string, value: unknown): unknown {
  return typeof value === 'string' && /^[A-Z][A-Z0-9_]*$/.test(field) ? Number(value) : value;
}

class Checker {
  readonly problems: ConfigProblem[] = [];

  add(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  string(field: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.add(field, `must be a non-empty string, got ${show(value)}`);
      return undefined;
    }
    return value;
  }

  boolean(field: string, value: unknown): boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return value;
    this.add(field, `must be true or false, got ${show(value)}`);
    return undefined;
  }

  /** An integer from `min`. */
  integer(field: string, value: unknown, min: number, unit = ''): number | undefined {
    if (value === undefined) return undefined;
    const n = fromEnv(field, value);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
      this.add(field, `must be an integer >= ${min}${unit}, got ${show(value)}`);
      return undefined;
    }
    return n;
  }

  ratio(field: string, value: unknown): number | undefined {
    if (value === undefined) return undefined;
    const n = fromEnv(field, value);
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) {
      this.add(field, `must be a number from 0 to 1 (the share of traces kept), got ${show(value)}`);
      return undefined;
    }
    return n;
  }

  url(field: string, value: unknown, example: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.add(field, `must be a URL such as ${example}, got ${show(value)}`);
      return undefined;
    }
    const trimmed = value.trim();
    if (!URL.canParse(trimmed)) {
      this.add(field, `must be a URL such as ${example}, got ${show(value)}`);
      return undefined;
    }
    const protocol = new URL(trimmed).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') {
      this.add(field, `must use http: or https: (http: is plaintext), got ${JSON.stringify(protocol)}`);
      return undefined;
    }
    return trimmed;
  }
}

function checkRecentTraces(c: Checker, value: unknown): boolean | RecentTraceBufferOptions | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    c.add('recentTraces', `must be true, false or { maxTraces?, maxSpansPerTrace? }, got ${show(value)}`);
    return undefined;
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'maxTraces' && key !== 'maxSpansPerTrace') {
      c.add(`recentTraces.${key}`, 'is not an option (maxTraces, maxSpansPerTrace)');
    }
  }
  const maxTraces = c.integer('recentTraces.maxTraces', v.maxTraces, 1);
  const maxSpansPerTrace = c.integer('recentTraces.maxSpansPerTrace', v.maxSpansPerTrace, 1);
  return {
    ...(maxTraces === undefined ? {} : { maxTraces }),
    ...(maxSpansPerTrace === undefined ? {} : { maxSpansPerTrace }),
  };
}

function checkTenants(c: Checker, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    c.add('tenants', `must be an array of tenant ids, got ${show(value)}`);
    return undefined;
  }
  value.forEach((id: unknown, i) => {
    if (!isValidTenantId(id)) {
      c.add(`tenants[${i}]`, `must match ^[a-z0-9][a-z0-9-]{0,62}$, got ${show(id)}`);
    }
  });
  return value as string[];
}

function checkSlos(c: Checker, value: unknown): readonly SloDefinition[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    c.add('slos', `must be an array of SLO definitions (from defineSlo), got ${show(value)}`);
    return undefined;
  }
  const seen = new Set<string>();
  value.forEach((slo: unknown, i) => {
    const id = (slo as { id?: unknown } | null)?.id;
    const windows = (slo as { windows?: unknown } | null)?.windows;
    if (typeof slo !== 'object' || typeof id !== 'string' || !Array.isArray(windows)) {
      c.add(`slos[${i}]`, 'must be an SLO definition returned by defineSlo of @autoweave/sli-slo');
    } else if (seen.has(id)) {
      c.add(`slos[${i}]`, `repeats the SLO id ${JSON.stringify(id)}; ids must be unique`);
    } else {
      seen.add(id);
    }
  });
  return value as SloDefinition[];
}

function checkStream(c: Checker, value: unknown): NodeJS.WritableStream | false | undefined {
  if (value === undefined || value === false) return value;
  const write: unknown =
    typeof value === 'object' && value !== null ? Reflect.get(value, 'write') : undefined;
  if (typeof write !== 'function') {
    c.add('logStream', `must be a writable stream or false, got ${show(value)}`);
    return undefined;
  }
  return value as NodeJS.WritableStream;
}

function checkEnv(c: Checker, value: unknown): Env {
  if (value === undefined) return process.env;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    c.add('env', `must be an object of environment variables, got ${show(value)}`);
    return {};
  }
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined && typeof v !== 'string') c.add(`env.${key}`, `must be a string, got ${show(v)}`);
  }
  return value as Env;
}

/** Sampling ratio from OTEL_TRACES_SAMPLER(_ARG); undefined when they say nothing. */
function samplerFromEnv(c: Checker, env: Env): number | undefined {
  const sampler = envValue(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase();
  const arg = c.ratio('OTEL_TRACES_SAMPLER_ARG', envValue(env, 'OTEL_TRACES_SAMPLER_ARG'));
  switch (sampler) {
    case undefined:
      return arg;
    case 'always_on':
    case 'parentbased_always_on':
      return 1;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio':
      return arg ?? 1;
    default:
      c.add(
        'OTEL_TRACES_SAMPLER',
        `must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got ${JSON.stringify(sampler)}`,
      );
      return undefined;
  }
}

function envBoolean(c: Checker, env: Env, name: string): boolean | undefined {
  const raw = envValue(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  c.add(name, `must be true or false, got ${JSON.stringify(raw)}`);
  return undefined;
}

/**
 * Validates `config` and resolves it with the environment. Throws `ObservabilityConfigError` listing
 * every bad field, options and environment variables alike.
 */
export function resolveConfig(config: ObservabilityConfig): ResolvedObservabilityConfig {
  const c = new Checker();
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    c.add('config', `must be an object, got ${show(config)}`);
    throw new ObservabilityConfigError(c.problems);
  }
  const raw = config as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if ((KNOWN_KEYS as readonly string[]).includes(key)) continue;
    const hint = suggest(key);
    c.add(key, `is not an option${hint === undefined ? '' : `; did you mean ${hint}?`}`);
  }
  const env = checkEnv(c, raw.env);
  const resource = parseResourceAttributes(envValue(env, 'OTEL_RESOURCE_ATTRIBUTES'), c.problems);

  const serviceName =
    c.string('serviceName', raw.serviceName) ??
    envValue(env, 'OTEL_SERVICE_NAME') ??
    resource['service.name'];
  if (serviceName === undefined && raw.serviceName === undefined) {
    c.add('serviceName', 'is required (or set OTEL_SERVICE_NAME)');
  }
  const environment =
    c.string('environment', raw.environment) ??
    resource['deployment.environment.name'] ??
    resource['deployment.environment'] ??
    envValue(env, 'NODE_ENV') ??
    'development';
  const serviceVersion = c.string('serviceVersion', raw.serviceVersion) ?? resource['service.version'];
  for (const key of [
    'service.name',
    'service.version',
    'deployment.environment.name',
    'deployment.environment',
  ]) {
    delete resource[key];
  }

  const production =
    c.boolean('enableProductionOptimizations', raw.enableProductionOptimizations) ??
    environment === 'production';
  const sdkDisabled = envBoolean(c, env, 'OTEL_SDK_DISABLED') ?? false;
  const flag = (name: keyof ObservabilityConfig): boolean => c.boolean(name, raw[name]) ?? !sdkDisabled;
  const enableMetrics = flag('enableMetrics');

  const otlpEndpoint =
    c.url('otlpEndpoint', raw.otlpEndpoint, 'http://127.0.0.1:4317') ??
    (raw.otlpEndpoint === undefined
      ? (c.url(
          'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
          envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
          'http://127.0.0.1:4317',
        ) ??
        c.url(
          'OTEL_EXPORTER_OTLP_ENDPOINT',
          envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
          'http://127.0.0.1:4317',
        ))
      : undefined);
  const lokiEndpoint =
    c.url('lokiEndpoint', raw.lokiEndpoint, 'http://127.0.0.1:3100') ??
    (raw.lokiEndpoint === undefined
      ? c.url('LOKI_URL', envValue(env, 'LOKI_URL'), 'http://127.0.0.1:3100')
      : undefined);

  const samplingRate =
    c.ratio('samplingRate', raw.samplingRate) ??
    (raw.samplingRate === undefined ? samplerFromEnv(c, env) : undefined) ??
    (production ? PRODUCTION_SAMPLING_RATE : 1);
  const maxTraceExportBatchSize =
    c.integer('maxTraceExportBatchSize', raw.maxTraceExportBatchSize, 1) ??
    (raw.maxTraceExportBatchSize === undefined
      ? c.integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', envValue(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'), 1)
      : undefined);
  const metricsExportInterval =
    c.integer('metricsExportInterval', raw.metricsExportInterval, MIN_METRICS_INTERVAL_MS, ' ms') ??
    (raw.metricsExportInterval === undefined
      ? c.integer(
          'OTEL_METRIC_EXPORT_INTERVAL',
          envValue(env, 'OTEL_METRIC_EXPORT_INTERVAL'),
          MIN_METRICS_INTERVAL_MS,
          ' ms',
        )
      : undefined) ??
    DEFAULT_METRICS_INTERVAL_MS;

  const logLevel = c.string('logLevel', raw.logLevel);
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    c.add('logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }

  const resolved: ResolvedObservabilityConfig = {
    serviceName: serviceName ?? '',
    serviceVersion,
    environment,
    otlpEndpoint,
    lokiEndpoint,
    samplingRate,
    enableTracing: flag('enableTracing'),
    enableMetrics,
    enableLogging: flag('enableLogging'),
    enableHealthMonitoring: flag('enableHealthMonitoring'),
    enableSlo: c.boolean('enableSlo', raw.enableSlo) ?? enableMetrics,
    maxTraceExportBatchSize,
    metricsExportInterval,
    enableProductionOptimizations: production,
    tenants: checkTenants(c, raw.tenants),
    lokiDefaultOrgId: c.string('lokiDefaultOrgId', raw.lokiDefaultOrgId),
    slos: checkSlos(c, raw.slos) ?? DEFAULT_SLOS,
    recentTraces: checkRecentTraces(c, raw.recentTraces) ?? true,
    logLevel: logLevel ?? (production ? 'info' : 'debug'),
    logStream: checkStream(c, raw.logStream),
    healthWindowMs: c.integer('healthWindowMs', raw.healthWindowMs, 1, ' ms') ?? 60_000,
    eventLoopDelayThresholdMs:
      c.integer('eventLoopDelayThresholdMs', raw.eventLoopDelayThresholdMs, 1, ' ms') ?? 500,
    resourceAttributes: resource,
  };
  if (c.problems.length > 0) throw new ObservabilityConfigError(c.problems);
  return resolved;
}
