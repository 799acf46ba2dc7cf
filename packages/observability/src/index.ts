export { initializeObservability } from './manager';
export { ObservabilityConfigError } from './config';
export { OTHER_ROUTE, REQUESTS_METRIC, REQUEST_DURATION_METRIC } from './http-middleware';
export type {
  Authenticate,
  ComponentHealth,
  ComponentStatus,
  ConfigProblem,
  GraphQLPluginOptions,
  HttpMiddleware,
  HttpMiddlewareOptions,
  HttpStats,
  ObservabilityConfig,
  ObservabilityHealth,
  ObservabilityManager,
  ObservabilityStats,
  PluginOptions,
  QueueOptions,
  QueueTelemetryOptions,
  ResolvedObservabilityConfig,
  SloStats,
  UsbOptions,
} from './types';
