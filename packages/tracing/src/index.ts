export { startTracing, ATTR_DEPLOYMENT_ENVIRONMENT_NAME } from './start';
export { TracingConfigError, DEFAULT_SPAN_LIMITS } from './config';
export { withSpan } from './with-span';
export { TenantSpanProcessor } from './tenant-processor';
export { RedactingSpanProcessor, TenantBudgetSampler } from './tenant-budget';
export { RecentTraceBuffer } from './recent-traces';
export { METRIC_QUEUE_SIZE, METRIC_SPANS_DROPPED, METRIC_SPANS_EXPORTED } from './self-metrics';
export type {
  BatchOptions,
  DropReason,
  InstrumentationOptions,
  RecentSpan,
  RecentSpanNode,
  RecentTrace,
  RecentTraceBufferOptions,
  RecentTraceQuery,
  RecentTraceStats,
  TracingHandle,
  TracingOptions,
  TracingStats,
  WithSpanOptions,
} from './types';
