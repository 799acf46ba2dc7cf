// BullMQ's Telemetry interface implemented on the OpenTelemetry API: producer spans write the trace
// context and the tenant (W3C baggage) into job.opts.telemetry.metadata, workers read it back and
// run the processor as a child span, inside runWithTenant, so spans, logs and metrics of the job
// carry the producer's trace and tenant.
import {
  ROOT_CONTEXT,
  SpanKind,
  TraceFlags,
  context,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import {
  TENANT_ATTRIBUTE,
  currentTenant,
  runWithTenant,
  tenantFromContext,
  withTenantBaggage,
} from '@autoweave/tenant-isolation';
import type { ContextManager, Span as BullSpan, SpanOptions, Tracer as BullTracer } from 'bullmq';
import { JobSpan, PassThroughSpan, type SpanSettings } from './job-span';
import { readCarrier, writeCarrier } from './metadata';
import {
  errorMessage,
  optionalBoolean,
  optionalChoice,
  optionalInteger,
  optionalObject,
  requireObject,
} from './options';
import type { BullMQTelemetry, BullMQTelemetryOptions } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import { W3CPropagator } from './w3c-propagator';

// messaging.operation.type (semantic conventions 1.27+) of BullMQ's operations; others get none.
const OPERATION_TYPES: Readonly<Record<string, string>> = Object.freeze({
  add: 'send',
  addBulk: 'send',
  addFlow: 'send',
  addBulkFlows: 'send',
  addNode: 'send',
  retryJobs: 'send',
  getNextJob: 'receive',
  process: 'process',
  complete: 'settle',
  fail: 'settle',
  retry: 'settle',
  delay: 'settle',
});

/** Distinct span names whose attributes are kept; past it the cache starts over. */
const MAX_CACHED_SPAN_NAMES = 1024;

const INTERNAL_SPAN_MODES = ['none', 'traced', 'all'] as const;

/** What BullMQ gets for an INTERNAL operation not recorded: no span, and the context left as it was. */
const PASS_THROUGH = new PassThroughSpan();

const operationOf = (spanName: string): string => {
  const space = spanName.indexOf(' ');
  return space < 0 ? spanName : spanName.slice(0, space);
};

/** Creates the telemetry object to pass as `{ telemetry }` to BullMQ's Queue, Worker and FlowProducer. */
export function createBullMQTelemetry(options: BullMQTelemetryOptions = {}): BullMQTelemetry {
  const what = 'createBullMQTelemetry';
  requireObject(what, 'options', options);
  optionalObject(what, 'tracerProvider', options.tracerProvider, ['getTracer']);
  optionalObject(what, 'propagator', options.propagator, ['inject', 'extract']);
  optionalObject(what, 'logger', options.logger, ['warn', 'error']);
  const internalSpans =
    optionalChoice(what, 'internalSpans', options.internalSpans, INTERNAL_SPAN_MODES) ?? 'none';
  const followParentSampling =
    optionalBoolean(what, 'followParentSampling', options.followParentSampling) ?? true;
  const settings: SpanSettings = {
    captureJobResult: optionalBoolean(what, 'captureJobResult', options.captureJobResult) ?? false,
    maxAttributeLength: optionalInteger(what, 'maxAttributeLength', options.maxAttributeLength, 16) ?? 1024,
  };
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer: Tracer = provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION);
  const propagator: TextMapPropagator = options.propagator ?? new W3CPropagator();
  const logger = options.logger;
  // The messaging attributes of each span name, made once: every job starts two spans, sampled or
  // not, and these objects are only read (samplers, the SDK copies them into recording spans).
  const attributeCache = new Map<string, Attributes>();
  const attributesOf = (name: string): Attributes => {
    let attributes = attributeCache.get(name);
    if (attributes === undefined) {
      const operation = operationOf(name);
      const type = OPERATION_TYPES[operation];
      attributes = Object.freeze({
        'messaging.system': 'bullmq',
        'messaging.operation.name': operation,
        ...(type === undefined ? {} : { 'messaging.operation.type': type }),
      });
      // span names include the queue and job name: bounded like any other label-ish cache
      if (attributeCache.size >= MAX_CACHED_SPAN_NAMES) attributeCache.clear();
      attributeCache.set(name, attributes);
    }
    return attributes;
  };
  // The last metadata read and its context: a worker that fetches with getNextJob reads a job's
  // metadata twice in a row (fetch, then process). One entry: no map to grow or churn.
  let lastMetadata: string | undefined;
  let lastExtracted: Context = ROOT_CONTEXT;

  let invalidMetadata = 0;
  let internalErrors = 0;
  const warned = new Set<string>();
  const warnOnce = (kind: string, message: string, error?: unknown): void => {
    if (warned.has(kind)) return;
    warned.add(kind);
    try {
      logger?.warn(message, error === undefined ? undefined : { error: errorMessage(error) });
    } catch {
      // a throwing logger must not break a job either
    }
  };
  const internalError = (where: string, error: unknown): void => {
    internalErrors++;
    warnOnce(
      `internal:${where}`,
      `@autoweave/integration-bullmq: ${where} failed; BullMQ continues without it`,
      error,
    );
  };

  const bullTracer: BullTracer<Context> = {
    startSpan(name: string, spanOptions?: SpanOptions, ctx?: Context): BullSpan<Context> {
      // BullMQ's SpanKind enum has OpenTelemetry's numbers (INTERNAL 0 … CONSUMER 4).
      const kind: SpanKind = spanOptions?.kind ?? SpanKind.INTERNAL;
      if (kind === SpanKind.INTERNAL && internalSpans === 'none') return PASS_THROUGH;
      const parent = ctx ?? context.active();
      try {
        if (kind === SpanKind.INTERNAL && internalSpans === 'traced' && !hasParentSpan(parent))
          return PASS_THROUGH;
        // Under an unsampled parent the job keeps that parent's context: its spans, if any, follow
        // the parent's decision, and the metadata a producer writes still says "not sampled".
        if (followParentSampling && hasUnsampledParent(parent)) return PASS_THROUGH;
        const span = tracer.startSpan(name, { kind, attributes: attributesOf(name) }, parent);
        // The tenant only on spans that are kept: nine in ten are not at 10% sampling, and the
        // samplers read the tenant from the context, not from the attributes.
        if (span.isRecording()) {
          const tenant = tenantFromContext(parent) ?? currentTenant();
          if (tenant !== undefined) span.setAttribute(TENANT_ATTRIBUTE, tenant);
        }
        return new JobSpan(span, settings, kind === SpanKind.CONSUMER);
      } catch (error) {
        internalError('startSpan', error);
        return PASS_THROUGH;
      }
    },
  };

  const contextManager: ContextManager<Context> = {
    active: () => context.active(),
    root: () => ROOT_CONTEXT,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- BullMQ's ContextManager signature
    with<A extends (...args: any[]) => any>(ctx: Context, fn: A): ReturnType<A> {
      // An operation whose span was not made keeps the active context: nothing to switch.
      if (ctx === context.active()) return fn() as ReturnType<A>;
      let tenant: string | undefined;
      try {
        tenant = tenantFromContext(ctx);
      } catch (error) {
        internalError('with', error);
      }
      if (tenant === undefined) return context.with<[], A>(ctx, fn);
      // The processor runs as the job's tenant (from the metadata's baggage), so its logs and
      // metrics carry it; runWithTenant only where the context alone does not already say so
      // (no OpenTelemetry context manager, or another tenant in AsyncLocalStorage).
      const job = tenant;
      return context.with(
        ctx,
        () => (currentTenant() === job ? fn() : runWithTenant(job, fn)) as ReturnType<A>,
      );
    },
    getMetadata(ctx: Context): string {
      try {
        const tenant = currentTenant();
        const withTenant =
          tenant !== undefined && tenantFromContext(ctx) !== tenant ? withTenantBaggage(ctx, tenant) : ctx;
        return writeCarrier(propagator, withTenant);
      } catch (error) {
        internalError('getMetadata', error);
        return '{}';
      }
    },
    fromMetadata(active: Context, metadata: string): Context {
      try {
        // A job's context comes from the job alone, never from whatever the worker loop had active.
        if (metadata === lastMetadata) return lastExtracted;
        const parsed = readCarrier(propagator, metadata);
        if (parsed !== undefined) {
          lastMetadata = metadata;
          lastExtracted = parsed;
          return parsed;
        }
        invalidMetadata++;
        warnOnce(
          'metadata',
          '@autoweave/integration-bullmq: a job carried unreadable telemetry metadata; it runs without a parent trace',
        );
      } catch (error) {
        internalError('fromMetadata', error);
      }
      return active;
    },
  };

  return {
    tracer: bullTracer,
    contextManager,
    stats: () => ({ invalidMetadata, internalErrors }),
  };
}

/** True when `ctx` holds a valid span context whose trace is not sampled. */
function hasUnsampledParent(ctx: Context): boolean {
  const parent = trace.getSpanContext(ctx);
  return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) === 0 && isSpanContextValid(parent);
}

/** True when `ctx` holds a valid span (an unrecorded placeholder does not count). */
function hasParentSpan(ctx: Context): boolean {
  const parent = trace.getSpanContext(ctx);
  return parent !== undefined && isSpanContextValid(parent);
}
