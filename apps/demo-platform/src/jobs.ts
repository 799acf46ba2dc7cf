// Plugin runs as BullMQ jobs: each job stores the tenant that asked for it, the worker runs the
// plugin as that tenant, and lookups only ever return the caller's own jobs.
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { Queue, Worker, type Job, type Telemetry } from 'bullmq';
import { Redis } from 'ioredis';
import { runWithTenant } from '@autoweave/tenant-isolation';

export const QUEUE_NAME = 'plugin-runs';

export interface JobData {
  readonly tenant: string;
  readonly plugin: string;
  readonly input: unknown;
  /** The trace the job was enqueued in, so a client can find it (null when unsampled or off). */
  readonly traceId: string | null;
}

export interface JobView {
  readonly id: string;
  readonly plugin: string;
  readonly state: string;
  readonly input: unknown;
  readonly result: unknown;
  readonly error: string | null;
  readonly attempts: number;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly traceId: string | null;
}

export interface JobsOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly telemetry: Telemetry | undefined;
  /** Runs one plugin for a tenant (the plugin loader's execute). */
  readonly run: (plugin: string, input: unknown, tenant: string) => Promise<unknown>;
  readonly concurrency?: number;
  readonly onRedisError: (error: Error) => void;
}

export interface Jobs {
  readonly queue: Queue<JobData>;
  readonly worker: Worker<JobData>;
  enqueue(tenant: string, plugin: string, input: unknown): Promise<JobView>;
  /** The job if it exists and belongs to `tenant`; undefined otherwise (the two are not told apart). */
  find(tenant: string, id: string): Promise<JobView | undefined>;
  /** Redis answers PING within `timeoutMs`. */
  redisReady(timeoutMs?: number): Promise<boolean>;
  /** Stops taking jobs and waits for the running ones (up to `timeoutMs`, then forces), then closes. */
  close(timeoutMs?: number): Promise<{ drained: boolean }>;
}

/** Attempts per job: flaky plugins get one retry, so the retry counters and spans have data. */
const ATTEMPTS = 2;

export function createJobs(options: JobsOptions): Jobs {
  // The worker's connection waits out a Redis restart (BullMQ needs maxRetriesPerRequest null for
  // its blocking commands); the API's fails fast, so a request during an outage gets an error, not a hang.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const apiConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  connection.on('error', options.onRedisError);
  apiConnection.on('error', options.onRedisError);
  const telemetry = options.telemetry === undefined ? {} : { telemetry: options.telemetry };
  const queue = new Queue<JobData>(QUEUE_NAME, {
    connection: apiConnection,
    prefix: options.prefix,
    ...telemetry,
    defaultJobOptions: {
      attempts: ATTEMPTS,
      backoff: { type: 'fixed', delay: 200 },
      // Bounded history: enough for clients to read their results back, not an ever-growing Redis.
      removeOnComplete: { age: 3600, count: 5000 },
      removeOnFail: { age: 24 * 3600, count: 5000 },
    },
  });
  queue.on('error', options.onRedisError);
  const worker = new Worker<JobData>(
    QUEUE_NAME,
    // The tenant comes from the job itself, so the plugin runs as it even with telemetry off.
    (job: Job<JobData>) =>
      runWithTenant(job.data.tenant, () => options.run(job.data.plugin, job.data.input, job.data.tenant)),
    { connection, prefix: options.prefix, concurrency: options.concurrency ?? 4, ...telemetry },
  );
  worker.on('error', options.onRedisError);

  const view = async (job: Job<JobData>): Promise<JobView> => ({
    id: job.id ?? '',
    plugin: job.data.plugin,
    state: await job.getState(),
    input: job.data.input ?? null,
    result: job.returnvalue ?? null,
    error: job.failedReason ? job.failedReason : null,
    attempts: job.attemptsMade,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    traceId: job.data.traceId,
  });

  const ping = async (timeoutMs: number): Promise<boolean> =>
    (await within(apiConnection.ping(), timeoutMs).catch(() => TIMED_OUT)) === 'PONG';

  return {
    queue,
    worker,
    enqueue: async (tenant, plugin, input) => {
      const span = trace.getActiveSpan()?.spanContext();
      const traceId = span !== undefined && trace.isSpanContextValid(span) ? span.traceId : null;
      // Random ids: sequential ones would let a tenant guess others' (the tenant check still applies).
      const job = await queue.add(plugin, { tenant, plugin, input, traceId }, { jobId: randomUUID() });
      return view(job);
    },
    find: async (tenant, id) => {
      const job = await queue.getJob(id);
      if (job === undefined || job.data?.tenant !== tenant) return undefined;
      return view(job);
    },
    redisReady: (timeoutMs = 1000) => ping(timeoutMs),
    close: async (timeoutMs = 30_000) => {
      // Without Redis no running job can report its end anyway (BullMQ retries it once its lock
      // expires), so there is little point waiting long for it.
      const redisUp = await ping(1000);
      const drained =
        (await within(
          worker.close().catch(() => undefined),
          redisUp ? timeoutMs : 5000,
        )) !== TIMED_OUT;
      // Forced: the jobs still running keep their Redis lock until it expires, then BullMQ's stalled
      // check hands them to the next worker, so they are retried, not lost.
      if (!drained)
        await within(
          worker.close(true).catch(() => undefined),
          5000,
        );
      await within(
        queue.close().catch(() => undefined),
        5000,
      );
      for (const c of [connection, apiConnection]) {
        if ((await within(c.quit(), 2000).catch(() => TIMED_OUT)) === TIMED_OUT) c.disconnect();
      }
      return { drained };
    },
  };
}

const TIMED_OUT = Symbol('timed out');

/** `promise`'s value, or TIMED_OUT after `ms` (the promise is left to settle on its own). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof TIMED_OUT>((r) => (timer = setTimeout(() => r(TIMED_OUT), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
