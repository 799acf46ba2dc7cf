// The two ways a loaded plugin runs: imported into this thread (cheap, but a plugin that never
// yields blocks everyone), or in a worker thread the loader terminates when an execution overruns.
// Deadlines, cancellation and error typing live in the loader; a runner only runs.
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { PluginExecutionError, PluginLoadError, PluginTimeoutError, messageOf } from './errors';
import type { PluginFiles } from './files';
import type { PluginContext, PluginLogger } from './types';
import {
  WORKER_SOURCE,
  type FromWorker,
  type PluginWorkerData,
  type SerializedError,
  type ToWorker,
} from './worker-main';

export interface PluginRunner {
  /** Runs the plugin once; rejects with whatever the plugin threw (or a PluginError). */
  run(input: unknown, ctx: PluginContext): Promise<unknown>;
  /** Releases the runner (terminates its worker); running executions of a worker reject. */
  dispose(): Promise<void>;
}

type Execute = (input: unknown, ctx: PluginContext) => unknown;

/** Rejects with `signal.reason` once `signal` aborts (never settles otherwise). */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

let generation = 0;

/**
 * Imports the entry module into this thread. Each load imports a new URL (`?load=n`) so a plugin
 * unloaded and loaded again runs its current code; Node never frees an imported module, so every
 * reload keeps the old one in memory.
 */
export async function importInProcess(files: PluginFiles, signal: AbortSignal): Promise<PluginRunner> {
  const name = files.manifest.name;
  const url = `${pathToFileURL(files.entryPath).href}?load=${++generation}`;
  let mod: Record<string, unknown>;
  try {
    mod = await Promise.race([import(url) as Promise<Record<string, unknown>>, whenAborted(signal)]);
  } catch (error) {
    if (signal.aborted && error === signal.reason) throw error;
    throw new PluginLoadError(name, `importing ${files.entryPath} threw: ${messageOf(error)}`, error);
  }
  const candidate =
    typeof mod.execute === 'function'
      ? mod.execute
      : (mod.default as Record<string, unknown> | undefined)?.execute;
  if (typeof candidate !== 'function') {
    throw new PluginLoadError(name, `${files.entryPath} exports no execute(input, ctx) function`);
  }
  const execute = candidate as Execute;
  return {
    // `then` turns a synchronous throw into a rejection: a plugin never throws into the loader.
    run: (input, ctx) =>
      Promise.resolve().then(() => {
        ctx.signal.throwIfAborted(); // cancelled before it started: the plugin is not called
        return execute(input, ctx);
      }),
    dispose: () => Promise.resolve(),
  };
}

const revive = (error: SerializedError): Error => {
  const revived = new Error(error.message);
  revived.name = error.name;
  if (error.stack !== undefined) revived.stack = error.stack;
  return revived;
};

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  grace: NodeJS.Timeout | undefined;
}

interface WorkerOptions {
  readonly resourceLimits: ResourceLimits | undefined;
  readonly logger: PluginLogger | undefined;
}

/**
 * One worker thread per plugin, executions multiplexed over it by id. A worker that overruns a
 * deadline is terminated (the only way to stop code that never yields) and started again on the
 * next execution; executions sharing it fail with it.
 */
class WorkerRunner implements PluginRunner {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private disposed = false;

  constructor(
    private readonly files: PluginFiles,
    private readonly options: WorkerOptions,
  ) {}

  /** Starts the worker and waits until the plugin is imported (or `signal` aborts). */
  start(signal?: AbortSignal): Promise<Worker> {
    const { manifest, entryPath } = this.files;
    const data: PluginWorkerData = {
      url: pathToFileURL(entryPath).href,
      plugin: manifest.name,
      version: manifest.version,
      permissions: manifest.permissions,
    };
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: data,
      // Without the `env` permission the plugin sees an empty process.env.
      env: manifest.permissions.includes('env') ? { ...process.env } : {},
      ...(this.options.resourceLimits !== undefined ? { resourceLimits: this.options.resourceLimits } : {}),
    });
    worker.unref();
    this.worker = worker;
    const ready = new Promise<Worker>((resolve, reject) => {
      const onAbort = (): void => {
        void worker.terminate();
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          settle();
          resolve(worker);
        } else if (message.type === 'load-failed') {
          settle();
          void worker.terminate();
          reject(
            new PluginLoadError(
              manifest.name,
              `importing ${entryPath} threw: ${message.error.message}`,
              revive(message.error),
            ),
          );
        } else this.onMessage(message);
      });
      worker.on('error', (error) => {
        settle();
        reject(new PluginLoadError(manifest.name, `its worker failed: ${messageOf(error)}`, error));
        this.options.logger?.error('plugin worker failed', {
          plugin: manifest.name,
          error: messageOf(error),
        });
        this.fail(worker, `its worker failed: ${messageOf(error)}`, error);
      });
      worker.on('exit', (code) => {
        settle();
        reject(new PluginLoadError(manifest.name, `its worker exited with code ${code} while loading`));
        this.fail(worker, `its worker exited with code ${code}`);
      });
    });
    this.ready = ready;
    ready.catch(() => {
      // a failed start is not reused: the next execution starts a new worker
      if (this.ready === ready) {
        this.ready = undefined;
        this.worker = undefined;
      }
    });
    return ready;
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'log') {
      const logger = this.options.logger;
      const meta = { ...message.meta, plugin: this.files.manifest.name };
      if (message.level === 'info') logger?.info?.(message.message, meta);
      else logger?.[message.level](message.message, meta);
      return;
    }
    if (message.type !== 'result') return;
    const entry = this.pending.get(message.id);
    if (entry === undefined) return;
    this.settled(message.id, entry);
    if (message.ok) entry.resolve(message.output);
    else entry.reject(revive(message.error));
  }

  private settled(id: number, entry: Pending): void {
    clearTimeout(entry.grace);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
  }

  /** The worker is gone: everything running on it fails, and the next execution starts a new one. */
  private fail(worker: Worker, detail: string, cause?: unknown): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    const name = this.files.manifest.name;
    for (const [id, entry] of [...this.pending]) {
      this.settled(id, entry);
      entry.reject(new PluginExecutionError(name, 'error', detail, cause));
    }
  }

  private kill(detail: string): void {
    const worker = this.worker;
    if (worker === undefined) return;
    this.fail(worker, detail);
    void worker.terminate();
  }

  async run(input: unknown, ctx: PluginContext): Promise<unknown> {
    const started = Date.now();
    // A worker started again after a termination is shared by every execution waiting for it, so
    // no single execution's cancellation stops it; a deadline passing while it starts does (its
    // import may be what hangs).
    const ready = this.ready ?? this.start();
    const onDeadline = (): void => {
      if (ctx.signal.reason instanceof PluginTimeoutError) {
        this.kill(
          `its worker was terminated: it did not start within an execution's ${ctx.timeoutMs} ms deadline`,
        );
      }
    };
    ctx.signal.addEventListener('abort', onDeadline, { once: true });
    let worker: Worker;
    try {
      worker = await ready;
    } finally {
      ctx.signal.removeEventListener('abort', onDeadline);
    }
    ctx.signal.throwIfAborted();
    const id = ++this.nextId;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, grace: undefined });
    });
    if (this.pending.size === 1) worker.ref();
    const message: ToWorker = {
      type: 'execute',
      id,
      input,
      tenantId: ctx.tenantId,
      timeoutMs: ctx.timeoutMs,
    };
    try {
      worker.postMessage(message);
    } catch (error) {
      const entry = this.pending.get(id);
      if (entry !== undefined) this.settled(id, entry);
      throw new TypeError(`the input cannot be sent to the plugin's worker: ${messageOf(error)}`, {
        cause: error,
      });
    }
    ctx.signal.addEventListener(
      'abort',
      () => {
        const entry = this.pending.get(id);
        if (entry === undefined || this.worker !== worker) return;
        const reason: unknown = ctx.signal.reason;
        if (reason instanceof PluginTimeoutError) {
          this.kill(`its worker was terminated: an execution overran its ${ctx.timeoutMs} ms deadline`);
          return;
        }
        worker.postMessage({ type: 'abort', id, reason: messageOf(reason) } satisfies ToWorker);
        // A plugin that ignores the abort still gets no more than its deadline.
        const left = Math.max(0, started + ctx.timeoutMs - Date.now());
        entry.grace = setTimeout(() => {
          if (this.pending.has(id) && this.worker === worker) {
            this.kill(`its worker was terminated: an aborted execution ignored the abort past its deadline`);
          }
        }, left);
        entry.grace.unref();
      },
      { once: true },
    );
    return result;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    this.fail(worker, 'the plugin was unloaded while executing');
    await worker.terminate();
  }
}

/** Starts plugin `files` in its own worker thread and waits until its module is imported. */
export async function startInWorker(
  files: PluginFiles,
  options: WorkerOptions,
  signal: AbortSignal,
): Promise<PluginRunner> {
  const runner = new WorkerRunner(files, options);
  await runner.start(signal);
  return runner;
}
