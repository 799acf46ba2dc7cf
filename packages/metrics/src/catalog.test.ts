import { createMetrics, DEFAULT_SECONDS_BUCKETS, METRIC_NAMES } from './index';

describe('MetricsHandle.describe', () => {
  it('lists every metric defined through the handle with its exposed name, type, labels and buckets', async () => {
    const m = createMetrics({ defaultMetrics: false });
    try {
      m.counter({ name: 'autoweave_jobs_total', help: 'Jobs.', labelNames: ['queue', 'outcome'] as const });
      m.gauge({ name: 'autoweave_queue_depth', help: 'Depth.', labelNames: ['queue'] as const });
      m.histogram({ name: 'autoweave_job_duration_seconds', help: 'Job time.', buckets: [0.08, 0.2, 1] });
      m.histogram({ name: 'autoweave_payload_bytes', help: 'Payload size.' });

      const described = m.describe();
      const byName = new Map(described.map((d) => [d.name, d]));

      expect(byName.get('autoweave_jobs_total')).toEqual({
        name: 'autoweave_jobs_total',
        type: 'counter',
        help: 'Jobs.',
        labelNames: ['queue', 'outcome'],
      });
      expect(byName.get('autoweave_queue_depth')).toMatchObject({ type: 'gauge', labelNames: ['queue'] });
      expect(byName.get('autoweave_job_duration_seconds')).toMatchObject({
        type: 'histogram',
        labelNames: [],
        buckets: [0.08, 0.2, 1],
      });
      expect(byName.get('autoweave_payload_bytes')?.buckets?.[0]).toBe(64);
      // The handle's own metrics are there too, so SLOs on business operations can be checked.
      expect(byName.get(METRIC_NAMES.businessOperations)).toMatchObject({
        type: 'counter',
        labelNames: ['operation', 'tenant_id', 'outcome'],
      });
      expect(byName.get(METRIC_NAMES.businessOperationDuration)?.buckets).toEqual(DEFAULT_SECONDS_BUCKETS);
      expect(byName.get(METRIC_NAMES.observationsDropped)).toMatchObject({
        type: 'counter',
        labelNames: ['metric', 'reason'],
      });
      expect(byName.get(METRIC_NAMES.duplicateFamilies)).toMatchObject({ type: 'gauge', labelNames: [] });

      // Every described family is one the exposition really has.
      const { body } = await m.collect();
      for (const d of described) expect(body).toContain(`# TYPE ${d.name.replace(/_total$/, '')}`);
    } finally {
      await m.shutdown();
    }
  });

  it('does not list a metric whose definition was rejected', async () => {
    const m = createMetrics({ defaultMetrics: false });
    try {
      const before = m.describe().length;
      expect(() => m.counter({ name: 'autoweave_jobs', help: 'no _total' })).toThrow('_total');
      m.counter({ name: 'autoweave_jobs_total', help: 'Jobs.' });
      expect(() => m.counter({ name: 'autoweave_jobs_total', help: 'again' })).toThrow('already registered');
      expect(
        m
          .describe()
          .map((d) => d.name)
          .slice(before),
      ).toEqual(['autoweave_jobs_total']);
    } finally {
      await m.shutdown();
    }
  });

  it('returns a snapshot the caller cannot use to change the handle', async () => {
    const m = createMetrics({ defaultMetrics: false });
    try {
      const described = m.describe() as unknown as unknown[];
      const n = described.length;
      described.length = 0;
      expect(m.describe()).toHaveLength(n);
      expect(Object.isFrozen(m.describe()[0])).toBe(true);
    } finally {
      await m.shutdown();
    }
  });
});
