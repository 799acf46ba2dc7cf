// The USB integration's benchmark: one device event through the watcher to a handler, with
// instrumentUsbWatcher (span + SLO histogram + counters) against the same watcher without it.
// Both sides do the same work per operation: the scripted source alternates plugging and
// unplugging one device (debounce off), so every operation is one attach or detach dispatch.
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { startTracing, type TracingHandle } from '@autoweave/tracing';
import {
  SAMPLE_DEVICES,
  createScriptedUsbSource,
  createUsbWatcher,
  instrumentUsbWatcher,
  type UsbDeviceEvent,
  type UsbInstrumentation,
  type UsbWatcher,
} from '@autoweave/integration-usb';
import { OPS_PER_SAMPLE, keep, type Pair } from './harness.js';
import { startPeerProcess, type PeerProcess } from './peer.js';

const DEVICE = SAMPLE_DEVICES.arduinoUno;

const handler = (event: UsbDeviceEvent): void => {
  keep(event.device.key);
};

interface Rig {
  readonly watcher: UsbWatcher;
  /** Plugs the device in when it is out and out when it is in: one dispatched event per call. */
  readonly toggle: () => void;
}

function rig(): Rig {
  const source = createScriptedUsbSource();
  const watcher = createUsbWatcher({ source, debounceMs: 0 });
  watcher.on('attach', handler);
  watcher.on('detach', handler);
  let attached = false;
  return {
    watcher,
    toggle: () => {
      if (attached) source.disconnect(DEVICE);
      else source.connect(DEVICE);
      attached = !attached;
    },
  };
}

function usbPair(name: string, sampleRate: number, budgetUs?: number, perEvent = false): Pair {
  let peer: PeerProcess | undefined;
  let tracing: TracingHandle | undefined;
  let metrics: MetricsHandle | undefined;
  let instrumentation: UsbInstrumentation | undefined;
  let plain: Rig | undefined;
  let instrumented: Rig | undefined;
  return {
    name,
    ...(budgetUs !== undefined ? { budgetUs } : {}),
    perEvent,
    setup: async () => {
      peer = await startPeerProcess();
      // registered globally, as in an app: handlers run with the event's span active (ALS context)
      tracing = startTracing({
        serviceName: 'bench-usb',
        sampleRate,
        endpoint: peer.url,
        registerGlobal: true,
      });
      metrics = createMetrics({ defaultMetrics: false });
      plain = rig();
      instrumented = rig();
      instrumentation = instrumentUsbWatcher(instrumented.watcher, {
        tracerProvider: tracing.provider,
        metrics,
      });
      await plain.watcher.start();
      await instrumented.watcher.start();
    },
    baseline: () => plain!.toggle(),
    instrumented: () => instrumented!.toggle(),
    teardown: async () => {
      instrumentation?.shutdown();
      await plain?.watcher.stop();
      await instrumented?.watcher.stop();
      await metrics?.shutdown();
      await tracing?.shutdown();
      await peer?.stop();
    },
  };
}

/**
 * The USB rows for run.ts: `...usbPairs()` among the pairs. The budget row is issue 5's (≤ 2 µs added
 * per event at 10% sampling, median): each event timed on its own, the median event against the
 * median uninstrumented one. The samples row spreads the sampled tenth's spans and the batch export
 * over every event (a mean-like figure); the 100% row is for reference.
 */
export function usbPairs(): Pair[] {
  return [
    usbPair(
      'USB event dispatch, span + metrics, 10% sampling, OTLP/gRPC to a live peer: median event',
      0.1,
      2,
      true,
    ),
    usbPair(
      `USB event dispatch, span + metrics, 10% sampling, OTLP/gRPC to a live peer: per event in samples of ${OPS_PER_SAMPLE} (sampled spans and export included; reference)`,
      0.1,
    ),
    usbPair('USB event dispatch, span + metrics, 100% sampling, OTLP/gRPC to a live peer (reference)', 1),
  ];
}
