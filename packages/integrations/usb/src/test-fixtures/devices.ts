// Devices shaped like `usb` 3's UsbDevice (the fields its native binding fills on Linux), for the
// scripted source.
import type { UsbDeviceLike } from '../types';

/** An Arduino Uno: CDC class, serial number, behind a hub port. */
export const ARDUINO: UsbDeviceLike = Object.freeze({
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
  ports: [1, 4],
  speed: 'full',
  handle: '1-7',
});

/** A keyboard without a serial number: identified by its bus path. */
export const KEYBOARD: UsbDeviceLike = Object.freeze({
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
  ports: [2],
  speed: 'low',
  handle: '1-3',
});

/** A flash drive, plugged in before the watcher starts in some tests. */
export const FLASH_DRIVE: UsbDeviceLike = Object.freeze({
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
  ports: [1],
  speed: 'super',
  handle: '2-2',
});
