// Renders the /debug sections from GET /debug/data as HTML. The same functions run on the server
// (the first paint) and in the browser (every refresh): the page embeds their source text, so each
// one may use only the others listed in RENDER_FUNCTIONS and browser/Node globals, nothing imported.
import type { DebugData, DebugTrace } from './data';

/** Every string from telemetry goes through here: span names, attributes and alert labels are untrusted. */
export function esc(value: unknown): string {
  const s =
    typeof value === 'string'
      ? value
      : value === null || value === undefined
        ? ''
        : (JSON.stringify(value) ?? '');
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A number for HTML/CSS, or 0: keeps anything that is not a finite number out of style attributes. */
export function num(value: unknown, digits: number): string {
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(digits) : '0';
}

export function fmtMs(ms: unknown): string {
  const n = Number(ms);
  if (!Number.isFinite(n)) return '–';
  if (n >= 1000) return (n / 1000).toFixed(2) + ' s';
  if (n >= 10) return n.toFixed(0) + ' ms';
  return n.toFixed(n >= 1 ? 1 : 2) + ' ms';
}

export function fmtPct(ratio: unknown, digits: number): string {
  if (ratio === null || ratio === undefined) return '–';
  const n = Number(ratio);
  return Number.isFinite(n) ? (n * 100).toFixed(digits) + '%' : '–';
}

export function fmtTime(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? esc(iso) : esc(d.toISOString().slice(11, 23));
}

export function renderTrace(trace: DebugTrace): string {
  const total = Number(trace.durationMs) > 0 ? Number(trace.durationMs) : 1;
  const rows = trace.spans
    .map((span) => {
      const left = Math.min(100, Math.max(0, (Number(span.offsetMs) / total) * 100));
      const width = Math.min(100 - left, Math.max(0.4, (Number(span.durationMs) / total) * 100));
      const attrs = span.attributes
        .map((kv) => '<tr><th>' + esc(kv[0]) + '</th><td>' + esc(kv[1]) + '</td></tr>')
        .join('');
      const events = span.events
        .map((e) => '<li>' + esc(e.name) + ' <span class="muted">+' + fmtMs(e.offsetMs) + '</span></li>')
        .join('');
      return (
        '<details class="span' +
        (span.error ? ' err' : '') +
        '" data-key="' +
        esc(trace.traceId + '/' + span.spanId) +
        '">' +
        '<summary><span class="sname" style="padding-left:' +
        num(Number(span.depth) * 14, 0) +
        'px">' +
        (span.error ? '<b class="badge err">ERROR</b> ' : '') +
        esc(span.name) +
        ' <span class="muted">' +
        esc(span.kind) +
        '</span>' +
        (span.tenant === null ? '' : ' <span class="tenant">' + esc(span.tenant) + '</span>') +
        '</span>' +
        '<span class="lane"><span class="bar" style="left:' +
        num(left, 3) +
        '%;width:' +
        num(width, 3) +
        '%"></span></span>' +
        '<span class="ms">' +
        fmtMs(span.durationMs) +
        '</span></summary>' +
        '<div class="detail"><div class="muted">span ' +
        esc(span.spanId) +
        ' · ' +
        esc(span.scope) +
        ' · +' +
        fmtMs(span.offsetMs) +
        (span.statusMessage === null ? '' : ' · status: ' + esc(span.statusMessage)) +
        '</div>' +
        (attrs === '' ? '' : '<table class="attrs">' + attrs + '</table>') +
        (events === '' ? '' : '<ul class="events">' + events + '</ul>') +
        '</div></details>'
      );
    })
    .join('');
  return (
    '<details class="trace' +
    (trace.hasError ? ' err' : '') +
    '" data-key="' +
    esc(trace.traceId) +
    '">' +
    '<summary><span class="tname">' +
    (trace.hasError ? '<b class="badge err">ERROR</b> ' : '') +
    esc(trace.name) +
    (trace.detail === null ? '' : ' <span class="muted">›</span> ' + esc(trace.detail)) +
    '</span>' +
    ' <span class="tenant">' +
    (trace.tenant === null ? 'no tenant' : 'tenant ' + esc(trace.tenant)) +
    '</span>' +
    ' <span class="muted">' +
    esc(trace.spanCount) +
    (Number(trace.spanCount) === 1 ? ' span' : ' spans') +
    (Number(trace.hiddenSpans) > 0 ? ' (' + esc(trace.hiddenSpans) + ' not shown)' : '') +
    ' · ' +
    fmtTime(trace.startedAt) +
    '</span> <span class="ms">' +
    fmtMs(trace.durationMs) +
    '</span></summary>' +
    '<div class="waterfall"><div class="muted">trace ' +
    esc(trace.traceId) +
    '</div>' +
    rows +
    '</div></details>'
  );
}

export function renderTraces(data: DebugData): string {
  if (data.traces.length === 0) {
    return data.filter.tenant !== null || data.filter.errorsOnly
      ? '<p class="muted">No recent trace matches the filter.</p>'
      : '<p class="muted">No traces yet: send a request to the demo.</p>';
  }
  return data.traces.map(renderTrace).join('');
}

export function renderSlos(data: DebugData): string {
  if (data.slos.length === 0) return '<p class="muted">No SLO evaluator.</p>';
  const statusClass: Record<string, string> = {
    OK: 'ok',
    WARNING: 'warn',
    CRITICAL: 'crit',
    NO_DATA: 'nodata',
  };
  const rows = data.slos
    .map((s) => {
      const budget = s.errorBudgetRemaining;
      const fill = budget === null ? 0 : Math.min(100, Math.max(0, Number(budget) * 100));
      return (
        '<tr><td><b>' +
        esc(s.id) +
        '</b><div class="muted">' +
        esc(s.description) +
        '</div></td>' +
        '<td>' +
        fmtPct(s.objective, 2) +
        ' / ' +
        esc(s.window) +
        '</td>' +
        '<td>' +
        fmtPct(s.sli, 3) +
        '<div class="muted">' +
        esc(s.good) +
        ' good / ' +
        esc(s.total) +
        '</div></td>' +
        '<td><span class="budget"><span style="width:' +
        num(fill, 1) +
        '%"></span></span> ' +
        fmtPct(budget, 1) +
        '</td>' +
        '<td><span class="status ' +
        (Object.prototype.hasOwnProperty.call(statusClass, s.status) ? statusClass[s.status] : 'nodata') +
        '">' +
        esc(s.status) +
        '</span>' +
        (s.firing.length === 0 ? '' : '<div class="muted">' + esc(s.firing.join(', ')) + '</div>') +
        '</td></tr>'
      );
    })
    .join('');
  return (
    '<table class="grid slo"><thead><tr><th>SLO</th><th>Objective</th><th>Current SLI</th>' +
    '<th>Error budget remaining</th><th>Status</th></tr></thead><tbody>' +
    rows +
    '</tbody></table>' +
    '<p class="muted">evaluated ' +
    fmtTime(data.sloEvaluatedAt) +
    '</p>'
  );
}

export function renderTenants(data: DebugData): string {
  if (data.tenants.length === 0) return '<p class="muted">No tenant activity yet.</p>';
  const rows = data.tenants
    .map(
      (t) =>
        '<tr><td><span class="tenant">' +
        esc(t.tenant) +
        '</span></td><td>' +
        esc(t.requests) +
        '</td><td>' +
        esc(t.errors) +
        '</td><td>' +
        esc(t.jobs) +
        '</td><td>' +
        esc(t.pluginRuns) +
        '</td><td>' +
        fmtTime(t.lastSeen) +
        '</td></tr>',
    )
    .join('');
  return (
    '<table class="grid"><thead><tr><th>Tenant</th><th>Requests</th><th>Errors</th><th>Jobs</th>' +
    '<th>Plugin runs</th><th>Last seen</th></tr></thead><tbody>' +
    rows +
    '</tbody></table>'
  );
}

export function renderTelemetry(data: DebugData): string {
  if (data.telemetry.length === 0) return '<p class="muted">No telemetry counters (observability off?).</p>';
  const rows = data.telemetry
    .map((t) => {
      const reasons = t.dropped
        .map(
          (d) =>
            '<span class="chip' +
            (Number(d.count) > 0 ? ' hot' : '') +
            '">' +
            esc(d.reason) +
            ' ' +
            esc(d.count) +
            '</span>',
        )
        .join(' ');
      return (
        '<tr><td>' +
        esc(t.signal) +
        '</td><td>' +
        (t.exported === null ? '–' : esc(t.exported)) +
        '</td><td>' +
        esc(t.droppedTotal) +
        '</td><td>' +
        (reasons === '' ? '<span class="muted">–</span>' : reasons) +
        '</td></tr>'
      );
    })
    .join('');
  return (
    '<table class="grid"><thead><tr><th>Signal</th><th>Exported</th><th>Dropped</th><th>By reason</th></tr></thead><tbody>' +
    rows +
    '</tbody></table>'
  );
}

export function renderAlerts(data: DebugData): string {
  if (data.alerts.length === 0) return '<p class="muted">No alerts received from Alertmanager.</p>';
  const chips = (record: Record<string, string>): string =>
    Object.keys(record)
      .map((k) => '<span class="chip">' + esc(k) + '=' + esc(record[k]) + '</span>')
      .join(' ');
  const rows = data.alerts
    .map(
      (a) =>
        '<tr><td><span class="status ' +
        (a.status === 'firing' ? 'crit' : 'ok') +
        '">' +
        esc(a.status) +
        '</span></td>' +
        '<td><b>' +
        esc(a.alertname) +
        '</b></td><td>' +
        esc(a.severity ?? '') +
        '</td><td>' +
        chips(a.labels) +
        '</td><td>' +
        chips(a.annotations) +
        '</td><td>' +
        fmtTime(a.startsAt) +
        '</td><td>' +
        fmtTime(a.receivedAt) +
        '</td></tr>',
    )
    .join('');
  return (
    '<table class="grid"><thead><tr><th>Status</th><th>Alert</th><th>Severity</th><th>Labels</th><th>Annotations</th>' +
    '<th>Starts</th><th>Received</th></tr></thead><tbody>' +
    rows +
    '</tbody></table>'
  );
}

/** The header line on how the demo runs; a simulated USB source is labelled as such. */
export function renderPlatform(data: DebugData): string {
  const p = data.platform;
  if (!p) return '';
  const usb =
    p.usbMode === 'simulate' ? '<b class="sim">USB simulated</b>' : p.usbMode === 'off' ? 'USB off' : 'USB';
  return (
    usb +
    ': ' +
    esc(p.usbDetail) +
    ' · observability ' +
    esc(p.observability) +
    (p.observability === 'on' ? ' · sampling ' + fmtPct(p.samplingRate, 0) : '')
  );
}

export function renderErrors(data: DebugData): string {
  return data.errors.map((e) => '<p class="source-error">' + esc(e) + '</p>').join('');
}

/** Section element id → its HTML. */
export function renderSections(data: DebugData): Record<string, string> {
  return {
    traces: renderTraces(data),
    slos: renderSlos(data),
    tenants: renderTenants(data),
    telemetry: renderTelemetry(data),
    alerts: renderAlerts(data),
    errors: renderErrors(data),
    platform: renderPlatform(data),
  };
}

/** The functions the page embeds, in an order where each is defined before the page calls it. */
export const RENDER_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  esc,
  num,
  fmtMs,
  fmtPct,
  fmtTime,
  renderTrace,
  renderTraces,
  renderSlos,
  renderTenants,
  renderTelemetry,
  renderAlerts,
  renderErrors,
  renderPlatform,
  renderSections,
];
