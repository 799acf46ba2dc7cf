export type {
  AlertTier,
  AlertTierInput,
  CounterSelector,
  LatencySliInput,
  RatioSliInput,
  SliInput,
  SloDefinition,
  SloInput,
} from './types';
export { defineSlo, defineSlos } from './define';
export { DEFAULT_TIERS } from './define-tiers';
export { SloDefinitionError, formatProblem } from './problems';
export type { SloProblem } from './problems';
export { bucketsFor } from './buckets';
export type { BucketsForOptions } from './buckets';
export { validateSlosAgainst } from './catalog';
export type { MetricCatalog, MetricCatalogEntry } from './catalog';
export {
  AVAILABILITY_SLO,
  DEFAULT_SLOS,
  OPERATION_ERRORS_SLO,
  PLUGIN_LOAD_LATENCY_SLO,
  USB_EVENT_LATENCY_SLO,
} from './defaults';
export { createSloEvaluator } from './evaluator';
export type {
  SloAlertEvent,
  SloAlertListener,
  SloEvaluator,
  SloEvaluatorOptions,
  SloGroupStatus,
  SloLabels,
  SloRecorder,
  SloSnapshot,
  SloStatus,
  SloTierStatus,
  SloWindowStatus,
} from './evaluator-types';
export { DEFAULT_BUCKETS_PER_WINDOW, planWindows } from './window-counts';
export type { PlannedWindow, WindowPlan } from './window-counts';
export { SloInstrumentError, sloCounter, sloHistogram } from './slo-instruments';
export type {
  BoundSloHistogram,
  SloCounter,
  SloCounterOptions,
  SloHistogram,
  SloHistogramOptions,
} from './slo-instruments';
export { SLO_METRICS, publishSloMetrics } from './evaluator-metrics';
export type { SloMetrics, SloMetricsOptions } from './evaluator-metrics';
export { errorRatioExpr } from './promql';
export type { SliSource } from './promql';
export { SLO_SERIES, generatePrometheusRules, rulesToYaml } from './rules';
export type {
  AlertingRule,
  PrometheusRule,
  PrometheusRuleFile,
  PrometheusRuleGroup,
  PrometheusRulesOptions,
  RecordingRule,
} from './rules';
export { generateInhibitRules, inhibitRulesToYaml } from './inhibit';
export type { InhibitRule, InhibitRulesOptions } from './inhibit';
export { generateRuleTests } from './promtool-tests';
export type { RuleTestsOptions } from './promtool-tests';
export { OPENSLO_ANNOTATION_PREFIX, OpenSloError } from './openslo';
export type { OpenSloProblem } from './openslo';
export { toOpenSlo } from './openslo-export';
export { fromOpenSlo } from './openslo-import';
export type { FromOpenSloOptions } from './openslo-import';
export { SLO_FILES, generateSloFiles } from './generate';
export type { GenerateSloFilesOptions } from './generate';
export { SloFileError, loadSlos } from './load';
