// BullMQ job throughput with and without @autoweave/integration-bullmq, and with bullmq-otel (the
// reference telemetry BullMQ's docs point to) for comparison, in the same run against the same
// Redis: rounds rotate through the modes (and which goes first), each adds `jobs` jobs one by one
// (a producer span each when traced) and waits until a worker has completed them all. Ratios are
// medians of each round's own ratio to that round's baseline: this machine's speed drifts by ±10%
// within a minute, and a round measures all modes within a second or two.
import { createBullMQTelemetry, instrumentQueues } from '@autoweave/integration-bullmq';
import { createMetrics } from '@autoweave/metrics';
import { runWithTenant, withTenantBaggage } from '@autoweave/tenant-isolation';
import { getRedis } from '@autoweave/test-utils';
import { startTracing } from '@autoweave/tracing';
import { Queue, Worker, type Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { Redis } from 'ioredis';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { keep, median, ratioText } from './harness.js';

export interface BullmqThroughputOptions {
  /** Jobs per round. Default 2000. */
  readonly jobs?: number;
  /** Rounds per mode. Default 5. */
  readonly rounds?: number;
  /** Worker concurrency. Default 10. */
  readonly concurrency?: number;
  /** Jobs added at once (each its own `queue.add`). Default 50. */
  readonly addBatch?: number;
  /** Trace sampling ratio of the instrumented rounds. Default 0.1. */
  readonly sampleRate?: number;
  /** Each job waits this long (a timer, like I/O); 0 = a trivial processor, the worst case for the ratio. Default 0. */
  readonly processorMs?: number;
  /** The modes to run, for experiments; 'baseline' must be one. Ratios of modes not run are NaN. Default all. */
  readonly modes?: readonly BullmqMode[];
}

export interface BullmqThroughputResult {
  readonly jobs: number;
  readonly rounds: number;
  readonly concurrency: number;
  readonly sampleRate: number;
  readonly processorMs: number;
  readonly redis: string;
  /** Medians over rounds; ratios are medians of per-round ratios to the same round's baseline. */
  readonly baselineJobsPerSec: number;
  readonly instrumentedJobsPerSec: number;
  readonly bullmqOtelJobsPerSec: number;
  /** instrumented ÷ baseline (target ≥ 0.95). */
  readonly ratio: number;
  /** bullmq-otel ÷ baseline: spans only, through the global tracer and propagator. */
  readonly bullmqOtelRatio: number;
  readonly baselineRounds: readonly number[];
  readonly instrumentedRounds: readonly number[];
  readonly bullmqOtelRounds: readonly number[];
  /** Our telemetry alone (trace context and tenant, no job metrics): the like-for-like with bullmq-otel. */
  readonly tracesJobsPerSec: number;
  readonly tracesRatio: number;
  readonly tracesRounds: readonly number[];
  /** BullMQ's telemetry interface with a no-op tracer and context manager: BullMQ's own share. */
  readonly noopJobsPerSec: number;
  readonly noopRatio: number;
  readonly noopRounds: readonly number[];
  /** The no-op tracer plus carrying and parsing real metadata: the floor of any propagating telemetry. */
  readonly carryRatio: number;
  readonly carryRounds: readonly number[];
  /** Median over rounds of carry − no-op CPU per job, µs: what carrying the context through Redis costs. */
  readonly carryCpuUsPerJob: number;
  /** Spans the instrumented rounds recorded (sampled ones only). */
  readonly spansRecorded: number;
  /** CPU time (user + system) of this process per job, µs, by mode: medians over rounds. */
  readonly cpuUsPerJob: Readonly<Record<BullmqMode, number>>;
  /** Median over rounds of (instrumented − baseline) CPU per job, µs: what the telemetry costs each job. */
  readonly addedCpuUsPerJob: number;
  /** The same for the telemetry alone (no job metrics). */
  readonly tracesAddedCpuUsPerJob: number;
}

export type BullmqMode = 'baseline' | 'autoweave' | 'autoweave-traces' | 'bullmq-otel' | 'no-op' | 'carry';

/** Warm-up rounds per mode before the measured ones: the first rounds of each mode ran slower. */
const WARMUP_ROUNDS = 3;

/** Runs the rounds and returns jobs per second (medians) for both modes. Needs a Redis (REDIS_URL or 127.0.0.1:6379). */
export async function bullmqThroughput(
  options: BullmqThroughputOptions = {},
): Promise<BullmqThroughputResult> {
  if (options.modes !== undefined && !options.modes.includes('baseline'))
    throw new Error("bullmqThroughput: options.modes must include 'baseline', the ratios' reference");
  const modes: readonly BullmqMode[] = options.modes ?? [
    'baseline',
    'autoweave',
    'autoweave-traces',
    'bullmq-otel',
    'no-op',
    'carry',
  ];
  const jobs = options.jobs ?? 2000;
  const rounds = options.rounds ?? 5;
  const concurrency = options.concurrency ?? 10;
  const addBatch = options.addBatch ?? 50;
  const sampleRate = options.sampleRate ?? 0.1;
  const processorMs = options.processorMs ?? 0;
  const processor =
    processorMs > 0
      ? () => new Promise<void>((resolve) => setTimeout(resolve, processorMs))
      : () => Promise.resolve();

  const redis = await getRedis();
  // The application's setup, the same for both modes: context manager, propagator, a provider.
  const tracing = startTracing({
    serviceName: 'bench-bullmq',
    sampleRate,
    recentTraces: { maxTraces: 1000 },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const producer = new Redis(redis.url, { maxRetriesPerRequest: null });
  const consumer = new Redis(redis.url, { maxRetriesPerRequest: null });
  const telemetry = createBullMQTelemetry({ tracerProvider: tracing.provider });
  // bullmq-otel uses the global provider and propagator, which startTracing registered.
  const otel = new BullMQOtel({ tracerName: 'bench-bullmq', version: '0.0.0' }) as unknown as Telemetry;

  // BullMQ's telemetry path with nothing behind it: the cost BullMQ itself adds once telemetry is set
  // (its trace() wrappers and awaits), the floor under any implementation of the interface.
  const noopSpan = {
    setSpanOnContext: (ctx: unknown) => ctx,
    setAttribute: () => undefined,
    setAttributes: () => undefined,
    addEvent: () => undefined,
    recordException: () => undefined,
    end: () => undefined,
  };
  const noop = {
    tracer: { startSpan: () => noopSpan },
    contextManager: {
      active: () => ROOT_CONTEXT,
      root: () => ROOT_CONTEXT,
      with: (_ctx: unknown, fn: () => unknown) => fn(),
      getMetadata: () => '',
      fromMetadata: (active: unknown) => active,
    },
  } as unknown as Telemetry;

  // The propagation floor: the same no-op spans, but each job carries the metadata our telemetry
  // writes for an unsampled trace with a tenant (traceparent and baggage) through Redis, and the
  // worker parses it. What any implementation that propagates context pays at least.
  const carried = telemetry.contextManager.getMetadata(
    withTenantBaggage(
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: TraceFlags.NONE,
      }),
      'acme',
    ),
  );
  const carry = {
    tracer: noop.tracer,
    contextManager: {
      ...noop.contextManager,
      getMetadata: () => carried,
      fromMetadata: (active: unknown, metadata: string) => {
        keep(JSON.parse(metadata));
        return active;
      },
    },
  } as unknown as Telemetry;

  type Mode = BullmqMode;
  interface Round {
    readonly jobsPerSec: number;
    readonly cpuUsPerJob: number;
  }
  const round = async (mode: Mode): Promise<Round> => {
    const instrumented = mode === 'autoweave';
    // One queue name per mode for the whole run, as an application's queues are long-lived: a new name
    // each round would make every round bind new metric series (and exceed the queue-label allow list).
    const name = `aw-bench-${process.pid}-${mode}`;
    const withTelemetry =
      instrumented || mode === 'autoweave-traces'
        ? { telemetry }
        : mode === 'bullmq-otel'
          ? { telemetry: otel }
          : mode === 'no-op'
            ? { telemetry: noop }
            : mode === 'carry'
              ? { telemetry: carry }
              : {};
    const queue = new Queue(name, { connection: producer, ...withTelemetry });
    let completed = 0;
    let allDone = (): void => undefined;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const worker = new Worker(name, processor, {
      connection: consumer,
      concurrency,
      ...withTelemetry,
    });
    worker.on('completed', () => {
      if (++completed === jobs) allDone();
    });
    const handle = instrumented
      ? instrumentQueues({ queues: [queue], workers: [worker] }, { metrics })
      : undefined;
    await worker.waitUntilReady();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await runWithTenant('acme', async () => {
      for (let added = 0; added < jobs; added += addBatch) {
        const batch: Promise<unknown>[] = [];
        for (let i = added; i < Math.min(jobs, added + addBatch); i++) batch.push(queue.add('sync', { i }));
        await Promise.all(batch);
      }
    });
    await done;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    if (instrumented) await metrics.collect(); // a scrape, as Prometheus would make (depth read included)
    await handle?.shutdown();
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    return { jobsPerSec: jobs / seconds, cpuUsPerJob: (cpu.user + cpu.system) / jobs };
  };

  const byMode: Record<Mode, Round[]> = {
    baseline: [],
    autoweave: [],
    'autoweave-traces': [],
    'bullmq-otel': [],
    'no-op': [],
    carry: [],
  };
  try {
    // warm-up: JIT, Lua scripts loaded
    for (let w = 0; w < WARMUP_ROUNDS; w++) for (const mode of modes) await round(mode);
    for (let r = 0; r < rounds; r++) {
      // rotate which mode goes first, so drift on the machine falls on all of them
      for (let m = 0; m < modes.length; m++) {
        const mode = modes[(r + m) % modes.length] as Mode;
        byMode[mode].push(await round(mode));
      }
    }
  } finally {
    producer.disconnect();
    consumer.disconnect();
    await metrics.shutdown();
    await redis.stop();
  }
  const spansRecorded = tracing.stats().exported;
  await tracing.shutdown();
  const rate = (mode: Mode): number[] => byMode[mode].map((r) => r.jobsPerSec);
  const cpuOf = (mode: Mode): number[] => byMode[mode].map((r) => r.cpuUsPerJob);
  /** Median over rounds of the mode's CPU per job minus the same round's baseline. */
  const pairedAdded = (mode: Mode): number =>
    median(cpuOf(mode).map((cpu, r) => cpu - (cpuOf('baseline')[r] ?? Number.NaN)));
  const baselineRounds = rate('baseline');
  /** Median over rounds of the mode's jobs/s ÷ the same round's baseline jobs/s. */
  const pairedRatio = (modeRounds: readonly number[]): number =>
    median(modeRounds.map((jps, r) => jps / (baselineRounds[r] ?? Number.NaN)));
  const instrumentedRounds = rate('autoweave');
  const bullmqOtelRounds = rate('bullmq-otel');
  const baselineJobsPerSec = median(baselineRounds);
  const instrumentedJobsPerSec = median(instrumentedRounds);
  const bullmqOtelJobsPerSec = median(bullmqOtelRounds);
  const tracesRounds = rate('autoweave-traces');
  const tracesJobsPerSec = median(tracesRounds);
  const noopRounds = rate('no-op');
  const noopJobsPerSec = median(noopRounds);
  return {
    jobs,
    rounds,
    concurrency,
    sampleRate,
    processorMs,
    redis: redis.url,
    baselineJobsPerSec,
    instrumentedJobsPerSec,
    bullmqOtelJobsPerSec,
    ratio: pairedRatio(instrumentedRounds),
    bullmqOtelRatio: pairedRatio(bullmqOtelRounds),
    tracesJobsPerSec,
    tracesRatio: pairedRatio(tracesRounds),
    tracesRounds,
    noopJobsPerSec,
    noopRatio: pairedRatio(noopRounds),
    noopRounds,
    carryRatio: pairedRatio(rate('carry')),
    carryRounds: rate('carry'),
    carryCpuUsPerJob: median(cpuOf('carry').map((cpu, r) => cpu - (cpuOf('no-op')[r] ?? Number.NaN))),
    baselineRounds,
    instrumentedRounds,
    bullmqOtelRounds,
    spansRecorded,
    cpuUsPerJob: Object.fromEntries(modes.map((mode) => [mode, median(cpuOf(mode))])) as Record<Mode, number>,
    addedCpuUsPerJob: pairedAdded('autoweave'),
    tracesAddedCpuUsPerJob: pairedAdded('autoweave-traces'),
  };
}

/** The result as a Markdown section for BENCHMARKS.md. */
export function bullmqThroughputTable(result: BullmqThroughputResult): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  const cpu = (mode: BullmqMode) => result.cpuUsPerJob[mode].toFixed(1);
  return `| mode | jobs/s (median of ${result.rounds}) | ÷ BullMQ alone (median of per-round ratios) | CPU µs/job (producer + worker) | rounds |
| --- | ---: | ---: | ---: | --- |
| BullMQ alone | ${fmt(result.baselineJobsPerSec)} | 1 | ${cpu('baseline')} | ${result.baselineRounds.map(fmt).join(', ')} |
| with @autoweave/integration-bullmq (traces, tenant, metrics) | ${fmt(result.instrumentedJobsPerSec)} | ${result.ratio.toFixed(3)} | ${cpu('autoweave')} | ${result.instrumentedRounds.map(fmt).join(', ')} |
| with @autoweave/integration-bullmq telemetry only (traces, tenant; no job metrics) | ${fmt(result.tracesJobsPerSec)} | ${result.tracesRatio.toFixed(3)} | ${cpu('autoweave-traces')} | ${result.tracesRounds.map(fmt).join(', ')} |
| with bullmq-otel 2.0.1 (traces only) | ${fmt(result.bullmqOtelJobsPerSec)} | ${result.bullmqOtelRatio.toFixed(3)} | ${cpu('bullmq-otel')} | ${result.bullmqOtelRounds.map(fmt).join(', ')} |
| BullMQ's telemetry interface with a no-op tracer (BullMQ's own share, the floor) | ${fmt(result.noopJobsPerSec)} | ${result.noopRatio.toFixed(3)} | ${cpu('no-op')} | ${result.noopRounds.map(fmt).join(', ')} |
| the same, each job carrying our metadata (trace context and tenant) through Redis, parsed by the worker | ${fmt(median(result.carryRounds))} | ${result.carryRatio.toFixed(3)} | ${cpu('carry')} | ${result.carryRounds.map(fmt).join(', ')} |

Ratio ${ratioText(result.ratio, 0.95)} (target ≥ 0.95; ${result.ratio >= 0.95 ? 'met' : '**not met**'}). ${result.jobs.toLocaleString('en')} jobs per round added one \`queue.add\` at a time (${result.concurrency} worker concurrency, ${result.processorMs > 0 ? `a ${result.processorMs} ms processor` : 'a trivial processor'}, one Redis at ${result.redis}); both traced modes sample ${result.sampleRate * 100}% into the in-process trace buffer (${result.spansRecorded.toLocaleString('en')} spans recorded in all; bullmq-otel also makes a span for each internal step: fetch, complete). The autoweave rounds also carry the tenant, count every job and scrape the queue depth once per round. Each mode had ${WARMUP_ROUNDS} unmeasured rounds first.

CPU added per job, median of per-round differences to BullMQ alone (producer and worker in this one process; Redis's own CPU not included): **${result.addedCpuUsPerJob.toFixed(1)} µs** with job metrics, ${result.tracesAddedCpuUsPerJob.toFixed(1)} µs without.${
    result.processorMs === 0
      ? ` Of that, carrying the trace context and tenant through Redis and parsing them is ${result.carryCpuUsPerJob.toFixed(1)} µs (the last row against the no-op row, same rounds); the rest is the spans and the context switching in this process.`
      : ''
  } A processor that itself uses W µs of CPU per job keeps about (B + W) ÷ (B + W + ${result.addedCpuUsPerJob.toFixed(0)}) of its throughput, B being BullMQ's own ${result.cpuUsPerJob.baseline.toFixed(0)} µs: at least 0.95 once W ≥ ${Math.max(0, 19 * result.addedCpuUsPerJob - result.cpuUsPerJob.baseline).toFixed(0)} µs.`;
}
