import { parseAllDocuments, stringify } from 'yaml';
import { DEFAULT_SLOS } from './defaults';
import { defineSlo, defineSlos } from './define';
import { OpenSloError } from './openslo';
import { toOpenSlo, toSloInput as toSloInputOf } from './openslo-export';
import { fromOpenSlo } from './openslo-import';
import type { SloDefinition } from './types';

/** The OpenSloError `fn` throws; fails the test if it throws anything else or nothing. */
function importError(fn: () => unknown): OpenSloError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OpenSloError);
    return error as OpenSloError;
  }
  throw new Error('expected an OpenSloError');
}

function docs(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as unknown;
  });
}

const custom: SloDefinition = defineSlo({
  id: 'checkout-latency',
  service: 'checkout',
  description: 'Checkout answers within 250 ms.',
  objective: 0.99,
  window: '28d',
  sli: {
    kind: 'latency',
    histogram: 'http_server_request_duration_seconds',
    thresholdSeconds: 0.25,
    matchers: { route: '/checkout', note: 'a "quoted" \\ value' },
  },
  groupBy: ['tenant_id', 'region'],
  minEvents: 50,
  labels: { team: 'payments' },
  runbookUrl: 'https://runbooks.example/checkout-latency',
  tiers: [
    { name: 'page', severity: 'page', shortWindow: '5m', longWindow: '60m', budgetPercent: 2, for: '2m' },
    { name: 'ticket', severity: 'ticket', shortWindow: '6h', longWindow: '3d', budgetPercent: 10 },
  ],
});

const goodRatio: SloDefinition = defineSlo({
  id: 'jobs-success',
  service: 'jobs',
  description: 'Jobs succeed.',
  objective: 0.995,
  window: '7d',
  sli: {
    kind: 'ratio',
    total: { metric: 'jobs_total' },
    good: { metric: 'jobs_total', matchers: { outcome: 'success' } },
  },
  tiers: [{ name: 'page-fast', severity: 'page', shortWindow: '5m', longWindow: '1h', budgetPercent: 5 }],
});

describe('toOpenSlo', () => {
  it('writes one openslo/v1 SLO document per definition with an inline Prometheus ratioMetric', () => {
    const [latency, availability] = docs(toOpenSlo([DEFAULT_SLOS[0]!, DEFAULT_SLOS[2]!]));
    expect(latency).toEqual({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: {
        name: 'usb-event-latency',
        displayName: '95% of USB device events are handled within 80 ms.',
        annotations: {
          'autoweave.dev/runbook-url':
            'https://github.com/autoweave/observability/blob/main/deploy/runbooks/usb-event-latency.md',
        },
      },
      spec: {
        description: '95% of USB device events are handled within 80 ms.',
        service: 'usb-watcher',
        indicator: {
          metadata: { name: 'usb-event-latency' },
          spec: {
            ratioMetric: {
              counter: true,
              good: {
                metricSource: {
                  type: 'Prometheus',
                  spec: { query: 'autoweave_usb_event_duration_seconds_bucket{le="0.08"}' },
                },
              },
              total: {
                metricSource: {
                  type: 'Prometheus',
                  spec: { query: 'autoweave_usb_event_duration_seconds_count' },
                },
              },
            },
          },
        },
        timeWindow: [{ duration: '30d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ target: 0.95 }],
      },
    });
    expect(availability).toMatchObject({
      spec: {
        indicator: {
          spec: {
            ratioMetric: {
              counter: true,
              bad: {
                metricSource: {
                  type: 'Prometheus',
                  spec: { query: 'autoweave_requests_total{status_class="5xx"}' },
                },
              },
              total: { metricSource: { type: 'Prometheus', spec: { query: 'autoweave_requests_total' } } },
            },
          },
        },
        objectives: [{ target: 0.999 }],
      },
    });
  });

  it('carries groupBy, minEvents, routing labels and non-default tiers as metadata OpenSLO has room for', () => {
    const [doc] = docs(toOpenSlo([custom])) as [
      { metadata: { labels: unknown; annotations: Record<string, string> } },
    ];
    expect(doc.metadata.labels).toEqual({ team: 'payments' });
    expect(doc.metadata.annotations['autoweave.dev/group-by']).toBe('tenant_id,region');
    expect(doc.metadata.annotations['autoweave.dev/min-events']).toBe('50');
    expect(JSON.parse(doc.metadata.annotations['autoweave.dev/tiers']!)).toEqual([
      { name: 'page', severity: 'page', shortWindow: '5m', longWindow: '1h', budgetPercent: 2, for: '2m' },
      { name: 'ticket', severity: 'ticket', shortWindow: '6h', longWindow: '3d', budgetPercent: 10 },
    ]);
  });

  it('writes the latency bucket as the rules do, both spellings when Prometheus 3 rewrites the bound', () => {
    const slo = defineSlo({
      ...toSloInputOf(DEFAULT_SLOS[0]!),
      sli: { kind: 'latency', histogram: 'job_duration_seconds', thresholdSeconds: 1 },
    });
    expect(toOpenSlo([slo])).toContain(String.raw`query: job_duration_seconds_bucket{le=~"1|1\\.0"}`);
    expect(defineSlos(fromOpenSlo(toOpenSlo([slo])))).toEqual([slo]);
  });

  it('writes a window that is not whole days in hours, the one-unit shorthand OpenSLO allows', () => {
    const slo = defineSlo({ ...goodRatio, id: 'short', window: '1d12h', tiers: [] });
    expect(toOpenSlo([slo])).toContain('duration: 36h');
  });
});

describe('fromOpenSlo', () => {
  it('gives back the default SLOs from their export', () => {
    const back = defineSlos(fromOpenSlo(toOpenSlo(DEFAULT_SLOS)));
    expect(back).toEqual(DEFAULT_SLOS);
  });

  it('round-trips groups, guards, labels, custom tiers, good counters and escaped label values', () => {
    const text = toOpenSlo([custom, goodRatio]);
    expect(defineSlos(fromOpenSlo(text))).toEqual([custom, goodRatio]);
  });

  it('imports an SLO written by hand: indicatorRef, DataSource reference, targetPercent, Service', () => {
    const text = `
apiVersion: openslo/v1
kind: Service
metadata: { name: search }
spec: { description: Search }
---
apiVersion: openslo/v1
kind: DataSource
metadata: { name: prom }
spec:
  type: Prometheus
  connectionDetails: { url: 'http://prometheus:9090' }
---
apiVersion: openslo/v1
kind: SLI
metadata: { name: search-errors }
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        metricSourceRef: prom
        spec: { query: 'search_requests_total{code="500", job="search"}' }
    total:
      metricSource:
        metricSourceRef: prom
        spec: { query: '{__name__="search_requests_total", job="search"}' }
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-availability
  displayName: Search answers
  labels: { team: search }
  annotations: { other.tool/dashboard: 'https://grafana/d/1' }
spec:
  service: search
  indicatorRef: search-errors
  timeWindow: [{ duration: 4w, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ displayName: three nines, targetPercent: 99.9 }]
`;
    expect(fromOpenSlo(text)).toEqual([
      {
        id: 'search-availability',
        service: 'search',
        description: 'Search answers',
        objective: 0.999,
        window: '4w',
        sli: {
          kind: 'ratio',
          total: { metric: 'search_requests_total', matchers: { job: 'search' } },
          bad: { metric: 'search_requests_total', matchers: { code: '500', job: 'search' } },
        },
        labels: { team: 'search' },
      },
    ]);
    expect(defineSlos(fromOpenSlo(text))[0]!.window).toBe('28d');
  });

  it('reads a latency SLI whose total is the +Inf bucket', () => {
    const text = toOpenSlo([DEFAULT_SLOS[1]!]).replace(
      'autoweave_plugin_load_duration_seconds_count',
      'autoweave_plugin_load_duration_seconds_bucket{le="+Inf"}',
    );
    expect(fromOpenSlo(text)[0]!.sli).toEqual({
      kind: 'latency',
      histogram: 'autoweave_plugin_load_duration_seconds',
      thresholdSeconds: 0.2,
    });
  });

  const base = toOpenSlo([DEFAULT_SLOS[2]!]);
  /** `base` with fields set (`undefined` deletes), by dotted path: `spec.objectives.0.target`. */
  const edited = (edits: Record<string, unknown>): string => {
    const doc = docs(base)[0] as Record<string, unknown>;
    for (const [path, value] of Object.entries(edits)) {
      const keys = path.split('.');
      const last = keys.pop()!;
      let at = doc;
      for (const k of keys) {
        at[k] ??= {};
        at = at[k] as Record<string, unknown>;
      }
      if (value === undefined) delete at[last];
      else at[last] = value;
    }
    return stringify(doc);
  };
  const ratio = 'spec.indicator.spec.ratioMetric';
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'Timeslices budgeting',
      { 'spec.budgetingMethod': 'Timeslices' },
      'spec.budgetingMethod',
      /Timeslices is not supported/,
    ],
    [
      'a calendar-aligned window',
      {
        'spec.timeWindow': [
          { duration: '1M', calendar: { startTime: '2024-01-01 00:00:00', timeZone: 'UTC' } },
        ],
      },
      'spec.timeWindow[0]',
      /calendar-aligned windows are not supported/,
    ],
    [
      'a month-long window',
      { 'spec.timeWindow.0.duration': '1M' },
      'spec.timeWindow[0].duration',
      /\(M, Q, Y\)/,
    ],
    [
      'a year-long window',
      { 'spec.timeWindow.0.duration': '1Y' },
      'spec.timeWindow[0].duration',
      /calendar units/,
    ],
    [
      'a thresholdMetric',
      {
        'spec.indicator.spec.ratioMetric': undefined,
        'spec.indicator.spec.thresholdMetric': {
          metricSource: { type: 'Prometheus', spec: { query: 'up' } },
        },
      },
      'spec.indicator.spec.thresholdMetric',
      /is not supported/,
    ],
    ['a raw ratio', { [`${ratio}.rawType`]: 'failure' }, `${ratio}.rawType`, /precomputed ratios/],
    ['a gauge ratio', { [`${ratio}.counter`]: false }, `${ratio}.counter`, /gauges/],
    [
      'a composite objective',
      { 'spec.objectives.0.compositeWeight': 2 },
      'spec.objectives[0].compositeWeight',
      /composite SLOs are not supported/,
    ],
    [
      'two objectives',
      { 'spec.objectives': [{ target: 0.999 }, { target: 0.99 }] },
      'spec.objectives',
      /one SLO per objective/,
    ],
    ['a threshold objective', { 'spec.objectives.0.op': 'lte' }, 'spec.objectives[0].op', /thresholdMetric/],
    [
      'alert policies',
      { 'spec.alertPolicies': [{ alertPolicyRef: 'fast-burn' }] },
      'spec.alertPolicies',
      /not imported: autoweave alerts on multi-window burn-rate tiers/,
    ],
    [
      'a Datadog source',
      { [`${ratio}.bad.metricSource.type`]: 'Datadog' },
      `${ratio}.bad.metricSource.type`,
      /"Datadog" is not supported/,
    ],
    [
      'a metricSourceRef without its DataSource',
      {
        [`${ratio}.bad.metricSource.type`]: undefined,
        [`${ratio}.bad.metricSource.metricSourceRef`]: 'prom',
      },
      `${ratio}.bad.metricSource.metricSourceRef`,
      /no kind: DataSource document/,
    ],
    [
      'an aggregated query',
      { [`${ratio}.total.metricSource.spec.query`]: 'sum(rate(autoweave_requests_total[5m]))' },
      `${ratio}.total.metricSource.spec.query`,
      /applies sum\(\); give the plain counter selector/,
    ],
    [
      'a regex matcher',
      { [`${ratio}.bad.metricSource.spec.query`]: 'autoweave_requests_total{status_class=~"5.."}' },
      `${ratio}.bad.metricSource.spec.query`,
      /only equality matchers/,
    ],
    [
      'an le regex that is not one threshold',
      {
        [`${ratio}.bad.metricSource.spec.query`]: 'x_bucket{le=~"0.1|0.2"}',
        [`${ratio}.total.metricSource.spec.query`]: 'x_count',
      },
      `${ratio}.bad.metricSource.spec.query`,
      /is not a threshold/,
    ],
    [
      'a range selector',
      { [`${ratio}.total.metricSource.spec.query`]: 'autoweave_requests_total[5m]' },
      `${ratio}.total.metricSource.spec.query`,
      /has a range \[5m\]/,
    ],
    [
      'arithmetic',
      { [`${ratio}.total.metricSource.spec.query`]: 'autoweave_requests_total - autoweave_retries_total' },
      `${ratio}.total.metricSource.spec.query`,
      /not a plain counter selector/,
    ],
    [
      'openslo/v1alpha',
      { apiVersion: 'openslo/v1alpha' },
      'apiVersion',
      /convert the document to openslo\/v1/,
    ],
    [
      'openslo.com/v2alpha',
      { apiVersion: 'openslo.com/v2alpha' },
      'apiVersion',
      /only openslo\/v1 is imported/,
    ],
    [
      'a missing SLI document',
      { 'spec.indicator': undefined, 'spec.indicatorRef': 'errors' },
      'spec.indicatorRef',
      /no kind: SLI document/,
    ],
    [
      'a list-valued label',
      { 'metadata.labels': { tags: ['auth', 'edge'] } },
      'metadata.labels.tags',
      /a list of values is not supported/,
    ],
    [
      'a misspelled autoweave annotation',
      { 'metadata.annotations': { 'autoweave.dev/runbook': 'https://x.example' } },
      'metadata.annotations["autoweave.dev/runbook"]',
      /unknown autoweave annotation/,
    ],
    ['an unknown spec field', { 'spec.window': '30d' }, 'spec.window', /is not a field of an OpenSLO v1 SLO/],
  ];
  it.each(cases)('rejects %s, naming the document and the field', (_what, edits, path, message) => {
    const text = edited(edits);
    const error = importError(() => fromOpenSlo(text, { source: 'slo.yaml' }));
    expect(error.problems).toContainEqual(
      expect.objectContaining({ document: 1, path, message: expect.stringMatching(message) }),
    );
    expect(error.message).toContain(`slo.yaml: cannot import OpenSLO`);
    expect(error.message).toContain(`document 1 (`);
  });

  it('rejects alerting documents instead of dropping them silently', () => {
    const text = `${base}---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: { name: fast }\nspec: {}\n`;
    const error = importError(() => fromOpenSlo(text));
    expect(error.problems).toEqual([
      expect.objectContaining({ document: 2, kind: 'AlertPolicy', name: 'fast', path: 'kind' }),
    ]);
  });

  it('lists every problem of every document at once', () => {
    const text = [
      edited({ 'spec.budgetingMethod': 'Timeslices' }),
      toOpenSlo([DEFAULT_SLOS[3]!]).replace('duration: 30d', 'duration: 1Q'),
    ].join('---\n');
    const error = importError(() => fromOpenSlo(text));
    expect(error.problems.map((p) => [p.document, p.name, p.path])).toEqual([
      [1, 'availability', 'spec.budgetingMethod'],
      [2, 'operation-errors', 'spec.timeWindow[0].duration'],
    ]);
  });

  it('points definition problems at the OpenSLO field that caused them', () => {
    const text = edited({
      'spec.objectives.0.target': 1.5,
      [`${ratio}.bad.metricSource.spec.query`]: 'autoweave_requests{status_class="5xx"}',
    });
    const error = importError(() => fromOpenSlo(text));
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'spec.objectives[0].target',
          message: expect.stringMatching(/strictly between 0 and 1.*\(autoweave field objective\)/),
        }),
        expect.objectContaining({
          path: 'spec.indicator.spec.ratioMetric.bad.metricSource.spec.query',
          message: expect.stringMatching(/must be named as exposed, ending in "_total"/),
        }),
      ]),
    );
  });

  it('says so when the text has no SLO or is not YAML', () => {
    expect(importError(() => fromOpenSlo('')).problems[0]!.message).toMatch(/no kind: SLO document/);
    expect(importError(() => fromOpenSlo('kind: [')).problems[0]!.message).toMatch(/not valid YAML/);
  });

  it('rejects two SLOs with the same name', () => {
    const error = importError(() => fromOpenSlo(`${base}---\n${base}`));
    expect(error.problems).toEqual([
      expect.objectContaining({
        document: 2,
        path: 'metadata.name',
        message: expect.stringMatching(/document 1/),
      }),
    ]);
  });
});
