// The plugin integration's benchmark: one `loader.execute` of a trivial loaded plugin through
// instrumentPluginLoader (span at 10% sampling exported over OTLP/gRPC to a live peer, execution
// histogram, business-operation counter) against a second loader over the same plugin without it.
//
// `execute` is asynchronous, so the pairs are `async: true`: the harness awaits each operation
// inside the timed loop, so the wrapper's completion work (span end, histogram, counter) is
// measured. Both sides pay the same awaits; the difference is the wrapper.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { startTracing, type TracingHandle } from '@autoweave/tracing';
import {
  createPluginLoader,
  instrumentPluginLoader,
  type PluginInstrumentation,
  type PluginLoader,
} from '@autoweave/integration-plugins';
import { keep, type Pair } from './harness.js';
import { startPeerProcess, type PeerProcess } from './peer.js';

const PLUGIN = 'noop';
const INPUT = Object.freeze({ deviceId: '1-7', action: 'attach' });
const OPTIONS = Object.freeze({ tenantId: 'acme' });

/** A plugins directory with one trivial plugin, in a temp dir. */
async function pluginsDirectory(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'autoweave-bench-plugins-'));
  await mkdir(join(root, PLUGIN));
  await writeFile(
    join(root, PLUGIN, 'plugin.json'),
    JSON.stringify({ name: PLUGIN, version: '1.0.0', entry: 'index.mjs', isolation: 'in-process' }),
  );
  await writeFile(join(root, PLUGIN, 'index.mjs'), 'export const execute = (input) => input;\n');
  return root;
}

/** Two loaders over one trivial plugin, loaded: `a` and `b` differ only in `options` and instrumentation. */
interface Loaders {
  readonly a: PluginLoader;
  readonly b: PluginLoader;
  close(): Promise<void>;
}

async function twoLoaders(bOptions: { isolation?: 'worker' }): Promise<Loaders> {
  const root = await pluginsDirectory();
  const a = createPluginLoader({ directory: root });
  const b = createPluginLoader({ directory: root, ...bOptions });
  await a.load(PLUGIN);
  await b.load(PLUGIN);
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** One awaited `execute` of the trivial plugin, keeping its result. */
const executeOn = (loader: () => PluginLoader | undefined) => async (): Promise<void> => {
  keep(await loader()!.execute(PLUGIN, INPUT, OPTIONS));
};

/** The pairs of this integration, for `runPair`; their operations are awaited (`async: true`). */
export function pluginPairs(): Pair[] {
  let loaders: Loaders | undefined;
  let peer: PeerProcess | undefined;
  let tracing: TracingHandle | undefined;
  let metrics: MetricsHandle | undefined;
  let instrumentation: PluginInstrumentation | undefined;
  let reference: Loaders | undefined;

  const executeWrapper: Pair = {
    name: 'plugin execute wrapper (span at 10% sampling, OTLP/gRPC to a live peer, histogram, business counter)',
    budgetUs: 5,
    async: true,
    rounds: 24,
    setup: async () => {
      peer = await startPeerProcess();
      // registerGlobal (the default): the AsyncLocalStorage context manager a real service has, so
      // the wrapper's context.with costs what it costs in production
      tracing = startTracing({ serviceName: 'bench-plugins', sampleRate: 0.1, endpoint: peer.url });
      metrics = createMetrics({ defaultMetrics: false });
      loaders = await twoLoaders({});
      instrumentation = instrumentPluginLoader(loaders.b, { tracerProvider: tracing.provider, metrics });
    },
    baseline: executeOn(() => loaders?.a),
    instrumented: executeOn(() => loaders?.b),
    teardown: async () => {
      const failed = (instrumentation?.stats().internalErrors ?? 0) > 0;
      await instrumentation?.shutdown();
      await loaders?.close();
      await metrics?.shutdown();
      await tracing?.shutdown();
      await peer?.stop();
      if (failed) throw new Error('the plugin instrumentation failed during the benchmark');
    },
  };

  const workerReference: Pair = {
    name: "reference: execute in a worker thread (isolation: 'worker') vs in-process, uninstrumented",
    async: true,
    setup: async () => {
      reference = await twoLoaders({ isolation: 'worker' });
    },
    baseline: executeOn(() => reference?.a),
    instrumented: executeOn(() => reference?.b),
    teardown: () => reference?.close(),
  };

  return [executeWrapper, workerReference];
}
