import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanStatusCode, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { createLogger } from '@autoweave/logging';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { USB_EVENT_LATENCY_SLO, createSloEvaluator, defineSlo } from '@autoweave/sli-slo';
import { currentTenant } from '@autoweave/tenant-isolation';
import { captureJsonLines, checkMetrics } from '@autoweave/test-utils';
import { startTracing, type TracingHandle } from '@autoweave/tracing';
import {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  UsbOptionsError,
  createScriptedUsbSource,
  createUsbWatcher,
  instrumentUsbWatcher,
  type InstrumentUsbOptions,
  type ScriptedUsbSource,
  type UsbInstrumentation,
  type UsbWatcher,
  type UsbWatcherOptions,
} from './index';
import { ARDUINO, FLASH_DRIVE, KEYBOARD } from './test-fixtures/devices';
import { manualClock } from './test-fixtures/manual-clock';

/** The sample lines of `name` in a Prometheus text exposition, comments left out. */
const samples = (body: string, name: string): string[] =>
  body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('instrumentUsbWatcher', () => {
  // startTracing registers the AsyncLocalStorage context manager, so a handler sees its event's span
  // as the active one; the spans asserted on go to the in-memory exporter of our own provider.
  let globals: TracingHandle;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let metrics: MetricsHandle;
  let source: ScriptedUsbSource;
  let watcher: UsbWatcher;
  let handle: UsbInstrumentation | undefined;

  const setup = async (
    options: InstrumentUsbOptions = {},
    watcherOptions: UsbWatcherOptions = {},
    initial = [FLASH_DRIVE],
  ): Promise<void> => {
    source = createScriptedUsbSource({ devices: initial });
    watcher = createUsbWatcher({ source, debounceMs: 0, ...watcherOptions });
    handle = instrumentUsbWatcher(watcher, { tracerProvider: provider, metrics, ...options });
    await watcher.start();
  };
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const exposition = async (): Promise<string> => (await metrics.collect()).body;

  beforeAll(() => {
    globals = startTracing({ serviceName: 'usb-test', recentTraces: true });
  });
  afterAll(async () => {
    await provider.shutdown();
    await globals.shutdown();
  });
  beforeEach(() => {
    exporter.reset();
    metrics = createMetrics({ defaultMetrics: false });
  });
  afterEach(async () => {
    handle?.shutdown();
    handle = undefined;
    await watcher?.stop();
    await metrics.shutdown();
  });

  it('records a span per attach and detach with the device, source and tenant attributes', async () => {
    await setup({ tenantId: 'acme' }, {}, []);
    source.connect(ARDUINO);
    source.disconnect(ARDUINO);

    expect(spans().map((s) => s.name)).toEqual(['usb.device.attach', 'usb.device.detach']);
    const [attach] = spans();
    expect(attach?.attributes).toEqual({
      'usb.vendor_id': '2341',
      'usb.product_id': '0043',
      'usb.serial_number': '85736323838351F0B1C1',
      'usb.manufacturer': 'Arduino (www.arduino.cc)',
      'usb.product': 'Arduino Uno',
      'usb.device_class': 2,
      'usb.device_subclass': 0,
      'usb.device_protocol': 0,
      'usb.bus_path': '1-1.4',
      'usb.address': 7,
      'usb.speed': 'full',
      'autoweave.usb.action': 'attach',
      'autoweave.usb.enumerated': false,
      'autoweave.usb.source': 'simulated',
      'tenant.id': 'acme',
    });
    expect(attach?.instrumentationScope).toMatchObject({
      name: '@autoweave/integration-usb',
      version: INSTRUMENTATION_VERSION,
    });
    expect(spans()[1]?.attributes).toMatchObject({
      'autoweave.usb.action': 'detach',
      'usb.vendor_id': '2341',
    });
  });

  it('leaves out the attributes a device does not have, and marks enumerated devices as such', async () => {
    await setup({}, {}, [{ vendorId: 0x1d6b, productId: 0x0002 }]);

    expect(spans()[0]?.attributes).toEqual({
      'usb.vendor_id': '1d6b',
      'usb.product_id': '0002',
      'autoweave.usb.action': 'attach',
      'autoweave.usb.enumerated': true,
      'autoweave.usb.source': 'simulated',
    });
  });

  it('runs handlers inside the event span and as the tenant, so their logs carry trace_id and tenant_id', async () => {
    const out = captureJsonLines();
    const logs = createLogger({ service: 'usb-daemon', environment: 'test', stream: out.stream });
    const seen: { spanId: string | undefined; tenant: string | undefined }[] = [];
    await setup({ tenantId: 'acme' }, {}, []);
    watcher.on('attach', async () => {
      seen.push({ spanId: trace.getActiveSpan()?.spanContext().spanId, tenant: currentTenant() });
      await sleep(1);
      logs.logger.info('flashing firmware');
    });
    source.connect(KEYBOARD);
    await sleep(20);
    await logs.shutdown();

    const [span] = spans();
    expect(seen).toEqual([{ spanId: span?.spanContext().spanId, tenant: 'acme' }]);
    expect(out.records()).toEqual([
      expect.objectContaining({
        message: 'flashing firmware',
        trace_id: span?.spanContext().traceId,
        span_id: span?.spanContext().spanId,
        tenant_id: 'acme',
      }),
    ]);
  });

  it('marks the span ERROR with each exception when handlers fail, counts them, and keeps handling', async () => {
    await setup({}, {}, []);
    watcher.on('attach', () => {
      throw new TypeError('no driver for 2341:0043');
    });
    watcher.on('attach', () => Promise.reject(new Error('firmware check timed out')));
    source.connect(ARDUINO);
    await sleep(5);
    source.disconnect(ARDUINO);

    const [attach, detach] = spans();
    expect(attach?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no driver for 2341:0043' });
    expect(attach?.attributes['autoweave.usb.handler_errors']).toBe(2);
    expect(
      attach?.events.map((e) => [
        e.name,
        e.attributes?.['exception.type'],
        e.attributes?.['exception.message'],
      ]),
    ).toEqual([
      ['exception', 'TypeError', 'no driver for 2341:0043'],
      ['exception', 'Error', 'firmware check timed out'],
    ]);
    expect(detach?.status.code).toBe(SpanStatusCode.UNSET);
    const body = await exposition();
    expect(samples(body, 'autoweave_usb_handler_errors_total')).toEqual([
      'autoweave_usb_handler_errors_total{action="attach"} 2',
      'autoweave_usb_handler_errors_total{action="detach"} 0',
    ]);
    expect(samples(body, 'autoweave_usb_events_total')).toEqual([
      'autoweave_usb_events_total{action="attach"} 1',
      'autoweave_usb_events_total{action="detach"} 1',
    ]);
  });

  it('times an async handler until it settles, in the span and in the histogram', async () => {
    await setup({}, {}, []);
    watcher.on('attach', () => sleep(40));
    source.connect(ARDUINO);
    expect(spans()).toEqual([]); // still running
    await sleep(80);

    const [span] = spans();
    const durationMs = (span?.duration[0] ?? 0) * 1000 + (span?.duration[1] ?? 0) / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(35);
    const [sum] = samples(await exposition(), 'autoweave_usb_event_duration_seconds_sum').filter((l) =>
      l.includes('attach'),
    );
    expect(Number(sum?.split(' ')[1])).toBeGreaterThanOrEqual(0.035);
  });

  it('exposes every metric in a form promtool accepts, with the SLO threshold as a bucket', async () => {
    const clock = manualClock();
    await setup({}, { debounceMs: 250, timers: clock.timers, now: clock.now });
    source.connect(ARDUINO);
    source.connect(KEYBOARD);
    source.connect(KEYBOARD); // duplicate
    source.disconnect(ARDUINO);
    source.connect(ARDUINO); // flap: back within 250 ms
    source.disconnect(KEYBOARD);
    await clock.advance(250);

    const body = await exposition();
    expect(samples(body, 'autoweave_usb_events_total')).toEqual([
      'autoweave_usb_events_total{action="attach"} 3',
      'autoweave_usb_events_total{action="detach"} 1',
    ]);
    expect(samples(body, 'autoweave_usb_events_suppressed_total')).toEqual([
      'autoweave_usb_events_suppressed_total{reason="flap"} 2',
      'autoweave_usb_events_suppressed_total{reason="duplicate"} 1',
      'autoweave_usb_events_suppressed_total{reason="invalid"} 0',
      'autoweave_usb_events_suppressed_total{reason="overflow"} 0',
    ]);
    expect(samples(body, 'autoweave_usb_devices_attached')).toEqual(['autoweave_usb_devices_attached 2']);
    expect(samples(body, 'autoweave_usb_available')).toEqual(['autoweave_usb_available 1']);
    expect(samples(body, 'autoweave_usb_instrumentation_errors_total')).toEqual([
      'autoweave_usb_instrumentation_errors_total 0',
    ]);
    expect(samples(body, 'autoweave_usb_event_duration_seconds_bucket')).toContain(
      'autoweave_usb_event_duration_seconds_bucket{le="0.08",action="attach"} 3',
    );
    expect(samples(body, 'autoweave_usb_event_duration_seconds_count')).toEqual([
      'autoweave_usb_event_duration_seconds_count{action="attach"} 3',
      'autoweave_usb_event_duration_seconds_count{action="detach"} 1',
    ]);

    const promtool = await checkMetrics(body);
    expect({ ok: promtool.ok, problems: promtool.stdout + promtool.stderr }).toEqual({
      ok: true,
      problems: '',
    });
  });

  it('shows USB unavailable as autoweave_usb_available 0 while the source fails', async () => {
    const clock = manualClock();
    source = createScriptedUsbSource();
    source.fail('/sys/bus/usb/devices/ not found');
    watcher = createUsbWatcher({ source, timers: clock.timers, now: clock.now });
    handle = instrumentUsbWatcher(watcher, { tracerProvider: provider, metrics });
    await watcher.start();
    expect(samples(await exposition(), 'autoweave_usb_available')).toEqual(['autoweave_usb_available 0']);

    source.recover();
    await clock.advance(1000);
    expect(samples(await exposition(), 'autoweave_usb_available')).toEqual(['autoweave_usb_available 1']);
  });

  it('feeds the SLO evaluator from the same observation: a handler slower than 80 ms is a bad event', async () => {
    const evaluator = createSloEvaluator({ slos: [USB_EVENT_LATENCY_SLO], intervalMs: 0 });
    await setup({ sloEvaluator: evaluator }, {}, []);
    let slow = true;
    watcher.on('attach', () => (slow ? sleep(100) : undefined));
    source.connect(ARDUINO);
    await sleep(150);
    slow = false;
    source.connect(KEYBOARD);
    source.disconnect(KEYBOARD);
    source.connect(KEYBOARD);
    evaluator.close();

    const fiveMinutes = evaluator
      .snapshot()
      .slos.find((s) => s.id === 'usb-event-latency')
      ?.groups[0]?.windows.find((w) => w.window === '5m');
    expect(fiveMinutes).toMatchObject({ good: 3, total: 4 });
    const body = await exposition();
    expect(
      samples(body, 'autoweave_usb_event_duration_seconds_bucket').filter((l) => l.includes('le="0.08"')),
    ).toEqual([
      'autoweave_usb_event_duration_seconds_bucket{le="0.08",action="attach"} 2',
      'autoweave_usb_event_duration_seconds_bucket{le="0.08",action="detach"} 1',
    ]);
  });

  it("puts a replacement SLO's threshold among the buckets", async () => {
    const strict = defineSlo({
      id: 'usb-event-latency-strict',
      service: 'usb-watcher',
      description: '99% of USB events within 30 ms.',
      objective: 0.99,
      sli: { kind: 'latency', histogram: 'autoweave_usb_event_duration_seconds', thresholdSeconds: 0.03 },
    });
    await setup({ slo: strict });
    expect(samples(await exposition(), 'autoweave_usb_event_duration_seconds_bucket')).toContain(
      'autoweave_usb_event_duration_seconds_bucket{le="0.03",action="attach"} 1',
    );
  });

  it('with no span sampled, still counts every event in the metrics', async () => {
    const unsampledExporter = new InMemorySpanExporter();
    const unsampled = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor(unsampledExporter)],
    });
    await setup({ tracerProvider: unsampled }, {}, []);
    source.connect(ARDUINO);
    source.disconnect(ARDUINO);

    expect(unsampledExporter.getFinishedSpans()).toEqual([]);
    expect(samples(await exposition(), 'autoweave_usb_events_total')).toEqual([
      'autoweave_usb_events_total{action="attach"} 1',
      'autoweave_usb_events_total{action="detach"} 1',
    ]);
    await unsampled.shutdown();
  });

  it('without a metrics handle records spans only, and an evaluator alone still gets the latencies', async () => {
    const evaluator = createSloEvaluator({ slos: [USB_EVENT_LATENCY_SLO], intervalMs: 0 });
    source = createScriptedUsbSource();
    watcher = createUsbWatcher({ source, debounceMs: 0 });
    handle = instrumentUsbWatcher(watcher, { tracerProvider: provider, sloEvaluator: evaluator });
    await watcher.start();
    source.connect(ARDUINO);

    expect(spans()).toHaveLength(1);
    expect(await exposition()).not.toContain('autoweave_usb');
    const total = evaluator.snapshot().slos[0]?.groups[0]?.windows[0]?.total;
    expect(total).toBe(1);
    evaluator.close();
  });

  it('keeps handling events when the tracer throws, and counts the failure', async () => {
    const warnings: string[] = [];
    const broken: TracerProvider = {
      getTracer: () =>
        ({
          startSpan: () => {
            throw new Error('tracer exploded');
          },
        }) as unknown as Tracer,
    };
    await setup(
      {
        tracerProvider: broken,
        logger: { warn: (m) => void warnings.push(m), error: () => undefined },
      },
      {},
      [],
    );
    const handled: string[] = [];
    watcher.on('attach', (e) => void handled.push(e.device.key));
    source.connect(ARDUINO);
    source.connect(KEYBOARD);

    expect(handled).toHaveLength(2);
    expect(samples(await exposition(), 'autoweave_usb_instrumentation_errors_total')).toEqual([
      'autoweave_usb_instrumentation_errors_total 2',
    ]);
    expect(warnings).toEqual(['USB instrumentation failed (start): tracer exploded; handlers still run']);
  });

  it('shutdown() removes the spans and metrics it added, and the watcher can be instrumented again', async () => {
    await setup({}, {}, []);
    handle?.shutdown();
    handle?.shutdown();
    source.connect(ARDUINO);
    expect(spans()).toEqual([]);
    expect(await exposition()).not.toContain('autoweave_usb');

    handle = instrumentUsbWatcher(watcher, { tracerProvider: provider, metrics });
    source.connect(KEYBOARD);
    expect(spans()).toHaveLength(1);
    expect(samples(await exposition(), 'autoweave_usb_devices_attached')).toEqual([
      'autoweave_usb_devices_attached 2',
    ]);
  });

  it('leaves the metrics handle as it was when a USB metric name is already taken', async () => {
    metrics.counter({ name: 'autoweave_usb_handler_errors_total', help: 'Someone else’s.' });
    source = createScriptedUsbSource();
    watcher = createUsbWatcher({ source });
    expect(() => instrumentUsbWatcher(watcher, { tracerProvider: provider, metrics })).toThrow(
      /^metrics: cannot define the USB metrics: metric autoweave_usb_handler_errors_total is already registered/,
    );
    const body = await exposition();
    expect(body).not.toContain('autoweave_usb_event_duration_seconds');
    expect(body).not.toContain('autoweave_usb_events_total');
    expect(body).toContain('# HELP autoweave_usb_handler_errors_total Someone else’s.');
    // and the watcher is not left half-instrumented
    expect(() => instrumentUsbWatcher(watcher, { tracerProvider: provider })).not.toThrow();
  });

  it('refuses to instrument a watcher twice', async () => {
    await setup();
    expect(() => instrumentUsbWatcher(watcher, { tracerProvider: provider })).toThrow(
      'watcher: is already instrumented; call shutdown() on the other instrumentation first',
    );
  });

  it('names the option and what to change when one is wrong', async () => {
    await setup();
    handle?.shutdown();
    handle = undefined;
    const evaluatorOfOther = createSloEvaluator({
      slos: [
        defineSlo({
          id: 'other',
          service: 'x',
          description: 'x',
          objective: 0.99,
          sli: { kind: 'latency', histogram: 'autoweave_other_seconds', thresholdSeconds: 1 },
        }),
      ],
      intervalMs: 0,
    });
    const bad: [InstrumentUsbOptions, string][] = [
      [{ tenantId: 'Not A Tenant' }, 'tenantId: must match ^[a-z0-9][a-z0-9-]{0,62}$, got "Not A Tenant"'],
      [
        { tracerProvider: {} as never },
        'tracerProvider: must have a method getTracer() (an OpenTelemetry TracerProvider)',
      ],
      [
        { metrics: {} as never },
        'metrics: must have a method counter() (a MetricsHandle from createMetrics)',
      ],
      [
        { sloEvaluator: evaluatorOfOther },
        'sloEvaluator: does not evaluate SLO "usb-event-latency"; add it to createSloEvaluator({ slos })',
      ],
      [
        {
          slo: {
            ...USB_EVENT_LATENCY_SLO,
            sli: { kind: 'latency', histogram: 'autoweave_x_seconds', thresholdSeconds: 1 },
          },
        },
        'slo: must measure autoweave_usb_event_duration_seconds (sli.histogram), got autoweave_x_seconds',
      ],
    ];
    for (const [options, message] of bad) {
      let error: unknown;
      try {
        instrumentUsbWatcher(watcher, options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsbOptionsError);
      expect((error as Error).message).toBe(message);
    }
    evaluatorOfOther.close();
  });

  it("names its tracer after the package, with package.json's version", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect([INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION]).toEqual([pkg.name, pkg.version]);
  });
});
