// Turns what a source hands over (a native `usb` device or a plain object) into the frozen,
// bounded UsbDeviceInfo the handlers and telemetry see, and gives each device its identity key.
import type { UsbDeviceInfo, UsbDeviceLike } from './types';

/** USB string descriptors hold at most 126 characters; anything longer is not from a real device. */
const MAX_STRING = 256;
const MAX_PORTS = 16;

/** `0x2341` → `2341`, as sysfs `idVendor` and `lsusb` print ids. */
export const hex4 = (id: number): string => id.toString(16).padStart(4, '0');

const isId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff;

const byte = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xff ? v : undefined;

const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? (v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v) : undefined;

/** Reads one field; native getters (serialNumber, names) may throw on a device that just went away. */
function read(device: UsbDeviceLike, field: keyof UsbDeviceLike): unknown {
  try {
    return device[field];
  } catch {
    return undefined;
  }
}

function portsOf(v: unknown): readonly number[] {
  if (!Array.isArray(v)) return Object.freeze([]);
  return Object.freeze(
    (v as unknown[])
      .slice(0, MAX_PORTS)
      .filter((p): p is number => typeof p === 'number' && Number.isInteger(p)),
  );
}

/** The identity key of a device; the same physical device re-plugged into the same port gets the same key. */
export function deviceKey(
  vendorId: number,
  productId: number,
  serial: string | undefined,
  busPath: string | undefined,
  handle: string | undefined,
): string {
  const ids = `${hex4(vendorId)}:${hex4(productId)}`;
  if (serial !== undefined) return `${ids}:${serial}`;
  if (busPath !== undefined) return `${ids}@${busPath}`;
  return handle !== undefined ? `${ids}#${handle}` : ids;
}

/** The device as plain data, or undefined when it has no valid vendor/product id. Never throws. */
export function toDeviceInfo(device: UsbDeviceLike): UsbDeviceInfo | undefined {
  if (device === null || typeof device !== 'object') return undefined;
  const vendorId = read(device, 'vendorId');
  const productId = read(device, 'productId');
  if (!isId(vendorId) || !isId(productId)) return undefined;
  const serialNumber = text(read(device, 'serialNumber'));
  const busPath = text(read(device, 'bus'));
  const address = read(device, 'address');
  return Object.freeze({
    key: deviceKey(vendorId, productId, serialNumber, busPath, text(read(device, 'handle'))),
    vendorId,
    productId,
    serialNumber,
    manufacturerName: text(read(device, 'manufacturerName')),
    productName: text(read(device, 'productName')),
    deviceClass: byte(read(device, 'deviceClass')),
    deviceSubclass: byte(read(device, 'deviceSubclass')),
    deviceProtocol: byte(read(device, 'deviceProtocol')),
    busPath,
    address: byte(address),
    ports: portsOf(read(device, 'ports')),
    speed: text(read(device, 'speed')),
  });
}
