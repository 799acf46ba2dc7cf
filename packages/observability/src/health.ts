// Turns the exporters' cumulative counters into "failed recently" verdicts, and watches event-loop delay.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ComponentHealth } from './types';

/** Cumulative counters of one exporter: what it delivered and how often delivery failed. */
export interface ExporterCounters {
  readonly delivered: number;
  readonly failed: number;
}

/**
 * Remembers when an exporter last failed and last delivered, by comparing its cumulative counters
 * with the previous reading. An exporter is degraded while its last failure is within `windowMs` and
 * nothing was delivered after it.
 */
export class ExporterWatch {
  #last: ExporterCounters | undefined;
  #lastFailureAt = -Infinity;
  #lastDeliveryAt = -Infinity;
  #failuresInEpisode = 0;

  constructor(
    private readonly read: () => ExporterCounters,
    private readonly windowMs: number,
  ) {}

  observe(now: number): void {
    const current = this.read();
    const last = this.#last ?? { delivered: 0, failed: 0 };
    this.#last = current;
    const failed = current.failed - last.failed;
    const delivered = current.delivered - last.delivered;
    // Both in one reading: a delivery after a failure is the usual order of recovery, so it wins.
    if (failed > 0) {
      if (this.#lastDeliveryAt >= this.#lastFailureAt) this.#failuresInEpisode = 0;
      this.#failuresInEpisode += failed;
      this.#lastFailureAt = now;
    }
    if (delivered > 0) this.#lastDeliveryAt = now;
  }

  health(now: number, target: string): ComponentHealth {
    this.observe(now);
    const failing = this.#lastFailureAt > this.#lastDeliveryAt && now - this.#lastFailureAt <= this.windowMs;
    if (!failing) return { status: 'ok', detail: `exporting to ${target}` };
    const ago = Math.round((now - this.#lastFailureAt) / 1000);
    return {
      status: 'degraded',
      detail: `export to ${target} failing: ${this.#failuresInEpisode} lost or retried since the last success, last failure ${ago}s ago`,
    };
  }
}

/** Event-loop delay p99 over rolling windows of about `windowMs`. */
const RESOLUTION_MS = 20;

export class EventLoopWatch {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  #windowStart: number;
  #lastWindowP99Ms = 0;

  constructor(
    private readonly thresholdMs: number,
    private readonly windowMs: number,
    now: number,
  ) {
    this.#windowStart = now;
    this.#histogram.enable();
  }

  /** Closes the current window when it is old enough, keeping its p99. */
  tick(now: number): void {
    if (now - this.#windowStart < this.windowMs) return;
    this.#lastWindowP99Ms = this.#currentP99Ms();
    this.#histogram.reset();
    this.#windowStart = now;
  }

  #currentP99Ms(): number {
    // The histogram records whole timer intervals; the delay is what exceeds the resolution.
    if (this.#histogram.count === 0) return 0;
    return Math.max(0, this.#histogram.percentile(99) / 1e6 - RESOLUTION_MS);
  }

  health(now: number): ComponentHealth {
    this.tick(now);
    const p99 = Math.max(this.#lastWindowP99Ms, this.#currentP99Ms());
    const detail = `event-loop delay p99 ${p99.toFixed(1)} ms (threshold ${this.thresholdMs} ms)`;
    return p99 > this.thresholdMs ? { status: 'degraded', detail } : { status: 'ok', detail };
  }

  stop(): void {
    this.#histogram.disable();
  }
}
