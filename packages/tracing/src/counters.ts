// The export pipeline's counters, shared by the processors that feed them and the stats/metrics that read them.
import type { DropReason } from './types';

export interface PipelineCounters {
  exported: number;
  dropped: Record<DropReason, number>;
}

export function createCounters(): PipelineCounters {
  return { exported: 0, dropped: { queue_full: 0, export_failed: 0, shutdown: 0 } };
}

export const DROP_REASONS: readonly DropReason[] = ['queue_full', 'export_failed', 'shutdown'];
