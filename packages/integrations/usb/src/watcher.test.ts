import {
  createScriptedUsbSource,
  createUsbWatcher,
  MAX_TRACKED_DEVICES,
  UsbOptionsError,
  type ScriptedUsbSource,
  type UsbDeviceEvent,
  type UsbDeviceSource,
  type UsbLogger,
  type UsbWatcher,
  type UsbWatcherOptions,
} from './index';
import { ARDUINO, FLASH_DRIVE, KEYBOARD } from './test-fixtures/devices';
import { manualClock, type ManualClock } from './test-fixtures/manual-clock';

interface LogLine {
  level: string;
  message: string;
  meta: Record<string, unknown> | undefined;
}

function recordingLogger(): UsbLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, meta?: Record<string, unknown>): void => {
      lines.push({ level, message, meta });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('createUsbWatcher with the scripted source', () => {
  let clock: ManualClock;
  let source: ScriptedUsbSource;
  let logger: ReturnType<typeof recordingLogger>;
  let watcher: UsbWatcher;
  let events: UsbDeviceEvent[];

  const make = (options: UsbWatcherOptions = {}, initial = [FLASH_DRIVE]): UsbWatcher => {
    source = createScriptedUsbSource({ devices: initial });
    watcher = createUsbWatcher({
      source,
      logger,
      timers: clock.timers,
      now: clock.now,
      retry: { initialMs: 1000, maxMs: 8000 },
      ...options,
    });
    watcher.on('attach', (e) => void events.push(e));
    watcher.on('detach', (e) => void events.push(e));
    return watcher;
  };

  beforeEach(() => {
    clock = manualClock();
    logger = recordingLogger();
    events = [];
  });
  afterEach(() => watcher?.stop());

  it('reports devices present at start as enumerated attach events and hotplug ones with their descriptors', async () => {
    make();
    const health = await watcher.start();
    source.connect(ARDUINO);

    expect(health).toMatchObject({ state: 'available', available: true, source: 'simulated', devices: 1 });
    expect(events.map((e) => [e.action, e.device.productName, e.enumerated])).toEqual([
      ['attach', 'Ultra', true],
      ['attach', 'Arduino Uno', false],
    ]);
    expect(events[1]).toEqual({
      action: 'attach',
      at: clock.now(),
      enumerated: false,
      device: {
        key: '2341:0043:85736323838351F0B1C1',
        vendorId: 0x2341,
        productId: 0x0043,
        serialNumber: '85736323838351F0B1C1',
        manufacturerName: 'Arduino (www.arduino.cc)',
        productName: 'Arduino Uno',
        deviceClass: 2,
        deviceSubclass: 0,
        deviceProtocol: 0,
        busPath: '1-1.4',
        address: 7,
        ports: [1, 4],
        speed: 'full',
      },
    });
    expect(watcher.devices().map((d) => d.key)).toEqual([
      '0781:5581:4C530001230511117395',
      '2341:0043:85736323838351F0B1C1',
    ]);
    expect(logger.lines).toEqual([
      { level: 'info', message: 'USB available', meta: { source: 'simulated', devices: 1 } },
    ]);
  });

  it('identifies a device without a serial number by its bus path', async () => {
    make({ debounceMs: 0 }, []);
    await watcher.start();
    source.connect(KEYBOARD);
    source.disconnect(KEYBOARD);

    expect(events.map((e) => [e.action, e.device.key, e.device.serialNumber])).toEqual([
      ['attach', '046d:c31c@1-2', undefined],
      ['detach', '046d:c31c@1-2', undefined],
    ]);
  });

  it('delays a detach by the debounce window and then reports it with the time it happened', async () => {
    make({ debounceMs: 250 }, []);
    await watcher.start();
    source.connect(ARDUINO);
    const unpluggedAt = clock.now();
    source.disconnect(ARDUINO);
    await clock.advance(249);
    expect(events.map((e) => e.action)).toEqual(['attach']);
    expect(watcher.devices()).toHaveLength(1);

    await clock.advance(1);
    expect(events.map((e) => e.action)).toEqual(['attach', 'detach']);
    expect(events[1]?.at).toBe(unpluggedAt);
    expect(watcher.devices()).toHaveLength(0);
  });

  it('swallows a flapping device (unplugged and back within the window) without any handler call', async () => {
    const suppressed: [string, number][] = [];
    make({ debounceMs: 250 }, []);
    watcher.intercept({ dispatch: (_e, run) => run(), suppressed: (r, n) => void suppressed.push([r, n]) });
    await watcher.start();
    source.connect(ARDUINO);
    for (let i = 0; i < 5; i++) {
      source.disconnect(ARDUINO);
      await clock.advance(100);
      source.connect(ARDUINO);
      await clock.advance(100);
    }
    await clock.advance(1000);

    expect(events.map((e) => e.action)).toEqual(['attach']);
    expect(suppressed).toEqual(Array.from({ length: 5 }, () => ['flap', 2]));
    expect(watcher.devices()).toHaveLength(1);
  });

  it('drops a repeated attach and a detach of an unknown device as duplicates', async () => {
    const suppressed: string[] = [];
    make({ debounceMs: 0 }, []);
    watcher.intercept({ dispatch: (_e, run) => run(), suppressed: (r) => void suppressed.push(r) });
    await watcher.start();
    source.connect(ARDUINO);
    source.connect({ ...ARDUINO, address: 8 });
    source.disconnect(KEYBOARD);
    source.connect({ vendorId: -1, productId: 70000 });

    expect(events.map((e) => e.action)).toEqual(['attach']);
    expect(suppressed).toEqual(['duplicate', 'duplicate', 'invalid']);
  });

  it('tracks at most MAX_TRACKED_DEVICES devices and counts the rest as overflow', async () => {
    const suppressed: string[] = [];
    make({ debounceMs: 0 }, []);
    watcher.intercept({ dispatch: (_e, run) => run(), suppressed: (r) => void suppressed.push(r) });
    await watcher.start();
    for (let i = 0; i <= MAX_TRACKED_DEVICES; i++)
      source.connect({ vendorId: 0x1234, productId: 1, serialNumber: `S${i}` });

    expect(watcher.devices()).toHaveLength(MAX_TRACKED_DEVICES);
    expect(events).toHaveLength(MAX_TRACKED_DEVICES);
    expect(suppressed).toEqual(['overflow']);
  });

  it('runs every handler even when one throws or rejects, and never throws into the source', async () => {
    make({ debounceMs: 0 }, []);
    const seen: string[] = [];
    watcher.on('attach', () => {
      throw new Error('sync boom');
    });
    watcher.on('attach', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    watcher.on('attach', () => void seen.push('third'));
    await watcher.start();

    expect(() => source.connect(ARDUINO)).not.toThrow();
    await clock.advance(0);

    expect(seen).toEqual(['third']);
    expect(events).toHaveLength(1);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'USB attach handler failed: sync boom',
      'USB attach handler failed: async boom',
    ]);
    expect(logger.lines[1]?.meta).toMatchObject({ usb_vendor_id: 0x2341, usb_product_id: 0x0043 });
  });

  it('gives an interceptor the handler errors of each event, after async handlers settle', async () => {
    make({ debounceMs: 0 }, []);
    let release!: () => void;
    watcher.on('attach', () => new Promise<void>((resolve) => (release = resolve)));
    watcher.on('attach', () => Promise.reject(new Error('nope')));
    const outcomes: unknown[] = [];
    watcher.intercept({
      dispatch: (_e, run) => {
        const out = run();
        void Promise.resolve(out).then((errors) => outcomes.push(errors.map((e) => (e as Error).message)));
        return out;
      },
    });
    await watcher.start();
    source.connect(ARDUINO);
    await clock.advance(0);
    expect(outcomes).toEqual([]);

    release();
    await clock.advance(0);
    expect(outcomes).toEqual([['nope']]);
  });

  it('refuses a second interceptor until the first is removed', () => {
    make();
    const remove = watcher.intercept({ dispatch: (_e, run) => run() });
    expect(() => watcher.intercept({ dispatch: (_e, run) => run() })).toThrow(/already instrumented/);
    remove();
    expect(() => watcher.intercept({ dispatch: (_e, run) => run() })).not.toThrow();
  });

  it('still runs the handlers when an interceptor throws', async () => {
    make({ debounceMs: 0 }, []);
    watcher.intercept({
      dispatch: () => {
        throw new Error('broken instrumentation');
      },
    });
    await watcher.start();
    source.connect(ARDUINO);
    expect(events).toHaveLength(1);
  });

  it('reports USB unavailable once, retries with doubling backoff up to maxMs, then recovers', async () => {
    make({}, []);
    source.fail('getDevices error: /sys/bus/usb/devices/ not found (errno 2)');
    const first = await watcher.start();
    expect(first).toMatchObject({
      state: 'unavailable',
      available: false,
      reason: 'getDevices error: /sys/bus/usb/devices/ not found (errno 2)',
      retries: 1,
      nextAttemptAt: clock.now() + 1000,
    });

    await clock.advance(1000 + 2000 + 4000 + 8000 + 8000);
    expect(clock.scheduled).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(watcher.health()).toMatchObject({ state: 'unavailable', retries: 6 });
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toEqual([
      {
        level: 'warn',
        message: 'USB unavailable: getDevices error: /sys/bus/usb/devices/ not found (errno 2)',
        meta: { source: 'simulated', retry_in_ms: 1000 },
      },
    ]);

    source.connect(ARDUINO); // plugged while USB was down: found by the enumeration
    source.recover();
    await clock.advance(8000);
    expect(watcher.health()).toMatchObject({ state: 'available', retries: 0, reason: undefined });
    expect(events.map((e) => [e.action, e.device.productName, e.enumerated])).toEqual([
      ['attach', 'Arduino Uno', true],
    ]);
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'info',
      message: 'USB available again after 6 failed attempt(s)',
    });
    expect(clock.pending()).toBe(0);
  });

  it('goes unavailable when the source fails while open, and reconciles what changed on recovery', async () => {
    make({ debounceMs: 0 }, [FLASH_DRIVE]);
    await watcher.start();
    source.fail('native hotplug watcher stopped');
    expect(watcher.health()).toMatchObject({
      state: 'unavailable',
      reason: 'native hotplug watcher stopped',
    });

    source.disconnect(FLASH_DRIVE);
    source.connect(ARDUINO);
    source.recover();
    await clock.advance(1000);

    expect(events.map((e) => [e.action, e.device.productName, e.enumerated])).toEqual([
      ['attach', 'Ultra', true],
      ['attach', 'Arduino Uno', true],
      ['detach', 'Ultra', true],
    ]);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'USB unavailable: native hotplug watcher stopped',
    ]);
  });

  it('stop() cancels the retry and pending detaches, closes the source and delivers nothing after', async () => {
    make({ debounceMs: 250 }, [ARDUINO]);
    await watcher.start();
    source.disconnect(ARDUINO);
    expect(clock.pending()).toBe(1);
    await watcher.stop();

    expect(clock.pending()).toBe(0);
    expect(source.isOpen).toBe(false);
    expect(watcher.health()).toMatchObject({ state: 'stopped', available: false, devices: 0 });
    source.connect(KEYBOARD);
    await clock.advance(10_000);
    expect(events.map((e) => e.action)).toEqual(['attach']);

    source.fail('gone');
    await watcher.start();
    expect(clock.pending()).toBe(1);
    await watcher.stop();
    expect(clock.pending()).toBe(0);
  });

  it('finds changes by rescanning every rescanMs where hotplug notifications never arrive', async () => {
    source = createScriptedUsbSource({ devices: [FLASH_DRIVE], hotplug: false });
    watcher = createUsbWatcher({ source, logger, timers: clock.timers, now: clock.now, rescanMs: 5000 });
    watcher.on('attach', (e) => void events.push(e));
    watcher.on('detach', (e) => void events.push(e));
    await watcher.start();
    source.connect(ARDUINO);
    source.disconnect(FLASH_DRIVE);
    expect(events.map((e) => e.device.productName)).toEqual(['Ultra']);

    await clock.advance(5000);
    expect(events.map((e) => [e.action, e.device.productName, e.enumerated])).toEqual([
      ['attach', 'Ultra', true],
      ['attach', 'Arduino Uno', true],
      ['detach', 'Ultra', true],
    ]);

    source.fail('/sys/bus/usb/devices/ not found');
    await clock.advance(5000);
    expect(watcher.health()).toMatchObject({
      state: 'unavailable',
      reason: '/sys/bus/usb/devices/ not found',
    });
    expect(clock.pending()).toBe(1); // the retry, no rescan while unavailable
  });

  it('refuses rescanMs for a source that cannot list devices', () => {
    const noList: UsbDeviceSource = {
      kind: 'custom',
      open: () => Promise.resolve([]),
      close: () => undefined,
    };
    expect(() => createUsbWatcher({ source: noList, rescanMs: 1000 })).toThrow(
      'rescanMs: needs a source with a list() method; leave rescanMs out for this source',
    );
  });

  it('can start again after stop, enumerating afresh', async () => {
    make({}, [ARDUINO]);
    await watcher.start();
    await watcher.stop();
    await watcher.start();
    expect(events.map((e) => [e.action, e.enumerated])).toEqual([
      ['attach', true],
      ['attach', true],
    ]);
  });

  it('removes a handler with the function on() returns', async () => {
    make({ debounceMs: 0 }, []);
    const calls: string[] = [];
    const off = watcher.on('attach', () => void calls.push('x'));
    await watcher.start();
    source.connect(ARDUINO);
    off();
    source.connect(KEYBOARD);
    expect(calls).toEqual(['x']);
  });

  it('names the option and what to change when one is wrong', () => {
    const bad: [UsbWatcherOptions, RegExp][] = [
      [{ debounceMs: -1 }, /^debounceMs: must be a finite number of milliseconds ≥ 0, got -1$/],
      [{ retry: { initialMs: 0 } }, /^retry\.initialMs: must be a finite number/],
      [
        { retry: { initialMs: 5000, maxMs: 1000 } },
        /^retry\.maxMs: must be ≥ retry\.initialMs \(5000\), got 1000$/,
      ],
      [{ source: {} as never }, /^source: must have a method open\(\)/],
      [{ logger: 'console' as never }, /^logger: must be a logger, got "console"$/],
      [{ now: 5 as never }, /^now: must be a clock returning ms, got 5$/],
    ];
    for (const [options, message] of bad) {
      let error: unknown;
      try {
        createUsbWatcher(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsbOptionsError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
