import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginTimeoutError, createPluginLoader, type PluginLoader } from './index';
import { FIXTURES, recordingLogger, scratchDir, settle, sleep } from './test-fixtures/helpers';

type BusyAnswer = { threadId: number; envKeys: number; value: string | null };

describe("isolation: 'worker'", () => {
  let loader: PluginLoader;
  let logger: ReturnType<typeof recordingLogger>;
  const saved = process.env.PLUGIN_FIXTURE_VALUE;
  beforeAll(() => {
    process.env.PLUGIN_FIXTURE_VALUE = 'from-the-host';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.PLUGIN_FIXTURE_VALUE;
    else process.env.PLUGIN_FIXTURE_VALUE = saved;
  });
  beforeEach(async () => {
    logger = recordingLogger();
    loader = createPluginLoader({ directory: FIXTURES, allowedPermissions: ['env'], logger });
    await loader.load('busy');
  });
  afterEach(() => loader.close());

  test('runs the plugin in a worker thread of its own', async () => {
    const answer = await loader.execute<BusyAnswer>('busy');
    expect(loader.get('busy')?.manifest.isolation).toBe('worker');
    expect(answer.threadId).toBeGreaterThan(0);
  });

  test('terminates a plugin that spins past its deadline; this plugin and the others keep working', async () => {
    await loader.load('echo');
    const first = await loader.execute<BusyAnswer>('busy');
    const spinning = settle(loader.execute('busy', { mode: 'spin' }));
    // the loader's own thread is not blocked by the spinning plugin
    await expect(loader.execute('echo', 'meanwhile')).resolves.toMatchObject({ input: 'meanwhile' });
    expect(spinning.state()).toBe('pending');
    await spinning.done;
    expect(spinning.error()).toBeInstanceOf(PluginTimeoutError);
    expect(spinning.error()).toMatchObject({ reason: 'timeout', timeoutMs: 400 });
    // the next execution gets a new worker
    const after = await loader.execute<BusyAnswer>('busy');
    expect(after.threadId).not.toBe(first.threadId);
  });

  test('executions sharing a terminated worker fail with it, as errors', async () => {
    const spinning = settle(loader.execute('busy', { mode: 'spin' }, { timeoutMs: 200 }));
    const queued = settle(loader.execute('busy', {}, { timeoutMs: 5000 }));
    await Promise.all([spinning.done, queued.done]);
    expect(spinning.error()).toMatchObject({ reason: 'timeout' });
    expect(queued.error()).toMatchObject({
      reason: 'error',
      message: 'plugin "busy": its worker was terminated: an execution overran its 200 ms deadline',
    });
  });

  test('a plugin that ignores the caller aborting is still terminated at its deadline', async () => {
    const controller = new AbortController();
    const spinning = loader.execute('busy', { mode: 'spin' }, { signal: controller.signal, timeoutMs: 300 });
    await sleep(50);
    controller.abort();
    await expect(spinning).rejects.toMatchObject({ reason: 'aborted' });
    await sleep(400); // past the deadline: the spinning worker is gone
    await expect(loader.execute('busy', {}, { timeoutMs: 5000 })).resolves.toMatchObject({ value: null });
  });

  test('a plugin that exits its thread or throws fails alone; the next execution works', async () => {
    await expect(loader.execute('busy', { mode: 'exit' })).rejects.toMatchObject({
      reason: 'error',
      message: 'plugin "busy": its worker exited with code 3',
    });
    const thrown = await loader.execute('busy', { mode: 'throw' }).catch((e: unknown) => e);
    expect(thrown).toMatchObject({
      reason: 'error',
      message: 'plugin "busy": execute failed: busy was told to throw',
    });
    expect((thrown as Error).cause).toMatchObject({ name: 'TypeError', message: 'busy was told to throw' });
    await expect(loader.execute('busy')).resolves.toMatchObject({ value: null });
  });

  test('a worker that runs out of its heap limit fails its execution; the loader starts a new one', async () => {
    const limited = createPluginLoader({
      directory: FIXTURES,
      workerResourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    try {
      await limited.load('busy');
      await expect(
        limited.execute('busy', { mode: 'allocate' }, { timeoutMs: 20_000 }),
      ).rejects.toMatchObject({
        reason: 'error',
        message: expect.stringMatching(/its worker failed: .*memory/i),
      });
      await expect(limited.execute('busy')).resolves.toMatchObject({ value: null });
    } finally {
      await limited.close();
    }
  });

  test('a worker that hangs while starting again is terminated at a deadline, and the next start works', async () => {
    const scratch = await scratchDir();
    const marker = join(scratch.root, 'flaky', 'hang-on-start');
    await scratch.plugin(
      'flaky',
      { name: 'flaky', version: '1.0.0', entry: 'index.mjs', isolation: 'worker' },
      {
        'index.mjs': [
          "import { existsSync } from 'node:fs';",
          "if (existsSync(new URL('./hang-on-start', import.meta.url))) await new Promise(() => {});",
          "export function execute(input) { if (input === 'spin') for (;;) {} return 'started'; }",
        ].join('\n'),
      },
    );
    const flaky = createPluginLoader({ directory: scratch.root });
    try {
      await flaky.load('flaky');
      await expect(flaky.execute('flaky', 'spin', { timeoutMs: 200 })).rejects.toMatchObject({
        reason: 'timeout',
      });
      await writeFile(marker, '');
      await expect(flaky.execute('flaky', null, { timeoutMs: 300 })).rejects.toMatchObject({
        reason: 'timeout',
      });
      await rm(marker);
      await expect(flaky.execute('flaky', null, { timeoutMs: 5000 })).resolves.toBe('started');
    } finally {
      await flaky.close();
      await scratch.remove();
    }
  });

  test('a result that cannot cross threads is an error, not a crash', async () => {
    await expect(loader.execute('busy', { mode: 'function' })).rejects.toMatchObject({
      reason: 'error',
      message: expect.stringMatching(/the result cannot be sent back/),
    });
  });

  test('without the env permission the plugin sees an empty environment; with it, the host environment', async () => {
    await expect(loader.execute<BusyAnswer>('busy')).resolves.toMatchObject({ envKeys: 0, value: null });
    await loader.load('env-reader');
    await expect(loader.execute('env-reader')).resolves.toEqual({ value: 'from-the-host' });
  });

  test("the plugin's ctx.log reaches the loader's logger with the plugin named", async () => {
    await expect(loader.execute('busy', { mode: 'log' }, { tenantId: 'acme' })).resolves.toBe('logged');
    expect(logger.records).toContainEqual({
      level: 'warn',
      message: 'busy says hello',
      meta: { tenant: 'acme', plugin: 'busy' },
    });
  });

  test('a loader-wide worker setting moves in-process plugins into workers', async () => {
    const isolated = createPluginLoader({ directory: FIXTURES, isolation: 'worker' });
    try {
      const echo = await isolated.load('echo');
      expect(echo.manifest.isolation).toBe('worker');
      await expect(isolated.execute('echo', [1, 2])).resolves.toMatchObject({
        input: [1, 2],
        aborted: false,
      });
      await expect(isolated.load('broken')).rejects.toMatchObject({
        reason: 'error',
        message: expect.stringMatching(/broken at import time/),
      });
    } finally {
      await isolated.close();
    }
  });
});
