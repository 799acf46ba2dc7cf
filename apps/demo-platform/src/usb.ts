// The demo's USB side: the watcher over the real `usb` package (auto), none (off), or the scripted
// source (simulate: an explicit, labelled mode that plugs sample devices in and out through the same
// watcher interface, periodically and on the simulateUsbEvent mutation).
import {
  SAMPLE_DEVICES,
  createRealUsbSource,
  createScriptedUsbSource,
  createUsbWatcher,
  type ScriptedUsbSource,
  type UsbDeviceInfo,
  type UsbDeviceLike,
  type UsbLogger,
  type UsbWatcher,
  type UsbWatcherHealth,
} from '@autoweave/integration-usb';
import type { UsbMode } from './config';

export interface DeviceView {
  readonly id: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly serial: string | null;
  readonly deviceClass: number | null;
  readonly busPath: string | null;
  readonly attachedAt: string;
}

export interface UsbSide {
  readonly mode: UsbMode;
  /** undefined when the mode is off. */
  readonly watcher: UsbWatcher | undefined;
  /** What the banner, /healthz and /debug say about USB. */
  describe(): string;
  devices(): DeviceView[];
  health(): UsbWatcherHealth | { readonly state: 'off' };
  /** Simulate mode only (returns false otherwise): plug in, or unplug a matching device. */
  simulate(action: 'attach' | 'detach', vendorId?: number, productId?: number): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface UsbSideOptions {
  readonly mode: UsbMode;
  /** Simulate mode: toggle a sample device this often; 0 = only on request. */
  readonly simulateIntervalMs: number;
  readonly logger: UsbLogger & { info(message: string, meta?: Record<string, unknown>): unknown };
}

/** Hosts without udevd (most containers) never deliver hotplug events: enumerate this often instead. */
const RESCAN_MS = 5000;

export function createUsbSide(options: UsbSideOptions): UsbSide {
  const { mode, logger } = options;
  const attachedAt = new Map<string, number>();
  let scripted: ScriptedUsbSource | undefined;
  let watcher: UsbWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let simulatedSerial = 0;

  if (mode === 'simulate') {
    scripted = createScriptedUsbSource({ devices: [SAMPLE_DEVICES.keyboard] });
    watcher = createUsbWatcher({ source: scripted, logger });
  } else if (mode === 'auto') {
    watcher = createUsbWatcher({ source: createRealUsbSource(), rescanMs: RESCAN_MS, logger });
  }

  watcher?.on('attach', ({ device, at, enumerated }) => {
    attachedAt.set(device.key, at);
    logger.info('USB device attached', {
      component: 'usb',
      simulated: mode === 'simulate',
      device: device.key,
      vendorId: device.vendorId,
      productId: device.productId,
      product: device.productName,
      enumerated,
    });
  });
  watcher?.on('detach', ({ device }) => {
    attachedAt.delete(device.key);
    logger.info('USB device detached', {
      component: 'usb',
      simulated: mode === 'simulate',
      device: device.key,
    });
  });

  const view = (device: UsbDeviceInfo): DeviceView => ({
    id: device.key,
    vendorId: device.vendorId,
    productId: device.productId,
    serial: device.serialNumber ?? null,
    deviceClass: device.deviceClass ?? null,
    busPath: device.busPath ?? null,
    attachedAt: new Date(attachedAt.get(device.key) ?? Date.now()).toISOString(),
  });

  const simulate = (action: 'attach' | 'detach', vendorId?: number, productId?: number): boolean => {
    if (scripted === undefined) return false;
    if (action === 'attach') {
      simulatedSerial++;
      const template = SAMPLE_DEVICES.arduinoUno;
      const device: UsbDeviceLike = {
        ...template,
        vendorId: vendorId ?? template.vendorId,
        productId: productId ?? template.productId,
        serialNumber: `SIM${String(simulatedSerial).padStart(6, '0')}`,
        bus: `3-${simulatedSerial}`,
        handle: `sim-${simulatedSerial}`,
      };
      scripted.connect(device);
      return true;
    }
    const match = [...scripted.attached()]
      .reverse()
      .find(
        (d) =>
          (vendorId === undefined || d.vendorId === vendorId) &&
          (productId === undefined || d.productId === productId),
      );
    if (match === undefined) return false;
    scripted.disconnect(match);
    return true;
  };

  return {
    mode,
    watcher,
    describe: () =>
      mode === 'off'
        ? 'off (AUTOWEAVE_USB=off)'
        : mode === 'simulate'
          ? `SIMULATED (AUTOWEAVE_USB=simulate: sample devices, no hardware${
              options.simulateIntervalMs > 0
                ? `, an attach or detach every ${options.simulateIntervalMs / 1000} s`
                : ''
            })`
          : `real usb package (AUTOWEAVE_USB=auto; rescans every ${RESCAN_MS / 1000} s for hosts without udevd)`,
    devices: () => (watcher === undefined ? [] : watcher.devices().map(view)),
    health: () => (watcher === undefined ? { state: 'off' as const } : watcher.health()),
    simulate,
    start: async () => {
      if (watcher === undefined) return;
      const health = await watcher.start();
      if (mode === 'auto' && !health.available) {
        logger.warn(
          'USB unavailable; the watcher keeps retrying (AUTOWEAVE_USB=simulate gives sample devices)',
          {
            component: 'usb',
            reason: health.reason,
          },
        );
      }
      if (mode === 'simulate' && options.simulateIntervalMs > 0) {
        // Alternates: plug a board in, then take it out again.
        timer = setInterval(() => {
          if (!simulate('detach', SAMPLE_DEVICES.arduinoUno.vendorId, SAMPLE_DEVICES.arduinoUno.productId)) {
            simulate('attach');
          }
        }, options.simulateIntervalMs);
        timer.unref();
      }
    },
    stop: async () => {
      if (timer !== undefined) clearInterval(timer);
      await watcher?.stop();
    },
  };
}
