// Public types of the /debug page: what the demo hands the page to render.
import type { ObservabilityStats } from '@autoweave/observability';
import type { SloSnapshot } from '@autoweave/sli-slo';
import type { RecentTrace } from '@autoweave/tracing';

/** Exported and dropped counters of one telemetry signal (traces, logs, metrics ...). */
export interface SignalCounters {
  /** Items the backend accepted (the tracing stats call it `exported`, the logging stats `sent`). */
  readonly exported?: number;
  readonly sent?: number;
  /** Items lost, by reason. */
  readonly dropped?: Readonly<Record<string, number>>;
}

/**
 * Dropped/exported counters by signal, for sources other than the facade: any object whose values
 * carry `exported`/`sent` and `dropped` by reason renders the same way as `ObservabilityStats`.
 */
export type TelemetryCounters = { readonly [signal: string]: SignalCounters | undefined };

/** Per-tenant activity the demo counts as it serves requests. */
export interface TenantActivity {
  tenant: string;
  requests: number;
  errors: number;
  jobs: number;
  pluginRuns: number;
  /** ISO 8601 time of the tenant's last request; undefined before the first. */
  lastSeen: string | undefined;
}

/** One alert from an Alertmanager webhook payload, as the demo keeps it. */
export interface ActiveAlert {
  fingerprint: string;
  alertname: string;
  severity?: string;
  status: 'firing' | 'resolved';
  startsAt: string;
  endsAt?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ISO 8601 time the webhook carrying this alert arrived. */
  receivedAt: string;
}

/** How the demo runs, shown in the page header so a simulated USB source is never mistaken for hardware. */
export interface PlatformInfo {
  /** `AUTOWEAVE_USB`: `simulate` is the explicit, labelled simulation mode. */
  readonly usbMode: 'auto' | 'off' | 'simulate';
  /** One line on the USB side (e.g. "simulated: sample devices plugged in every 15 s", "unavailable: …"). */
  readonly usbDetail: string;
  /** `AUTOWEAVE_OBSERVABILITY`. */
  readonly observability: 'on' | 'off';
  /** The trace sampling rate, 0..1. */
  readonly samplingRate: number;
}

/** Where the /debug page reads its data; each is called on every GET /debug/data. */
export interface DebugSources {
  /** `RecentTraceBuffer.traces()` of @autoweave/tracing (newest first). */
  traces(): readonly RecentTrace[];
  /** The SLO evaluator's snapshot of @autoweave/sli-slo. */
  slo(): SloSnapshot | undefined;
  tenants(): readonly TenantActivity[];
  /** Dropped/exported telemetry counters: the facade's `stats()`, or any counters of the same shape. */
  telemetry(): ObservabilityStats | TelemetryCounters | undefined;
  /** Alerts from the Alertmanager webhook. */
  alerts(): readonly ActiveAlert[];
  /** How the platform runs; the header shows it. */
  platform?(): PlatformInfo;
}
