// Public types of @autoweave/integration-usb: the device source interface (what the real `usb`
// package and the simulated source both provide), the watcher's events and health, and the options.
import type { TracerProvider } from '@opentelemetry/api';
import type { MetricsHandle } from '@autoweave/metrics';
import type { SloDefinition, SloEvaluator } from '@autoweave/sli-slo';

/** Speeds as `usb` 3 reports them. */
export type UsbSpeed = 'low' | 'full' | 'high' | 'super' | 'superPlus';

/**
 * The fields of a `usb` 3 `UsbDevice` the watcher reads (a structural subset, so sources need not
 * load the native package). Everything but the ids may be missing.
 */
export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null;
  readonly manufacturerName?: string | null;
  readonly productName?: string | null;
  readonly deviceClass?: number;
  readonly deviceSubclass?: number;
  readonly deviceProtocol?: number;
  /** Bus path, e.g. `1-1` or `2-3.4` (`usb` 3's `bus`). */
  readonly bus?: string;
  readonly address?: number;
  readonly ports?: readonly number[];
  /** `low`, `full`, `high`, `super` or `superPlus` ({@link UsbSpeed}) in `usb` 3. */
  readonly speed?: string;
  /** The native handle `usb` 3 keys its known devices by. */
  readonly handle?: string;
}

/** A `usb` 3 `USBConnectionEvent`: what `connect`/`disconnect` listeners receive. */
export interface UsbConnectionEventLike {
  readonly device: UsbDeviceLike;
}

/** Where a source delivers hotplug events once it is open. */
export interface UsbSourceListener {
  connect(event: UsbConnectionEventLike): void;
  disconnect(event: UsbConnectionEventLike): void;
  /** The source lost USB after opening (e.g. its native watcher failed): the watcher closes it and retries. */
  error(error: unknown): void;
}

/**
 * Where devices come from. `createRealUsbSource()` wraps the `usb` package; `createScriptedUsbSource()`
 * is the simulated one for tests and demos. The watcher calls `open` once per attempt and `close`
 * before retrying and on `stop()`.
 */
export interface UsbDeviceSource {
  /** `usb` for the real package, `simulated` for the scripted source; shown in health and spans. */
  readonly kind: string;
  /** Subscribes `listener` and resolves with the devices attached now; rejects (or throws) when USB is unavailable. */
  open(listener: UsbSourceListener): Promise<readonly UsbDeviceLike[]>;
  /** Unsubscribes; must not throw (a rejection is ignored). */
  close(): Promise<void> | void;
  /** Enumerates again while open, for `rescanMs`; a rejection means USB went away. */
  list?(): Promise<readonly UsbDeviceLike[]>;
}

/** A device as the watcher reports it: plain data, strings bounded, unknown fields `undefined`. */
export interface UsbDeviceInfo {
  /** Identity used for dedupe and flap detection: `vvvv:pppp:serial`, else `vvvv:pppp@busPath`, else the handle. */
  readonly key: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | undefined;
  readonly manufacturerName: string | undefined;
  readonly productName: string | undefined;
  readonly deviceClass: number | undefined;
  readonly deviceSubclass: number | undefined;
  readonly deviceProtocol: number | undefined;
  /** Bus path where known, e.g. `1-1.4` (bus 1, port 1, hub port 4). */
  readonly busPath: string | undefined;
  readonly address: number | undefined;
  readonly ports: readonly number[];
  readonly speed: string | undefined;
}

export type UsbAction = 'attach' | 'detach';

export interface UsbDeviceEvent {
  readonly action: UsbAction;
  readonly device: UsbDeviceInfo;
  /** When the watcher received it (ms since the epoch, from the watcher's clock). */
  readonly at: number;
  /**
   * True when the device was found by enumerating (at start, after USB came back, or by a rescan),
   * false for a hotplug notification.
   */
  readonly enumerated: boolean;
}

/** A handler may be async: the event's processing time runs until its promise settles. */
export type UsbEventHandler = (event: UsbDeviceEvent) => void | Promise<void>;

/** Why a raw source event did not become a handler call. */
/** `overflow`: more devices attached than the watcher tracks (`MAX_TRACKED_DEVICES`, 1024). */
export type UsbSuppressReason = 'flap' | 'duplicate' | 'invalid' | 'overflow';

export type UsbWatcherState = 'stopped' | 'starting' | 'available' | 'unavailable';

export interface UsbWatcherHealth {
  readonly state: UsbWatcherState;
  /** True while the source is open and delivering events. */
  readonly available: boolean;
  /** Why USB is unavailable (the last attempt's error); undefined while available or stopped. */
  readonly reason: string | undefined;
  /** When `state` last changed (ms since the epoch). */
  readonly since: number;
  /** Failed attempts in the current outage (0 while available). */
  readonly retries: number;
  /** When the next attempt runs (ms since the epoch), while unavailable. */
  readonly nextAttemptAt: number | undefined;
  /** The source's `kind`. */
  readonly source: string;
  /** Devices attached now. */
  readonly devices: number;
}

/** Handler errors of one event; empty when every handler succeeded. */
export type UsbHandlerErrors = readonly unknown[];

/** What running the handlers of one event gives: its errors, now or when async handlers settle. */
export type UsbDispatchOutcome = UsbHandlerErrors | Promise<UsbHandlerErrors>;

/**
 * Hooks for instrumentation (what `instrumentUsbWatcher` uses). `dispatch` wraps the handler run of
 * each event: it must call `run()` once and return its outcome. Hooks must not throw; the watcher
 * catches and ignores what they throw.
 */
export interface UsbWatcherInterceptor {
  dispatch(event: UsbDeviceEvent, run: () => UsbDispatchOutcome): UsbDispatchOutcome;
  /** `count` raw source events were suppressed for `reason`. */
  suppressed?(reason: UsbSuppressReason, count: number): void;
}

/** The minimal logger: @autoweave/logging's winston logger, winston itself, or `console` all fit. */
export interface UsbLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
  info?(message: string, meta?: Record<string, unknown>): unknown;
}

/** Timer functions, injectable so tests can run the backoff and debounce without sleeping. */
export interface UsbTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface UsbRetryOptions {
  /** Delay before the first retry. Default 1000 ms. */
  readonly initialMs?: number;
  /** Longest delay; each failed attempt doubles the delay up to this. Default 60000 ms. */
  readonly maxMs?: number;
}

export interface UsbWatcherOptions {
  /** Where devices come from. Default `createRealUsbSource()` (the `usb` package). */
  readonly source?: UsbDeviceSource;
  /**
   * A device that detaches and re-attaches within this window is a flap: neither event reaches the
   * handlers. Detach events are delayed by it. 0 turns debouncing off. Default 250 ms.
   */
  readonly debounceMs?: number;
  readonly retry?: UsbRetryOptions;
  /**
   * While available, enumerate every `rescanMs` and report what changed, for hosts where hotplug
   * notifications never arrive (Linux without udevd, as in most containers). Needs a source with
   * `list()`. 0 (the default) turns it off.
   */
  readonly rescanMs?: number;
  /** Gets "USB unavailable: <reason>" once per outage, recoveries, and handler errors. */
  readonly logger?: UsbLogger;
  /** Default the global `setTimeout`/`clearTimeout`, with timers unref'd. */
  readonly timers?: UsbTimers;
  /** Clock in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

export interface UsbWatcher {
  /**
   * Opens the source and resolves after the first attempt with the health, available or not: an
   * unavailable USB is reported (log, health) and retried with backoff, never thrown. Idempotent.
   */
  start(): Promise<UsbWatcherHealth>;
  /** Cancels retries and pending debounced events, closes the source. No events after it resolves. */
  stop(): Promise<void>;
  /** Adds a handler; returns the function that removes it. */
  on(action: UsbAction, handler: UsbEventHandler): () => void;
  off(action: UsbAction, handler: UsbEventHandler): void;
  /** Devices attached now (a device in its detach debounce window still counts). */
  devices(): readonly UsbDeviceInfo[];
  health(): UsbWatcherHealth;
  /** Sets the one interceptor (see {@link UsbWatcherInterceptor}); returns the function that removes it. */
  intercept(interceptor: UsbWatcherInterceptor): () => void;
}

export interface ScriptedUsbSourceOptions {
  /** Devices plugged in from the start. */
  readonly devices?: readonly UsbDeviceLike[];
  /** Send connect/disconnect events. false acts like Linux without udevd: only enumeration sees changes. Default true. */
  readonly hotplug?: boolean;
}

export interface ScriptedUsbSource extends UsbDeviceSource {
  readonly kind: 'simulated';
  /** Plugs `device` in: added to the attached list and, while open (and with hotplug), a `connect` event. Returns the device. */
  connect(device: UsbDeviceLike): UsbDeviceLike;
  /** Unplugs a device (matched by handle, else by vendor/product/serial/bus): a `disconnect` event while open. */
  disconnect(device: UsbDeviceLike): void;
  /** USB goes away: `open` rejects with `reason` and, while open, the listener gets an error. */
  fail(reason: string): void;
  /** USB comes back: the next `open` succeeds. */
  recover(): void;
  /** Devices plugged in now. */
  attached(): readonly UsbDeviceLike[];
  /** True between a successful `open` and `close`. */
  readonly isOpen: boolean;
}

/** The parts of the `usb` 3 module the real source uses. */
export interface UsbModuleLike {
  readonly WebUSB: new (options: { allowAllDevices: boolean }) => WebUsbLike;
}

export interface WebUsbLike {
  getDevices(): Promise<readonly UsbDeviceLike[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: UsbConnectionEventLike) => void): void;
  removeEventListener(
    type: 'connect' | 'disconnect',
    listener: (event: UsbConnectionEventLike) => void,
  ): void;
}

export interface RealUsbSourceOptions {
  /** Loads the `usb` module. Default `require('usb')`, at the first `open`. */
  readonly load?: () => UsbModuleLike;
  /** Checked before subscribing on Linux, where `usb` 3 enumerates sysfs. Default `/sys/bus/usb/devices`. */
  readonly sysfsPath?: string;
  /** Default `process.platform`; the sysfs check runs only on `linux`. */
  readonly platform?: string;
}

export interface InstrumentUsbOptions {
  /** Default `trace.getTracerProvider()`. */
  readonly tracerProvider?: TracerProvider;
  /** Where the metrics go; without it, spans only. */
  readonly metrics?: MetricsHandle;
  /** An evaluator of `slo`: the latency histogram then feeds it too (sloHistogram). */
  readonly sloEvaluator?: Pick<SloEvaluator, 'slos' | 'bind' | 'record' | 'recordLatency'>;
  /**
   * The latency SLO whose threshold must be a bucket boundary. Default `USB_EVENT_LATENCY_SLO`; a
   * replacement must measure `autoweave_usb_event_duration_seconds`.
   */
  readonly slo?: SloDefinition;
  /**
   * Tenant owning this USB host: `tenant.id` on the spans, and handlers run as it (so their logs carry
   * it). Default: the tenant current at each event, usually none (hotplug comes from outside any request).
   */
  readonly tenantId?: string;
  /** Gets instrumentation failures (once per kind). */
  readonly logger?: UsbLogger;
}

export interface UsbInstrumentation {
  /** Removes the interceptor and the metrics this call added. Idempotent. */
  shutdown(): void;
}
