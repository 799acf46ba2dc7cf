import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { currentTenant } from '@autoweave/tenant-isolation';
import { checkMetrics, getRedis } from '@autoweave/test-utils';
import { initializeObservability, type ObservabilityManager } from './index';
import { serve, waitFor, type TestServer } from './test-fixtures/server';

describe('BullMQ through the manager, on a real Redis', () => {
  let obs: ObservabilityManager;
  let connection: Redis;
  let queue: Queue;
  let worker: Worker;
  let server: TestServer;
  const name = `aw-facade-${process.pid}-${Date.now().toString(36)}`;
  const ran: (string | undefined)[] = [];

  beforeAll(async () => {
    obs = initializeObservability({
      serviceName: 'queue-test',
      tenants: ['acme'],
      logStream: false,
      env: {},
    });
    await obs.initialize();
    connection = new Redis((await getRedis()).url, { maxRetriesPerRequest: null });
    const telemetry = obs.bullmqTelemetry();
    if (telemetry === undefined) throw new Error('tracing is on: bullmqTelemetry() must return telemetry');
    queue = new Queue(name, { connection, telemetry });
    worker = new Worker(
      name,
      (job) => {
        ran.push(currentTenant());
        return Promise.resolve({ echoed: job.data as unknown });
      },
      { connection, telemetry },
    );
    obs.instrumentQueueManager({ queues: [queue], workers: [worker] });
    const middleware = obs.createHTTPMiddleware({ authenticate: () => 'acme' });
    server = await serve((req, res) =>
      middleware(req, res, () => {
        void queue.add('work', { n: 1 }).then((job) => res.end(job.id));
      }),
    );
  });

  afterAll(async () => {
    await server.close();
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await obs.shutdown();
    await connection.quit();
  });

  test('HTTP request, enqueue and processing form one trace with the tenant on every span', async () => {
    const res = await fetch(`${server.url}/graphql`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor(() => ran.length === 1, 'the job to run');
    expect(ran).toEqual(['acme']);

    await waitFor(
      () => obs.recentTraces?.traces().some((t) => t.name === 'POST /graphql' && t.spanCount >= 3) ?? false,
      'the consumer span to end',
    );
    const trace = obs.recentTraces?.traces().find((t) => t.name === 'POST /graphql');
    const flat = (nodes: NonNullable<typeof trace>['roots']): NonNullable<typeof trace>['roots'] =>
      nodes.flatMap((n) => [n, ...flat(n.children)]);
    const spans = flat(trace?.roots ?? []);
    expect(spans.map((s) => `${s.kind} ${s.name}`)).toEqual([
      'SERVER POST /graphql',
      `PRODUCER add ${name}.work`,
      `CONSUMER process ${name}`,
    ]);
    for (const span of spans) expect(span.attributes['tenant.id']).toBe('acme');
  });

  test('job metrics, queue depth and the operation-errors SLO come out of the same manager', async () => {
    await waitFor(
      async () => /autoweave_queue_jobs_completed_total\{[^}]*\} 1/.test((await obs.metrics.collect()).body),
      'the completion to be counted',
    );
    const text = (await obs.metrics.collect()).body;
    expect(text).toContain(`autoweave_queue_jobs_completed_total{queue="${name}",job_name="work"} 1`);
    expect(text).toContain(`autoweave_queue_jobs{queue="${name}",state="waiting"} 0`);
    expect(text).toContain(
      `autoweave_business_operations_total{operation="job.${name}",tenant_id="acme",outcome="success"} 1`,
    );
    const check = await checkMetrics(text);
    expect(check.stderr).toBe('');
    expect(check.ok).toBe(true);
    const errors = obs.slo.snapshot().slos.find((s) => s.id === 'operation-errors');
    expect(errors?.groups[0]?.windows[0]).toMatchObject({ good: 1, total: 1 });
  });
});
