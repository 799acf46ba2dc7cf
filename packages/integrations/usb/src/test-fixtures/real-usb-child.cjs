// Child process for the real-usb tests: runs the BUILT package (dist) with the real `usb` package,
// exactly as an app would, and prints JSON lines the test reads. No unhandledRejection or
// uncaughtException handler is installed, so either would end this process with Node's default
// crash (exit code 1) and the test would see it.
//   node real-usb-child.cjs watcher <runMs>   createUsbWatcher() with the default (real) source
//   node real-usb-child.cjs naive <runMs>     what usb@3's README does: addEventListener('connect')
// USB_MODULE (a file path) is what `require('usb')` loads, here and in the package: the test passes
// the copy its jest project runs on (the pinned usb, or the lowest of the peer range).
'use strict';
const Module = require('node:module');
const path = require('node:path');

const usbModule = process.env.USB_MODULE;
if (usbModule !== undefined) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'usb' ? usbModule : resolve.call(this, request, ...rest);
  };
}

const [mode, runMsArg] = process.argv.slice(2);
const runMs = Number(runMsArg ?? '2000');
const print = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);

// Which usb this process would load: its package.json, found upward from the entry file.
for (let dir = path.dirname(require.resolve('usb')); dir !== path.dirname(dir); dir = path.dirname(dir)) {
  try {
    const { name, version } = require(path.join(dir, 'package.json'));
    if (name === 'usb') {
      print({ usbVersion: version });
      break;
    }
  } catch {
    // no package.json at this level
  }
}

if (mode === 'naive') {
  const { usb } = require('usb');
  usb.addEventListener('connect', () => undefined);
  setTimeout(() => {
    print({ alive: true });
    process.exit(0);
  }, runMs);
} else {
  const { createUsbWatcher } = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));
  const logger = {
    info: (message, meta) => print({ level: 'info', message, meta }),
    warn: (message, meta) => print({ level: 'warn', message, meta }),
    error: (message, meta) => print({ level: 'error', message, meta }),
  };
  const watcher = createUsbWatcher({ logger, retry: { initialMs: 100, maxMs: 400 } });
  void watcher.start().then((health) => print({ started: health }));
  // The app's own work keeps the process up; the watcher's timers are unref'd.
  setTimeout(async () => {
    print({ health: watcher.health() });
    await watcher.stop();
    print({ stopped: watcher.health().state });
  }, runMs);
}
