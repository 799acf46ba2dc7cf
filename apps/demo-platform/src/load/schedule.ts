// Open-loop pacing: request i is due at i / rps seconds after the start, whether or not earlier
// responses came back, so a slow server sees the queue build up (as real users would make it) instead
// of the generator politely slowing down with it (coordinated omission).
import { setTimeout as sleep } from 'node:timers/promises';

/** How many requests a run of `durationMs` at `rps` sends. */
export function plannedRequests(rps: number, durationMs: number): number {
  return Math.max(0, Math.floor((rps * durationMs) / 1000));
}

/** When request `index` is due, in ms after the start. */
export function dueAtMs(index: number, rps: number): number {
  return (index * 1000) / rps;
}

/** How many requests are due by `elapsedMs` (request 0 is due at once), at most `total`. */
export function dueBy(elapsedMs: number, rps: number, total: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * rps) / 1000) + 1);
}

export interface OpenLoopOptions {
  rps: number;
  durationMs: number;
  /** Starts request `index`; it must not wait for the response. `lagMs` is how late it goes out. */
  send: (index: number, lagMs: number) => void;
  /** Clock in ms; default `performance.now`. */
  now?: () => number;
  /** Waits `ms`; default a timer. */
  wait?: (ms: number) => Promise<void>;
  /** Stops early when it returns true (checked between batches). */
  stopped?: () => boolean;
}

export interface OpenLoopResult {
  sent: number;
  /** How late sends went out behind their due time (timer granularity, a busy event loop). */
  maxLagMs: number;
  elapsedMs: number;
}

/**
 * Sends `plannedRequests(rps, durationMs)` requests, each at its due time; when the event loop was
 * busy, every overdue request goes out at once rather than being skipped.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const now = options.now ?? (() => performance.now());
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  const total = plannedRequests(options.rps, options.durationMs);
  const start = now();
  let sent = 0;
  let maxLagMs = 0;
  while (sent < total && options.stopped?.() !== true) {
    const elapsed = now() - start;
    const due = dueBy(elapsed, options.rps, total);
    while (sent < due) {
      const lag = Math.max(0, elapsed - dueAtMs(sent, options.rps));
      if (lag > maxLagMs) maxLagMs = lag;
      options.send(sent, lag);
      sent++;
    }
    if (sent >= total) break;
    await wait(Math.max(0, dueAtMs(sent, options.rps) - (now() - start)));
  }
  return { sent, maxLagMs, elapsedMs: now() - start };
}
