// A clock and timers that move only when the test says so, for backoff and debounce tests that
// must not sleep. Implements the watcher's UsbTimers.
import type { UsbTimers } from '../types';

export interface ManualClock {
  readonly timers: UsbTimers;
  readonly now: () => number;
  /** Delays of every timer scheduled so far, in order. */
  readonly scheduled: number[];
  /** Timers not yet fired or cleared. */
  pending(): number;
  /** Moves time forward, firing due timers in time order; awaits the microtasks each one starts. */
  advance(ms: number): Promise<void>;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

export function manualClock(start = 1_700_000_000_000): ManualClock {
  let time = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const scheduled: number[] = [];
  return {
    now: () => time,
    scheduled,
    pending: () => timers.size,
    timers: {
      setTimeout(fn, ms) {
        const id = nextId++;
        timers.set(id, { at: time + ms, fn });
        scheduled.push(ms);
        return id;
      },
      clearTimeout(handle) {
        timers.delete(handle as number);
      },
    },
    async advance(ms) {
      const until = time + ms;
      await flush();
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= until && (due === undefined || entry[1].at < due[1].at)) due = entry;
        if (due === undefined) break;
        timers.delete(due[0]);
        time = due[1].at;
        due[1].fn();
        await flush();
      }
      time = until;
    },
  };
}
