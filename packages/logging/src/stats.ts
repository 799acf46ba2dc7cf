// The counters behind `handle.stats()` and the logging metrics, shared by the formats and the Loki transport.
import type { DropReason } from './types';

export const DROP_REASONS: readonly DropReason[] = [
  'redacted',
  'redact_error',
  'tenant_budget',
  'buffer_full',
  'rejected',
  'shutdown',
];

export class Counters {
  sent = 0;
  truncated = 0;
  retries = 0;
  readonly dropped: Record<DropReason, number> = {
    redacted: 0,
    redact_error: 0,
    tenant_budget: 0,
    buffer_full: 0,
    rejected: 0,
    shutdown: 0,
  };

  drop(reason: DropReason, count = 1): void {
    this.dropped[reason] += count;
  }
}
