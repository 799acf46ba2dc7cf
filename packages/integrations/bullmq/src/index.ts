export { createBullMQTelemetry } from './telemetry';
export { instrumentQueues } from './instrument';
export { BullMQOptionsError } from './options';
export { QueueDepthUnavailableError } from './queue-depth';
export { W3CPropagator } from './w3c-propagator';
export {
  ALL_DEPTH_STATES,
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_WAIT_BUCKETS,
  QUEUE_METRICS,
} from './job-metrics';
export type {
  AnyQueue,
  AnyWorker,
  BullMQLogger,
  BullMQTelemetry,
  BullMQTelemetryOptions,
  BullMQTelemetryStats,
  InstrumentQueuesOptions,
  QueueDepthState,
  QueueInstrumentation,
  QueueInstrumentationStats,
  QueueTargets,
} from './types';
