// The simulated device source: scripted plug/unplug and USB outages delivered in the same shapes
// as `usb` 3 (connect/disconnect events carrying the device object), for tests and the demo's
// explicit AUTOWEAVE_USB=simulate mode. Nothing here touches hardware.
import { deviceKey } from './device';
import type { ScriptedUsbSource, ScriptedUsbSourceOptions, UsbDeviceLike, UsbSourceListener } from './types';

/** An Arduino Uno: CDC class, serial number, behind a hub port. */
const ARDUINO_UNO: UsbDeviceLike = Object.freeze({
  vendorId: 0x2341,
  productId: 0x0043,
  serialNumber: '85736323838351F0B1C1',
  manufacturerName: 'Arduino (www.arduino.cc)',
  productName: 'Arduino Uno',
  deviceClass: 2,
  deviceSubclass: 0,
  deviceProtocol: 0,
  bus: '1-1.4',
  address: 7,
  ports: Object.freeze([1, 4]),
  speed: 'full',
  handle: '1-7',
});

/** A keyboard without a serial number: identified by its bus path. */
const KEYBOARD: UsbDeviceLike = Object.freeze({
  vendorId: 0x046d,
  productId: 0xc31c,
  serialNumber: null,
  manufacturerName: 'Logitech',
  productName: 'USB Keyboard',
  deviceClass: 0,
  deviceSubclass: 0,
  deviceProtocol: 0,
  bus: '1-2',
  address: 3,
  ports: Object.freeze([2]),
  speed: 'low',
  handle: '1-3',
});

/** A flash drive on a USB 3 port. */
const FLASH_DRIVE: UsbDeviceLike = Object.freeze({
  vendorId: 0x0781,
  productId: 0x5581,
  serialNumber: '4C530001230511117395',
  manufacturerName: 'SanDisk',
  productName: 'Ultra',
  deviceClass: 0,
  deviceSubclass: 0,
  deviceProtocol: 0,
  bus: '2-1',
  address: 2,
  ports: Object.freeze([1]),
  speed: 'super',
  handle: '2-2',
});

/**
 * Three devices described as `usb` 3 reports them on Linux, to plug into the scripted source (the
 * demo's simulation, tests, benchmarks): a CDC board with a serial number, a keyboard without one,
 * and a SuperSpeed flash drive.
 */
export const SAMPLE_DEVICES = Object.freeze({
  arduinoUno: ARDUINO_UNO,
  keyboard: KEYBOARD,
  flashDrive: FLASH_DRIVE,
});

const keyOf = (d: UsbDeviceLike): string =>
  deviceKey(d.vendorId, d.productId, d.serialNumber ?? undefined, d.bus, d.handle);

/**
 * A source driven by code: `connect`/`disconnect` devices, `fail(reason)` and `recover()` USB.
 * Devices plugged while the source is closed or failed are reported by the next `open`, as
 * enumeration would; `disconnect` hands over the object given to `connect`, as `usb` 3 does.
 * With `hotplug: false` no events are sent at all, as on Linux without udevd: only `open` and
 * `list` see the changes.
 */
export function createScriptedUsbSource(options: ScriptedUsbSourceOptions = {}): ScriptedUsbSource {
  const plugged = new Map<string, UsbDeviceLike>();
  for (const d of options.devices ?? []) plugged.set(keyOf(d), d);
  const hotplug = options.hotplug ?? true;
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
    list() {
      if (failure !== undefined) return Promise.reject(new Error(failure));
      return Promise.resolve([...plugged.values()]);
    },
    connect(device) {
      plugged.set(keyOf(device), device);
      if (hotplug) listener?.connect({ device });
      return device;
    },
    disconnect(device) {
      const key = keyOf(device);
      const known = plugged.get(key) ?? device;
      plugged.delete(key);
      if (hotplug) listener?.disconnect({ device: known });
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
