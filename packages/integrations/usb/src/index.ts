export { createUsbWatcher, DEFAULT_DEBOUNCE_MS, DEFAULT_RETRY, MAX_TRACKED_DEVICES } from './watcher';
export { createRealUsbSource, DEFAULT_SYSFS_PATH } from './real-source';
export { SAMPLE_DEVICES, createScriptedUsbSource } from './scripted-source';
export {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  USB_SPAN_NAMES,
  instrumentUsbWatcher,
} from './instrument';
export { USB_METRICS } from './metrics';
export { UsbOptionsError } from './options';
export type {
  InstrumentUsbOptions,
  RealUsbSourceOptions,
  ScriptedUsbSource,
  ScriptedUsbSourceOptions,
  UsbAction,
  UsbConnectionEventLike,
  UsbDeviceEvent,
  UsbDeviceInfo,
  UsbDeviceLike,
  UsbDeviceSource,
  UsbDispatchOutcome,
  UsbEventHandler,
  UsbHandlerErrors,
  UsbInstrumentation,
  UsbLogger,
  UsbModuleLike,
  UsbRetryOptions,
  UsbSourceListener,
  UsbSpeed,
  UsbSuppressReason,
  UsbTimers,
  UsbWatcher,
  UsbWatcherHealth,
  UsbWatcherInterceptor,
  UsbWatcherOptions,
  UsbWatcherState,
  WebUsbLike,
} from './types';
