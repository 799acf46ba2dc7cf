// A bounded in-process store of recent traces (like OpenTelemetry zPages), so an app can show
// trace trees on a /debug page with no tracing backend at all.
import { SpanKind, SpanStatusCode, TraceFlags, type Context, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TENANT_ATTRIBUTE } from '@autoweave/tenant-isolation';
import type { PipelineCounters } from './counters';
import type {
  RecentSpan,
  RecentSpanNode,
  RecentTrace,
  RecentTraceBufferOptions,
  RecentTraceQuery,
  RecentTraceStats,
} from './types';

const KIND: Record<SpanKind, RecentSpan['kind']> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};
const STATUS: Record<SpanStatusCode, RecentSpan['status']['code']> = {
  [SpanStatusCode.UNSET]: 'UNSET',
  [SpanStatusCode.OK]: 'OK',
  [SpanStatusCode.ERROR]: 'ERROR',
};

interface StoredTrace {
  /** Ended spans as the SDK handed them over; converted to plain data only when read. */
  spans: ReadableSpan[];
  dropped: number;
}

function positiveInt(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`recentTraces.${field} must be a positive integer (got ${String(value)})`);
  }
  return value;
}

const ms = (t: HrTime): number => hrTimeToMilliseconds(t);

function toRecentSpan(span: ReadableSpan): RecentSpan {
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KIND[span.kind] ?? 'INTERNAL',
    startTimeMs: ms(span.startTime),
    durationMs: ms(span.duration),
    attributes: { ...span.attributes },
    status: { code: STATUS[span.status.code] ?? 'UNSET', message: span.status.message },
    events: span.events.map((e) => ({ name: e.name, timeMs: ms(e.time), attributes: { ...e.attributes } })),
    scope: span.instrumentationScope.name,
  };
}

function buildTrace(traceId: string, stored: StoredTrace): RecentTrace {
  const nodes = new Map<string, RecentSpanNode>();
  const spans = stored.spans.map(toRecentSpan);
  for (const span of spans) nodes.set(span.spanId, { ...span, children: [] });
  const roots: RecentSpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentSpanId === undefined ? undefined : nodes.get(node.parentSpanId);
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
  }
  const byStart = (a: RecentSpanNode, b: RecentSpanNode): number => a.startTimeMs - b.startTimeMs;
  for (const node of nodes.values()) node.children.sort(byStart);
  roots.sort((a, b) => {
    // A true root (no parent at all) first, then orphans by start time.
    const rootA = a.parentSpanId === undefined ? 0 : 1;
    const rootB = b.parentSpanId === undefined ? 0 : 1;
    return rootA - rootB || byStart(a, b);
  });
  const start = Math.min(...spans.map((s) => s.startTimeMs));
  // Offsets from the start, not absolute end times: at epoch magnitudes, start + duration - start
  // can round below a span's own duration.
  const length = Math.max(...spans.map((s) => s.startTimeMs - start + s.durationMs));
  const head = roots[0];
  const tenant = head?.attributes[TENANT_ATTRIBUTE];
  return {
    traceId,
    name: head?.name ?? '',
    startTimeMs: start,
    durationMs: length,
    spanCount: spans.length,
    droppedSpans: stored.dropped,
    tenant: typeof tenant === 'string' ? tenant : undefined,
    hasError: spans.some((s) => s.status.code === 'ERROR'),
    roots,
  };
}

/**
 * A `SpanExporter` that keeps the last `maxTraces` traces in memory, at most `maxSpansPerTrace`
 * spans each, evicting the oldest trace first. Use it with any span processor, or let
 * `startTracing` wire it. Reads return plain data (copies), safe to serialise as JSON.
 */
export class RecentTraceBuffer implements SpanExporter {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  private readonly store = new Map<string, StoredTrace>();
  private spanCount = 0;
  private evictedTraces = 0;
  private droppedSpans = 0;
  private stopped = false;

  constructor(options: RecentTraceBufferOptions = {}) {
    this.maxTraces = positiveInt(options.maxTraces, 100, 'maxTraces');
    this.maxSpansPerTrace = positiveInt(options.maxSpansPerTrace, 256, 'maxSpansPerTrace');
  }

  /** Stores spans (never fails while running; after `shutdown()` it reports failure). */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('RecentTraceBuffer is shut down') });
      return;
    }
    for (const span of spans) this.add(span);
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  /** Recent traces, newest first. */
  traces(query: RecentTraceQuery = {}): RecentTrace[] {
    const out: RecentTrace[] = [];
    const ids = [...this.store.keys()].reverse();
    for (const id of ids) {
      if (query.limit !== undefined && out.length >= query.limit) break;
      const stored = this.store.get(id);
      if (stored === undefined) continue;
      const trace = buildTrace(id, stored);
      if (query.tenant !== undefined && trace.tenant !== query.tenant) continue;
      if (query.errorsOnly === true && !trace.hasError) continue;
      out.push(trace);
    }
    return out;
  }

  /** One trace by its hex id, if still held. */
  trace(traceId: string): RecentTrace | undefined {
    const stored = this.store.get(traceId);
    return stored === undefined ? undefined : buildTrace(traceId, stored);
  }

  stats(): RecentTraceStats {
    return {
      traces: this.store.size,
      spans: this.spanCount,
      evictedTraces: this.evictedTraces,
      droppedSpans: this.droppedSpans,
    };
  }

  clear(): void {
    this.store.clear();
    this.spanCount = 0;
  }

  /** Stops accepting spans; what is held stays readable. */
  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  private add(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let stored = this.store.get(traceId);
    if (stored === undefined) {
      while (this.store.size >= this.maxTraces) this.evictOldest();
      stored = { spans: [], dropped: 0 };
      this.store.set(traceId, stored);
    }
    if (stored.spans.length >= this.maxSpansPerTrace) {
      stored.dropped++;
      this.droppedSpans++;
      return;
    }
    stored.spans.push(span);
    this.spanCount++;
  }

  private evictOldest(): void {
    const oldest = this.store.keys().next();
    if (oldest.done === true) return;
    this.spanCount -= this.store.get(oldest.value)?.spans.length ?? 0;
    this.store.delete(oldest.value);
    this.evictedTraces++;
  }
}

/**
 * Feeds ended, sampled spans straight into a (synchronous, in-memory) exporter such as the
 * buffer, so a trace shows up on the debug page as soon as its spans end.
 */
export class ImmediateSpanProcessor implements SpanProcessor {
  private stopped = false;

  constructor(
    private readonly exporter: SpanExporter,
    /** Given when this is the only export target, so its outcome is what `stats()` reports. */
    private readonly counters?: PipelineCounters,
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.stopped) {
      if (this.counters !== undefined) this.counters.dropped.shutdown++;
      return;
    }
    try {
      this.exporter.export([span], (result) => {
        if (this.counters === undefined) return;
        if (result.code === ExportResultCode.SUCCESS) this.counters.exported++;
        else this.counters.dropped.export_failed++;
      });
    } catch {
      if (this.counters !== undefined) this.counters.dropped.export_failed++;
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.exporter.shutdown();
    } catch {
      // An exporter failing to shut down must not fail the app's shutdown.
    }
  }
}
