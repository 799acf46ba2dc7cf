// Bounded good/total counts over several rolling windows at once, in time buckets: memory depends on
// the number of windows and buckets per window, never on the event count or the window length.

/** Buckets per window when none are given: a window's edge is then off by at most 1/60 of it. */
export const DEFAULT_BUCKETS_PER_WINDOW = 60;

/** One window of a {@link WindowPlan}: its length and how it is bucketed. */
export interface PlannedWindow {
  /** Window length in ms. */
  readonly ms: number;
  /** Bucket length in ms: a whole multiple of the plan's `baseMs`. */
  readonly bucketMs: number;
  /** Buckets kept for this window: `ceil(ms / bucketMs)`, between `bucketsPerWindow` and twice that. */
  readonly buckets: number;
}

/**
 * How a set of windows is bucketed. Every bucket length is a multiple of `baseMs` (the smallest
 * window divided by `bucketsPerWindow`), so one pending base bucket can be folded into every
 * window without splitting it.
 */
export interface WindowPlan {
  readonly baseMs: number;
  readonly bucketsPerWindow: number;
  readonly windows: readonly PlannedWindow[];
  /** Float64 slots one {@link WindowCounts} holds: two (good, total) per bucket of every window. */
  readonly slots: number;
}

/**
 * Plans the buckets of `windowsMs` (whole ms, > 0). Each window gets buckets of
 * `baseMs × max(1, floor(window / (bucketsPerWindow × baseMs)))`, so at least `bucketsPerWindow`
 * and fewer than `2 × bucketsPerWindow` of them.
 *
 * Accuracy: at time t a window of length w covers the bucket holding t and the `buckets − 1`
 * before it, i.e. the last `(buckets − 1) × bucketMs + (t mod bucketMs)` ms. Since
 * `(buckets − 1) × bucketMs < w ≤ buckets × bucketMs`, the window's far edge is off by less than
 * one bucket. When the bucket length divides w (true for the default windows) the window is never
 * longer than w: an event leaves it exactly w after the start of its bucket, so more than
 * `w − bucketMs` and at most `w` after it happened.
 */
export function planWindows(
  windowsMs: readonly number[],
  bucketsPerWindow: number = DEFAULT_BUCKETS_PER_WINDOW,
): WindowPlan {
  if (!Number.isInteger(bucketsPerWindow) || bucketsPerWindow < 1 || bucketsPerWindow > 100_000) {
    throw new RangeError(
      `bucketsPerWindow must be an integer from 1 to 100000, got ${String(bucketsPerWindow)}`,
    );
  }
  if (windowsMs.length === 0) throw new RangeError('planWindows needs at least one window');
  for (const ms of windowsMs) {
    if (!Number.isSafeInteger(ms) || ms <= 0) {
      throw new RangeError(`window lengths must be whole positive ms, got ${String(ms)}`);
    }
  }
  const smallest = Math.min(...windowsMs);
  const baseMs = Math.max(1, Math.floor(smallest / bucketsPerWindow));
  let slots = 0;
  const windows = windowsMs.map((ms) => {
    const bucketMs = baseMs * Math.max(1, Math.floor(ms / (bucketsPerWindow * baseMs)));
    const buckets = Math.ceil(ms / bucketMs);
    slots += 2 * buckets;
    return Object.freeze({ ms, bucketMs, buckets });
  });
  return Object.freeze({ baseMs, bucketsPerWindow, windows: Object.freeze(windows), slots });
}

/**
 * Good/total counts of one series over every window of a plan. Adding an event costs one division
 * and two additions: events collect in a pending base bucket, which is folded into each window's
 * ring only when the clock moves past it or the counts are read.
 *
 * Time never runs backwards here: an event stamped earlier than the latest time seen (a clock
 * step back) is counted at the latest time seen.
 */
export class WindowCounts {
  private readonly plan: WindowPlan;
  /** Per window, the ring of (good, total) pairs, all windows in one array. */
  private readonly ring: Float64Array;
  /** Per window, the absolute bucket index (time / bucketMs) of the newest bucket in its ring. */
  private readonly heads: Float64Array;
  private pendingIndex: number;
  private pendingGood = 0;
  private pendingTotal = 0;

  constructor(plan: WindowPlan, nowMs: number) {
    this.plan = plan;
    this.ring = new Float64Array(plan.slots);
    this.heads = new Float64Array(plan.windows.length);
    const start = Number.isFinite(nowMs) ? Math.floor(nowMs / plan.baseMs) : 0;
    this.pendingIndex = start;
    plan.windows.forEach((w, i) => {
      this.heads[i] = Math.floor(start / (w.bucketMs / plan.baseMs));
    });
  }

  /** Adds `good` good events out of `total` at `nowMs`. The caller checks 0 ≤ good ≤ total. */
  add(nowMs: number, good: number, total: number): void {
    const index = Math.floor(nowMs / this.plan.baseMs);
    if (index > this.pendingIndex && index < Infinity) {
      if (this.pendingTotal !== 0) this.flush();
      this.pendingIndex = index;
    }
    this.pendingGood += good;
    this.pendingTotal += total;
  }

  /**
   * Writes the counts of every window at `nowMs` into `out` as `[good0, total0, good1, total1, ...]`
   * in plan order (`out` needs `2 × windows` entries) and returns it.
   */
  read(nowMs: number, out: Float64Array = new Float64Array(2 * this.plan.windows.length)): Float64Array {
    if (this.pendingTotal !== 0) this.flush();
    const index = Math.floor(nowMs / this.plan.baseMs);
    if (index > this.pendingIndex && index < Infinity) this.pendingIndex = index;
    const { windows, baseMs } = this.plan;
    let offset = 0;
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w] as PlannedWindow;
      this.advance(w, offset, win, Math.floor(this.pendingIndex / (win.bucketMs / baseMs)));
      let good = 0;
      let total = 0;
      const end = offset + 2 * win.buckets;
      for (let s = offset; s < end; s += 2) {
        good += this.ring[s] as number;
        total += this.ring[s + 1] as number;
      }
      out[2 * w] = good;
      out[2 * w + 1] = total;
      offset = end;
    }
    return out;
  }

  /** Folds the pending base bucket into the bucket of each window it falls in. */
  private flush(): void {
    const { windows, baseMs } = this.plan;
    let offset = 0;
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w] as PlannedWindow;
      const bucket = Math.floor(this.pendingIndex / (win.bucketMs / baseMs));
      this.advance(w, offset, win, bucket);
      const slot = offset + 2 * slotOf(bucket, win.buckets);
      this.ring[slot] = (this.ring[slot] as number) + this.pendingGood;
      this.ring[slot + 1] = (this.ring[slot + 1] as number) + this.pendingTotal;
      offset += 2 * win.buckets;
    }
    this.pendingGood = 0;
    this.pendingTotal = 0;
  }

  /** Moves window `w`'s ring forward to `bucket`, emptying the buckets that fall out of the window. */
  private advance(w: number, offset: number, win: PlannedWindow, bucket: number): void {
    const head = this.heads[w] as number;
    if (!(bucket > head)) return;
    if (bucket - head >= win.buckets) {
      this.ring.fill(0, offset, offset + 2 * win.buckets);
    } else {
      for (let b = head + 1; b <= bucket; b++) {
        const slot = offset + 2 * slotOf(b, win.buckets);
        this.ring[slot] = 0;
        this.ring[slot + 1] = 0;
      }
    }
    this.heads[w] = bucket;
  }
}

/** Ring position of an absolute bucket index, also for times before 1970 (an injected clock at 0). */
function slotOf(bucket: number, buckets: number): number {
  return ((bucket % buckets) + buckets) % buckets;
}
