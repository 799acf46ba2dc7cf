// The code a plugin worker thread runs. It is shipped as source text (`WORKER_SOURCE`, run with
// `eval: true`) so the worker needs no file of its own next to the compiled package, and so it also
// runs from the TypeScript sources under Jest. `workerMain` must therefore use nothing from this
// module's scope: only its argument and globals.
import type * as WorkerThreads from 'node:worker_threads';

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** What the worker is started with. */
export interface PluginWorkerData {
  readonly url: string;
  readonly plugin: string;
  readonly version: string;
  readonly permissions: readonly string[];
}

export type ToWorker =
  | {
      readonly type: 'execute';
      readonly id: number;
      readonly input: unknown;
      readonly tenantId: string | undefined;
      readonly timeoutMs: number;
    }
  | { readonly type: 'abort'; readonly id: number; readonly reason: string };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'load-failed'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly output: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: SerializedError }
  | {
      readonly type: 'log';
      readonly level: 'info' | 'warn' | 'error';
      readonly message: string;
      readonly meta: Record<string, unknown> | undefined;
    };

type Execute = (input: unknown, ctx: unknown) => unknown;

/** Runs inside the worker: imports the plugin, then executes it once per `execute` message. */
export function workerMain(wt: typeof WorkerThreads): void {
  const port = wt.parentPort;
  const data = wt.workerData as PluginWorkerData;
  if (port === null) return;
  const serialize = (error: unknown): SerializedError => {
    try {
      if (error instanceof Error) {
        return {
          name: String(error.name),
          message: String(error.message),
          ...(typeof error.stack === 'string' ? { stack: error.stack } : {}),
        };
      }
      return { name: 'Error', message: String(error) };
    } catch {
      return { name: 'Error', message: 'unprintable error' };
    }
  };
  const send = (message: FromWorker): void => port.postMessage(message);
  const controllers = new Map<number, AbortController>();
  const log =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, meta?: Record<string, unknown>): void => {
      try {
        send({ type: 'log', level, message: String(message), meta });
      } catch {
        send({ type: 'log', level, message: String(message), meta: undefined });
      }
    };
  const logger = { info: log('info'), warn: log('warn'), error: log('error') };

  const ready: Promise<Execute> = import(data.url).then((mod: Record<string, unknown>) => {
    const candidate =
      typeof mod.execute === 'function'
        ? mod.execute
        : (mod.default as Record<string, unknown> | undefined)?.execute;
    if (typeof candidate !== 'function')
      throw new TypeError('the module exports no execute(input, ctx) function');
    return candidate as Execute;
  });
  ready.then(
    () => send({ type: 'ready' }),
    (error: unknown) => send({ type: 'load-failed', error: serialize(error) }),
  );

  port.on('message', (message: ToWorker) => {
    if (message.type === 'abort') {
      controllers.get(message.id)?.abort(new Error(message.reason));
      return;
    }
    const { id } = message;
    const controller = new AbortController();
    controllers.set(id, controller);
    const ctx = Object.freeze({
      signal: controller.signal,
      tenantId: message.tenantId,
      plugin: Object.freeze({ name: data.plugin, version: data.version }),
      permissions: data.permissions,
      timeoutMs: message.timeoutMs,
      log: logger,
    });
    ready
      .then((execute) => execute(message.input, ctx))
      .then(
        (output) => {
          try {
            send({ type: 'result', id, ok: true, output });
          } catch (error) {
            send({
              type: 'result',
              id,
              ok: false,
              error: serialize(new TypeError(`the result cannot be sent back: ${serialize(error).message}`)),
            });
          }
        },
        (error: unknown) => send({ type: 'result', id, ok: false, error: serialize(error) }),
      )
      .finally(() => controllers.delete(id))
      .catch(() => undefined);
  });
}

/** `workerMain` as a script for `new Worker(WORKER_SOURCE, { eval: true })`. */
export const WORKER_SOURCE = `(${workerMain.toString()})(require('node:worker_threads'));`;
