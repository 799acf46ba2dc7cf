// The default device source: the real `usb` 3 package (WebUSB API), loaded lazily and guarded so a
// machine without a USB bus or without the native binding gets a rejected `open`, never a crash.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { errorMessage } from './options';
import type {
  RealUsbSourceOptions,
  UsbConnectionEventLike,
  UsbDeviceLike,
  UsbDeviceSource,
  UsbModuleLike,
  UsbSourceListener,
  WebUsbLike,
} from './types';

/** Where `usb` 3 enumerates devices on Linux (nusb reads sysfs, not /dev/bus/usb). */
export const DEFAULT_SYSFS_PATH = '/sys/bus/usb/devices';

// `require` at the first open, not at import: the native binding loads only when USB is wanted,
// and a missing one ("Cannot find native binding") becomes an unavailable reason.
const loadUsb = (): UsbModuleLike => createRequire(__filename)('usb') as UsbModuleLike;

/**
 * The `usb` package as a device source. `open` rejects, with the reason as message, when the module
 * or its native binding cannot be loaded, when `/sys/bus/usb/devices` is missing on Linux, or when
 * `getDevices()` fails. Only then does it subscribe: `usb` 3's `addEventListener` enumerates again
 * without a catch, which on a machine without sysfs is an unhandled rejection that ends Node.
 */
export function createRealUsbSource(options: RealUsbSourceOptions = {}): UsbDeviceSource {
  const load = options.load ?? loadUsb;
  const sysfsPath = options.sysfsPath ?? DEFAULT_SYSFS_PATH;
  const platform = options.platform ?? process.platform;
  let webusb: WebUsbLike | undefined;
  let subscribed:
    | { connect: (e: UsbConnectionEventLike) => void; disconnect: (e: UsbConnectionEventLike) => void }
    | undefined;

  const unsubscribe = (): void => {
    if (webusb !== undefined && subscribed !== undefined) {
      webusb.removeEventListener('connect', subscribed.connect);
      webusb.removeEventListener('disconnect', subscribed.disconnect);
    }
    subscribed = undefined;
  };

  return {
    kind: 'usb',
    async open(listener: UsbSourceListener): Promise<readonly UsbDeviceLike[]> {
      unsubscribe();
      if (webusb === undefined) {
        let mod: UsbModuleLike;
        try {
          mod = load();
        } catch (error) {
          throw new Error(`cannot load the usb package: ${errorMessage(error)}`, { cause: error });
        }
        if (typeof mod?.WebUSB !== 'function') {
          throw new Error('the usb package has no WebUSB class; usb@^3 is required');
        }
        // Our own instance (not the module's shared `usb`), so our listeners and its known-device
        // map are not shared with other code in the process.
        webusb = new mod.WebUSB({ allowAllDevices: true });
      }
      if (platform === 'linux' && !existsSync(sysfsPath)) {
        throw new Error(`${sysfsPath}/ not found (no USB bus visible to this process)`);
      }
      const devices = await webusb.getDevices();
      // Node's EventTarget turns a listener's throw into an uncaught exception; the guard keeps it ours.
      const guard =
        (fn: (e: UsbConnectionEventLike) => void) =>
        (e: UsbConnectionEventLike): void => {
          try {
            fn(e);
          } catch {
            // the watcher's listener already contains its own failures
          }
        };
      const events = {
        connect: guard((e) => listener.connect(e)),
        disconnect: guard((e) => listener.disconnect(e)),
      };
      webusb.addEventListener('connect', events.connect);
      webusb.addEventListener('disconnect', events.disconnect);
      subscribed = events;
      return devices;
    },
    list(): Promise<readonly UsbDeviceLike[]> {
      if (webusb === undefined || subscribed === undefined)
        return Promise.reject(new Error('the usb source is not open'));
      if (platform === 'linux' && !existsSync(sysfsPath)) {
        return Promise.reject(new Error(`${sysfsPath}/ not found (the USB bus went away)`));
      }
      return webusb.getDevices();
    },
    close(): void {
      try {
        unsubscribe();
      } catch {
        // removing listeners of a failed native watcher: nothing left to release
      }
    },
  };
}
