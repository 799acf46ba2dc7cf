// Instrumentation of a USB watcher: a span per attach/detach around its handlers (so their logs
// carry the trace id), the handler time in the USB SLO's histogram, event/error/suppression
// counters, and gauges of attached devices and USB availability read from the watcher on scrape.
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Exception,
  type Span,
} from '@opentelemetry/api';
import type { BoundCounter, MetricsHandle } from '@autoweave/metrics';
import { USB_EVENT_LATENCY_SLO, type SloDefinition } from '@autoweave/sli-slo';
import { TENANT_ATTRIBUTE, currentTenant, isValidTenantId, runWithTenant } from '@autoweave/tenant-isolation';
import { hex4 } from './device';
import { ACTIONS, USB_METRICS, createUsbMetrics, type LatencySeries, type UsbMetricSeries } from './metrics';
import { UsbOptionsError, errorMessage, objectOption } from './options';
import type {
  InstrumentUsbOptions,
  UsbAction,
  UsbDeviceEvent,
  UsbDeviceInfo,
  UsbDispatchOutcome,
  UsbHandlerErrors,
  UsbInstrumentation,
  UsbLogger,
  UsbWatcher,
  UsbWatcherInterceptor,
} from './types';

/** Tracer name; the version is this package's. */
export const INSTRUMENTATION_NAME = '@autoweave/integration-usb';
export const INSTRUMENTATION_VERSION = '0.1.0';

export const USB_SPAN_NAMES: Readonly<Record<UsbAction, string>> = Object.freeze({
  attach: 'usb.device.attach',
  detach: 'usb.device.detach',
});

const MAX_STATUS_MESSAGE = 1024;
const SPAN_OPTIONS = Object.freeze({ kind: SpanKind.INTERNAL });

interface PerAction {
  readonly spanName: string;
  readonly latency: LatencySeries | undefined;
  readonly events: BoundCounter | undefined;
  readonly errors: BoundCounter | undefined;
}

const isPromise = (v: UsbDispatchOutcome): v is Promise<UsbHandlerErrors> =>
  typeof (v as { then?: unknown }).then === 'function';

/** Span attributes of a device, made once per device (detach reuses the attach's object). */
const deviceAttributes = new WeakMap<UsbDeviceInfo, Attributes>();

function attributesOf(device: UsbDeviceInfo): Attributes {
  let attrs = deviceAttributes.get(device);
  if (attrs !== undefined) return attrs;
  attrs = { 'usb.vendor_id': hex4(device.vendorId), 'usb.product_id': hex4(device.productId) };
  const optional: [string, string | number | undefined][] = [
    ['usb.serial_number', device.serialNumber],
    ['usb.manufacturer', device.manufacturerName],
    ['usb.product', device.productName],
    ['usb.device_class', device.deviceClass],
    ['usb.device_subclass', device.deviceSubclass],
    ['usb.device_protocol', device.deviceProtocol],
    ['usb.bus_path', device.busPath],
    ['usb.address', device.address],
    ['usb.speed', device.speed],
  ];
  for (const [key, value] of optional) if (value !== undefined) attrs[key] = value;
  deviceAttributes.set(device, attrs);
  return attrs;
}

/** Errors as recordException takes them; `instanceof Error` misses native and cross-realm errors. */
const exceptionOf = (error: unknown): Exception =>
  typeof (error as { message?: unknown } | null | undefined)?.message === 'string'
    ? (error as Exception)
    : errorMessage(error);

function checkSlo(slo: unknown): SloDefinition {
  if (slo === undefined) return USB_EVENT_LATENCY_SLO;
  const s = slo as Partial<SloDefinition>;
  if (typeof s !== 'object' || s === null || s.sli?.kind !== 'latency') {
    throw new UsbOptionsError('slo', 'must be a latency SLO from defineSlo (sli.kind "latency")');
  }
  if (s.sli.histogram !== USB_METRICS.eventDuration) {
    throw new UsbOptionsError(
      'slo',
      `must measure ${USB_METRICS.eventDuration} (sli.histogram), got ${String(s.sli.histogram)}`,
    );
  }
  return slo as SloDefinition;
}

/**
 * Instruments `watcher`: spans, and with `options.metrics` the metrics of README "Emitted telemetry".
 * Throws `UsbOptionsError` for a bad option or a watcher that is already instrumented; after that
 * nothing it adds throws into the watcher or its handlers. `shutdown()` removes all of it.
 */
export function instrumentUsbWatcher(
  watcher: UsbWatcher,
  options: InstrumentUsbOptions = {},
): UsbInstrumentation {
  objectOption('watcher', watcher, ['intercept', 'devices', 'health'], 'a watcher from createUsbWatcher');
  const provider =
    objectOption<NonNullable<InstrumentUsbOptions['tracerProvider']>>(
      'tracerProvider',
      options.tracerProvider,
      ['getTracer'],
      'an OpenTelemetry TracerProvider',
    ) ?? trace.getTracerProvider();
  const metrics = objectOption<MetricsHandle>(
    'metrics',
    options.metrics,
    ['counter', 'gauge', 'histogram'],
    'a MetricsHandle from createMetrics',
  );
  const evaluator = objectOption<NonNullable<InstrumentUsbOptions['sloEvaluator']>>(
    'sloEvaluator',
    options.sloEvaluator,
    ['bind', 'recordLatency'],
    'an evaluator from createSloEvaluator',
  );
  const slo = checkSlo(options.slo);
  if (evaluator !== undefined && !evaluator.slos.some((s) => s.id === slo.id)) {
    throw new UsbOptionsError(
      'sloEvaluator',
      `does not evaluate SLO "${slo.id}"; add it to createSloEvaluator({ slos })`,
    );
  }
  const tenantId = options.tenantId;
  if (tenantId !== undefined && !isValidTenantId(tenantId)) {
    throw new UsbOptionsError(
      'tenantId',
      `must match ^[a-z0-9][a-z0-9-]{0,62}$, got ${JSON.stringify(tenantId)}`,
    );
  }
  const logger = objectOption<UsbLogger>('logger', options.logger, ['warn', 'error'], 'a logger');
  const tracer = provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  const source = watcher.health().source;

  const series: UsbMetricSeries | undefined =
    metrics === undefined ? undefined : createUsbMetrics(metrics, watcher, slo, evaluator);
  const recorder = series === undefined ? evaluator?.bind(slo.id) : undefined;
  const perAction = {} as Record<UsbAction, PerAction>;
  for (const action of ACTIONS) {
    perAction[action] = {
      spanName: USB_SPAN_NAMES[action],
      // without a metrics handle an evaluator still gets the latencies
      latency:
        series?.latency[action] ?? (recorder && { observe: (seconds) => recorder.recordLatency(seconds) }),
      events: series?.events[action],
      errors: series?.errors[action],
    };
  }

  const warned = new Set<string>();
  const internal = (stage: string, error: unknown): void => {
    try {
      series?.instrumentationErrors.inc();
      if (!warned.has(stage) && logger !== undefined) {
        warned.add(stage);
        logger.warn(`USB instrumentation failed (${stage}): ${errorMessage(error)}; handlers still run`, {
          stage,
        });
      }
    } catch {
      // nothing left to report to
    }
  };

  function finish(a: PerAction, span: Span, start: number, errors: UsbHandlerErrors): UsbHandlerErrors {
    try {
      a.latency?.observe((performance.now() - start) / 1000);
      a.events?.inc();
      if (errors.length > 0) {
        a.errors?.inc(errors.length);
        for (const error of errors) {
          span.recordException(exceptionOf(error));
        }
        span.setAttribute('autoweave.usb.handler_errors', errors.length);
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: errorMessage(errors[0]).slice(0, MAX_STATUS_MESSAGE),
        });
      }
    } catch (error) {
      internal('finish', error);
    }
    try {
      span.end();
    } catch (error) {
      internal('end', error);
    }
    return errors;
  }

  function traced(event: UsbDeviceEvent, run: () => UsbDispatchOutcome): UsbDispatchOutcome {
    const a = perAction[event.action];
    let span: Span;
    const parent = context.active();
    try {
      span = tracer.startSpan(a.spanName, SPAN_OPTIONS, parent);
      // attributes only for spans that are kept: 90% of them are not at 10% sampling
      if (span.isRecording()) {
        span.setAttributes(attributesOf(event.device));
        span.setAttributes({
          'autoweave.usb.action': event.action,
          'autoweave.usb.enumerated': event.enumerated,
          'autoweave.usb.source': source,
        });
        const tenant = tenantId ?? currentTenant();
        if (tenant !== undefined) span.setAttribute(TENANT_ATTRIBUTE, tenant);
      }
    } catch (error) {
      internal('start', error);
      return run();
    }
    return context.with(trace.setSpan(parent, span), () => {
      const start = performance.now();
      const outcome = run();
      return isPromise(outcome)
        ? outcome.then((errors) => finish(a, span, start, errors))
        : finish(a, span, start, outcome);
    });
  }

  const interceptor: UsbWatcherInterceptor = {
    dispatch:
      tenantId === undefined ? traced : (event, run) => runWithTenant(tenantId, () => traced(event, run)),
    suppressed(reason, count) {
      try {
        series?.suppressed[reason]?.inc(count);
      } catch (error) {
        internal('suppressed', error);
      }
    },
  };
  const release = watcher.intercept(interceptor);

  let done = false;
  return {
    shutdown() {
      if (done) return;
      done = true;
      release();
      series?.remove();
    },
  };
}
