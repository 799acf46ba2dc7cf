export { createLogger, DROPPED_METRIC, SENT_METRIC } from './logger';
export { LOKI_PUSH_PATH, NO_TENANT_LABEL_VALUE } from './loki-transport';
export type {
  DropReason,
  LogRecord,
  LoggerHandle,
  LoggerOptions,
  LoggingStats,
  LokiOptions,
  RedactHook,
} from './types';
