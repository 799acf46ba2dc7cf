import { DEFAULT_BUCKETS_PER_WINDOW, WindowCounts, planWindows } from './window-counts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const DEFAULT_WINDOWS = [5 * M, 30 * M, H, 2 * H, 6 * H, D, 3 * D, 30 * D];
/** A start time on a 12h boundary (every default bucket boundary), in 2026. */
const T0 = Math.ceil(Date.UTC(2026, 0, 1) / (12 * H)) * 12 * H;

function counts(c: WindowCounts, at: number, window = 0): { good: number; total: number } {
  const out = c.read(at);
  return { good: out[2 * window] as number, total: out[2 * window + 1] as number };
}

describe('planWindows', () => {
  it('buckets every default window into 60 buckets whatever its length', () => {
    const plan = planWindows(DEFAULT_WINDOWS);
    expect(plan.baseMs).toBe(5 * S);
    expect(plan.windows.map((w) => w.bucketMs)).toEqual([
      5 * S,
      30 * S,
      M,
      2 * M,
      6 * M,
      24 * M,
      72 * M,
      12 * H,
    ]);
    expect(plan.windows.map((w) => w.buckets)).toEqual(DEFAULT_WINDOWS.map(() => DEFAULT_BUCKETS_PER_WINDOW));
    expect(plan.slots).toBe(DEFAULT_WINDOWS.length * 2 * 60);
  });

  it('keeps a year-long window as small as a five-minute one', () => {
    const plan = planWindows([5 * M, 365 * D], 30);
    expect(plan.windows.map((w) => w.buckets)).toEqual([30, 30]);
    expect(plan.windows[1]?.bucketMs).toBe((365 * D) / 30);
  });

  it('gives a window that is not a multiple of the base between n and 2n buckets', () => {
    const plan = planWindows([5 * M, 7 * M, 9 * M + 1]);
    expect(plan.windows.map((w) => [w.bucketMs, w.buckets])).toEqual([
      [5 * S, 60],
      [5 * S, 84],
      [5 * S, 109],
    ]);
  });

  it('refuses windows and bucket counts that cannot be planned', () => {
    expect(() => planWindows([])).toThrow(/at least one window/);
    expect(() => planWindows([0])).toThrow(/whole positive ms/);
    expect(() => planWindows([1.5])).toThrow(/whole positive ms/);
    expect(() => planWindows([M], 0)).toThrow(/bucketsPerWindow must be an integer/);
  });
});

describe('WindowCounts', () => {
  it('drops an event from the 5m window exactly 5m after the start of its 5s bucket', () => {
    const plan = planWindows(DEFAULT_WINDOWS);
    const c = new WindowCounts(plan, T0);
    c.add(T0 + 4_999, 0, 1); // last ms of the first 5 s bucket
    expect(counts(c, T0 + 5 * M - 1)).toEqual({ good: 0, total: 1 });
    expect(counts(c, T0 + 5 * M)).toEqual({ good: 0, total: 0 });
    // ...and the 30m window keeps it until 30m after the start of its 30 s bucket
    expect(counts(c, T0 + 30 * M - 1, 1)).toEqual({ good: 0, total: 1 });
    expect(counts(c, T0 + 30 * M, 1)).toEqual({ good: 0, total: 0 });
  });

  it('agrees with the documented window edge for every window, one event a second over 3 days', () => {
    const windows = [5 * M, 7 * M, 9 * M + 1, H, 6 * H, D];
    const plan = planWindows(windows);
    const c = new WindowCounts(plan, T0);
    // events at T0 + k s, k = 0..; every 7th is bad. goodBefore[k] = good events among the first k.
    const seconds = (3 * D) / S;
    const goodBefore = new Float64Array(seconds + 1);
    for (let k = 0; k < seconds; k++) goodBefore[k + 1] = (goodBefore[k] as number) + (k % 7 === 0 ? 0 : 1);
    let checked = 0;
    for (let k = 0; k < seconds; k++) {
      c.add(T0 + k * S, k % 7 === 0 ? 0 : 1, 1);
      if (k % 997 !== 0) continue;
      const now = T0 + k * S + 500; // read half a second later, inside a bucket
      const out = c.read(now);
      plan.windows.forEach((w, i) => {
        // documented: the bucket holding `now` and the buckets - 1 before it
        const from = (Math.floor(now / w.bucketMs) - w.buckets + 1) * w.bucketMs;
        const first = Math.max(0, Math.ceil((from - T0) / S));
        expect([out[2 * i], out[2 * i + 1]]).toEqual([
          (goodBefore[k + 1] as number) - (goodBefore[first] as number),
          k + 1 - first,
        ]);
        // the far edge is off by less than one bucket, and never beyond w when a bucket divides it
        const oldestAge = now - (T0 + first * S);
        expect(oldestAge).toBeLessThan(w.buckets * w.bucketMs);
        if (w.ms % w.bucketMs === 0) expect(oldestAge).toBeLessThan(w.ms);
        if (first > 0) expect(now - (T0 + (first - 1) * S)).toBeGreaterThanOrEqual(w.ms - w.bucketMs);
      });
      checked++;
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('empties a window after a gap longer than it and keeps what a partial gap leaves', () => {
    const plan = planWindows([5 * M, H]);
    const c = new WindowCounts(plan, T0);
    c.add(T0, 1, 1);
    c.add(T0 + 10 * M, 0, 1);
    expect(counts(c, T0 + 10 * M, 0)).toEqual({ good: 0, total: 1 });
    expect(counts(c, T0 + 10 * M, 1)).toEqual({ good: 1, total: 2 });
    c.add(T0 + 50 * M, 1, 3);
    expect(counts(c, T0 + 50 * M, 1)).toEqual({ good: 2, total: 5 });
    expect(counts(c, T0 + H + 5 * M, 1)).toEqual({ good: 1, total: 4 });
    expect(counts(c, T0 + 5 * H, 1)).toEqual({ good: 0, total: 0 });
  });

  it('counts events from a clock that steps back at the latest time seen', () => {
    const plan = planWindows([5 * M]);
    const c = new WindowCounts(plan, T0);
    c.add(T0 + 4 * M, 0, 1);
    c.add(T0 + M, 1, 1); // one minute "earlier": counted at T0 + 4m
    expect(counts(c, T0 + 4 * M)).toEqual({ good: 1, total: 2 });
    expect(counts(c, T0 + 8 * M + 59 * S)).toEqual({ good: 1, total: 2 });
    expect(counts(c, T0 + 9 * M)).toEqual({ good: 0, total: 0 });
  });

  it('keeps counting when read and written within the same bucket', () => {
    const plan = planWindows([5 * M]);
    const c = new WindowCounts(plan, T0);
    c.add(T0 + 1, 1, 1);
    expect(counts(c, T0 + 2)).toEqual({ good: 1, total: 1 });
    c.add(T0 + 3, 0, 1);
    expect(counts(c, T0 + 4)).toEqual({ good: 1, total: 2 });
  });

  it('works with an injected clock that starts at 0 or before 1970', () => {
    const plan = planWindows([M]);
    for (const start of [0, -7 * M - 123]) {
      const c = new WindowCounts(plan, start);
      c.add(start, 1, 1);
      c.add(start + 30 * S, 0, 1);
      expect(counts(c, start + 30 * S)).toEqual({ good: 1, total: 2 });
      expect(counts(c, start + 2 * M)).toEqual({ good: 0, total: 0 });
    }
  });

  it('ignores a clock that returns NaN or Infinity instead of losing every later event', () => {
    const plan = planWindows([M]);
    const c = new WindowCounts(plan, T0);
    c.add(Number.NaN, 1, 1);
    c.add(Number.POSITIVE_INFINITY, 1, 1);
    c.add(T0 + S, 0, 1);
    expect(counts(c, T0 + 2 * S)).toEqual({ good: 2, total: 3 });
    expect(counts(c, Number.POSITIVE_INFINITY)).toEqual({ good: 2, total: 3 });
  });
});
