// The typed errors of the loader: each carries a machine-readable `reason` (the failure counter's
// label) and the plugin it is about, so callers and the instrumentation never parse messages.
import type { ManifestProblem, PluginFailureReason } from './types';

/** Base class of every error the loader rejects with. */
export class PluginError extends Error {
  override readonly name: string = 'PluginError';
  constructor(
    message: string,
    readonly reason: PluginFailureReason,
    readonly plugin: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The manifest (or the plugin's files) break a rule; `problems` lists every one as `path: what to change`. */
export class PluginManifestError extends PluginError {
  override readonly name = 'PluginManifestError';
  constructor(
    plugin: string,
    readonly problems: readonly ManifestProblem[],
  ) {
    super(
      `plugin "${plugin}": invalid manifest:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
      'invalid-manifest',
      plugin,
    );
  }
}

/** No plugin of that name in the plugins directory (or the name cannot be one). */
export class PluginNotFoundError extends PluginError {
  override readonly name = 'PluginNotFoundError';
  constructor(plugin: string, detail: string) {
    super(`plugin "${plugin}" not found: ${detail}`, 'not-found', plugin);
  }
}

/** `execute` of a plugin that was never loaded (or was unloaded). */
export class PluginNotLoadedError extends PluginError {
  override readonly name = 'PluginNotLoadedError';
  constructor(plugin: string) {
    super(`plugin "${plugin}" is not loaded; call load("${plugin}") first`, 'not-loaded', plugin);
  }
}

/** The module could not be imported or does not export `execute`. */
export class PluginLoadError extends PluginError {
  override readonly name = 'PluginLoadError';
  constructor(plugin: string, detail: string, cause?: unknown) {
    super(`plugin "${plugin}" failed to load: ${detail}`, 'error', plugin, { cause });
  }
}

/** A load or an execution did not finish within its deadline. */
export class PluginTimeoutError extends PluginError {
  override readonly name = 'PluginTimeoutError';
  constructor(
    plugin: string,
    readonly phase: 'load' | 'execute',
    readonly timeoutMs: number,
  ) {
    super(`plugin "${plugin}": ${phase} timed out after ${timeoutMs} ms`, 'timeout', plugin);
  }
}

/** The plugin threw or rejected (`reason` `error`, the plugin's error as `cause`), or the caller aborted (`aborted`). */
export class PluginExecutionError extends PluginError {
  override readonly name = 'PluginExecutionError';
  constructor(plugin: string, reason: 'error' | 'aborted', detail: string, cause?: unknown) {
    super(`plugin "${plugin}": ${detail}`, reason, plugin, { cause });
  }
}

/** The loader was closed. */
export class PluginLoaderClosedError extends PluginError {
  override readonly name = 'PluginLoaderClosedError';
  constructor(plugin: string) {
    super(`plugin "${plugin}": the plugin loader is closed`, 'closed', plugin);
  }
}

/** The message of anything thrown, without trusting it to be an Error. */
export function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unprintable error';
  }
}
