// The USB metrics in a @autoweave/metrics handle: the SLO histogram of handler time, counters by
// action and by suppression reason, and gauges read from the watcher at scrape time. All series are
// bound up front, so they exist at 0 before the first event and the event path only bumps them.
import type { BoundCounter, MetricsGauge, MetricsHandle } from '@autoweave/metrics';
import { bucketsFor, sloHistogram, type SloDefinition } from '@autoweave/sli-slo';
import { UsbOptionsError, errorMessage } from './options';
import type { InstrumentUsbOptions, UsbAction, UsbSuppressReason, UsbWatcher } from './types';

/** Every metric `instrumentUsbWatcher` adds to the metrics handle. */
export const USB_METRICS = Object.freeze({
  eventDuration: 'autoweave_usb_event_duration_seconds',
  events: 'autoweave_usb_events_total',
  handlerErrors: 'autoweave_usb_handler_errors_total',
  suppressed: 'autoweave_usb_events_suppressed_total',
  devicesAttached: 'autoweave_usb_devices_attached',
  available: 'autoweave_usb_available',
  instrumentationErrors: 'autoweave_usb_instrumentation_errors_total',
});

export const ACTIONS = ['attach', 'detach'] as const;
const REASONS: readonly UsbSuppressReason[] = ['flap', 'duplicate', 'invalid', 'overflow'];

export interface LatencySeries {
  observe(seconds: number): void;
}

/** The bound series the instrumentation writes to. */
export interface UsbMetricSeries {
  readonly latency: Readonly<Record<UsbAction, LatencySeries>>;
  readonly events: Readonly<Record<UsbAction, BoundCounter>>;
  readonly errors: Readonly<Record<UsbAction, BoundCounter>>;
  readonly suppressed: Readonly<Record<UsbSuppressReason, BoundCounter>>;
  readonly instrumentationErrors: BoundCounter;
  /** Takes the metrics out of the handle's registry again. */
  remove(): void;
}

type Evaluator = NonNullable<InstrumentUsbOptions['sloEvaluator']>;

function removeFrom(metrics: MetricsHandle, names: readonly string[]): void {
  for (const name of names) {
    // prom-client keys counters by the name given at registration; OpenMetrics drops `_total` later
    for (const key of new Set([name, name.replace(/_total$/, '')])) {
      if (metrics.registry.getSingleMetric(key) !== undefined) metrics.registry.removeSingleMetric(key);
    }
  }
}

/**
 * Defines the USB metrics in `metrics` (the histogram through `sloHistogram` when an evaluator is
 * given). If one cannot be defined (a name already taken), those defined so far are removed and a
 * `UsbOptionsError` says which.
 */
export function createUsbMetrics(
  metrics: MetricsHandle,
  watcher: Pick<UsbWatcher, 'devices' | 'health'>,
  slo: SloDefinition,
  evaluator: Evaluator | undefined,
): UsbMetricSeries {
  const defined: string[] = [];
  const track = <M extends { readonly name: string }>(metric: M): M => {
    defined.push(metric.name);
    return metric;
  };
  try {
    const actionBound = { action: { allow: [...ACTIONS], allowOnly: true } };
    const help = 'Time USB attach/detach handlers took per event (until async handlers settled).';
    const latency =
      evaluator !== undefined
        ? sloHistogram(metrics, evaluator, slo, {
            help,
            labelNames: ['action'] as const,
            labelBounds: actionBound,
          })
        : metrics.histogram({
            name: USB_METRICS.eventDuration,
            help,
            labelNames: ['action'] as const,
            labelBounds: actionBound,
            buckets: bucketsFor(slo),
          });
    track('metric' in latency ? latency.metric : latency);
    const byAction = (name: string, counterHelp: string) =>
      track(
        metrics.counter({
          name,
          help: counterHelp,
          labelNames: ['action'] as const,
          labelBounds: actionBound,
        }),
      );
    const events = byAction(
      USB_METRICS.events,
      'USB device events passed to the handlers, by action (after dedupe and debounce).',
    );
    const errors = byAction(
      USB_METRICS.handlerErrors,
      'USB event handlers that threw or rejected, by action.',
    );
    const suppressed = track(
      metrics.counter({
        name: USB_METRICS.suppressed,
        help: 'Raw USB source events that reached no handler: flap (detach and re-attach within the debounce window), duplicate, invalid (no vendor/product id), overflow (too many devices).',
        labelNames: ['reason'] as const,
        labelBounds: { reason: { allow: [...REASONS], allowOnly: true } },
      }),
    );
    // Read from the watcher at each scrape: nothing to update on the event path.
    const devices: MetricsGauge<never> = track(
      metrics.gauge({
        name: USB_METRICS.devicesAttached,
        help: 'USB devices attached now, as the watcher sees them.',
        collect: (): void => devices.set({}, watcher.devices().length),
      }),
    );
    const available: MetricsGauge<never> = track(
      metrics.gauge({
        name: USB_METRICS.available,
        help: '1 while the USB device source is open and delivering events, 0 while USB is unavailable or the watcher is stopped.',
        collect: (): void => available.set({}, watcher.health().available ? 1 : 0),
      }),
    );
    const internal = track(
      metrics.counter({
        name: USB_METRICS.instrumentationErrors,
        help: 'Failures inside the USB instrumentation (span or metric calls); the handlers still ran.',
      }),
    );
    const per = <T>(make: (action: UsbAction) => T): Record<UsbAction, T> => ({
      attach: make('attach'),
      detach: make('detach'),
    });
    return {
      latency: per((action) => latency.labels({ action })),
      events: per((action) => events.labels({ action })),
      errors: per((action) => errors.labels({ action })),
      suppressed: Object.fromEntries(REASONS.map((r) => [r, suppressed.labels({ reason: r })])) as Record<
        UsbSuppressReason,
        BoundCounter
      >,
      instrumentationErrors: internal.labels({}),
      remove: () => removeFrom(metrics, defined),
    };
  } catch (error) {
    removeFrom(metrics, defined);
    const field = (error as { name?: unknown })?.name === 'SloInstrumentError' ? 'sloEvaluator' : 'metrics';
    throw new UsbOptionsError(field, `cannot define the USB metrics: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
