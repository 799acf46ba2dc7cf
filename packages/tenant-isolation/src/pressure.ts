// Tells whether the process is under event-loop or memory pressure, with hysteresis, so the tenant
// limiter can cut telemetry budgets before telemetry makes a struggling process worse.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** Anything that can say whether the process is under pressure now. Must be cheap: it is read on hot paths. */
export interface PressureSource {
  underPressure(): boolean;
}

/** One measurement of the process. */
export interface PressureSample {
  /** p99 event-loop delay over the last interval, in milliseconds. */
  readonly eventLoopDelayMs: number;
  /** V8 heap used ÷ heap size limit (`--max-old-space-size`), 0..1. */
  readonly heapUsedRatio: number;
}

/** The last measurement and the state it led to. */
export interface PressureReading extends PressureSample {
  readonly underPressure: boolean;
  /** Which thresholds the last sample was over (empty when none). */
  readonly over: readonly ('eventLoopDelay' | 'heap')[];
}

export interface PressureMonitorOptions {
  /** Pressure when the p99 event-loop delay over an interval reaches this many ms. Default 200. */
  readonly eventLoopDelayP99Ms?: number;
  /** Pressure when heap used ÷ heap size limit reaches this ratio. Default 0.85. */
  readonly heapUsedRatio?: number;
  /** How often to sample, in ms; 0 starts no timer (call `update()` yourself). Default 1000. */
  readonly intervalMs?: number;
  /** Consecutive samples over a threshold before entering pressure. Default 2. */
  readonly enterSamples?: number;
  /** Consecutive samples below `recoverRatio` × every threshold before leaving pressure. Default 5. */
  readonly recoverSamples?: number;
  /** Fraction of each threshold a sample must be below to count towards recovery. Default 0.8. */
  readonly recoverRatio?: number;
  /** Replaces the built-in measurement (perf_hooks event-loop delay + v8 heap statistics), e.g. in tests. */
  readonly sample?: () => PressureSample;
}

export interface PressureMonitor extends PressureSource {
  /** True from `enterSamples` samples over a threshold until `recoverSamples` samples well below all of them. */
  underPressure(): boolean;
  /** The last sample (zeros before the first one). */
  reading(): PressureReading;
  /** Takes a sample now and updates the state; the timer calls this every `intervalMs`. Never throws. */
  update(): PressureReading;
  /** Stops the timer and the event-loop delay histogram. */
  stop(): void;
}

/**
 * Samples event-loop delay (p99 per interval) and heap use on an unref'd timer. Enters pressure
 * after `enterSamples` consecutive samples over either threshold, leaves it after `recoverSamples`
 * consecutive samples below `recoverRatio` of both, so a single slow tick or a value hovering at
 * the threshold does not make budgets flap.
 */
export function createPressureMonitor(options: PressureMonitorOptions = {}): PressureMonitor {
  const delayLimit = positive('eventLoopDelayP99Ms', options.eventLoopDelayP99Ms ?? 200);
  const heapLimit = ratio('heapUsedRatio', options.heapUsedRatio ?? 0.85);
  const intervalMs = nonNegative('intervalMs', options.intervalMs ?? 1000);
  const enterSamples = count('enterSamples', options.enterSamples ?? 2);
  const recoverSamples = count('recoverSamples', options.recoverSamples ?? 5);
  const recoverRatio = ratio('recoverRatio', options.recoverRatio ?? 0.8);

  let histogram: IntervalHistogram | undefined;
  let sample = options.sample;
  if (sample === undefined) {
    const h = startHistogram();
    histogram = h;
    sample = () => measure(h);
  }
  const read = sample;

  let pressured = false;
  let overRun = 0;
  let calmRun = 0;
  let last: PressureReading = { eventLoopDelayMs: 0, heapUsedRatio: 0, underPressure: false, over: [] };

  const update = (): PressureReading => {
    let s: PressureSample;
    try {
      s = read();
    } catch {
      // A failing probe says nothing about pressure; keep the current state.
      return last;
    }
    const delay = Number.isFinite(s.eventLoopDelayMs) ? s.eventLoopDelayMs : 0;
    const heap = Number.isFinite(s.heapUsedRatio) ? s.heapUsedRatio : 0;
    const over: ('eventLoopDelay' | 'heap')[] = [];
    if (delay >= delayLimit) over.push('eventLoopDelay');
    if (heap >= heapLimit) over.push('heap');
    const calm = delay < delayLimit * recoverRatio && heap < heapLimit * recoverRatio;
    overRun = over.length > 0 ? overRun + 1 : 0;
    calmRun = calm ? calmRun + 1 : 0;
    if (!pressured && overRun >= enterSamples) pressured = true;
    else if (pressured && calmRun >= recoverSamples) pressured = false;
    last = { eventLoopDelayMs: delay, heapUsedRatio: heap, underPressure: pressured, over };
    return last;
  };

  const timer = intervalMs > 0 ? setInterval(update, intervalMs) : undefined;
  timer?.unref();

  return {
    underPressure: () => pressured,
    reading: () => last,
    update,
    stop() {
      if (timer !== undefined) clearInterval(timer);
      histogram?.disable();
    },
  };
}

function measure(histogram: IntervalHistogram): PressureSample {
  const p99Ms = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
  histogram.reset();
  const heap = getHeapStatistics();
  return { eventLoopDelayMs: p99Ms, heapUsedRatio: heap.used_heap_size / heap.heap_size_limit };
}

function startHistogram(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return h;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`createPressureMonitor: ${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `createPressureMonitor: ${name} must be a finite number ≥ 0 (0 = no timer), got ${String(value)}`,
    );
  }
  return value;
}

function ratio(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new RangeError(`createPressureMonitor: ${name} must be a number in (0, 1], got ${String(value)}`);
  }
  return value;
}

function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`createPressureMonitor: ${name} must be an integer ≥ 1, got ${String(value)}`);
  }
  return value;
}
