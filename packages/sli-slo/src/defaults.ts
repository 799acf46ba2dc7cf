// The four default SLOs of the platform (shared/DESIGN.md): USB event latency, plugin load latency,
// availability and operation errors, each over 30 days with the default alert tiers.
import { defineSlo } from './define';
import type { SloDefinition } from './types';

/** Where the generated runbooks live; `<id>.md` per SLO. */
export const DEFAULT_RUNBOOK_BASE = 'https://github.com/autoweave/observability/blob/main/deploy/runbooks';

const runbook = (id: string): string => `${DEFAULT_RUNBOOK_BASE}/${id}.md`;

/** 95% of USB events handled within 80 ms (`autoweave_usb_event_duration_seconds`, `le="0.08"`). */
export const USB_EVENT_LATENCY_SLO: SloDefinition = defineSlo({
  id: 'usb-event-latency',
  service: 'usb-watcher',
  description: '95% of USB device events are handled within 80 ms.',
  objective: 0.95,
  sli: { kind: 'latency', histogram: 'autoweave_usb_event_duration_seconds', thresholdSeconds: 0.08 },
  runbookUrl: runbook('usb-event-latency'),
});

/** 95% of plugin loads within 200 ms (`autoweave_plugin_load_duration_seconds`, `le="0.2"`). */
export const PLUGIN_LOAD_LATENCY_SLO: SloDefinition = defineSlo({
  id: 'plugin-load-latency',
  service: 'plugin-loader',
  description: '95% of plugin loads finish within 200 ms.',
  objective: 0.95,
  sli: { kind: 'latency', histogram: 'autoweave_plugin_load_duration_seconds', thresholdSeconds: 0.2 },
  runbookUrl: runbook('plugin-load-latency'),
});

/** 99.9% of HTTP/GraphQL requests answered without a 5xx (`autoweave_requests_total{status_class}`). */
export const AVAILABILITY_SLO: SloDefinition = defineSlo({
  id: 'availability',
  service: 'platform',
  description: '99.9% of HTTP and GraphQL requests are answered without a server error (5xx).',
  objective: 0.999,
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_requests_total' },
    bad: { metric: 'autoweave_requests_total', matchers: { status_class: '5xx' } },
  },
  runbookUrl: runbook('availability'),
});

/** 99% of business operations (jobs, plugin executions) succeed: error rate under 1%. */
export const OPERATION_ERRORS_SLO: SloDefinition = defineSlo({
  id: 'operation-errors',
  service: 'platform',
  description: 'Fewer than 1% of business operations (jobs, plugin executions) fail.',
  objective: 0.99,
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_business_operations_total' },
    bad: { metric: 'autoweave_business_operations_total', matchers: { outcome: 'failure' } },
  },
  runbookUrl: runbook('operation-errors'),
});

/** The four default SLOs, in the order of shared/DESIGN.md. */
export const DEFAULT_SLOS: readonly SloDefinition[] = Object.freeze([
  USB_EVENT_LATENCY_SLO,
  PLUGIN_LOAD_LATENCY_SLO,
  AVAILABILITY_SLO,
  OPERATION_ERRORS_SLO,
]);
