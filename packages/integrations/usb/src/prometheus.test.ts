// A real Prometheus scrapes the instrumented watcher and evaluates the expression of the committed,
// generated SLO rule (deploy/prometheus/rules/usb-event-latency.yml) on it: the histogram's name,
// labels and buckets are the ones the rules query, or this fails.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { startPrometheus, type PromSample, type RunningPrometheus } from '@autoweave/test-utils';
import { startTracing, type TracingHandle } from '@autoweave/tracing';
import {
  createScriptedUsbSource,
  createUsbWatcher,
  instrumentUsbWatcher,
  type UsbInstrumentation,
  type UsbWatcher,
} from './index';
import { ARDUINO, FLASH_DRIVE, KEYBOARD } from './test-fixtures/devices';

const RULES = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'deploy',
  'prometheus',
  'rules',
  'usb-event-latency.yml',
);

/** The `expr` of the recording rule `record` in a generated rules file. */
function ruleExpr(yaml: string, record: string): string {
  const lines = yaml.split('\n');
  const at = lines.findIndex((l) => l.trim() === `- record: ${record}`);
  const expr = lines[at + 1]?.trim();
  if (at < 0 || expr?.startsWith('expr: ') !== true) throw new Error(`no rule ${record} in ${RULES}`);
  return expr.slice('expr: '.length);
}

const value = (s: PromSample[]): number | undefined => s[0]?.value;

describe('the USB histogram as Prometheus and the generated SLO rules see it', () => {
  let tracing: TracingHandle;
  let metrics: MetricsHandle;
  let server: Server;
  let prometheus: RunningPrometheus | undefined;
  let watcher: UsbWatcher;
  let handle: UsbInstrumentation;

  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'usb-daemon', recentTraces: true, sampleRate: 1 });
    metrics = createMetrics({ defaultMetrics: false });
    server = createServer(metrics.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({
      targets: [{ address: `127.0.0.1:${port}`, job: 'usb' }],
      scrapeInterval: '1s',
      exemplarStorage: true,
    });
  });

  afterAll(async () => {
    handle?.shutdown();
    await watcher?.stop();
    await prometheus?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await metrics.shutdown();
    await tracing.shutdown();
  });

  it('counts a handler slower than 80 ms as the bad share of the rule, with the trace as exemplar', async () => {
    const prom = prometheus as RunningPrometheus;
    const source = createScriptedUsbSource();
    watcher = createUsbWatcher({ source, debounceMs: 0 });
    handle = instrumentUsbWatcher(watcher, { tracerProvider: tracing.provider, metrics });
    watcher.on('attach', (e) => (e.device.productName === 'Arduino Uno' ? sleep(120) : undefined));
    await watcher.start();
    // the series exist at 0 before any event, so rate() counts the first one
    await prom.waitFor(
      'autoweave_usb_event_duration_seconds_count{action="attach"}',
      (s) => value(s) === 0,
      60_000,
    );

    source.connect(ARDUINO);
    source.connect(KEYBOARD);
    source.connect(FLASH_DRIVE);
    source.disconnect(KEYBOARD);
    await prom.waitFor('sum(autoweave_usb_event_duration_seconds_count)', (s) => value(s) === 4, 60_000);

    const ratio = await prom.query(ruleExpr(readFileSync(RULES, 'utf8'), 'slo:sli_error:ratio_rate5m'));
    expect(value(ratio)).toBeCloseTo(0.25, 6);
    const available = await prom.query('autoweave_usb_available');
    const attached = await prom.query('autoweave_usb_devices_attached');
    expect([value(available), value(attached)]).toEqual([1, 2]);

    const traceIds = new Set(tracing.recentTraces?.traces().map((t) => t.traceId));
    const exemplars = await prom.queryExemplars('autoweave_usb_event_duration_seconds_bucket');
    expect(exemplars.length).toBeGreaterThan(0);
    for (const e of exemplars) expect(traceIds).toContain(e.labels.trace_id);
  });
});
