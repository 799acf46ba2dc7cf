import { createPressureMonitor, type PressureSample } from './pressure';

/** A probe that returns the readings the test queues, then repeats the last one. */
function scripted(readings: PressureSample[]) {
  let last: PressureSample = { eventLoopDelayMs: 0, heapUsedRatio: 0 };
  return () => {
    last = readings.shift() ?? last;
    return last;
  };
}

const calm = { eventLoopDelayMs: 5, heapUsedRatio: 0.3 };
const slowLoop = { eventLoopDelayMs: 350, heapUsedRatio: 0.3 };
const fullHeap = { eventLoopDelayMs: 5, heapUsedRatio: 0.9 };
/** Below the threshold but above 80% of it: neither enters nor counts towards recovery. */
const borderline = { eventLoopDelayMs: 180, heapUsedRatio: 0.3 };

describe('pressure monitor', () => {
  it('enters pressure after two slow samples in a row, not after one', () => {
    const monitor = createPressureMonitor({
      intervalMs: 0,
      sample: scripted([slowLoop, calm, slowLoop, slowLoop]),
    });
    expect(monitor.update().underPressure).toBe(false);
    expect(monitor.update().underPressure).toBe(false);
    expect(monitor.update().underPressure).toBe(false);
    expect(monitor.update()).toEqual({
      eventLoopDelayMs: 350,
      heapUsedRatio: 0.3,
      underPressure: true,
      over: ['eventLoopDelay'],
    });
    expect(monitor.underPressure()).toBe(true);
    monitor.stop();
  });

  it('enters on heap use too, and leaves only after five samples well below both thresholds', () => {
    const monitor = createPressureMonitor({
      intervalMs: 0,
      sample: scripted([fullHeap, fullHeap, calm, calm, borderline, calm, calm, calm, calm]),
    });
    monitor.update();
    expect(monitor.update().over).toEqual(['heap']);
    expect(monitor.underPressure()).toBe(true);
    // A borderline sample resets the calm run, so hovering near the threshold does not flap.
    const states = Array.from({ length: 8 }, () => monitor.update().underPressure);
    expect(states).toEqual([true, true, true, true, true, true, true, false]);
  });

  it('honours custom thresholds and sample counts', () => {
    const monitor = createPressureMonitor({
      intervalMs: 0,
      eventLoopDelayP99Ms: 50,
      enterSamples: 1,
      recoverSamples: 1,
      sample: scripted([
        { eventLoopDelayMs: 60, heapUsedRatio: 0 },
        { eventLoopDelayMs: 39, heapUsedRatio: 0 },
      ]),
    });
    expect(monitor.update().underPressure).toBe(true);
    expect(monitor.update().underPressure).toBe(false);
  });

  it('keeps its state when the probe throws or returns non-numbers', () => {
    let mode: 'slow' | 'throw' | 'nan' = 'slow';
    const monitor = createPressureMonitor({
      intervalMs: 0,
      enterSamples: 1,
      sample: () => {
        if (mode === 'throw') throw new Error('probe broke');
        if (mode === 'nan') return { eventLoopDelayMs: Number.NaN, heapUsedRatio: Number.NaN };
        return slowLoop;
      },
    });
    monitor.update();
    mode = 'throw';
    expect(() => monitor.update()).not.toThrow();
    expect(monitor.underPressure()).toBe(true);
    mode = 'nan';
    expect(monitor.update()).toMatchObject({ eventLoopDelayMs: 0, heapUsedRatio: 0, underPressure: true });
  });

  it('measures the real process with perf_hooks and v8 when no probe is given', async () => {
    const monitor = createPressureMonitor({ intervalMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reading = monitor.update();
    monitor.stop();
    expect(reading.heapUsedRatio).toBeGreaterThan(0);
    expect(reading.heapUsedRatio).toBeLessThan(1);
    expect(reading.eventLoopDelayMs).toBeGreaterThanOrEqual(0);
    expect(reading.underPressure).toBe(false);
  });

  it('samples on its own timer until stopped', async () => {
    let samples = 0;
    const monitor = createPressureMonitor({
      intervalMs: 5,
      sample: () => {
        samples++;
        return calm;
      },
    });
    while (samples < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    monitor.stop();
    const after = samples;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(samples).toBe(after);
  });

  it('refuses nonsensical options, naming the field', () => {
    expect(() => createPressureMonitor({ heapUsedRatio: 1.5 })).toThrow(
      /heapUsedRatio must be a number in \(0, 1\], got 1.5/,
    );
    expect(() => createPressureMonitor({ eventLoopDelayP99Ms: 0 })).toThrow(
      /eventLoopDelayP99Ms must be a finite number > 0/,
    );
    expect(() => createPressureMonitor({ recoverSamples: 0 })).toThrow(
      /recoverSamples must be an integer ≥ 1/,
    );
    expect(() => createPressureMonitor({ intervalMs: -1 })).toThrow(/intervalMs must be a finite number ≥ 0/);
  });
});
