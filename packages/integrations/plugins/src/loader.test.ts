import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PluginExecutionError,
  PluginLoadError,
  PluginManifestError,
  PluginNotFoundError,
  PluginTimeoutError,
  createPluginLoader,
  type PluginLoader,
} from './index';
import {
  FIXTURES,
  recordingLogger,
  scratchDir,
  settle,
  sleep,
  type ScratchDir,
} from './test-fixtures/helpers';

const reasonOf = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'resolved',
    (error: { reason?: unknown }) => error.reason,
  );

describe('createPluginLoader over the fixture plugins', () => {
  let loader: PluginLoader;
  let logger: ReturnType<typeof recordingLogger>;
  beforeEach(() => {
    logger = recordingLogger();
    loader = createPluginLoader({
      directory: FIXTURES,
      allowedPermissions: ['env'],
      loadTimeoutMs: 2000,
      logger,
    });
  });
  afterEach(() => loader.close());

  test('discover lists every plugin directory with its checked manifest, or why it is invalid', async () => {
    const found = await loader.discover();
    expect(found.map((p) => p.name)).toEqual([
      'bad-manifest',
      'broken',
      'busy',
      'echo',
      'env-reader',
      'failing',
      'hanging',
      'no-execute',
      'spanning',
      'stuck-import',
    ]);
    const echo = found.find((p) => p.name === 'echo');
    expect(echo?.manifest).toMatchObject({
      name: 'echo',
      version: '1.2.3',
      timeoutMs: 5000,
      isolation: 'in-process',
    });
    const bad = found.find((p) => p.name === 'bad-manifest');
    expect(bad?.error).toBeInstanceOf(PluginManifestError);
    expect((bad?.error as PluginManifestError).problems.map((p) => p.path)).toEqual([
      'name',
      'version',
      'entry',
      'permissions[0]',
      'permissions[1]',
      'timeout',
    ]);
    expect(loader.list()).toEqual([]); // nothing imported
  });

  test('loads a plugin once: a second or concurrent load returns the same plugin', async () => {
    const [a, b] = await Promise.all([loader.load('echo'), loader.load('echo')]);
    expect(a).toBe(b);
    expect(await loader.load('echo')).toBe(a);
    expect(a.manifest).toMatchObject({ name: 'echo', version: '1.2.3', entry: 'index.mjs' });
    expect(a.entryPath).toBe(join(FIXTURES, 'echo', 'index.mjs'));
    expect(loader.get('echo')).toBe(a);
    expect(loader.list()).toEqual([a]);
  });

  test('executes with the input and a context: tenant, plugin, deadline, signal and logger', async () => {
    await loader.load('echo');
    const result = await loader.execute('echo', { n: 1 }, { tenantId: 'acme', timeoutMs: 1234 });
    expect(result).toEqual({
      input: { n: 1 },
      tenantId: 'acme',
      plugin: { name: 'echo', version: '1.2.3' },
      permissions: [],
      timeoutMs: 1234,
      aborted: false,
    });
    expect(logger.records).toContainEqual({
      level: 'info',
      message: 'echo ran',
      meta: { inputType: 'object', plugin: 'echo', tenantId: 'acme' },
    });
  });

  test('finds execute on a default export too, and an entry in a sub-directory', async () => {
    await loader.load('spanning');
    await expect(loader.execute('spanning', 21)).resolves.toEqual({ doubled: 42 });
  });

  test('a plugin that throws fails alone, with its error as the cause', async () => {
    await loader.load('failing');
    await loader.load('echo');
    const error = await loader.execute('failing', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginExecutionError);
    expect(error).toMatchObject({ reason: 'error', plugin: 'failing' });
    expect((error as Error).message).toBe('plugin "failing": execute failed: cannot handle "x"');
    expect((error as Error).cause).toBeInstanceOf(RangeError);
    await expect(loader.execute('echo', 2)).resolves.toMatchObject({ input: 2 });
  });

  test('a plugin that never settles times out, sees its signal abort, and the loader keeps serving', async () => {
    await loader.load('hanging');
    await loader.load('echo');
    const hanging = settle(loader.execute('hanging'));
    // others are served while it hangs
    await expect(loader.execute('echo', 'meanwhile')).resolves.toMatchObject({ input: 'meanwhile' });
    expect(hanging.state()).toBe('pending');
    await hanging.done;
    expect(hanging.error()).toBeInstanceOf(PluginTimeoutError);
    expect(hanging.error()).toMatchObject({ reason: 'timeout', phase: 'execute', timeoutMs: 150 });
    expect(logger.records).toContainEqual({
      level: 'warn',
      message: 'hanging saw the abort',
      meta: { reason: 'PluginTimeoutError', plugin: 'hanging' },
    });
    expect(logger.records).toContainEqual({
      level: 'warn',
      message: 'plugin execution timed out',
      meta: { plugin: 'hanging', timeoutMs: 150, isolation: 'in-process' },
    });
    await expect(loader.execute('echo', 'after')).resolves.toMatchObject({ input: 'after' });
  });

  test("the caller's AbortSignal cancels an execution with reason aborted", async () => {
    await loader.load('hanging');
    const controller = new AbortController();
    const running = loader.execute('hanging', null, { signal: controller.signal, timeoutMs: 60_000 });
    await sleep(10); // let the plugin start
    controller.abort(new Error('user went away'));
    await expect(reasonOf(running)).resolves.toBe('aborted');
    expect(logger.records.map((r) => r.message)).toContain('hanging saw the abort');

    await loader.load('echo');
    const before = loader.execute('echo', null, { signal: AbortSignal.abort() });
    await expect(before).rejects.toThrow('plugin "echo": aborted by the caller before it started');
  });

  test('says why a plugin cannot be loaded or executed, each with its reason', async () => {
    await expect(reasonOf(loader.load('missing'))).resolves.toBe('not-found');
    await expect(loader.load('../etc')).rejects.toBeInstanceOf(PluginNotFoundError);
    await expect(reasonOf(loader.load('bad-manifest'))).resolves.toBe('invalid-manifest');
    await expect(reasonOf(loader.execute('echo'))).resolves.toBe('not-loaded');
    await expect(loader.execute('echo')).rejects.toThrow(
      'plugin "echo" is not loaded; call load("echo") first',
    );
    const noExecute = await loader.load('no-execute').catch((e: unknown) => e);
    expect(noExecute).toBeInstanceOf(PluginLoadError);
    expect((noExecute as Error).message).toMatch(/exports no execute\(input, ctx\) function/);
    const broken = await loader.load('broken').catch((e: unknown) => e);
    expect(broken).toMatchObject({
      reason: 'error',
      message: expect.stringMatching(/broken at import time/),
    });
    await expect(loader.load('echo')).resolves.toBeDefined(); // the loader still works
  });

  test('a module whose import never finishes fails its load at loadTimeoutMs', async () => {
    const quick = createPluginLoader({ directory: FIXTURES, loadTimeoutMs: 100 });
    try {
      const error = await quick.load('stuck-import').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PluginTimeoutError);
      expect(error).toMatchObject({ reason: 'timeout', phase: 'load', timeoutMs: 100 });
      expect(quick.get('stuck-import')).toBeUndefined();
    } finally {
      await quick.close();
    }
  });

  test('close aborts running executions and refuses later calls with reason closed', async () => {
    await loader.load('hanging');
    const running = loader.execute('hanging', null, { timeoutMs: 60_000 });
    await loader.close();
    await expect(reasonOf(running)).resolves.toBe('closed');
    await expect(reasonOf(loader.load('echo'))).resolves.toBe('closed');
    await expect(reasonOf(loader.execute('hanging'))).resolves.toBe('closed');
    expect(loader.list()).toEqual([]);
  });

  test('checks its options and names the field to change', () => {
    expect(() => createPluginLoader({ directory: '' })).toThrow('options.directory must be the path');
    expect(() => createPluginLoader({ directory: FIXTURES, maxTimeoutMs: 0 })).toThrow(
      'options.maxTimeoutMs must be a whole number of milliseconds',
    );
    expect(() =>
      createPluginLoader({ directory: FIXTURES, defaultTimeoutMs: 10_000, maxTimeoutMs: 1000 }),
    ).toThrow('options.defaultTimeoutMs (10000) must not exceed maxTimeoutMs (1000)');
    expect(() => createPluginLoader({ directory: FIXTURES, allowedPermissions: ['root' as never] })).toThrow(
      'options.allowedPermissions must be an array of network, filesystem, env, child-process',
    );
  });

  test('refuses an execution deadline above maxTimeoutMs', async () => {
    await loader.load('echo');
    await expect(loader.execute('echo', null, { timeoutMs: 120_000 })).rejects.toThrow(
      'execute: options.timeoutMs must be a whole number of milliseconds between 1 and 60000',
    );
  });
});

describe('plugin files on disk', () => {
  let scratch: ScratchDir;
  let loader: PluginLoader;
  beforeEach(async () => {
    scratch = await scratchDir();
    loader = createPluginLoader({ directory: scratch.root });
  });
  afterEach(async () => {
    await loader.close();
    await scratch.remove();
  });

  const manifest = (name: string, entry = 'index.mjs') => ({ name, version: '1.0.0', entry });
  const module = (value: string) => `export const execute = () => ${JSON.stringify(value)};\n`;

  test('refuses an entry that is a symlink out of the plugin directory', async () => {
    await writeFile(join(scratch.root, 'outside.mjs'), module('outside'));
    const dir = await scratch.plugin('linked', manifest('linked'));
    await symlink(join(scratch.root, 'outside.mjs'), join(dir, 'index.mjs'));
    const error = await loader.load('linked').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginManifestError);
    expect((error as PluginManifestError).problems).toEqual([
      {
        path: 'entry',
        message: expect.stringMatching(
          /^"index.mjs" resolves to .*outside.mjs, outside the plugin's directory/,
        ),
      },
    ]);
  });

  test('refuses a plugin directory that is a symlink to somewhere outside the plugins directory', async () => {
    const elsewhere = await scratchDir();
    try {
      const real = await elsewhere.plugin('away', manifest('away'), { 'index.mjs': module('away') });
      await symlink(real, join(scratch.root, 'away'));
      await expect(loader.load('away')).rejects.toThrow(
        /outside the plugins directory; move the plugin inside it/,
      );
    } finally {
      await elsewhere.remove();
    }
  });

  test('a symlink that stays inside the plugin directory is fine', async () => {
    const dir = await scratch.plugin('inner', manifest('inner'), { 'lib/real.mjs': module('inner') });
    await symlink(join(dir, 'lib', 'real.mjs'), join(dir, 'index.mjs'));
    const loaded = await loader.load('inner');
    expect(loaded.entryPath).toBe(join(dir, 'lib', 'real.mjs'));
    await expect(loader.execute('inner')).resolves.toBe('inner');
  });

  test('refuses a missing entry file and a manifest that is not JSON', async () => {
    await scratch.plugin('no-file', manifest('no-file'));
    await expect(loader.load('no-file')).rejects.toThrow(
      /entry: "index.mjs" does not exist in .*; fix the path or add the file/,
    );
    await scratch.plugin('not-json', '{ name: "not-json" ');
    await expect(loader.load('not-json')).rejects.toThrow(/plugin.json: is not valid JSON/);
  });

  // That a reload runs the module's current code is checked in dist.test.ts under plain Node: Jest's
  // ESM loader caches a file's source by path, query string or not.
  test('unload forgets a plugin; it can be loaded again', async () => {
    await scratch.plugin('versioned', manifest('versioned'), { 'index.mjs': module('v1') });
    const first = await loader.load('versioned');
    await expect(loader.execute('versioned')).resolves.toBe('v1');
    expect(await loader.unload('versioned')).toBe(true);
    await expect(reasonOf(loader.execute('versioned'))).resolves.toBe('not-loaded');
    const second = await loader.load('versioned');
    expect(second).not.toBe(first);
    await expect(loader.execute('versioned')).resolves.toBe('v1');
    expect(await loader.unload('nothing')).toBe(false);
  });

  test('a plugins directory that does not exist makes discover reject and load say not-found', async () => {
    const missing = createPluginLoader({ directory: join(scratch.root, 'nope') });
    await expect(missing.discover()).rejects.toThrow(/ENOENT/);
    await expect(reasonOf(missing.load('echo'))).resolves.toBe('not-found');
    await missing.close();
  });
});
