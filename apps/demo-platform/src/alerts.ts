// Alertmanager webhook receiver: checks a v4 payload field by field, keeps the alerts it carries
// (firing ones until they resolve, resolved ones for a while) for /debug, bounded in number.
import type { ActiveAlert } from './debug/types';

/** One validated alert of a notification. */
interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string | undefined;
  readonly fingerprint: string;
}

/** A validated Alertmanager webhook notification (payload version 4). */
export interface AlertmanagerNotification {
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupKey: string;
  readonly alerts: readonly WebhookAlert[];
}

export type ParseResult =
  | { readonly ok: true; readonly notification: AlertmanagerNotification }
  | { readonly ok: false; readonly problems: readonly string[] };

const STATUSES = new Set(['firing', 'resolved']);
/** Alertmanager sends 0001-01-01T00:00:00Z as endsAt of alerts that have none. */
const ZERO_TIME = /^0001-01-01T00:00:00/;
const MAX_ALERTS_PER_NOTIFICATION = 1000;
const MAX_PROBLEMS = 20;

/** Checks a parsed JSON body against the Alertmanager v4 webhook shape; lists every problem by path. */
export function parseAlertmanagerPayload(body: unknown): ParseResult {
  const problems: string[] = [];
  if (!isObject(body))
    return { ok: false, problems: ['body: must be a JSON object (an Alertmanager webhook payload)'] };
  if (body.version !== '4')
    problems.push(`version: must be "4" (Alertmanager webhook payload version), got ${show(body.version)}`);
  const status = body.status;
  if (typeof status !== 'string' || !STATUSES.has(status)) {
    problems.push(`status: must be "firing" or "resolved", got ${show(status)}`);
  }
  for (const field of ['receiver', 'groupKey'] as const) {
    if (typeof body[field] !== 'string')
      problems.push(`${field}: must be a string, got ${show(body[field])}`);
  }
  for (const field of ['groupLabels', 'commonLabels', 'commonAnnotations'] as const) {
    if (body[field] !== undefined) stringMap(body[field], field, problems);
  }
  const alerts: WebhookAlert[] = [];
  if (!Array.isArray(body.alerts)) {
    problems.push(`alerts: must be an array of alerts, got ${show(body.alerts)}`);
  } else if (body.alerts.length > MAX_ALERTS_PER_NOTIFICATION) {
    problems.push(
      `alerts: at most ${MAX_ALERTS_PER_NOTIFICATION} alerts per notification, got ${body.alerts.length}`,
    );
  } else {
    body.alerts.forEach((alert: unknown, i: number) => {
      const parsed = parseAlert(alert, `alerts[${i}]`, problems);
      if (parsed !== undefined) alerts.push(parsed);
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS) shown.push(`…and ${problems.length - MAX_PROBLEMS} more`);
    return { ok: false, problems: shown };
  }
  return {
    ok: true,
    notification: {
      status: status as 'firing' | 'resolved',
      receiver: body.receiver as string,
      groupKey: body.groupKey as string,
      alerts,
    },
  };
}

function parseAlert(value: unknown, path: string, problems: string[]): WebhookAlert | undefined {
  if (!isObject(value)) {
    problems.push(`${path}: must be an object, got ${show(value)}`);
    return undefined;
  }
  const before = problems.length;
  const status = value.status;
  if (typeof status !== 'string' || !STATUSES.has(status)) {
    problems.push(`${path}.status: must be "firing" or "resolved", got ${show(status)}`);
  }
  const labels = stringMap(value.labels, `${path}.labels`, problems);
  if (labels !== undefined && typeof labels.alertname !== 'string') {
    problems.push(`${path}.labels.alertname: required (every Alertmanager alert has one)`);
  }
  const annotations =
    value.annotations === undefined ? {} : stringMap(value.annotations, `${path}.annotations`, problems);
  const startsAt = time(value.startsAt, `${path}.startsAt`, problems, true);
  const endsAt = time(value.endsAt, `${path}.endsAt`, problems, false);
  if (
    value.fingerprint !== undefined &&
    (typeof value.fingerprint !== 'string' || value.fingerprint === '')
  ) {
    problems.push(`${path}.fingerprint: must be a non-empty string, got ${show(value.fingerprint)}`);
  }
  if (value.generatorURL !== undefined && typeof value.generatorURL !== 'string') {
    problems.push(`${path}.generatorURL: must be a string, got ${show(value.generatorURL)}`);
  }
  if (
    problems.length > before ||
    labels === undefined ||
    annotations === undefined ||
    startsAt === undefined
  ) {
    return undefined;
  }
  return {
    status: status as 'firing' | 'resolved',
    labels,
    annotations,
    startsAt,
    endsAt: endsAt === undefined || ZERO_TIME.test(endsAt) ? undefined : endsAt,
    // Alertmanager always sends one; for hand-written payloads the label set identifies the alert.
    fingerprint:
      typeof value.fingerprint === 'string'
        ? value.fingerprint
        : Object.entries(labels)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
  };
}

function stringMap(value: unknown, path: string, problems: string[]): Record<string, string> | undefined {
  if (!isObject(value)) {
    problems.push(`${path}: must be an object of string values, got ${show(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') problems.push(`${path}.${key}: must be a string, got ${show(v)}`);
    else out[key] = v;
  }
  return out;
}

function time(value: unknown, path: string, problems: string[], required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    problems.push(`${path}: must be an RFC 3339 time such as "2025-01-01T12:00:00Z", got ${show(value)}`);
    return undefined;
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export interface AlertStoreOptions {
  /** Most alerts kept; the oldest resolved, then the oldest firing, go first. Default 500. */
  readonly maxAlerts?: number;
  /** How long a resolved alert stays listed. Default 15 minutes. */
  readonly keepResolvedMs?: number;
  readonly now?: () => number;
}

/** The alerts the webhook has received, newest notification wins per fingerprint. */
export class AlertStore {
  private readonly alerts = new Map<string, ActiveAlert & { receivedMs: number }>();
  private readonly maxAlerts: number;
  private readonly keepResolvedMs: number;
  private readonly now: () => number;

  constructor(options: AlertStoreOptions = {}) {
    this.maxAlerts = options.maxAlerts ?? 500;
    this.keepResolvedMs = options.keepResolvedMs ?? 15 * 60_000;
    this.now = options.now ?? Date.now;
  }

  add(notification: AlertmanagerNotification): void {
    const receivedMs = this.now();
    const receivedAt = new Date(receivedMs).toISOString();
    for (const alert of notification.alerts) {
      this.alerts.delete(alert.fingerprint); // re-insert: Map order is then oldest-received first
      this.alerts.set(alert.fingerprint, {
        fingerprint: alert.fingerprint,
        alertname: alert.labels.alertname ?? '',
        ...(alert.labels.severity === undefined ? {} : { severity: alert.labels.severity }),
        status: alert.status,
        startsAt: alert.startsAt,
        ...(alert.endsAt === undefined ? {} : { endsAt: alert.endsAt }),
        labels: alert.labels,
        annotations: alert.annotations,
        receivedAt,
        receivedMs,
      });
    }
    this.prune();
  }

  /** Firing alerts first, then resolved ones, newest first within each. */
  list(): ActiveAlert[] {
    this.prune();
    const all = [...this.alerts.values()].reverse();
    return [...all.filter((a) => a.status === 'firing'), ...all.filter((a) => a.status === 'resolved')].map(
      ({ receivedMs: _receivedMs, ...alert }) => alert,
    );
  }

  firing(): number {
    let n = 0;
    for (const alert of this.alerts.values()) if (alert.status === 'firing') n++;
    return n;
  }

  private prune(): void {
    const cutoff = this.now() - this.keepResolvedMs;
    for (const [key, alert] of this.alerts) {
      if (alert.status === 'resolved' && alert.receivedMs < cutoff) this.alerts.delete(key);
    }
    for (const status of ['resolved', 'firing'] as const) {
      for (const [key, alert] of this.alerts) {
        if (this.alerts.size <= this.maxAlerts) return;
        if (alert.status === status) this.alerts.delete(key);
      }
    }
  }
}
