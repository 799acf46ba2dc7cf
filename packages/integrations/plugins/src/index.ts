export { createPluginLoader } from './loader';
export { instrumentPluginLoader, PLUGIN_ATTRIBUTES, PLUGIN_SPANS } from './instrument';
export { FAILURE_REASONS as PLUGIN_FAILURE_REASONS, PLUGIN_METRICS } from './telemetry';
export { MANIFEST_FILE, PLUGIN_NAME_PATTERN, PLUGIN_PERMISSIONS, validatePluginManifest } from './manifest';
export {
  PluginError,
  PluginExecutionError,
  PluginLoadError,
  PluginLoaderClosedError,
  PluginManifestError,
  PluginNotFoundError,
  PluginNotLoadedError,
  PluginTimeoutError,
} from './errors';
export type {
  DiscoveredPlugin,
  ExecuteOptions,
  InstrumentPluginLoaderOptions,
  LoadedPlugin,
  ManifestProblem,
  ManifestRules,
  PluginContext,
  PluginFailureReason,
  PluginInstrumentation,
  PluginInstrumentationStats,
  PluginIsolation,
  PluginLoader,
  PluginLoaderLike,
  PluginLoaderOptions,
  PluginLogger,
  PluginManifest,
  PluginPermission,
} from './types';
