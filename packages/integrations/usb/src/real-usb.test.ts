// The real `usb` 3 package on this machine. DESIGN.md: these machines have no USB bus, and there
// usb@3 on its own ends the process; the watcher must keep it alive and say why USB is unavailable.
// On a machine with a bus the same tests check the opposite outcome, so nothing is skipped.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as UsbPackage from 'usb';
import { peersInForce } from '@autoweave/test-utils';
import { createRealUsbSource, createUsbWatcher, type UsbLogger, type UsbModuleLike } from './index';

// Checked by `tsc` (pnpm run typecheck): the real package's typings fit the structural types the
// source is written against, so a usb@3 release that renames what we read breaks the build.
type FitsUsb = typeof UsbPackage extends UsbModuleLike ? true : false;
const fitsUsb: FitsUsb = true;

const FIXTURE = join(__dirname, 'test-fixtures', 'real-usb-child.cjs');
const DIST = join(__dirname, '..', 'dist', 'index.js');
const hasUsbBus = existsSync('/sys/bus/usb/devices');
// jest.config.js runs this suite on the pinned usb and on the lowest one the peer range admits; jest maps
// `usb` to that copy here, and the child processes get its path.
const [usbInForce] = peersInForce(join(__dirname, '..'));
const USB_MODULE = require.resolve('usb');

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  records: Record<string, unknown>[];
}

function runChild(
  mode: 'watcher' | 'naive',
  runMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, mode, String(runMs)], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, USB_MODULE, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), runMs + 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const records = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stdout, stderr, records });
    });
  });
}

const warnings = (r: ChildResult) => r.records.filter((x) => x.level === 'warn').map((x) => x.message);

describe('the real usb package', () => {
  it('runs on the usb version its jest project names, inside the peer range, in the children too', async () => {
    expect(usbInForce?.name).toBe('usb');
    expect(usbInForce?.inRange).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy jest maps `usb` to
    expect((require('usb/package.json') as { version: string }).version).toBe(usbInForce?.version);
    const result = await runChild('naive', 200);
    expect(result.records[0]).toEqual({ usbVersion: usbInForce?.version });
  });

  beforeAll(() => {
    if (!existsSync(DIST)) {
      throw new Error(
        `${DIST} is missing: run \`pnpm run build\` first (turbo's test task depends on build)`,
      );
    }
  });

  it('keeps a process using the watcher alive, reports why USB is unavailable once, and keeps retrying', async () => {
    const result = await runChild('watcher', 2000);

    expect(result.stderr).not.toMatch(/Unhandled|uncaught|triggerUncaughtException/i);
    expect(result.code).toBe(0);
    const health = result.records.find((r) => 'health' in r)?.health as Record<string, unknown>;
    expect(result.records.at(-1)).toEqual({ stopped: 'stopped' });
    if (hasUsbBus) {
      expect(warnings(result)).toEqual([]);
      expect(health).toMatchObject({ state: 'available', source: 'usb' });
    } else {
      expect(warnings(result)).toEqual([
        'USB unavailable: /sys/bus/usb/devices/ not found (no USB bus visible to this process)',
      ]);
      expect(health).toMatchObject({ state: 'unavailable', available: false, source: 'usb' });
      // 100, 200, 400, 400… ms over 2 s: the real source was tried again and again
      expect(health.retries).toBeGreaterThanOrEqual(4);
    }
  });

  it('contains a missing native binding ("Cannot find native binding") as USB unavailable', async () => {
    // napi-rs loads only this path when it is set, exactly as if the platform package were missing
    const result = await runChild('watcher', 800, { NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/usb.node' });

    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/Unhandled|uncaught/i);
    const [warning, ...more] = warnings(result);
    expect(more).toEqual([]);
    expect(warning).toMatch(/^USB unavailable: cannot load the usb package: Cannot find native binding\./);
  });

  it('without a USB bus, usb@3 used directly (addEventListener) ends the process: the hazard the watcher contains', async () => {
    const result = await runChild('naive', 1500);

    if (hasUsbBus) {
      expect(result.code).toBe(0);
    } else {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('/sys/bus/usb/devices/ not found');
      expect(result.records).toEqual([{ usbVersion: usbInForce?.version }]); // and no "alive"
    }
  });

  it("turns the real getDevices() rejection into the unavailable reason when the sysfs check doesn't apply", async () => {
    const lines: string[] = [];
    const logger: UsbLogger = { warn: (m) => void lines.push(m), error: (m) => void lines.push(m) };
    // As on a platform without the sysfs check: the package's own enumeration runs and fails here.
    const watcher = createUsbWatcher({ source: createRealUsbSource({ platform: 'darwin' }), logger });
    const health = await watcher.start();
    await watcher.stop();

    if (hasUsbBus) {
      expect(health.available).toBe(true);
    } else {
      expect(health).toMatchObject({
        available: false,
        reason: 'getDevices error: /sys/bus/usb/devices/ not found (errno 2)',
      });
      expect(lines).toEqual(['USB unavailable: getDevices error: /sys/bus/usb/devices/ not found (errno 2)']);
    }
  });

  it('reads only what usb@3 provides: a WebUSB class with getDevices and connect/disconnect listeners', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy this jest project runs on
    const usb = require('usb') as UsbModuleLike;
    const webusb = new usb.WebUSB({ allowAllDevices: true });
    expect(fitsUsb).toBe(true);
    const methods = ['getDevices', 'addEventListener', 'removeEventListener'];
    expect(methods.map((m) => typeof Reflect.get(webusb, m))).toEqual(['function', 'function', 'function']);
  });

  it('checks the sysfs path it is given before touching the package', async () => {
    const watcher = createUsbWatcher({
      source: createRealUsbSource({ sysfsPath: '/nonexistent/usb/devices', platform: 'linux' }),
    });
    const health = await watcher.start();
    await watcher.stop();
    expect(health.reason).toBe('/nonexistent/usb/devices/ not found (no USB bus visible to this process)');
  });
});
