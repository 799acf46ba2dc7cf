// The tracing pipeline's own health as OpenTelemetry instruments, read from the counters on collection.
import type { BatchObservableCallback, MeterProvider, Observable } from '@opentelemetry/api';
import { DROP_REASONS } from './counters';
import type { TracingStats } from './types';

export const METRIC_SPANS_DROPPED = 'autoweave.tracing.spans.dropped';
export const METRIC_SPANS_EXPORTED = 'autoweave.tracing.spans.exported';
export const METRIC_QUEUE_SIZE = 'autoweave.tracing.queue.size';

/** Registers the observable instruments; returns a function that unregisters them. */
export function registerSelfMetrics(meterProvider: MeterProvider, stats: () => TracingStats): () => void {
  const meter = meterProvider.getMeter('@autoweave/tracing');
  const dropped = meter.createObservableCounter(METRIC_SPANS_DROPPED, {
    description:
      'Spans lost before reaching the trace backend, by reason (queue_full, export_failed, shutdown).',
  });
  const exported = meter.createObservableCounter(METRIC_SPANS_EXPORTED, {
    description: 'Spans accepted by the trace exporter.',
  });
  const queueSize = meter.createObservableGauge(METRIC_QUEUE_SIZE, {
    description: 'Spans waiting in the export queue.',
  });
  const observables: Observable[] = [dropped, exported, queueSize];
  const callback: BatchObservableCallback = (result) => {
    const s = stats();
    for (const reason of DROP_REASONS) result.observe(dropped, s.dropped[reason], { reason });
    result.observe(exported, s.exported);
    result.observe(queueSize, s.queueSize);
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
