import { bucketsFor } from './buckets';
import { defineSlos } from './define';
import {
  AVAILABILITY_SLO,
  DEFAULT_RUNBOOK_BASE,
  DEFAULT_SLOS,
  OPERATION_ERRORS_SLO,
  PLUGIN_LOAD_LATENCY_SLO,
  USB_EVENT_LATENCY_SLO,
} from './defaults';

const thresholds = (slo: (typeof DEFAULT_SLOS)[number]): string[] => slo.tiers.map((t) => t.threshold);

describe('the default SLOs of shared/DESIGN.md', () => {
  it('are the four SLOs of the design, with unique ids that pass defineSlos together', () => {
    expect(DEFAULT_SLOS.map((s) => [s.id, s.service, s.objective, s.window])).toEqual([
      ['usb-event-latency', 'usb-watcher', 0.95, '30d'],
      ['plugin-load-latency', 'plugin-loader', 0.95, '30d'],
      ['availability', 'platform', 0.999, '30d'],
      ['operation-errors', 'platform', 0.99, '30d'],
    ]);
    expect(defineSlos(DEFAULT_SLOS).map((s) => s.id)).toEqual(DEFAULT_SLOS.map((s) => s.id));
    expect(Object.isFrozen(DEFAULT_SLOS)).toBe(true);
  });

  it('measure USB events under 80 ms and plugin loads under 200 ms on their histograms', () => {
    expect(USB_EVENT_LATENCY_SLO.sli).toEqual({
      kind: 'latency',
      histogram: 'autoweave_usb_event_duration_seconds',
      thresholdSeconds: 0.08,
    });
    expect(PLUGIN_LOAD_LATENCY_SLO.sli).toEqual({
      kind: 'latency',
      histogram: 'autoweave_plugin_load_duration_seconds',
      thresholdSeconds: 0.2,
    });
    expect(bucketsFor(USB_EVENT_LATENCY_SLO)).toContain(0.08);
    expect(bucketsFor(PLUGIN_LOAD_LATENCY_SLO)).toContain(0.2);
  });

  it('count 5xx requests and failed operations as bad events', () => {
    expect(AVAILABILITY_SLO.sli).toEqual({
      kind: 'ratio',
      total: { metric: 'autoweave_requests_total' },
      bad: { metric: 'autoweave_requests_total', matchers: { status_class: '5xx' } },
    });
    expect(OPERATION_ERRORS_SLO.sli).toEqual({
      kind: 'ratio',
      total: { metric: 'autoweave_business_operations_total' },
      bad: { metric: 'autoweave_business_operations_total', matchers: { outcome: 'failure' } },
    });
  });

  it('alert at every default tier: even at 95% the fastest page needs only a 72% error ratio', () => {
    // SRE Workbook edge case: at low objectives the 14.4× tier may need more than 100% errors.
    expect(thresholds(USB_EVENT_LATENCY_SLO)).toEqual(['0.72', '0.3', '0.15', '0.05']);
    expect(thresholds(PLUGIN_LOAD_LATENCY_SLO)).toEqual(['0.72', '0.3', '0.15', '0.05']);
    expect(thresholds(AVAILABILITY_SLO)).toEqual(['0.0144', '0.006', '0.003', '0.001']);
    expect(thresholds(OPERATION_ERRORS_SLO)).toEqual(['0.144', '0.06', '0.03', '0.01']);
    for (const slo of DEFAULT_SLOS) {
      expect(slo.tiers.map((t) => t.name)).toEqual(['page-fast', 'page-slow', 'ticket-fast', 'ticket-slow']);
      for (const t of slo.tiers) expect(t.thresholdValue).toBeLessThan(1);
    }
  });

  it('link each SLO to its runbook under deploy/runbooks', () => {
    for (const slo of DEFAULT_SLOS) expect(slo.runbookUrl).toBe(`${DEFAULT_RUNBOOK_BASE}/${slo.id}.md`);
    expect(DEFAULT_RUNBOOK_BASE).toBe('https://github.com/autoweave/observability/blob/main/deploy/runbooks');
  });
});
