import { Writable } from 'node:stream';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { createAuditLog } from './audit-log';
import { AUDIT_LOG_METRICS, observeAuditLog } from './audit-metrics';

class PullReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function collect(reader: PullReader): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const out: Record<string, number> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const point = metric.dataPoints[0] as DataPoint<number> | undefined;
      if (point !== undefined) out[metric.descriptor.name] = point.value;
    }
  }
  return out;
}

describe('observeAuditLog', () => {
  it('reports entries written, dropped and queued, and stops reading the log when stopped', async () => {
    const parked: Array<() => void> = [];
    const stream = new Writable({
      write: (_chunk, _encoding, callback) => {
        parked.push(() => callback());
      },
    });
    const log = createAuditLog({ stream, maxQueue: 2 });
    const reader = new PullReader();
    const provider = new MeterProvider({ readers: [reader] });
    const metrics = observeAuditLog(log, provider.getMeter('audit-test'));

    for (let i = 0; i < 5; i++) log.record({ type: 'auth.failure' });
    expect(await collect(reader)).toEqual({
      [AUDIT_LOG_METRICS.written]: 0,
      [AUDIT_LOG_METRICS.dropped]: 3,
      [AUDIT_LOG_METRICS.writeErrors]: 0,
      [AUDIT_LOG_METRICS.queued]: 2,
    });

    while (parked.length > 0 || log.stats().queued > 0) {
      parked.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await collect(reader)).toMatchObject({
      [AUDIT_LOG_METRICS.written]: 2,
      [AUDIT_LOG_METRICS.queued]: 0,
    });

    metrics.stop();
    await log.close();
    log.record({ type: 'auth.failure' });
    expect(log.stats().dropped).toBe(4);
    // The SDK repeats the last cumulative value, but the callback no longer reads the log.
    expect(await collect(reader)).toMatchObject({ [AUDIT_LOG_METRICS.dropped]: 3 });
    await provider.shutdown();
  });
});
