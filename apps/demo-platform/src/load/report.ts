// The load run's human-readable output: the progress line or bar while it runs, the tables after.
import type { LoadProgress, LoadReport } from './run';
import { formatMs, formatTable, operationTable } from './stats';

const seconds = (ms: number): string => `${Math.round(ms / 1000)}s`;

/** A one-line progress bar for a terminal (redrawn in place with `\r`). */
export function progressBar(p: LoadProgress, width = 24): string {
  // Done means every planned request went out, even if the clock says a hair under the duration.
  const ratio = p.done || p.durationMs <= 0 ? 1 : Math.min(1, p.elapsedMs / p.durationMs);
  const filled = Math.round(ratio * width);
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ` +
    `${seconds(p.elapsedMs)}/${seconds(p.durationMs)}  sent ${p.sent}  errors ${p.errors}  in flight ${p.inFlight}  p95 ${formatMs(p.p95Ms)} ms`
  );
}

/** The same facts as a plain log line, for CI logs and pipes. */
export function progressLine(p: LoadProgress): string {
  return `load: ${seconds(p.elapsedMs)}/${seconds(p.durationMs)} sent=${p.sent} done=${p.completed} errors=${p.errors} in_flight=${p.inFlight} p95_ms=${formatMs(p.p95Ms)}`;
}

const pct = (v: number | null, digits: number): string =>
  v === null ? '-' : `${(v * 100).toFixed(digits)}%`;

export function formatReport(report: LoadReport): string {
  const out: string[] = [];
  out.push(
    `Load against ${report.url}: ${report.sent} requests in ${seconds(report.durationMs)} at ${report.targetRps} req/s target ` +
      `(${report.achievedRps.toFixed(1)} achieved, worst send lag ${formatMs(report.maxLagMs)} ms), ` +
      `tenants ${report.tenants.join(', ')}, USB events ${report.simulate ? 'simulated' : 'off (demo not in simulate mode)'}.`,
  );
  if (report.stoppedEarly)
    out.push('Stopped early (Ctrl-C): the numbers cover the requests sent until then.');
  out.push('', operationTable(report.operations));
  const reasons = report.operations
    .filter((o) => o.operation !== 'all' && o.errorReasons.length > 0)
    .map(
      (o) =>
        `  ${o.operation}: ${o.errorReasons
          .slice(0, 3)
          .map((r) => `${r.reason} ×${r.count}`)
          .join(', ')}`,
    );
  if (reasons.length > 0) out.push('', 'Errors by reason:', ...reasons);

  const j = report.jobs;
  out.push(
    '',
    `Jobs: ${j.started} started, ${j.completed} completed, ${j.failed} failed, ${j.unfinished} unfinished` +
      (j.missing > 0 ? `, ${j.missing} no longer found` : '') +
      ` ` +
      `(waited ${(j.waitedMs / 1000).toFixed(1)} s for them after the run)`,
  );
  const plugins = Object.entries(j.byPlugin);
  if (plugins.length > 0) {
    out.push(
      formatTable(
        ['plugin', 'started', 'completed', 'failed', 'unfinished'],
        plugins.map(([name, c]) => [
          name,
          String(c.started),
          String(c.completed),
          String(c.failed),
          String(c.unfinished),
        ]),
      ),
    );
  }

  out.push('', 'SLO status after the run:');
  if (report.slos.length === 0)
    out.push(`  unavailable${report.sloError === undefined ? '' : ` (${report.sloError})`}`);
  else {
    out.push(
      formatTable(
        ['slo', 'objective', 'sli', 'budget left', 'status'],
        report.slos.map((s) => [
          s.id,
          pct(s.objective, 2),
          pct(s.sli, 3),
          pct(s.errorBudgetRemaining, 1),
          s.status,
        ]),
      ),
    );
  }
  if (report.isolationViolations > 0) {
    out.push(
      '',
      `TENANT ISOLATION BROKEN: ${report.isolationViolations} cross-tenant job lookup(s) returned another tenant's job.`,
    );
  }
  return out.join('\n');
}
