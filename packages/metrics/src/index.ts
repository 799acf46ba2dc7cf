export { createMetrics, METRIC_NAMES } from './create-metrics';
export { negotiateFormat } from './handler';
export { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition';
export {
  DEFAULT_BYTES_BUCKETS,
  DEFAULT_SECONDS_BUCKETS,
  MetricDefinitionError,
  otelToPrometheusName,
  validateBuckets,
  validateMetricName,
} from './names';
export type {
  BoundCounter,
  BoundGauge,
  BoundHistogram,
  BusinessOperationAttributes,
  CounterConfig,
  DefaultMetricsOptions,
  Exposition,
  ExpositionFormat,
  GaugeConfig,
  HistogramConfig,
  LabelBound,
  LabelValues,
  MetricConfig,
  MetricDescription,
  MetricsCounter,
  MetricsGauge,
  MetricsHandle,
  MetricsHistogram,
  MetricsOptions,
  MetricsRequestHandler,
} from './types';
