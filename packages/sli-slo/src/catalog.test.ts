import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { bucketsFor } from './buckets';
import { validateSlosAgainst, type MetricCatalogEntry } from './catalog';
import { defineSlo } from './define';
import { AVAILABILITY_SLO, DEFAULT_SLOS, OPERATION_ERRORS_SLO, USB_EVENT_LATENCY_SLO } from './defaults';
import { SloDefinitionError, formatProblem } from './problems';
import type { SloDefinition } from './types';

const USB_HISTOGRAM = 'autoweave_usb_event_duration_seconds';

let metrics: MetricsHandle;
beforeEach(() => {
  metrics = createMetrics({ defaultMetrics: false });
});
afterEach(async () => {
  await metrics.shutdown();
});

const lines = (slos: SloDefinition | readonly SloDefinition[]): string[] =>
  validateSlosAgainst(slos, metrics).map(formatProblem);

/** Defines the platform metrics the default SLOs read, as the demo does. */
function platformMetrics(): void {
  metrics.counter({
    name: 'autoweave_requests_total',
    help: 'Requests.',
    labelNames: ['route', 'status_class', 'tenant_id'] as const,
  });
  for (const slo of DEFAULT_SLOS) {
    if (slo.sli.kind === 'latency') {
      metrics.histogram({ name: slo.sli.histogram, help: slo.description, buckets: bucketsFor(slo) });
    }
  }
}

describe('validateSlosAgainst a metrics handle', () => {
  it('finds nothing wrong with the default SLOs on metrics built with bucketsFor', () => {
    platformMetrics();
    expect(lines(DEFAULT_SLOS)).toEqual([]);
  });

  it('names a metric that is not defined, with the closest name that is', () => {
    metrics.counter({
      name: 'autoweave_request_total',
      help: 'Typo.',
      labelNames: ['status_class'] as const,
    });
    expect(lines([AVAILABILITY_SLO, USB_EVENT_LATENCY_SLO])).toEqual([
      '"availability" sli.total.metric: metric "autoweave_requests_total" is not in the catalog; did you mean "autoweave_request_total"?',
      '"availability" sli.bad.metric: metric "autoweave_requests_total" is not in the catalog; did you mean "autoweave_request_total"?',
      '"usb-event-latency" sli.histogram: metric "autoweave_usb_event_duration_seconds" is not in the catalog; define it first (metrics.histogram({ name, ... })) or fix the name',
    ]);
  });

  it('rejects a latency threshold that is not a bucket boundary, naming the nearest ones', () => {
    metrics.histogram({ name: 'autoweave_usb_event_duration_seconds', help: 'Default buckets.' });
    expect(lines(USB_EVENT_LATENCY_SLO)).toEqual([
      '"usb-event-latency" sli.thresholdSeconds: 0.08 s is not a bucket boundary of "autoweave_usb_event_duration_seconds" (nearest: 0.05, 0.1), ' +
        'so no le series counts exactly the events at or below it; create the histogram with buckets: bucketsFor(slo) or use one of its boundaries as the threshold',
    ]);
  });

  it('rejects a float-near threshold: 0.08000000001 is not the boundary 0.08', () => {
    metrics.histogram({
      name: 'autoweave_usb_event_duration_seconds',
      help: 'Has 0.08.',
      buckets: bucketsFor(USB_EVENT_LATENCY_SLO),
    });
    const near = defineSlo({
      ...USB_EVENT_LATENCY_SLO,
      id: 'near',
      sli: { kind: 'latency', histogram: USB_HISTOGRAM, thresholdSeconds: 0.08000000001 },
    });
    expect(lines(near)).toEqual([expect.stringContaining('(nearest: 0.08, 0.1)')]);
  });

  it('rejects a latency SLI on a metric that is not a histogram', () => {
    metrics.gauge({ name: 'autoweave_replication_lag_seconds', help: 'A gauge in seconds.' });
    const onGauge = defineSlo({
      ...USB_EVENT_LATENCY_SLO,
      id: 'lag',
      sli: { kind: 'latency', histogram: 'autoweave_replication_lag_seconds', thresholdSeconds: 1 },
    });
    expect(lines(onGauge)).toEqual([
      '"lag" sli.histogram: "autoweave_replication_lag_seconds" is a gauge; a latency SLI needs a histogram with a bucket at the threshold',
    ]);
  });

  it('rejects a ratio SLI on something other than counters', () => {
    // Our handle cannot make a gauge named *_total, so this needs a list, as another library gives.
    const list: MetricCatalogEntry[] = [
      { name: 'autoweave_requests_total', type: 'gauge', labelNames: ['status_class'] },
      { name: 'autoweave_usb_event_duration_seconds', type: 'summary', labelNames: [] },
    ];
    expect(validateSlosAgainst([AVAILABILITY_SLO, USB_EVENT_LATENCY_SLO], list).map(formatProblem)).toEqual([
      '"availability" sli.total.metric: "autoweave_requests_total" is a gauge; a ratio SLI counts events and needs counters (use a latency SLI for a histogram)',
      '"availability" sli.bad.metric: "autoweave_requests_total" is a gauge; a ratio SLI counts events and needs counters (use a latency SLI for a histogram)',
      '"usb-event-latency" sli.histogram: "autoweave_usb_event_duration_seconds" is a summary; a latency SLI needs a histogram with a bucket at the threshold',
    ]);
  });

  it('rejects groupBy and matcher labels the metric does not have', () => {
    platformMetrics();
    const grouped = defineSlo({
      ...OPERATION_ERRORS_SLO,
      id: 'grouped',
      groupBy: ['tenant_id', 'queue'],
      sli: {
        kind: 'ratio',
        total: { metric: 'autoweave_business_operations_total', matchers: { kind: 'job' } },
        bad: { metric: 'autoweave_business_operations_total', matchers: { outcome: 'failure' } },
      },
    });
    const latencyGrouped = defineSlo({
      ...USB_EVENT_LATENCY_SLO,
      id: 'latency-grouped',
      groupBy: ['tenant_id'],
      sli: {
        kind: 'latency',
        histogram: USB_HISTOGRAM,
        thresholdSeconds: 0.08,
        matchers: { event: 'attach' },
      },
    });
    expect(lines([grouped, latencyGrouped])).toEqual([
      '"grouped" sli.total.matchers.kind: "autoweave_business_operations_total" has no label "kind" (its labels: operation, tenant_id, outcome); match on one of them or add the label to the metric',
      '"grouped" groupBy[1]: "autoweave_business_operations_total" has no label "queue" (its labels: operation, tenant_id, outcome); group by one of them or add the label to the metric',
      '"latency-grouped" sli.matchers.event: "autoweave_usb_event_duration_seconds" has no label "event" (its labels: none); match on one of them or add the label to the metric',
      '"latency-grouped" groupBy[0]: "autoweave_usb_event_duration_seconds" has no label "tenant_id" (its labels: none); group by one of them or add the label to the metric',
    ]);
  });

  it('feeds SloDefinitionError for callers that want to fail on problems', () => {
    const problems = validateSlosAgainst(DEFAULT_SLOS, metrics);
    expect(problems).toHaveLength(4); // requests counter and both histograms missing; business ops exist
    expect(() => {
      throw new SloDefinitionError(problems);
    }).toThrow('Invalid SLO definition (4 problems)');
  });
});

describe('validateSlosAgainst a plain list (other metric libraries)', () => {
  it('reads a prom-client style counter name without _total as its exposed _total name', () => {
    const list: MetricCatalogEntry[] = [
      { name: 'autoweave_requests', type: 'counter', labelNames: ['status_class'] },
      { name: 'autoweave_usb_event_duration_seconds', type: 'histogram', buckets: [0.05, 0.08, 0.1] },
    ];
    expect(validateSlosAgainst([AVAILABILITY_SLO, USB_EVENT_LATENCY_SLO], list)).toEqual([]);
  });

  it('skips label checks when labels are unknown, but needs buckets for a latency SLI', () => {
    const list: MetricCatalogEntry[] = [
      { name: 'autoweave_requests_total', type: 'counter' },
      { name: 'autoweave_usb_event_duration_seconds', type: 'histogram' },
    ];
    expect(validateSlosAgainst([AVAILABILITY_SLO, USB_EVENT_LATENCY_SLO], list).map(formatProblem)).toEqual([
      '"usb-event-latency" sli.histogram: the catalog entry of "autoweave_usb_event_duration_seconds" lists no buckets, so the threshold 0.08 s cannot be checked; add its buckets to the entry',
    ]);
  });

  it('names only the boundary on the side that exists', () => {
    const list: MetricCatalogEntry[] = [
      { name: 'autoweave_usb_event_duration_seconds', type: 'histogram', buckets: [0.5, 1] },
    ];
    expect(validateSlosAgainst(USB_EVENT_LATENCY_SLO, list)[0]?.message).toContain('(nearest: 0.5)');
  });
});
