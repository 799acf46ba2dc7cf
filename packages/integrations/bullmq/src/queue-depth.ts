// Queue depth read on scrape: at most one getJobCounts round trip per queue per cache period,
// shared by overlapping scrapes, bounded by a timeout, with the last values kept when Redis is away.
import type { AnyQueue, QueueDepthState } from './types';

export type DepthValues = Readonly<Partial<Record<QueueDepthState, number>>>;

export interface DepthReaderOptions {
  readonly states: readonly QueueDepthState[];
  readonly cacheMs: number;
  readonly timeoutMs: number;
  /** Called with fresh counts; sets the gauge. */
  readonly onValues: (queue: string, values: DepthValues) => void;
  /** Called when reading starts failing (error) and when it works again (undefined). */
  readonly onHealthChange?: (queue: string, error: unknown) => void;
}

/** Thrown to the scrape when the gauge shows old values, so the metrics handle counts it. */
export class QueueDepthUnavailableError extends Error {
  override readonly name = 'QueueDepthUnavailableError';
}

export class QueueDepthReader {
  reads = 0;
  failures = 0;
  private inFlight: Promise<void> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private lastError: unknown;
  private healthy = true;

  constructor(
    readonly queue: AnyQueue,
    private readonly options: DepthReaderOptions,
  ) {}

  /**
   * Resolves once the gauge holds counts no older than the cache period; rejects (after counting)
   * when it holds older ones because the read failed or is still waiting on Redis.
   */
  async refresh(): Promise<void> {
    try {
      if (this.inFlight === undefined) {
        const now = performance.now();
        if (now - this.lastStart < this.options.cacheMs) {
          if (this.lastError !== undefined) throw this.unavailable(this.lastError);
          return;
        }
        this.lastStart = now;
        this.reads++;
        this.inFlight = this.read().finally(() => {
          this.inFlight = undefined;
        });
      }
      await withTimeout(this.inFlight, this.options.timeoutMs, this.queue.name);
    } catch (error) {
      this.failures++;
      throw error instanceof QueueDepthUnavailableError ? error : this.unavailable(error);
    }
  }

  private async read(): Promise<void> {
    const { states, onValues, onHealthChange } = this.options;
    try {
      const counts = (await this.queue.getJobCounts(...states)) as Record<string, number | undefined>;
      const values: Partial<Record<QueueDepthState, number>> = {};
      for (const state of states) values[state] = Number(counts[state] ?? 0);
      onValues(this.queue.name, values);
      this.lastError = undefined;
      if (!this.healthy) {
        this.healthy = true;
        onHealthChange?.(this.queue.name, undefined);
      }
    } catch (error) {
      this.lastError = error ?? new Error('getJobCounts rejected');
      if (this.healthy) {
        this.healthy = false;
        onHealthChange?.(this.queue.name, error);
      }
      throw error;
    }
  }

  private unavailable(cause: unknown): QueueDepthUnavailableError {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new QueueDepthUnavailableError(
      `queue ${this.queue.name}: depth not read (${message}); showing the last values`,
    );
  }
}

/** `promise`, or a rejection after `ms` (the promise keeps running; its outcome still lands). */
function withTimeout(promise: Promise<void>, ms: number, queue: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`getJobCounts of ${queue} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
