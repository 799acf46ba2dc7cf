import { SpanKind, SpanStatusCode, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { currentTenant, runWithTenant } from '@autoweave/tenant-isolation';
import { Job, Queue, Worker, type Processor } from 'bullmq';
import { createBullMQTelemetry, instrumentQueues } from './index';
import type { BullMQTelemetryOptions } from './types';
import { recordSpans, useAsyncContext, type SpanRecorder } from '@autoweave/test-utils';
import { track, useCleanups, useSharedConnection } from './test-fixtures/lifecycle';
import { uniqueQueue, waitFor } from './test-fixtures/wait';

const redis = useSharedConnection();
const later = useCleanups();
let spans: SpanRecorder;
let restoreContext: () => void;

beforeAll(() => {
  restoreContext = useAsyncContext();
});

beforeEach(() => {
  spans = recordSpans();
  later(() => spans.shutdown());
});

afterAll(() => restoreContext());

function setup(
  label: string,
  processor: Processor,
  options: BullMQTelemetryOptions = {},
  workerOptions = {},
) {
  const name = uniqueQueue(label);
  const telemetry = createBullMQTelemetry({ tracerProvider: spans.provider, ...options });
  const queue = track(later, new Queue(name, { connection: redis(), telemetry }));
  const worker = new Worker(name, processor, { connection: redis(), telemetry, ...workerOptions });
  later(() => worker.close());
  return { name, telemetry, queue, worker };
}

const named = (all: ReadableSpan[], prefix: string) => all.filter((s) => s.name.startsWith(prefix));
const only = (all: ReadableSpan[], prefix: string): ReadableSpan => {
  const found = named(all, prefix);
  if (found.length !== 1)
    throw new Error(`expected one "${prefix}…" span, got ${found.map((s) => s.name).join(', ')}`);
  return found[0] as ReadableSpan;
};

describe('trace context through Redis', () => {
  it('runs a job added inside a request span in the same trace, as the producer tenant, without any global propagator', async () => {
    expect(propagation.fields()).toEqual([]); // nothing registered: only our own propagator can carry it
    const seen: { tenant?: string | undefined; traceId?: string | undefined }[] = [];
    const { name, queue } = setup('trace', (job) => {
      seen.push({ tenant: currentTenant(), traceId: trace.getActiveSpan()?.spanContext().traceId });
      return Promise.resolve({ sent: job.data as unknown });
    });
    const request = spans.provider.getTracer('http').startSpan('POST /graphql', { kind: SpanKind.SERVER });
    // the request's context and tenant, as a GraphQL resolver has them
    const job = await runWithTenant('acme', () =>
      context.with(trace.setSpan(context.active(), request), () =>
        queue.add('welcome-email', { to: 'someone' }),
      ),
    );
    request.end();
    await waitFor('the consumer span', () => named(spans.spans(), 'process').length === 1);

    // what crossed Redis: the job's stored metadata holds a W3C traceparent and the tenant in baggage
    const stored = await Job.fromId(queue, job.id as string);
    const carrier = JSON.parse(stored?.opts.telemetry?.metadata ?? '{}') as Record<string, string>;
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(carrier.baggage).toBe('tenant.id=acme');

    const all = spans.spans();
    const producer = only(all, `add ${name}.welcome-email`);
    const consumer = only(all, `process ${name}`);
    const traceId = request.spanContext().traceId;
    expect(producer.spanContext().traceId).toBe(traceId);
    expect(producer.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'add',
      'messaging.destination.name': name,
      'tenant.id': 'acme',
    });
    expect(carrier.traceparent).toContain(producer.spanContext().spanId);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': name,
      'messaging.message.id': job.id,
      'tenant.id': 'acme',
    });
    expect(seen).toEqual([{ tenant: 'acme', traceId }]);
    // only the messaging spans by default
    expect(all.map((s) => s.name.split(' ')[0]).sort()).toEqual(['POST', 'add', 'process']);
  });

  it('makes no span under an unsampled parent, yet carries its trace, its decision and the tenant to the processor', async () => {
    const unsampledRequest = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
    };
    const run = async (options: BullMQTelemetryOptions, provider = spans.provider) => {
      const seen: { tenant: string | undefined; spanId: string | undefined; flags: number | undefined }[] =
        [];
      const name = uniqueQueue('unsampled');
      const telemetry = createBullMQTelemetry({ tracerProvider: provider, ...options });
      const queue = track(later, new Queue(name, { connection: redis(), telemetry }));
      const worker = new Worker(
        name,
        () => {
          const active = trace.getSpanContext(context.active());
          seen.push({ tenant: currentTenant(), spanId: active?.spanId, flags: active?.traceFlags });
          return Promise.resolve();
        },
        { connection: redis(), telemetry },
      );
      later(() => worker.close());
      const job = await runWithTenant('acme', () =>
        context.with(trace.setSpanContext(context.active(), unsampledRequest), () => queue.add('mail', {})),
      );
      await waitFor('the job', () => seen.length === 1);
      const stored = await Job.fromId(queue, job.id as string);
      return {
        name,
        seen,
        metadata: JSON.parse(stored?.opts.telemetry?.metadata ?? '{}') as Record<string, string>,
      };
    };
    /** The operations of the spans recorded for queue `name` (`process <queue>`, `add <queue>.<job>`). */
    const operationsOf = (name: string) =>
      spans
        .spans()
        .map((s) => s.name.split(' '))
        .filter(([, destination = '']) => destination === name || destination.startsWith(`${name}.`))
        .map(([operation]) => operation)
        .sort();

    const followed = await run({});
    // The producer wrote the request's own context: same trace, "not sampled", and the tenant.
    expect(followed.metadata).toEqual({
      traceparent: `00-${unsampledRequest.traceId}-${unsampledRequest.spanId}-00`,
      baggage: 'tenant.id=acme',
    });
    expect(followed.seen).toEqual([
      { tenant: 'acme', spanId: unsampledRequest.spanId, flags: TraceFlags.NONE },
    ]);

    // A sampler that records children of unsampled parents gets its spans with followParentSampling: false.
    const alwaysOn = new BasicTracerProvider({
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new SimpleSpanProcessor(spans.exporter)],
    });
    const own = await run({ followParentSampling: false }, alwaysOn);
    // The processor ran before its span ended: wait for the span, by which time the first job, done
    // long before, would have had its own spans too.
    await waitFor('the consumer span', () => named(spans.spans(), `process ${own.name}`).length === 1);
    expect(operationsOf(followed.name)).toEqual([]);
    expect(operationsOf(own.name)).toEqual(['add', 'process']);
    const producer = only(spans.spans(), 'add ');
    expect(producer.parentSpanContext?.spanId).toBe(unsampledRequest.spanId);
    expect(own.seen).toEqual([
      {
        tenant: 'acme',
        spanId: only(spans.spans(), 'process ').spanContext().spanId,
        flags: TraceFlags.SAMPLED,
      },
    ]);
    await alwaysOn.shutdown();
  });

  it('keeps the job result off the span unless captureJobResult is set', async () => {
    const results: Record<string, unknown> = {};
    for (const capture of [false, true]) {
      const { name, queue } = setup(
        `result-${capture}`,
        () => Promise.resolve({ card: '4111 1111 1111 1111' }),
        {
          captureJobResult: capture,
        },
      );
      await queue.add('charge', {});
      await waitFor('the consumer span', () => named(spans.spans(), `process ${name}`).length === 1);
      const event = only(spans.spans(), `process ${name}`).events.find((e) => e.name === 'job completed');
      results[String(capture)] = event?.attributes?.['bullmq.job.result'];
    }
    expect(results).toEqual({ false: undefined, true: JSON.stringify({ card: '4111 1111 1111 1111' }) });
  });
});

describe('failures on spans', () => {
  it('gives a failed attempt ERROR status and the processor error with its stack when instrumentQueues listens', async () => {
    const { name, queue, worker } = setup('fail', () => Promise.reject(new Error('smtp refused')));
    const instrumentation = instrumentQueues({ workers: [worker] });
    later(() => instrumentation.shutdown());
    await queue.add('welcome-email', {});
    await waitFor('the consumer span', () => named(spans.spans(), `process ${name}`).length === 1);
    const consumer = only(spans.spans(), `process ${name}`);
    expect(consumer.status).toEqual({ code: SpanStatusCode.ERROR, message: 'smtp refused' });
    const exceptions = consumer.events.filter((e) => e.name === 'exception');
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]?.attributes).toMatchObject({
      'exception.type': 'Error',
      'exception.message': 'smtp refused',
    });
    expect(String(exceptions[0]?.attributes?.['exception.stacktrace'])).toContain('telemetry.test.ts');
  });

  it('still marks the attempt ERROR with the failed reason without instrumentQueues', async () => {
    const { name, queue } = setup('fail-bare', () => Promise.reject(new Error('smtp refused')));
    await queue.add('welcome-email', {});
    await waitFor('the consumer span', () => named(spans.spans(), `process ${name}`).length === 1);
    const consumer = only(spans.spans(), `process ${name}`);
    expect(consumer.status).toEqual({ code: SpanStatusCode.ERROR, message: 'smtp refused' });
    expect(
      consumer.events.filter((e) => e.name === 'exception').map((e) => e.attributes?.['exception.message']),
    ).toEqual(['smtp refused']);
  });

  it('runs a retried attempt in the same trace, as another child of the producer span', async () => {
    const { name, queue } = setup('retry', (job) =>
      job.attemptsMade === 0 ? Promise.reject(new Error('timeout')) : Promise.resolve(),
    );
    await queue.add('sync', {}, { attempts: 2 });
    await waitFor('both attempts', () => named(spans.spans(), `process ${name}`).length === 2);
    const [first, second] = named(spans.spans(), `process ${name}`).sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    ) as [ReadableSpan, ReadableSpan];
    const producer = only(spans.spans(), `add ${name}.sync`);
    expect(first.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    // BullMQ 6.7 stores the failed attempt's context in a job field it never reads back, so every
    // attempt hangs off the producer span
    expect(second.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect([first.status.code, second.status.code]).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  });

  it('records the exception on the producer span when Redis refuses the add', async () => {
    const name = uniqueQueue('add-fail');
    const telemetry = createBullMQTelemetry({ tracerProvider: spans.provider });
    const queue = new Queue(name, { connection: redis(), telemetry });
    later(() => queue.close());
    // a job id with a colon is refused by BullMQ before anything is written
    await expect(queue.add('x', {}, { jobId: 'a:b' })).rejects.toThrow();
    const producer = only(spans.spans(), `add ${name}.x`);
    expect(producer.status.code).toBe(SpanStatusCode.ERROR);
    expect(producer.events.map((e) => e.name)).toContain('exception');
  });
});

describe('what is not traced', () => {
  it('runs a job with unreadable metadata without a parent trace and counts it', async () => {
    const name = uniqueQueue('bad-metadata');
    const plain = track(later, new Queue(name, { connection: redis() }));
    const processed: string[] = [];
    const telemetry = createBullMQTelemetry({ tracerProvider: spans.provider });
    const worker = new Worker(
      name,
      (job) => {
        processed.push(job.id as string);
        return Promise.resolve();
      },
      { connection: redis(), telemetry },
    );
    later(() => worker.close());
    const job = await plain.add('x', {}, { telemetry: { metadata: '{"traceparent": not json' } });
    await waitFor('the job', () => processed.length === 1);
    await waitFor('the consumer span', () => named(spans.spans(), `process ${name}`).length === 1);
    expect(processed).toEqual([job.id]);
    expect(only(spans.spans(), `process ${name}`).parentSpanContext).toBeUndefined();
    expect(telemetry.stats().invalidMetadata).toBeGreaterThanOrEqual(1);
    expect(telemetry.stats().internalErrors).toBe(0);
  });

  it('records BullMQ internal operations only as internalSpans says', async () => {
    const seen: Record<string, { complete: number; completeInTrace: boolean; background: number }> = {};
    for (const internalSpans of ['none', 'traced', 'all'] as const) {
      const { name, queue } = setup(
        `internal-${internalSpans}`,
        () => Promise.resolve(),
        { internalSpans },
        {
          stalledInterval: 100,
        },
      );
      await queue.add('x', {});
      await waitFor('the consumer span', () => named(spans.spans(), `process ${name}`).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 400)); // a few stalled-job checks
      const all = spans.spans();
      const traceId = only(all, `add ${name}`).spanContext().traceId;
      const complete = named(all, `complete ${name}`);
      seen[internalSpans] = {
        complete: complete.length,
        completeInTrace: complete.every((s) => s.spanContext().traceId === traceId),
        background: named(all, `moveStalledJobsToWait ${name}`).length > 0 ? 1 : 0,
      };
      spans.exporter.reset();
    }
    expect(seen).toEqual({
      none: { complete: 0, completeInTrace: true, background: 0 },
      traced: { complete: 1, completeInTrace: true, background: 0 },
      all: { complete: 1, completeInTrace: true, background: 1 },
    });
  });
});
