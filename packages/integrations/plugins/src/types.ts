// Public types of @autoweave/integration-plugins: the loader, its plugins' manifest and context, and
// the options of the instrumentation.
import type { TracerProvider } from '@opentelemetry/api';
import type { MetricsHandle } from '@autoweave/metrics';
import type { SloEvaluator } from '@autoweave/sli-slo';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * What a plugin may declare it needs. The loader refuses a plugin that asks for one not in
 * `allowedPermissions`; see the README for what each one does and does not enforce.
 */
export type PluginPermission = 'network' | 'filesystem' | 'env' | 'child-process';

/** Where a plugin's code runs: the loader's own thread, or a worker thread it can terminate. */
export type PluginIsolation = 'in-process' | 'worker';

/** Why a load or an execution failed; the `reason` of every error this package throws. */
export type PluginFailureReason =
  'error' | 'timeout' | 'aborted' | 'invalid-manifest' | 'not-found' | 'not-loaded' | 'closed';

/** A validated `plugin.json`, defaults applied. */
export interface PluginManifest {
  /** The plugin's id: `^[a-z0-9][a-z0-9-]{0,62}$`, equal to its directory's name. */
  readonly name: string;
  /** Semantic version (`1.2.3`, `1.0.0-beta.1`). */
  readonly version: string;
  /** The ES module, relative to the plugin's directory, ending in `.mjs` or `.js`. */
  readonly entry: string;
  /** Declared permissions, each allowed by the loader. */
  readonly permissions: readonly PluginPermission[];
  /** Deadline of one execution; the loader's `defaultTimeoutMs` when the manifest has none. */
  readonly timeoutMs: number;
  /** Where it runs: `worker` when either the manifest or the loader asks for it. */
  readonly isolation: PluginIsolation;
  readonly description?: string;
}

/** What the loader checks a manifest against (from its options). */
export interface ManifestRules {
  /** The directory name the manifest's `name` must equal. */
  readonly directoryName?: string;
  readonly defaultTimeoutMs?: number;
  readonly maxTimeoutMs?: number;
  readonly allowedPermissions?: readonly PluginPermission[];
  readonly isolation?: PluginIsolation;
}

/** One problem of a manifest: the field and what to change. */
export interface ManifestProblem {
  /** `name`, `permissions[1]`, `plugin.json`… */
  readonly path: string;
  readonly message: string;
}

/** A plugin the loader has imported and can execute. */
export interface LoadedPlugin {
  readonly manifest: PluginManifest;
  /** Absolute, symlinks resolved. */
  readonly directory: string;
  /** The entry module's absolute path, symlinks resolved. */
  readonly entryPath: string;
}

/** A sub-directory of the plugins directory with a `plugin.json`, valid or not. */
export type DiscoveredPlugin =
  | {
      readonly name: string;
      readonly directory: string;
      readonly manifest: PluginManifest;
      readonly error?: undefined;
    }
  | {
      readonly name: string;
      readonly directory: string;
      readonly manifest?: undefined;
      readonly error: Error;
    };

/** A minimal logger: @autoweave/logging's winston logger, winston itself, or `console` all fit. */
export interface PluginLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  info?(message: string, meta?: Record<string, unknown>): void;
}

/** The second argument of a plugin's `execute(input, ctx)`. */
export interface PluginContext {
  /** Aborted when the execution times out, the caller aborts, or the loader closes. */
  readonly signal: AbortSignal;
  /** The tenant the execution runs for, if the caller said. */
  readonly tenantId: string | undefined;
  readonly plugin: { readonly name: string; readonly version: string };
  readonly permissions: readonly PluginPermission[];
  /** The execution's deadline in ms from its start. */
  readonly timeoutMs: number;
  /** Goes to the loader's `logger`, with `plugin` and `tenantId` added to `meta`. */
  readonly log: {
    info(message: string, meta?: Record<string, unknown>): void;
    warn(message: string, meta?: Record<string, unknown>): void;
    error(message: string, meta?: Record<string, unknown>): void;
  };
}

export interface PluginLoaderOptions {
  /** The plugins directory: one sub-directory per plugin, each with a `plugin.json`. */
  readonly directory: string;
  /** Execution deadline for manifests without `timeoutMs`. Default 5000. */
  readonly defaultTimeoutMs?: number;
  /** Largest `timeoutMs` a manifest or a caller may ask for. Default 60000. */
  readonly maxTimeoutMs?: number;
  /** Deadline of one load (reading, checking and importing the module). Default 10000. */
  readonly loadTimeoutMs?: number;
  /** Permissions plugins may declare. Default none: a plugin that declares any is refused. */
  readonly allowedPermissions?: readonly PluginPermission[];
  /** `worker` runs every plugin in a worker thread. Default `in-process` (a manifest may still ask for `worker`). */
  readonly isolation?: PluginIsolation;
  /** Heap limits of each plugin worker (`worker_threads` `resourceLimits`). */
  readonly workerResourceLimits?: ResourceLimits;
  /** Receives plugins' `ctx.log` records and the loader's own warnings. */
  readonly logger?: PluginLogger;
}

export interface ExecuteOptions {
  /** Cancels the execution: the promise rejects with reason `aborted` and the plugin's `ctx.signal` aborts. */
  readonly signal?: AbortSignal;
  /** A shorter (or longer, up to `maxTimeoutMs`) deadline than the manifest's. */
  readonly timeoutMs?: number;
  /** Passed to the plugin as `ctx.tenantId`; the instrumentation labels the execution with it. */
  readonly tenantId?: string;
}

/** The loader's functions do not use `this`: they may be passed around on their own. */
export interface PluginLoader {
  /** The plugins directory, absolute. */
  readonly directory: string;
  /** Every sub-directory with a `plugin.json`, its manifest checked; nothing is imported. */
  discover: () => Promise<DiscoveredPlugin[]>;
  /** Validates the manifest and imports the module; a loaded plugin is returned as is. */
  load: (name: string) => Promise<LoadedPlugin>;
  /** Runs the loaded plugin's `execute(input, ctx)` with a deadline; every failure rejects with a typed error. */
  execute: <T = unknown>(name: string, input?: unknown, options?: ExecuteOptions) => Promise<T>;
  /** The loaded plugin of this name, if any. */
  get: (name: string) => LoadedPlugin | undefined;
  /** Loaded plugins, in load order. */
  list: () => LoadedPlugin[];
  /** Forgets the plugin (terminating its worker); running in-process executions finish. False if it was not loaded. */
  unload: (name: string) => Promise<boolean>;
  /** Unloads everything and aborts running executions; later calls reject with reason `closed`. Idempotent. */
  close: () => Promise<void>;
}

/**
 * What `instrumentPluginLoader` needs of a loader: this package's, or any object whose `load`
 * resolves to something with `manifest.name`/`manifest.version` and whose `execute(name, …)` returns
 * a promise. `get` is used to find the version of plugins loaded before instrumenting.
 */
export interface PluginLoaderLike {
  load(
    name: string,
    ...rest: never[]
  ): Promise<{ readonly manifest: { readonly name: string; readonly version: string } }>;
  execute(name: string, ...rest: never[]): Promise<unknown>;
  get?(name: string): { readonly manifest: { readonly version: string } } | undefined;
}

export interface InstrumentPluginLoaderOptions {
  /** Default `trace.getTracerProvider()`; nothing global is registered. */
  readonly tracerProvider?: TracerProvider;
  /** Where the metrics go; without it only spans are made. */
  readonly metrics?: MetricsHandle;
  /**
   * The in-process SLO evaluator: the load histogram is made with `sloHistogram` when it evaluates
   * `plugin-load-latency`, and executions are recorded for every ratio SLO it evaluates on
   * `autoweave_business_operations_total`.
   */
  readonly sloEvaluator?: Pick<SloEvaluator, 'slos' | 'bind' | 'record' | 'recordLatency'>;
  /** Told once about an internal telemetry failure (which is also counted). */
  readonly logger?: PluginLogger;
  /** Distinct `plugin` label values per metric before `__overflow__`. Default 50. */
  readonly maxPluginLabels?: number;
  /** The `operation` of `autoweave_business_operations_total`. Default `plugin.execute`. */
  readonly operationName?: string;
}

export interface PluginInstrumentationStats {
  /** Telemetry failures caught inside the wrappers (never thrown into the loader or the caller). */
  readonly internalErrors: number;
}

export interface PluginInstrumentation {
  /** Puts the loader's own `load`/`execute` back (or turns the wrappers into pass-throughs). Idempotent. */
  shutdown(): Promise<void>;
  stats(): PluginInstrumentationStats;
}
