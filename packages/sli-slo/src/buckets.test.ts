import { DEFAULT_SECONDS_BUCKETS, createMetrics } from '@autoweave/metrics';
import { checkMetrics, startPrometheus } from '@autoweave/test-utils';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bucketsFor } from './buckets';
import { validateSlosAgainst } from './catalog';
import { defineSlo } from './define';
import { DEFAULT_SLOS, PLUGIN_LOAD_LATENCY_SLO, USB_EVENT_LATENCY_SLO } from './defaults';
import { SloDefinitionError } from './problems';
import type { SloInput } from './types';

const latency = (id: string, histogram: string, thresholdSeconds: number): SloInput => ({
  id,
  service: 'svc',
  description: 'latency',
  objective: 0.95,
  sli: { kind: 'latency', histogram, thresholdSeconds },
});

describe('bucketsFor', () => {
  it('adds the latency threshold to the default seconds buckets, sorted', () => {
    expect(DEFAULT_SECONDS_BUCKETS).not.toContain(0.08);
    expect(bucketsFor(USB_EVENT_LATENCY_SLO)).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.08, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]);
  });

  it('adds nothing when the threshold already is a boundary', () => {
    expect(bucketsFor(defineSlo(latency('x', 'x_seconds', 0.25)))).toEqual([...DEFAULT_SECONDS_BUCKETS]);
  });

  it('takes every threshold of several SLOs on one histogram, and a base of your own', () => {
    const slos = [
      defineSlo(latency('fast', 'autoweave_api_duration_seconds', 0.3)),
      defineSlo(latency('slow', 'autoweave_api_duration_seconds', 20)),
      defineSlo(latency('same', 'autoweave_api_duration_seconds', 0.3)),
    ];
    expect(bucketsFor(slos, [1, 0.1, 10])).toEqual([0.1, 0.3, 1, 10, 20]);
    expect(bucketsFor(slos, { base: [0.5] })).toEqual([0.3, 0.5, 20]);
  });

  it('keeps thresholds that differ in any digit apart: 0.08 and 0.08000000001 are two le values', () => {
    const slos = [
      defineSlo(latency('a', 'x_seconds', 0.08)),
      defineSlo(latency('b', 'x_seconds', 0.08000000001)),
    ];
    expect(bucketsFor(slos, [0.1])).toEqual([0.08, 0.08000000001, 0.1]);
  });

  it('needs { histogram } when the SLOs measure several histograms, and ignores ratio SLOs', () => {
    expect(() => bucketsFor(DEFAULT_SLOS)).toThrow(
      "the SLOs measure 2 histograms (autoweave_usb_event_duration_seconds, autoweave_plugin_load_duration_seconds); pass { histogram: '<name>' } to get the buckets of one",
    );
    expect(bucketsFor(DEFAULT_SLOS, { histogram: 'autoweave_plugin_load_duration_seconds' })).toEqual([
      ...DEFAULT_SECONDS_BUCKETS.slice(0, 4),
      0.1,
      0.2,
      ...DEFAULT_SECONDS_BUCKETS.slice(5),
    ]);
    expect(bucketsFor(DEFAULT_SLOS.slice(2), [1, 2])).toEqual([1, 2]);
  });

  it('rejects a base that is not a list of positive finite seconds', () => {
    expect(() => bucketsFor(USB_EVENT_LATENCY_SLO, [0.1, -1, Infinity])).toThrow(SloDefinitionError);
    expect(() => bucketsFor(USB_EVENT_LATENCY_SLO, [0.1, -1, Infinity])).toThrow(
      'base[1]: bucket -1 must be a finite number of seconds > 0',
    );
  });

  it('gives a histogram whose exposition has the threshold as an le boundary, which promtool accepts', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    try {
      const h = metrics.histogram({
        name: 'autoweave_usb_event_duration_seconds',
        help: 'USB event handling time.',
        labelNames: ['event'] as const,
        buckets: bucketsFor(USB_EVENT_LATENCY_SLO),
      });
      for (const v of [0.01, 0.079, 0.08, 0.0801, 0.5]) h.observe({ event: 'attach' }, v);
      expect(validateSlosAgainst(USB_EVENT_LATENCY_SLO, metrics)).toEqual([]);

      const { body } = await metrics.collect();
      expect(body).toContain('autoweave_usb_event_duration_seconds_bucket{le="0.08",event="attach"} 3\n');
      const promtool = await checkMetrics(body);
      expect(promtool.stderr + promtool.stdout).toBe('');
      expect(promtool.ok).toBe(true);
    } finally {
      await metrics.shutdown();
    }
  });
});

describe('the bucket guarantee in a real Prometheus', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('stores a series at le equal to each default latency threshold, selectable by the exact text', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const histograms = [USB_EVENT_LATENCY_SLO, PLUGIN_LOAD_LATENCY_SLO].map((slo) => {
      if (slo.sli.kind !== 'latency') throw new Error('latency SLO expected');
      return metrics.histogram({
        name: slo.sli.histogram,
        help: slo.description,
        buckets: bucketsFor(slo),
      });
    });
    for (const h of histograms) for (const v of [0.05, 0.08, 0.15, 0.2, 0.3]) h.observe({}, v);
    server = createServer(metrics.handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const prometheus = await startPrometheus({ targets: [{ address: `127.0.0.1:${port}` }] });
    try {
      // `String(threshold)` is the text a rule would select with; Prometheus must have that series.
      const usb = await prometheus.waitFor(
        `autoweave_usb_event_duration_seconds_bucket{le="${String(0.08)}"}`,
        (s) => s.length === 1,
      );
      expect(usb[0]?.value).toBe(2);
      const plugin = await prometheus.waitFor(
        `autoweave_plugin_load_duration_seconds_bucket{le="${String(0.2)}"}`,
        (s) => s.length === 1,
      );
      expect(plugin[0]?.value).toBe(4);
    } finally {
      await prometheus.stop();
      await metrics.shutdown();
    }
  }, 60_000);
});
