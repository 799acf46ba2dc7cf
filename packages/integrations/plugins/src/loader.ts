// The plugin loader: discovers plugin directories, loads one (manifest checked, module imported)
// within a deadline, and executes it with a deadline and an AbortSignal, so a plugin that throws,
// hangs or overruns fails alone while the loader keeps serving the others.
import { join, resolve } from 'node:path';
import {
  PluginError,
  PluginExecutionError,
  PluginLoaderClosedError,
  PluginNotLoadedError,
  PluginTimeoutError,
  messageOf,
} from './errors';
import { pluginDirectories, readManifest, readPlugin } from './files';
import { PLUGIN_PERMISSIONS } from './manifest';
import { importInProcess, startInWorker, whenAborted, type PluginRunner } from './runners';
import type {
  DiscoveredPlugin,
  ExecuteOptions,
  LoadedPlugin,
  ManifestRules,
  PluginContext,
  PluginLoader,
  PluginLoaderOptions,
  PluginLogger,
  PluginPermission,
} from './types';

const MAX_TIMER_MS = 2_147_483_647;

interface Entry {
  readonly loaded: LoadedPlugin;
  readonly runner: PluginRunner;
}

function optionError(field: string, message: string): TypeError {
  return new TypeError(`createPluginLoader: options.${field} ${message}`);
}

function checkMs(options: PluginLoaderOptions, field: keyof PluginLoaderOptions, fallback: number): number {
  const value = options[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw optionError(
      field,
      `must be a whole number of milliseconds between 1 and ${MAX_TIMER_MS}, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

function checkOptions(options: PluginLoaderOptions): ManifestRules & { loadTimeoutMs: number } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createPluginLoader: pass an options object with at least { directory }');
  }
  if (typeof options.directory !== 'string' || options.directory.length === 0) {
    throw optionError('directory', 'must be the path of the plugins directory');
  }
  const maxTimeoutMs = checkMs(options, 'maxTimeoutMs', 60_000);
  const defaultTimeoutMs = checkMs(options, 'defaultTimeoutMs', Math.min(5000, maxTimeoutMs));
  if (defaultTimeoutMs > maxTimeoutMs) {
    throw optionError(
      'defaultTimeoutMs',
      `(${defaultTimeoutMs}) must not exceed maxTimeoutMs (${maxTimeoutMs})`,
    );
  }
  const loadTimeoutMs = checkMs(options, 'loadTimeoutMs', 10_000);
  const allowed: unknown = options.allowedPermissions ?? [];
  if (
    !Array.isArray(allowed) ||
    allowed.some((p) => !(PLUGIN_PERMISSIONS as readonly unknown[]).includes(p))
  ) {
    throw optionError('allowedPermissions', `must be an array of ${PLUGIN_PERMISSIONS.join(', ')}`);
  }
  if (
    options.isolation !== undefined &&
    options.isolation !== 'in-process' &&
    options.isolation !== 'worker'
  ) {
    throw optionError('isolation', `must be "in-process" or "worker", got ${String(options.isolation)}`);
  }
  const logger = options.logger;
  if (logger !== undefined && (typeof logger?.warn !== 'function' || typeof logger?.error !== 'function')) {
    throw optionError('logger', 'must have warn(message, meta) and error(message, meta) methods');
  }
  return {
    maxTimeoutMs,
    defaultTimeoutMs,
    loadTimeoutMs,
    allowedPermissions: Object.freeze([...(allowed as PluginPermission[])]),
    isolation: options.isolation ?? 'in-process',
  };
}

/** Log functions of a plugin's context: the loader's logger with the plugin and tenant added. */
function contextLog(
  logger: PluginLogger | undefined,
  plugin: string,
  tenantId: string | undefined,
): PluginContext['log'] {
  const meta = (extra: Record<string, unknown> | undefined): Record<string, unknown> => ({
    ...extra,
    plugin,
    ...(tenantId !== undefined ? { tenantId } : {}),
  });
  const safe = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // a logger that throws must not fail the plugin
    }
  };
  return {
    info: (message, extra) => safe(() => logger?.info?.(String(message), meta(extra))),
    warn: (message, extra) => safe(() => logger?.warn(String(message), meta(extra))),
    error: (message, extra) => safe(() => logger?.error(String(message), meta(extra))),
  };
}

/**
 * Creates a loader over `options.directory`, laid out as `<directory>/<name>/plugin.json` plus the
 * module its `entry` names. Nothing is read until `discover`, `load` or `execute` is called.
 */
export function createPluginLoader(options: PluginLoaderOptions): PluginLoader {
  const rules = checkOptions(options);
  const directory = resolve(options.directory);
  const logger = options.logger;
  const plugins = new Map<string, Entry>();
  const loading = new Map<string, Promise<LoadedPlugin>>();
  /** Controllers of running executions (and their plugin), aborted by `close()`. */
  const running = new Map<AbortController, string>();
  let closed = false;

  async function startRunner(name: string, signal: AbortSignal): Promise<Entry> {
    const files = await readPlugin(directory, name, rules);
    signal.throwIfAborted();
    const runner =
      files.manifest.isolation === 'worker'
        ? await startInWorker(files, { resourceLimits: options.workerResourceLimits, logger }, signal)
        : await importInProcess(files, signal);
    if (signal.aborted) {
      await runner.dispose();
      throw signal.reason;
    }
    const loaded: LoadedPlugin = Object.freeze({
      manifest: files.manifest,
      directory: files.directory,
      entryPath: files.entryPath,
    });
    return { loaded, runner };
  }

  async function loadNew(name: string): Promise<LoadedPlugin> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new PluginTimeoutError(name, 'load', rules.loadTimeoutMs)),
      rules.loadTimeoutMs,
    );
    try {
      const entry = await Promise.race([
        startRunner(name, controller.signal),
        whenAborted(controller.signal),
      ]);
      if (closed) {
        await entry.runner.dispose();
        throw new PluginLoaderClosedError(name);
      }
      plugins.set(name, entry);
      return entry.loaded;
    } finally {
      clearTimeout(timer);
      // a runner that finishes starting after the deadline disposes itself (startRunner checks)
      controller.abort(new PluginTimeoutError(name, 'load', rules.loadTimeoutMs));
    }
  }

  async function load(name: string): Promise<LoadedPlugin> {
    if (closed) throw new PluginLoaderClosedError(String(name));
    const existing = plugins.get(name);
    if (existing !== undefined) return existing.loaded;
    let pending = loading.get(name);
    if (pending === undefined) {
      pending = loadNew(name).finally(() => loading.delete(name));
      loading.set(name, pending);
    }
    return pending;
  }

  function timeoutOf(entry: Entry, requested: number | undefined): number {
    if (requested === undefined) return entry.loaded.manifest.timeoutMs;
    if (!Number.isInteger(requested) || requested < 1 || requested > (rules.maxTimeoutMs ?? MAX_TIMER_MS)) {
      throw new RangeError(
        `execute: options.timeoutMs must be a whole number of milliseconds between 1 and ${rules.maxTimeoutMs}, got ${String(requested)}`,
      );
    }
    return requested;
  }

  async function execute<T>(name: string, input?: unknown, execOptions: ExecuteOptions = {}): Promise<T> {
    if (closed) throw new PluginLoaderClosedError(String(name));
    const entry = plugins.get(name);
    if (entry === undefined) throw new PluginNotLoadedError(String(name));
    const timeoutMs = timeoutOf(entry, execOptions.timeoutMs);
    const callerSignal = execOptions.signal;
    if (callerSignal?.aborted) {
      throw new PluginExecutionError(
        name,
        'aborted',
        'aborted by the caller before it started',
        callerSignal.reason,
      );
    }
    const { manifest } = entry.loaded;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(new PluginTimeoutError(name, 'execute', timeoutMs));
      logger?.warn('plugin execution timed out', { plugin: name, timeoutMs, isolation: manifest.isolation });
    }, timeoutMs);
    const onCallerAbort = (): void =>
      controller.abort(
        new PluginExecutionError(name, 'aborted', 'aborted by the caller', callerSignal?.reason),
      );
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    running.set(controller, name);
    const tenantId = execOptions.tenantId;
    const ctx: PluginContext = {
      signal: controller.signal,
      tenantId,
      plugin: { name, version: manifest.version },
      permissions: manifest.permissions,
      timeoutMs,
      log: contextLog(logger, name, tenantId),
    };
    try {
      return (await Promise.race([
        entry.runner.run(input, ctx).catch((error: unknown) => {
          if (error instanceof PluginError) throw error;
          throw new PluginExecutionError(name, 'error', `execute failed: ${messageOf(error)}`, error);
        }),
        whenAborted(controller.signal),
      ])) as T;
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      running.delete(controller);
    }
  }

  async function unload(name: string): Promise<boolean> {
    await loading.get(name)?.catch(() => undefined);
    const entry = plugins.get(name);
    if (entry === undefined) return false;
    plugins.delete(name);
    await entry.runner.dispose();
    return true;
  }

  return {
    directory,
    async discover(): Promise<DiscoveredPlugin[]> {
      const names = await pluginDirectories(directory);
      return Promise.all(
        names.map(async (name): Promise<DiscoveredPlugin> => {
          try {
            const found = await readManifest(directory, name, rules);
            return { name, directory: found.directory, manifest: found.manifest };
          } catch (error) {
            return { name, directory: join(directory, name), error: error as Error };
          }
        }),
      );
    },
    load,
    execute,
    get: (name) => plugins.get(name)?.loaded,
    list: () => [...plugins.values()].map((e) => e.loaded),
    unload,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const [controller, name] of running) controller.abort(new PluginLoaderClosedError(name));
      await Promise.all([...loading.values()].map((p) => p.catch(() => undefined)));
      await Promise.all([...plugins.keys()].map(unload));
    },
  };
}
