import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { SAMPLE_DEVICES, createScriptedUsbSource, createUsbWatcher } from '@autoweave/integration-usb';
import { createPluginLoader } from '@autoweave/integration-plugins';
import { captureJsonLines, checkMetrics } from '@autoweave/test-utils';
import { initializeObservability, type ObservabilityManager } from './index';

const sloWindow = (obs: ObservabilityManager, id: string) =>
  obs.slo
    .snapshot()
    .slos.find((s) => s.id === id)
    ?.groups[0]?.windows.find((w) => w.window === '5m');

describe('the USB watcher and plugin loader wired through the manager', () => {
  let obs: ObservabilityManager;
  let pluginDir: string;
  const logs = captureJsonLines();

  beforeAll(async () => {
    pluginDir = await mkdtemp(join(tmpdir(), 'autoweave-facade-plugins-'));
    await mkdir(join(pluginDir, 'echo'));
    await writeFile(
      join(pluginDir, 'echo', 'plugin.json'),
      // A worker thread imports the ES module natively (Jest's module registry cannot).
      JSON.stringify({ name: 'echo', version: '1.0.0', entry: 'index.mjs', isolation: 'worker' }),
    );
    await writeFile(
      join(pluginDir, 'echo', 'index.mjs'),
      'export async function execute(input) { return input; }\n',
    );
    obs = initializeObservability({ serviceName: 'wiring-test', logStream: logs.stream, env: {} });
    await obs.initialize();
  });

  afterAll(async () => {
    await obs.shutdown();
    await rm(pluginDir, { recursive: true, force: true });
  });

  test('a USB attach is a span in the recent-trace buffer, a histogram observation and an SLO event', async () => {
    const source = createScriptedUsbSource({ devices: [] });
    const watcher = createUsbWatcher({ source, debounceMs: 0 });
    obs.instrumentUSBDaemon(watcher, { tenantId: 'acme' });
    watcher.on('attach', () => {
      obs.logger.logger.info('device seen');
    });
    await watcher.start();
    try {
      source.connect(SAMPLE_DEVICES.arduinoUno);
      const trace = obs.recentTraces?.traces().find((t) => t.name === 'usb.device.attach');
      expect(trace).toMatchObject({ tenant: 'acme', spanCount: 1 });
      const text = (await obs.metrics.collect()).body;
      expect(text).toMatch(/^autoweave_usb_event_duration_seconds_count\{.*action="attach".*\} 1$/m);
      expect(sloWindow(obs, 'usb-event-latency')?.total).toBe(1);
      const line = logs.records().find((l) => l.message === 'device seen');
      expect(line).toMatchObject({ tenant_id: 'acme', trace_id: trace?.traceId });
    } finally {
      await watcher.stop();
    }
  });

  test('plugin loads and runs are spans, metrics and SLO events; shutdown puts the loader back', async () => {
    const loader = createPluginLoader({ directory: pluginDir });
    const ownExecute = loader.execute;
    const instrumentation = obs.instrumentPluginLoader(loader);
    expect(loader.execute).not.toBe(ownExecute);
    await runWithTenant('acme', async () => {
      await loader.load('echo');
      await expect(loader.execute('echo', { n: 1 })).resolves.toEqual({ n: 1 });
    });
    const names = obs.recentTraces?.traces().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['plugin.load', 'plugin.execute']));
    const text = (await obs.metrics.collect()).body;
    expect(text).toMatch(/^autoweave_plugin_load_duration_seconds_count\{.*\} 1$/m);
    expect(text).toMatch(
      /^autoweave_business_operations_total\{operation="plugin\.execute",tenant_id="acme",outcome="success"\} 1$/m,
    );
    expect(sloWindow(obs, 'plugin-load-latency')?.total).toBe(1);
    expect(sloWindow(obs, 'operation-errors')?.total).toBe(1);
    expect((await checkMetrics(text)).ok).toBe(true);

    await instrumentation.shutdown();
    expect(loader.execute).toBe(ownExecute);
    await loader.close();
  });
});

describe('shutdown of the manager', () => {
  test('undoes the instrumentations it made', async () => {
    const obs = initializeObservability({ serviceName: 'undo-test', logStream: false, env: {} });
    await obs.initialize();
    const loader = createPluginLoader({ directory: tmpdir() });
    const ownLoad = loader.load;
    obs.instrumentPluginLoader(loader);
    expect(loader.load).not.toBe(ownLoad);
    await obs.shutdown();
    expect(loader.load).toBe(ownLoad);
    await loader.close();
  });
});
