// Shapes what the demo knows (recent traces, SLO snapshot, tenants, telemetry counters, alerts) into
// the bounded, JSON-safe document GET /debug/data returns and the page renders.
import type { RecentSpanNode, RecentTrace } from '@autoweave/tracing';
import { summarizeSlos, type SloSummary } from './slo-summary';
import type { ActiveAlert, DebugSources, PlatformInfo, TelemetryCounters, TenantActivity } from './types';

/** One span as a row of the waterfall: its depth in the tree and its offset from the trace start. */
export interface DebugSpanRow {
  spanId: string;
  depth: number;
  name: string;
  kind: string;
  scope: string;
  offsetMs: number;
  durationMs: number;
  error: boolean;
  statusMessage: string | null;
  tenant: string | null;
  /** Attribute key and value as text, values cut to `maxValueChars`. */
  attributes: [string, string][];
  events: { name: string; offsetMs: number }[];
}

export interface DebugTrace {
  traceId: string;
  name: string;
  /** What the request did, when the root only says how it came in: the root's first child's name (`query Devices`). */
  detail: string | null;
  tenant: string | null;
  /** ISO 8601 start of the earliest span. */
  startedAt: string;
  durationMs: number;
  spanCount: number;
  /** Spans the buffer did not keep plus spans not shown here because of `maxSpansPerTrace`. */
  hiddenSpans: number;
  hasError: boolean;
  /** Depth-first, children after their parent in start order. */
  spans: DebugSpanRow[];
}

export interface DebugTelemetryRow {
  signal: string;
  /** Items delivered (`exported`, or `sent` for logs); null when the signal does not count them. */
  exported: number | null;
  dropped: { reason: string; count: number }[];
  droppedTotal: number;
}

export interface DebugData {
  generatedAt: string;
  /** The trace filter applied (from the query string). */
  filter: { tenant: string | null; errorsOnly: boolean };
  traces: DebugTrace[];
  slos: SloSummary[];
  /** ISO 8601 time of the SLO snapshot; null without an evaluator. */
  sloEvaluatedAt: string | null;
  tenants: TenantActivity[];
  telemetry: DebugTelemetryRow[];
  /** Firing alerts first, then resolved ones, newest first within each. */
  alerts: ActiveAlert[];
  /** How the platform runs (USB mode first); null when the demo does not say. */
  platform: PlatformInfo | null;
  /** Sources that threw, as `<source>: <message>`: the page shows them instead of failing. */
  errors: string[];
}

export interface DebugDataOptions {
  /** Traces shown, newest first. Default 50. */
  maxTraces?: number;
  /** Spans shown per trace. Default 300. */
  maxSpansPerTrace?: number;
  /** Attributes shown per span. Default 64. */
  maxAttributes?: number;
  /** Longest attribute value shown, in characters. Default 300. */
  maxValueChars?: number;
  /** Alerts shown. Default 100. */
  maxAlerts?: number;
}

export type DebugLimits = Required<DebugDataOptions>;
type Limits = DebugLimits;

/** Checks the options once (a bad one throws a RangeError naming it) and fills in the defaults. */
export function debugLimits(options: DebugDataOptions = {}): DebugLimits {
  const limit = (value: number | undefined, fallback: number, field: string): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`debug.${field} must be a positive integer (got ${String(value)})`);
    }
    return value;
  };
  return {
    maxTraces: limit(options.maxTraces, 50, 'maxTraces'),
    maxSpansPerTrace: limit(options.maxSpansPerTrace, 300, 'maxSpansPerTrace'),
    maxAttributes: limit(options.maxAttributes, 64, 'maxAttributes'),
    maxValueChars: limit(options.maxValueChars, 300, 'maxValueChars'),
    maxAlerts: limit(options.maxAlerts, 100, 'maxAlerts'),
  };
}

function text(value: unknown, max: number): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Rounds to microseconds: enough for a waterfall, and keeps the JSON short. */
const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function shapeTrace(trace: RecentTrace, limits: Limits): DebugTrace {
  const spans: DebugSpanRow[] = [];
  const visit = (node: RecentSpanNode, depth: number): void => {
    if (spans.length >= limits.maxSpansPerTrace) return;
    const tenant = node.attributes['tenant.id'];
    spans.push({
      spanId: node.spanId,
      depth,
      name: text(node.name, limits.maxValueChars),
      kind: node.kind,
      scope: text(node.scope, limits.maxValueChars),
      offsetMs: round(node.startTimeMs - trace.startTimeMs),
      durationMs: round(node.durationMs),
      error: node.status.code === 'ERROR',
      statusMessage:
        node.status.message === undefined ? null : text(node.status.message, limits.maxValueChars),
      tenant: typeof tenant === 'string' ? text(tenant, limits.maxValueChars) : null,
      attributes: Object.entries(node.attributes)
        .slice(0, limits.maxAttributes)
        .map(([k, v]) => [text(k, limits.maxValueChars), text(v, limits.maxValueChars)]),
      events: node.events.map((e) => ({
        name: text(e.name, limits.maxValueChars),
        offsetMs: round(e.timeMs - trace.startTimeMs),
      })),
    });
    for (const child of node.children) visit(child, depth + 1);
  };
  for (const root of trace.roots) visit(root, 0);
  return {
    traceId: trace.traceId,
    name: text(trace.name, limits.maxValueChars),
    detail:
      trace.roots[0]?.children[0] === undefined
        ? null
        : text(trace.roots[0].children[0].name, limits.maxValueChars),
    tenant: trace.tenant === undefined ? null : text(trace.tenant, limits.maxValueChars),
    startedAt: new Date(trace.startTimeMs).toISOString(),
    durationMs: round(trace.durationMs),
    spanCount: trace.spanCount,
    hiddenSpans: trace.droppedSpans + (trace.spanCount - spans.length),
    hasError: trace.hasError,
    spans,
  };
}

function shapeTelemetry(stats: ReturnType<DebugSources['telemetry']>): DebugTelemetryRow[] {
  if (stats === undefined) return [];
  // Every signal of ObservabilityStats has this shape; reading them alike keeps new signals visible.
  const counters = stats as TelemetryCounters;
  const rows: DebugTelemetryRow[] = [];
  for (const [signal, c] of Object.entries(counters)) {
    if (c === undefined || c === null || typeof c !== 'object') continue;
    const dropped = Object.entries(c.dropped ?? {})
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
      .map(([reason, count]) => ({ reason, count }));
    const exported = typeof c.exported === 'number' ? c.exported : typeof c.sent === 'number' ? c.sent : null;
    rows.push({ signal, exported, dropped, droppedTotal: dropped.reduce((n, d) => n + d.count, 0) });
  }
  return rows;
}

function sortAlerts(alerts: readonly ActiveAlert[], max: number): ActiveAlert[] {
  const rank = (a: ActiveAlert): number => (a.status === 'firing' ? 0 : 1);
  return [...alerts].sort((a, b) => rank(a) - rank(b) || b.startsAt.localeCompare(a.startsAt)).slice(0, max);
}

/** Calls every source; one that throws leaves its section empty and is listed in `errors`. */
/** Which traces to show: one tenant's (`tenant.id` of the root span), failing ones only, or both. */
export interface TraceFilter {
  tenant?: string | undefined;
  errorsOnly?: boolean | undefined;
}

/** The filter in a /debug or /debug/data query string: `?tenant=acme&errors=1`. */
export function traceFilterFrom(search: URLSearchParams): TraceFilter {
  const tenant = search.get('tenant');
  return {
    tenant: tenant === null || tenant === '' ? undefined : tenant,
    errorsOnly: search.get('errors') === '1',
  };
}

export function buildDebugData(
  sources: DebugSources,
  limits: DebugLimits = debugLimits(),
  filter: TraceFilter = {},
): DebugData {
  const errors: string[] = [];
  const read = <T>(name: string, fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (error) {
      errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      return fallback;
    }
  };
  const traces = read(
    'traces',
    () =>
      sources
        .traces()
        .filter(
          (t) =>
            (filter.tenant === undefined || t.tenant === filter.tenant) &&
            (filter.errorsOnly !== true || t.hasError),
        )
        .slice(0, limits.maxTraces),
    [],
  );
  const snapshot = read('slo', () => sources.slo(), undefined);
  return {
    generatedAt: new Date().toISOString(),
    filter: { tenant: filter.tenant ?? null, errorsOnly: filter.errorsOnly === true },
    traces: traces.map((t) => shapeTrace(t, limits)),
    slos: read('slo', () => summarizeSlos(snapshot), []),
    sloEvaluatedAt: snapshot === undefined ? null : new Date(snapshot.evaluatedAt).toISOString(),
    tenants: read('tenants', () => [...sources.tenants()], []),
    telemetry: read('telemetry', () => shapeTelemetry(sources.telemetry()), []),
    alerts: read('alerts', () => sortAlerts(sources.alerts(), limits.maxAlerts), []),
    platform: read('platform', () => sources.platform?.() ?? null, null),
    errors,
  };
}
