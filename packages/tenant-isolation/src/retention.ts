// Per-tenant retention rendered as the override files Loki, Tempo and Mimir read, keyed by each
// tenant's X-Scope-OrgID, so the deploy charts write exactly what the tenant registry says.
import { stringify } from 'yaml';
import { validateTenantId } from './tenant-id';
import type { RetentionPolicy, StreamRetention } from './policy-types';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS: Readonly<Record<string, number>> = {
  y: 365 * DAY_MS,
  w: 7 * DAY_MS,
  d: DAY_MS,
  h: HOUR_MS,
  m: 60_000,
  s: 1000,
  ms: 1,
};
/** Prometheus' duration syntax (also Loki's, Tempo's and Mimir's): units largest first, each at most once. */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNITS = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;

/** Keep forever: Loki's and Mimir's `0s`. Tempo has no per-tenant "forever" (`0s` there means "use the global value"). */
export const RETAIN_FOREVER = 'forever';

export type RetentionSignal = 'traces' | 'logs' | 'metrics';

/** Shortest and longest retention accepted per signal, in Prometheus durations. */
export type RetentionBounds = Readonly<
  Record<RetentionSignal, { readonly min: string; readonly max: string }>
>;

/**
 * Default bounds. Logs: Loki's compactor deletes per 24 h index period and refuses `retention_stream`
 * periods under 24 h. Metrics: Mimir blocks span 2 h and compact to 24 h, so less than a day deletes data
 * before it is compacted. Traces: Tempo cuts blocks within minutes; an hour is the least that is useful.
 */
export const DEFAULT_RETENTION_BOUNDS: RetentionBounds = {
  traces: { min: '1h', max: '10y' },
  logs: { min: '24h', max: '10y' },
  metrics: { min: '24h', max: '10y' },
};

/** Thrown for a retention policy that no backend would accept; lists every problem with its path. */
export class RetentionPolicyError extends Error {
  override readonly name = 'RetentionPolicyError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid retention policy:\n  ${problems.join('\n  ')}`);
  }
}

/** Parses a Prometheus duration (`744h`, `30d`, `1y2w`) to milliseconds; throws a RetentionPolicyError naming `path`. */
export function parseRetentionDuration(value: unknown, path = 'duration'): number {
  const ms = durationMs(value);
  if (ms === undefined) {
    throw new RetentionPolicyError([
      `${path}: ${JSON.stringify(value)} is not a duration; write e.g. "744h", "30d" or "1y" (units y w d h m s ms, largest first)`,
    ]);
  }
  return ms;
}

/**
 * Milliseconds of a Prometheus duration (`744h`, `30d`, `1y2w`, `90s`, `500ms`), or undefined when
 * `value` is not one. Never throws; for any module that reads Prometheus-style durations.
 */
export function parsePrometheusDuration(value: unknown): number | undefined {
  return durationMs(value);
}

function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 40) return undefined;
  const match = DURATION.exec(value);
  if (match === null) return undefined;
  let total = 0;
  DURATION_UNITS.forEach((unit, i) => {
    const n = match[i + 1];
    if (n !== undefined) total += Number(n) * (UNIT_MS[unit] ?? 0);
  });
  return total;
}

/** Renders milliseconds the way the backends print them: whole hours as `744h`, else the largest exact unit. */
export function formatRetention(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A tenant as the renderer needs it: its id, the org id the backends know it by, and its retention. */
export interface RetentionTenant {
  readonly id: string;
  /** `X-Scope-OrgID` used for the tenant; the override files are keyed by it. Default: the id. */
  readonly orgId?: string;
  readonly retention?: RetentionPolicy;
}

export interface RenderRetentionOptions {
  /** Applied to tenants that leave a signal unset. Absent: such tenants get the backend's global value. */
  readonly defaults?: RetentionPolicy;
  readonly bounds?: Partial<RetentionBounds>;
}

/** Loki runtime config (`per_tenant_override_config`): `overrides.<org>.retention_period/retention_stream`. */
export interface LokiOverrides {
  readonly overrides: Record<
    string,
    { retention_period?: string; retention_stream?: { selector: string; priority: number; period: string }[] }
  >;
}

/** Tempo per-tenant overrides file, new (2.3+) format: `overrides.<org>.compaction.block_retention`. */
export interface TempoOverrides {
  readonly overrides: Record<string, { compaction: { block_retention: string } }>;
}

/** Mimir runtime config: `overrides.<org>.compactor_blocks_retention_period`. */
export interface MimirOverrides {
  readonly overrides: Record<string, { compactor_blocks_retention_period: string }>;
}

export interface RetentionOverrides {
  readonly loki: LokiOverrides;
  readonly tempo: TempoOverrides;
  readonly mimir: MimirOverrides;
  /**
   * A plain Prometheus keeps every series equally long (`--storage.tsdb.retention.time`), so per-tenant
   * metrics retention needs Mimir; for Prometheus this is the longest any tenant asks for (or undefined
   * when no tenant sets one), so no tenant loses data early. A tenant kept "forever" yields the
   * longest allowed metrics retention, since Prometheus reads 0s as its 15d default.
   */
  readonly prometheus: { readonly retentionTime: string | undefined };
}

/**
 * Validates every tenant's retention and renders the per-tenant override documents for Loki, Tempo
 * and Mimir (plus the Prometheus retention that honours all tenants). Throws one
 * {@link RetentionPolicyError} listing every problem.
 */
export function renderRetentionOverrides(
  tenants: Iterable<RetentionTenant>,
  options: RenderRetentionOptions = {},
): RetentionOverrides {
  const problems: string[] = [];
  const bounds = resolveBounds(options.bounds, problems);
  const defaults =
    options.defaults === undefined ? {} : checkPolicy(options.defaults, 'defaults', bounds, problems);
  const loki: LokiOverrides['overrides'] = {};
  const tempo: TempoOverrides['overrides'] = {};
  const mimir: MimirOverrides['overrides'] = {};
  const orgs = new Map<string, string>();
  let longestMetricsMs: number | undefined;

  let index = 0;
  for (const tenant of tenants) {
    const path = `tenants[${index++}]`;
    const org = checkTenant(tenant, path, orgs, problems);
    if (org === undefined) continue;
    const own =
      tenant.retention === undefined
        ? {}
        : checkPolicy(tenant.retention, `${path}.retention`, bounds, problems);
    const logs = own.logs ?? defaults.logs;
    const streams = own.logStreams ?? defaults.logStreams;
    if (logs !== undefined || streams !== undefined) {
      loki[org] = {
        ...(logs === undefined ? {} : { retention_period: formatRetention(logs) }),
        ...(streams === undefined ? {} : { retention_stream: streams }),
      };
    }
    const traces = own.traces ?? defaults.traces;
    if (traces !== undefined) tempo[org] = { compaction: { block_retention: formatRetention(traces) } };
    const metrics = own.metrics ?? defaults.metrics;
    if (metrics !== undefined) {
      mimir[org] = { compactor_blocks_retention_period: formatRetention(metrics) };
      longestMetricsMs = longest(longestMetricsMs, metrics);
    }
  }
  if (problems.length > 0) throw new RetentionPolicyError(problems);
  return {
    loki: { overrides: loki },
    tempo: { overrides: tempo },
    mimir: { overrides: mimir },
    prometheus: {
      // Prometheus has no "forever" (0s falls back to its 15d default): the longest allowed stands in.
      retentionTime:
        longestMetricsMs === undefined
          ? undefined
          : formatRetention(longestMetricsMs === 0 ? bounds.metrics.max : longestMetricsMs),
    },
  };
}

/** The documents as YAML files, each with a header saying where it goes. */
export function retentionOverridesYaml(overrides: RetentionOverrides): {
  readonly loki: string;
  readonly tempo: string;
  readonly mimir: string;
} {
  const header = (target: string) =>
    `# Generated by @autoweave/tenant-isolation from the tenant registry; do not edit by hand.\n# ${target}\n`;
  return {
    loki:
      header(
        'Loki runtime config: limits_config.per_tenant_override_config (needs compactor.retention_enabled)',
      ) + stringify(overrides.loki),
    tempo:
      header('Tempo per-tenant overrides: overrides.per_tenant_override_config') + stringify(overrides.tempo),
    mimir: header('Mimir runtime config: -runtime-config.file') + stringify(overrides.mimir),
  };
}

/** `0` stands for "keep forever" after validation. */
interface CheckedPolicy {
  traces?: number;
  logs?: number;
  metrics?: number;
  logStreams?: { selector: string; priority: number; period: string }[];
}

function longest(current: number | undefined, next: number): number {
  if (next === 0 || current === 0) return 0;
  return current === undefined ? next : Math.max(current, next);
}

function checkTenant(
  tenant: RetentionTenant,
  path: string,
  orgs: Map<string, string>,
  problems: string[],
): string | undefined {
  if (typeof tenant !== 'object' || tenant === null) {
    problems.push(`${path}: expected a tenant object`);
    return undefined;
  }
  try {
    validateTenantId(tenant.id);
  } catch (error) {
    problems.push(`${path}.id: ${(error as Error).message}`);
    return undefined;
  }
  const org = tenant.orgId ?? tenant.id;
  if (typeof org !== 'string' || !/^[A-Za-z0-9!._*'()-]{1,150}$/.test(org) || org === '.' || org === '..') {
    problems.push(
      `${path}.orgId: ${JSON.stringify(org)} is not a valid X-Scope-OrgID (1-150 of A-Z a-z 0-9 ! - _ . * ' ( ), not "." or "..")`,
    );
    return undefined;
  }
  const other = orgs.get(org);
  if (other !== undefined) {
    problems.push(
      `${path}: org id ${JSON.stringify(org)} is already used by tenant ${JSON.stringify(other)}`,
    );
    return undefined;
  }
  orgs.set(org, tenant.id);
  return org;
}

function resolveBounds(
  given: Partial<RetentionBounds> | undefined,
  problems: string[],
): Record<RetentionSignal, { min: number; max: number }> {
  const out = {} as Record<RetentionSignal, { min: number; max: number }>;
  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    const b = given?.[signal] ?? DEFAULT_RETENTION_BOUNDS[signal];
    const min = durationMs(b.min);
    const max = durationMs(b.max);
    if (min === undefined || max === undefined || min > max) {
      problems.push(
        `bounds.${signal}: min ${JSON.stringify(b.min)} and max ${JSON.stringify(b.max)} must be durations with min ≤ max`,
      );
      out[signal] = durationBoundsOf(DEFAULT_RETENTION_BOUNDS[signal]);
    } else {
      out[signal] = { min, max };
    }
  }
  return out;
}

function durationBoundsOf(b: { min: string; max: string }): { min: number; max: number } {
  return { min: durationMs(b.min) ?? 0, max: durationMs(b.max) ?? 0 };
}

function checkPolicy(
  policy: RetentionPolicy,
  path: string,
  bounds: Record<RetentionSignal, { min: number; max: number }>,
  problems: string[],
): CheckedPolicy {
  if (typeof policy !== 'object' || policy === null) {
    problems.push(`${path}: expected an object with traces/logs/metrics/logStreams`);
    return {};
  }
  const out: CheckedPolicy = {};
  const known = new Set(['traces', 'logs', 'metrics', 'logStreams']);
  for (const key of Object.keys(policy)) {
    if (!known.has(key))
      problems.push(`${path}.${key}: unknown field; use traces, logs, metrics or logStreams`);
  }
  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    const value = policy[signal];
    if (value === undefined) continue;
    const ms = checkSignal(value, signal, `${path}.${signal}`, bounds[signal], problems);
    if (ms !== undefined) out[signal] = ms;
  }
  if (policy.logStreams !== undefined) {
    out.logStreams = checkStreams(policy.logStreams, `${path}.logStreams`, bounds.logs, problems);
  }
  return out;
}

function checkSignal(
  value: string,
  signal: RetentionSignal,
  path: string,
  bound: { min: number; max: number },
  problems: string[],
): number | undefined {
  if (value === RETAIN_FOREVER) {
    if (signal === 'traces') {
      problems.push(
        `${path}: Tempo cannot keep one tenant's traces forever (a per-tenant 0s means "use the global value"); give a duration`,
      );
      return undefined;
    }
    return 0;
  }
  const ms = durationMs(value);
  if (ms === undefined) {
    problems.push(
      `${path}: ${JSON.stringify(value)} is not a duration; write e.g. "744h", "30d" or "1y", or "forever"`,
    );
    return undefined;
  }
  if (ms < bound.min || ms > bound.max) {
    problems.push(
      `${path}: ${value} is outside ${formatRetention(bound.min)}..${formatRetention(bound.max)} allowed for ${signal}`,
    );
    return undefined;
  }
  return ms;
}

/** `{label="v", other=~"re"}`: what Loki accepts as a stream selector (matchers only, no pipeline). */
const STREAM_SELECTOR =
  /^\{\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*")*\s*\}$/;

function checkStreams(
  streams: readonly StreamRetention[],
  path: string,
  bound: { min: number; max: number },
  problems: string[],
): { selector: string; priority: number; period: string }[] {
  if (!Array.isArray(streams)) {
    problems.push(`${path}: expected a list of { selector, period, priority }`);
    return [];
  }
  const out: { selector: string; priority: number; period: string }[] = [];
  streams.forEach((stream: StreamRetention, i) => {
    const at = `${path}[${i}]`;
    if (typeof stream !== 'object' || stream === null) {
      problems.push(`${at}: expected { selector, period, priority }`);
      return;
    }
    const selectorOk = typeof stream.selector === 'string' && STREAM_SELECTOR.test(stream.selector);
    if (!selectorOk) {
      problems.push(
        `${at}.selector: ${JSON.stringify(stream.selector)} is not a Loki stream selector like {namespace="dev"}`,
      );
    }
    const priority = stream.priority ?? 1;
    if (!Number.isInteger(priority) || priority < 0) {
      problems.push(`${at}.priority: ${JSON.stringify(stream.priority)} must be a non-negative integer`);
    }
    const ms = durationMs(stream.period);
    if (ms === undefined) {
      problems.push(
        `${at}.period: ${JSON.stringify(stream.period)} is not a duration; write e.g. "24h" or "7d"`,
      );
    } else if (ms < Math.max(bound.min, DAY_MS) || ms > bound.max) {
      problems.push(
        `${at}.period: ${stream.period} is outside ${formatRetention(Math.max(bound.min, DAY_MS))}..${formatRetention(bound.max)} (Loki needs ≥ 24h)`,
      );
    } else if (selectorOk) {
      out.push({ selector: stream.selector, priority, period: formatRetention(ms) });
    }
  });
  return out;
}
