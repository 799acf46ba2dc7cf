// Exposes an audit log's counters as OpenTelemetry metrics, so entries lost to a full queue or a
// failing disk show up (and can alert) instead of hiding in stats().

import type { BatchObservableResult, Meter } from '@opentelemetry/api';
import type { AuditLog } from './audit-log';

/** The OpenTelemetry instrument names registered by {@link observeAuditLog}. */
export const AUDIT_LOG_METRICS = Object.freeze({
  written: 'autoweave.audit.entries.written',
  dropped: 'autoweave.audit.entries.dropped',
  writeErrors: 'autoweave.audit.write.errors',
  queued: 'autoweave.audit.queue.size',
});

export interface AuditLogMetrics {
  /** Unregisters the callback; the instruments stay (OpenTelemetry has no way to remove them). */
  stop(): void;
}

/**
 * Registers, on `meter`, observable counters of entries written and dropped and of failed write
 * attempts, and a gauge of entries waiting to be written, read from `log.stats()` at collection
 * time (nothing is added to `record`). No attributes: one audit log per process is the rule.
 */
export function observeAuditLog(log: Pick<AuditLog, 'stats'>, meter: Meter): AuditLogMetrics {
  const written = meter.createObservableCounter(AUDIT_LOG_METRICS.written, {
    description: 'Audit log entries written to the file or stream',
    unit: '{entry}',
  });
  const dropped = meter.createObservableCounter(AUDIT_LOG_METRICS.dropped, {
    description: 'Audit events not recorded: queue full, or recorded after close',
    unit: '{entry}',
  });
  const writeErrors = meter.createObservableCounter(AUDIT_LOG_METRICS.writeErrors, {
    description: 'Failed audit log write attempts (the batch is kept and retried)',
    unit: '{error}',
  });
  const queued = meter.createObservableGauge(AUDIT_LOG_METRICS.queued, {
    description: 'Audit log entries waiting to be written',
    unit: '{entry}',
  });
  const callback = (result: BatchObservableResult): void => {
    const stats = log.stats();
    result.observe(written, stats.written);
    result.observe(dropped, stats.dropped);
    result.observe(writeErrors, stats.writeErrors);
    result.observe(queued, stats.queued);
  };
  const observables = [written, dropped, writeErrors, queued];
  meter.addBatchObservableCallback(callback, observables);
  return { stop: () => meter.removeBatchObservableCallback(callback, observables) };
}
