// The USB watcher: turns a device source's raw connect/disconnect events into deduplicated,
// debounced attach/detach handler calls, contains handler failures, and keeps retrying (with
// backoff) while USB is unavailable instead of letting the failure reach the process.
import { toDeviceInfo } from './device';
import { UsbOptionsError, errorMessage, functionOption, numberOption, objectOption } from './options';
import { createRealUsbSource } from './real-source';
import type {
  UsbAction,
  UsbConnectionEventLike,
  UsbDeviceEvent,
  UsbDeviceInfo,
  UsbDeviceLike,
  UsbDeviceSource,
  UsbDispatchOutcome,
  UsbEventHandler,
  UsbHandlerErrors,
  UsbLogger,
  UsbSourceListener,
  UsbSuppressReason,
  UsbTimers,
  UsbWatcher,
  UsbWatcherHealth,
  UsbWatcherInterceptor,
  UsbWatcherOptions,
  UsbWatcherState,
} from './types';

export const DEFAULT_DEBOUNCE_MS = 250;
export const DEFAULT_RETRY = Object.freeze({ initialMs: 1000, maxMs: 60_000 });
/** Devices tracked at once; a real host has far fewer (127 per bus), a broken source may not. */
export const MAX_TRACKED_DEVICES = 1024;

const NO_ERRORS: UsbHandlerErrors = Object.freeze([]);

/** Global timers, unref'd: a watcher waiting for USB must not keep the process alive by itself. */
const unrefTimers: UsbTimers = {
  setTimeout(callback, ms) {
    const t = setTimeout(callback, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';

/** Runs every handler of one event; failures are collected, never thrown. */
function runHandlers(
  event: UsbDeviceEvent,
  list: readonly UsbEventHandler[],
  onError: (event: UsbDeviceEvent, error: unknown) => void,
): UsbDispatchOutcome {
  let errors: unknown[] | undefined;
  let pending: Promise<void>[] | undefined;
  const fail = (error: unknown): void => {
    (errors ??= []).push(error);
    onError(event, error);
  };
  for (const handler of list) {
    try {
      const result = handler(event);
      if (isThenable(result)) (pending ??= []).push(Promise.resolve(result).then(undefined, fail));
    } catch (error) {
      fail(error);
    }
  }
  if (pending === undefined) return errors ?? NO_ERRORS;
  return Promise.all(pending).then(() => errors ?? NO_ERRORS);
}

/**
 * Creates a watcher over `options.source` (default: the real `usb` package). Nothing happens until
 * `start()`. Throws `UsbOptionsError` for a bad option; after that nothing throws into the caller.
 */
export function createUsbWatcher(options: UsbWatcherOptions = {}): UsbWatcher {
  const source =
    objectOption<UsbDeviceSource>('source', options.source, ['open', 'close'], 'a UsbDeviceSource') ??
    createRealUsbSource();
  const debounceMs = numberOption('debounceMs', options.debounceMs, DEFAULT_DEBOUNCE_MS, 0);
  const initialMs = numberOption('retry.initialMs', options.retry?.initialMs, DEFAULT_RETRY.initialMs, 1);
  const maxMs = numberOption(
    'retry.maxMs',
    options.retry?.maxMs,
    Math.max(DEFAULT_RETRY.maxMs, initialMs),
    1,
  );
  if (maxMs < initialMs) {
    throw new UsbOptionsError('retry.maxMs', `must be ≥ retry.initialMs (${initialMs}), got ${maxMs}`);
  }
  const rescanMs = numberOption('rescanMs', options.rescanMs, 0, 0);
  if (rescanMs > 0 && typeof source.list !== 'function') {
    throw new UsbOptionsError(
      'rescanMs',
      'needs a source with a list() method; leave rescanMs out for this source',
    );
  }
  const logger = objectOption<UsbLogger>('logger', options.logger, ['warn', 'error'], 'a logger');
  const timers =
    objectOption<UsbTimers>('timers', options.timers, ['setTimeout', 'clearTimeout'], 'a UsbTimers') ??
    unrefTimers;
  const now = functionOption<() => number>('now', options.now, 'a clock returning ms') ?? Date.now;
  const kind = typeof source.kind === 'string' ? source.kind : 'custom';

  let state: UsbWatcherState = 'stopped';
  let since = now();
  let reason: string | undefined;
  let retries = 0;
  let nextAttemptAt: number | undefined;
  let retryTimer: unknown;
  let rescanTimer: unknown;
  /** Bumped by every attempt and by stop(): a listener or attempt of an older epoch is ignored. */
  let epoch = 0;
  let started: Promise<UsbWatcherHealth> | undefined;
  const attached = new Map<string, UsbDeviceInfo>();
  const pendingDetach = new Map<string, unknown>();
  const handlers: Record<UsbAction, readonly UsbEventHandler[]> = { attach: [], detach: [] };
  let interceptor: UsbWatcherInterceptor | undefined;

  const log = (level: 'info' | 'warn' | 'error', message: string, meta: Record<string, unknown>): void => {
    try {
      logger?.[level]?.(message, meta);
    } catch {
      // a broken logger must not stop USB handling
    }
  };

  const reportHandlerError = (event: UsbDeviceEvent, error: unknown): void =>
    log('warn', `USB ${event.action} handler failed: ${errorMessage(error)}`, {
      usb_vendor_id: event.device.vendorId,
      usb_product_id: event.device.productId,
      error,
    });

  const suppress = (reason: UsbSuppressReason, count: number): void => {
    try {
      interceptor?.suppressed?.(reason, count);
    } catch {
      // interceptors count; they cannot stop the watcher
    }
  };

  function dispatch(action: UsbAction, device: UsbDeviceInfo, enumerated: boolean, at = now()): void {
    const list = handlers[action];
    const event: UsbDeviceEvent = { action, device, at, enumerated };
    const hook = interceptor;
    if (hook === undefined) {
      void runHandlers(event, list, reportHandlerError);
      return;
    }
    let ran = false;
    const run = (): UsbDispatchOutcome => {
      ran = true;
      return runHandlers(event, list, reportHandlerError);
    };
    try {
      void hook.dispatch(event, run);
    } catch {
      if (!ran) void runHandlers(event, list, reportHandlerError);
    }
  }

  const cancelDetach = (key: string): boolean => {
    const timer = pendingDetach.get(key);
    if (timer === undefined) return false;
    timers.clearTimeout(timer);
    pendingDetach.delete(key);
    return true;
  };

  function onConnect(raw: UsbDeviceLike | undefined): void {
    const info = raw === undefined ? undefined : toDeviceInfo(raw);
    if (info === undefined) return suppress('invalid', 1);
    // Back within the debounce window: the device never really left.
    if (cancelDetach(info.key)) return suppress('flap', 2);
    if (attached.has(info.key)) return suppress('duplicate', 1);
    if (attached.size >= MAX_TRACKED_DEVICES) return suppress('overflow', 1);
    attached.set(info.key, info);
    dispatch('attach', info, false);
  }

  function onDisconnect(raw: UsbDeviceLike | undefined): void {
    const info = raw === undefined ? undefined : toDeviceInfo(raw);
    if (info === undefined) return suppress('invalid', 1);
    const known = attached.get(info.key);
    if (known === undefined || pendingDetach.has(info.key)) return suppress('duplicate', 1);
    if (debounceMs === 0) {
      attached.delete(info.key);
      return dispatch('detach', known, false);
    }
    const at = now();
    pendingDetach.set(
      info.key,
      timers.setTimeout(() => {
        pendingDetach.delete(info.key);
        if (attached.get(info.key) !== known) return;
        attached.delete(info.key);
        dispatch('detach', known, false, at);
      }, debounceMs),
    );
  }

  /** Brings the attached list in line with an enumeration: events for what changed while we were not listening. */
  function reconcile(devices: readonly UsbDeviceLike[]): void {
    const present = new Set<string>();
    // a custom source may resolve with anything; only an array is an enumeration
    const list: readonly UsbDeviceLike[] = Array.isArray(devices) ? devices : [];
    for (const raw of list) {
      const info = toDeviceInfo(raw);
      if (info === undefined) {
        suppress('invalid', 1);
        continue;
      }
      present.add(info.key);
      if (cancelDetach(info.key)) suppress('flap', 1);
      if (!attached.has(info.key)) {
        if (attached.size >= MAX_TRACKED_DEVICES) {
          suppress('overflow', 1);
          continue;
        }
        attached.set(info.key, info);
        dispatch('attach', info, true);
      }
    }
    for (const [key, info] of [...attached]) {
      if (present.has(key)) continue;
      cancelDetach(key);
      attached.delete(key);
      dispatch('detach', info, true);
    }
  }

  const closeSource = async (): Promise<void> => {
    try {
      await source.close();
    } catch {
      // closing a source that already failed
    }
  };

  function becomeUnavailable(error: unknown): void {
    reason = errorMessage(error);
    retries++;
    const delay = Math.min(initialMs * 2 ** Math.min(retries - 1, 30), maxMs);
    nextAttemptAt = now() + delay;
    if (state !== 'unavailable') {
      state = 'unavailable';
      since = now();
      // Once per outage: retries that fail the same way stay quiet.
      log('warn', `USB unavailable: ${reason}`, { source: kind, retry_in_ms: delay });
    }
    const scheduled = epoch;
    retryTimer = timers.setTimeout(() => {
      retryTimer = undefined;
      if (scheduled === epoch) void attempt();
    }, delay);
  }

  function becomeAvailable(devices: readonly UsbDeviceLike[]): void {
    const failed = state === 'unavailable' ? retries : 0;
    state = 'available';
    since = now();
    reason = undefined;
    retries = 0;
    nextAttemptAt = undefined;
    reconcile(devices);
    log('info', failed > 0 ? `USB available again after ${failed} failed attempt(s)` : 'USB available', {
      source: kind,
      devices: attached.size,
    });
  }

  /** The open source stopped working: close it and retry as for a failed open. */
  function sourceFailed(error: unknown): void {
    epoch++;
    clearRescan();
    void closeSource();
    retries = 0;
    becomeUnavailable(error);
  }

  const clearRescan = (): void => {
    if (rescanTimer !== undefined) timers.clearTimeout(rescanTimer);
    rescanTimer = undefined;
  };

  function scheduleRescan(openEpoch: number): void {
    if (rescanMs === 0) return;
    rescanTimer = timers.setTimeout(() => {
      rescanTimer = undefined;
      if (openEpoch !== epoch) return;
      void rescan(openEpoch);
    }, rescanMs);
  }

  async function rescan(openEpoch: number): Promise<void> {
    let devices: readonly UsbDeviceLike[];
    try {
      devices = await (source.list as () => Promise<readonly UsbDeviceLike[]>)();
    } catch (error) {
      if (openEpoch === epoch) sourceFailed(error);
      return;
    }
    if (openEpoch !== epoch) return;
    reconcile(devices);
    scheduleRescan(openEpoch);
  }

  function listenerFor(attemptEpoch: number): { listener: UsbSourceListener; opened: () => void } {
    // Events that arrive before open() resolved are replayed after the enumeration is reconciled.
    let early: (() => void)[] | undefined = [];
    const deliver = (fn: () => void): void => {
      if (attemptEpoch !== epoch) return;
      if (early !== undefined) early.push(fn);
      else fn();
    };
    const listener: UsbSourceListener = {
      connect: (e: UsbConnectionEventLike) => {
        try {
          deliver(() => onConnect(e?.device));
        } catch {
          suppress('invalid', 1);
        }
      },
      disconnect: (e: UsbConnectionEventLike) => {
        try {
          deliver(() => onDisconnect(e?.device));
        } catch {
          suppress('invalid', 1);
        }
      },
      error: (error: unknown) => {
        if (attemptEpoch === epoch && state !== 'stopped') sourceFailed(error);
      },
    };
    const opened = (): void => {
      const queued = early ?? [];
      early = undefined;
      for (const fn of queued) fn();
    };
    return { listener, opened };
  }

  async function attempt(): Promise<void> {
    const mine = ++epoch;
    nextAttemptAt = undefined;
    const { listener, opened } = listenerFor(mine);
    let devices: readonly UsbDeviceLike[];
    try {
      devices = await source.open(listener);
    } catch (error) {
      if (mine === epoch) becomeUnavailable(error);
      return;
    }
    if (mine !== epoch) {
      // stopped (or failed) while opening
      await closeSource();
      return;
    }
    becomeAvailable(devices);
    opened();
    scheduleRescan(mine);
  }

  const health = (): UsbWatcherHealth => ({
    state,
    available: state === 'available',
    reason,
    since,
    retries,
    nextAttemptAt,
    source: kind,
    devices: attached.size,
  });

  const off = (action: UsbAction, handler: UsbEventHandler): void => {
    const list = handlers[action];
    const i = list.lastIndexOf(handler);
    // copy on write: an event being dispatched keeps the list it started with
    if (i >= 0) handlers[action] = [...list.slice(0, i), ...list.slice(i + 1)];
  };

  return {
    start() {
      if (started !== undefined) return started.then(health);
      state = 'starting';
      since = now();
      started = attempt().then(health, health);
      return started;
    },
    async stop() {
      if (state === 'stopped' && started === undefined) return;
      epoch++;
      started = undefined;
      state = 'stopped';
      since = now();
      reason = undefined;
      retries = 0;
      nextAttemptAt = undefined;
      if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
      retryTimer = undefined;
      clearRescan();
      for (const key of [...pendingDetach.keys()]) cancelDetach(key);
      attached.clear();
      await closeSource();
    },
    on(action, handler) {
      if (action !== 'attach' && action !== 'detach') {
        throw new UsbOptionsError('action', `must be 'attach' or 'detach', got ${String(action)}`);
      }
      if (typeof handler !== 'function') throw new UsbOptionsError('handler', 'must be a function');
      handlers[action] = [...handlers[action], handler];
      return () => off(action, handler);
    },
    off,
    devices: () => [...attached.values()],
    health,
    intercept(next) {
      if (interceptor !== undefined) {
        throw new UsbOptionsError(
          'watcher',
          'is already instrumented; call shutdown() on the other instrumentation first',
        );
      }
      objectOption('interceptor', next, ['dispatch'], 'a UsbWatcherInterceptor');
      interceptor = next;
      return () => {
        if (interceptor === next) interceptor = undefined;
      };
    },
  };
}
