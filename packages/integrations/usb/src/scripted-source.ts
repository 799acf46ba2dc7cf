// The simulated device source: scripted plug/unplug and USB outages delivered in the same shapes
// as `usb` 3 (connect/disconnect events carrying the device object), for tests and the demo's
// explicit AUTOWEAVE_USB=simulate mode. Nothing here touches hardware.
import { deviceKey } from './device';
import type { ScriptedUsbSource, UsbDeviceLike, UsbSourceListener } from './types';

const keyOf = (d: UsbDeviceLike): string =>
  deviceKey(d.vendorId, d.productId, d.serialNumber ?? undefined, d.bus, d.handle);

/**
 * A source driven by code: `connect`/`disconnect` devices, `fail(reason)` and `recover()` USB.
 * Devices plugged while the source is closed or failed are reported by the next `open`, as
 * enumeration would; `disconnect` hands over the object given to `connect`, as `usb` 3 does.
 */
export function createScriptedUsbSource(initial: readonly UsbDeviceLike[] = []): ScriptedUsbSource {
  const plugged = new Map<string, UsbDeviceLike>();
  for (const d of initial) plugged.set(keyOf(d), d);
  let listener: UsbSourceListener | undefined;
  let failure: string | undefined;

  return {
    kind: 'simulated',
    get isOpen() {
      return listener !== undefined;
    },
    open(next) {
      if (failure !== undefined) return Promise.reject(new Error(failure));
      listener = next;
      return Promise.resolve([...plugged.values()]);
    },
    close() {
      listener = undefined;
    },
    connect(device) {
      plugged.set(keyOf(device), device);
      listener?.connect({ device });
      return device;
    },
    disconnect(device) {
      const key = keyOf(device);
      const known = plugged.get(key) ?? device;
      plugged.delete(key);
      listener?.disconnect({ device: known });
    },
    fail(reason) {
      failure = reason;
      const open = listener;
      listener = undefined;
      open?.error(new Error(reason));
    },
    recover() {
      failure = undefined;
    },
    attached: () => [...plugged.values()],
  };
}
