// Prometheus rule generation: per SLO, recording rules for the error ratio of every window, budget and
// burn-rate series, an info series for mutable metadata, multi-window multi-burn-rate alerts and a
// no-data alert, with thresholds written as the exact decimals of the definition.
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import { Document } from 'yaml';
import { multiplyDecimal, parseDecimal, toDecimalString } from './decimal';
import { formatDuration } from './duration';
import {
  badRateExpr,
  errorRatioExpr,
  quote,
  renderSelector,
  totalIncreaseExpr,
  totalRateExpr,
  totalSelector,
} from './promql';
import type { AlertTier, SloDefinition } from './types';

/** A recording rule as written in a rule file. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** An alerting rule as written in a rule file. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type PrometheusRule = RecordingRule | AlertingRule;

export interface PrometheusRuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly PrometheusRule[];
}

/** The content of a Prometheus rule file (`rule_files:`); {@link rulesToYaml} writes it. */
export interface PrometheusRuleFile {
  readonly groups: readonly PrometheusRuleGroup[];
}

export interface PrometheusRulesOptions {
  /** Name of every burn-rate alert; tiers differ by `slo_tier` and `severity`. Default `SloErrorBudgetBurn`. */
  readonly burnAlertName?: string;
  /** Name of the alert raised when the SLI's total metric has no samples. Default `SloNoData`. */
  readonly noDataAlertName?: string;
  /** `for:` of the no-data alert, on top of Prometheus' 5m lookback. Default `10m`. */
  readonly noDataFor?: string;
  /** `interval:` of each SLO's rule group. Default none: Prometheus' global `evaluation_interval`. */
  readonly interval?: string;
}

/** Option values with their defaults filled in. */
export interface ResolvedRulesOptions {
  readonly burnAlertName: string;
  readonly noDataAlertName: string;
  readonly noDataFor: string;
  readonly noDataForMs: number;
  readonly interval: string | undefined;
}

export const DEFAULT_BURN_ALERT_NAME = 'SloErrorBudgetBurn';
export const DEFAULT_NO_DATA_ALERT_NAME = 'SloNoData';
export const DEFAULT_NO_DATA_FOR = '10m';

/** Names of the recorded series (Sloth's `slo:*` convention, with `slo_id`/`slo_service` labels). */
export const SLO_SERIES = Object.freeze({
  errorRatio: (window: string) => `slo:sli_error:ratio_rate${window}`,
  badEventsRate: (window: string) => `slo:sli_bad_events:rate${window}`,
  totalEventsRate: (window: string) => `slo:sli_total_events:rate${window}`,
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  timePeriod: 'slo:time_period:seconds',
  currentBurnRate: 'slo:current_burn_rate:ratio',
  periodBurnRate: 'slo:period_burn_rate:ratio',
  periodBudgetRemaining: 'slo:period_error_budget_remaining:ratio',
  info: 'slo_info',
});

const ALERT_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Fills in defaults and rejects option values Prometheus would not load. */
export function resolveRulesOptions(options: PrometheusRulesOptions = {}): ResolvedRulesOptions {
  const burnAlertName = options.burnAlertName ?? DEFAULT_BURN_ALERT_NAME;
  const noDataAlertName = options.noDataAlertName ?? DEFAULT_NO_DATA_ALERT_NAME;
  for (const [key, name] of [
    ['burnAlertName', burnAlertName],
    ['noDataAlertName', noDataAlertName],
  ] as const) {
    if (!ALERT_NAME.test(name)) {
      throw new Error(`${key} ${JSON.stringify(name)} is not a valid alert name; use [a-zA-Z_][a-zA-Z0-9_]*`);
    }
  }
  if (burnAlertName === noDataAlertName) {
    throw new Error(
      `burnAlertName and noDataAlertName are both "${burnAlertName}"; give them different names`,
    );
  }
  const noDataForMs = parsePrometheusDuration(options.noDataFor ?? DEFAULT_NO_DATA_FOR);
  if (noDataForMs === undefined) {
    throw new Error(
      `noDataFor ${JSON.stringify(options.noDataFor)} is not a Prometheus duration; write e.g. "10m"`,
    );
  }
  if (options.interval !== undefined && !parsePrometheusDuration(options.interval)) {
    throw new Error(
      `interval ${JSON.stringify(options.interval)} is not a positive Prometheus duration; write e.g. "30s"`,
    );
  }
  return {
    burnAlertName,
    noDataAlertName,
    noDataFor: formatDuration(noDataForMs),
    noDataForMs,
    interval: options.interval,
  };
}

/** `{slo_id="x",slo_service="y"}`: the identity matchers of an SLO's recorded series. */
export function identitySelector(slo: SloDefinition): string {
  return `{slo_id=${quote(slo.id)},slo_service=${quote(slo.service)}}`;
}

function identityLabels(slo: SloDefinition): Record<string, string> {
  return { slo_id: slo.id, slo_service: slo.service };
}

/** The windows some alert tier reads: their ratios must be live rates, never an average of averages. */
function tierWindows(slo: SloDefinition): Set<string> {
  return new Set(slo.tiers.flatMap((t) => [t.shortWindow, t.longWindow]));
}

/** The window of `slo:current_burn_rate:ratio` and of the recorded event rates: the shortest one. */
export function baseWindow(slo: SloDefinition): string {
  return slo.windows[0] as string;
}

function percent(decimal: string | number): string {
  return `${toDecimalString(multiplyDecimal(parseDecimal(decimal), parseDecimal(100)))}%`;
}

// ---- annotation templates -------------------------------------------------------------------------

/** A piece of an annotation: literal text, the alert value as a percentage, or a label value. */
export type TemplatePart = string | { readonly percentOfValue: true } | { readonly label: string };

/** Go template text of the parts, as Prometheus expands it. */
export function renderTemplate(parts: readonly TemplatePart[]): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p.replace(/\{\{/g, '{{ "{{" }}');
      if ('label' in p) return `{{ $labels.${p.label} }}`;
      return '{{ $value | humanizePercentage }}';
    })
    .join('');
}

function groupParts(slo: SloDefinition): TemplatePart[] {
  if (slo.groupBy.length === 0) return [];
  const parts: TemplatePart[] = [' for '];
  slo.groupBy.forEach((label, i) => {
    parts.push(`${i > 0 ? ', ' : ''}${label}=`, { label });
  });
  return parts;
}

function whatIsBad(slo: SloDefinition): string {
  if (slo.sli.kind === 'latency') {
    const ms = toDecimalString(multiplyDecimal(parseDecimal(slo.sli.thresholdSeconds), parseDecimal(1000)));
    return `events took longer than ${ms}ms`;
  }
  return 'events were bad';
}

/** How long the whole budget lasts at the tier's burn rate, to the minute. */
function exhaustion(slo: SloDefinition, tier: AlertTier): string {
  const ms = Math.max(60_000, Math.round(slo.windowMs / tier.factorValue / 60_000) * 60_000);
  return formatDuration(ms);
}

/** Annotations of a burn-rate alert, as parts (the test generator expands the same parts). */
export function burnAnnotationParts(slo: SloDefinition, tier: AlertTier): Record<string, TemplatePart[]> {
  const out: Record<string, TemplatePart[]> = {
    summary: [
      `SLO ${slo.id} (${slo.service}) is burning its error budget ${tier.factor}x too fast`,
      ...groupParts(slo),
    ],
    description: [
      { percentOfValue: true },
      ` of ${whatIsBad(slo)} over the last ${tier.longWindow} and more than ${percent(tier.threshold)} over the last ${tier.shortWindow}` +
        ` (threshold ${percent(tier.threshold)} = ${tier.factor}x the ${percent(slo.errorBudget)} error budget of a ${percent(slo.objective)} objective over ${slo.window}).` +
        ` At this rate the budget is spent in ${exhaustion(slo, tier)}. SLO: ${slo.description}`,
    ],
  };
  if (slo.runbookUrl !== undefined) out['runbook_url'] = [slo.runbookUrl];
  return out;
}

/** Annotations of the no-data alert, as parts. */
export function noDataAnnotationParts(
  slo: SloDefinition,
  options: ResolvedRulesOptions,
): Record<string, TemplatePart[]> {
  const out: Record<string, TemplatePart[]> = {
    summary: [`SLO ${slo.id} (${slo.service}) has no data`],
    description: [
      `No sample of ${renderSelector(totalSelector(slo.sli))} for ${options.noDataFor} (after Prometheus' 5m lookback):` +
        ` the SLO cannot be evaluated and its burn-rate alerts cannot fire. Check that the service runs and is scraped.`,
    ],
  };
  if (slo.runbookUrl !== undefined) out['runbook_url'] = [slo.runbookUrl];
  return out;
}

function renderAnnotations(parts: Record<string, TemplatePart[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, renderTemplate(v)]));
}

/** Labels a burn-rate alert sets on top of the series' identity and group labels. */
export function burnAlertLabels(slo: SloDefinition, tier: AlertTier): Record<string, string> {
  // The identity labels repeat the series' own so that rule linters see one distinct rule per SLO.
  return {
    severity: tier.severity,
    slo_tier: tier.name,
    ...identityLabels(slo),
    ...sortedRecord(slo.labels),
  };
}

/** Labels the no-data alert sets on top of those `absent()` derives from the selector. */
export function noDataAlertLabels(slo: SloDefinition): Record<string, string> {
  return { severity: 'ticket', ...identityLabels(slo), ...sortedRecord(slo.labels) };
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((k) => [k, record[k] as string]),
  );
}

// ---- rules ----------------------------------------------------------------------------------------

/**
 * The alert expression of a tier: the long- and the short-window error ratio both above the exact
 * threshold (`slo_window` dropped so the two sides match on identity and group labels), plus the
 * min-events guard over the long window when `minEvents > 0`. The alert's value is the long-window ratio.
 */
export function burnAlertExpr(slo: SloDefinition, tier: AlertTier): string {
  const id = identitySelector(slo);
  const above = (window: string): string =>
    `max without (slo_window) (${SLO_SERIES.errorRatio(window)}${id} > ${tier.threshold})`;
  const lines = [above(tier.longWindow), 'and', above(tier.shortWindow)];
  if (slo.minEvents > 0) {
    lines.push(
      `and on (${slo.groupBy.join(', ')})`,
      `${totalIncreaseExpr(slo, tier.longWindow)} >= ${slo.minEvents}`,
    );
  }
  return lines.join('\n');
}

function infoLabels(slo: SloDefinition): Record<string, string> {
  const own: Record<string, string> = {
    ...identityLabels(slo),
    slo_description: slo.description,
    slo_objective: String(slo.objective),
    slo_window: slo.window,
    slo_sli: slo.sli.kind,
  };
  for (const name of Object.keys(slo.labels).sort()) {
    if (name in own) {
      throw new Error(
        `SLO "${slo.id}": routing label "${name}" collides with the ${SLO_SERIES.info} label of that name; rename it`,
      );
    }
    own[name] = slo.labels[name] as string;
  }
  return own;
}

function sloRules(slo: SloDefinition, options: ResolvedRulesOptions): PrometheusRule[] {
  const id = identitySelector(slo);
  const idLabels = identityLabels(slo);
  const budget = slo.errorBudget;
  const live = tierWindows(slo);
  const base = baseWindow(slo);
  const rules: PrometheusRule[] = [];

  for (const window of slo.windows) {
    if (live.has(window)) {
      rules.push({
        record: SLO_SERIES.errorRatio(window),
        expr: errorRatioExpr(slo, window),
        labels: { ...idLabels, slo_window: window },
      });
    }
  }
  // The SLO window is not read by any alert: it is the traffic-weighted ratio of the recorded base
  // rates (sum over the window of bad/s ÷ sum of total/s), reading two aggregated series instead of
  // every raw series' samples over days.
  const periodWindows = slo.windows.filter((w) => !live.has(w));
  if (periodWindows.length > 0) {
    rules.push(
      { record: SLO_SERIES.badEventsRate(base), expr: badRateExpr(slo, base), labels: idLabels },
      { record: SLO_SERIES.totalEventsRate(base), expr: totalRateExpr(slo, base), labels: idLabels },
    );
    for (const window of periodWindows) {
      rules.push({
        record: SLO_SERIES.errorRatio(window),
        expr:
          `sum_over_time(${SLO_SERIES.badEventsRate(base)}${id}[${window}])` +
          ` / sum_over_time(${SLO_SERIES.totalEventsRate(base)}${id}[${window}])`,
        labels: { ...idLabels, slo_window: window },
      });
    }
  }

  rules.push(
    { record: SLO_SERIES.objective, expr: `vector(${String(slo.objective)})`, labels: idLabels },
    { record: SLO_SERIES.errorBudget, expr: `vector(${budget})`, labels: idLabels },
    { record: SLO_SERIES.timePeriod, expr: `vector(${slo.windowMs / 1000})`, labels: idLabels },
    { record: SLO_SERIES.info, expr: 'vector(1)', labels: infoLabels(slo) },
    {
      record: SLO_SERIES.currentBurnRate,
      expr: `${SLO_SERIES.errorRatio(base)}${id} / ${budget}`,
      labels: { ...idLabels, slo_window: base },
    },
    {
      record: SLO_SERIES.periodBurnRate,
      expr: `${SLO_SERIES.errorRatio(slo.window)}${id} / ${budget}`,
      labels: { ...idLabels, slo_window: slo.window },
    },
    {
      record: SLO_SERIES.periodBudgetRemaining,
      expr: `1 - ${SLO_SERIES.periodBurnRate}${id}`,
      labels: { ...idLabels, slo_window: slo.window },
    },
  );

  for (const tier of slo.tiers) {
    rules.push({
      alert: options.burnAlertName,
      expr: burnAlertExpr(slo, tier),
      ...(tier.for !== undefined ? { for: tier.for } : {}),
      labels: burnAlertLabels(slo, tier),
      annotations: renderAnnotations(burnAnnotationParts(slo, tier)),
    });
  }
  rules.push({
    alert: options.noDataAlertName,
    expr: `absent(${renderSelector(totalSelector(slo.sli))})`,
    for: options.noDataFor,
    labels: noDataAlertLabels(slo),
    annotations: renderAnnotations(noDataAnnotationParts(slo, options)),
  });
  return rules;
}

/** Rejects a set of SLOs whose recorded series would collide. */
export function checkDistinctIds(slos: readonly SloDefinition[]): void {
  const seen = new Set<string>();
  for (const slo of slos) {
    if (seen.has(slo.id)) {
      throw new Error(`two SLOs have the id "${slo.id}"; ids must be unique (they are the slo_id label)`);
    }
    seen.add(slo.id);
  }
}

/**
 * A Prometheus rule file for `slos`: one group per SLO (`slo-<id>`), recordings first so the alerts
 * of the same evaluation read them. Per SLO:
 * - `slo:sli_error:ratio_rate<w>` for every window of the definition (labels `slo_id`, `slo_service`,
 *   `slo_window` and the `groupBy` labels); the SLO window's ratio is traffic-weighted from
 *   `slo:sli_bad_events:rate<base>` / `slo:sli_total_events:rate<base>`;
 * - `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:time_period:seconds`, `slo_info`;
 * - `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`, `slo:period_error_budget_remaining:ratio`;
 * - one burn-rate alert per tier (`severity`, `slo_tier`, routing labels) and a no-data alert.
 */
export function generatePrometheusRules(
  slos: readonly SloDefinition[],
  options: PrometheusRulesOptions = {},
): PrometheusRuleFile {
  const resolved = resolveRulesOptions(options);
  checkDistinctIds(slos);
  return {
    groups: slos.map((slo) => ({
      name: `slo-${slo.id}`,
      ...(resolved.interval !== undefined ? { interval: resolved.interval } : {}),
      rules: sloRules(slo, resolved),
    })),
  };
}

/** The header every generated file starts with. */
export const GENERATED_HEADER =
  ' Generated by @autoweave/sli-slo from the SLO definitions. Do not edit: change the definitions and regenerate.';

/** YAML text of a rule file, with a generated-file header; expressions on several lines stay readable. */
export function rulesToYaml(file: PrometheusRuleFile): string {
  const doc = new Document(file, { aliasDuplicateObjects: false });
  doc.commentBefore = GENERATED_HEADER;
  return doc.toString({ lineWidth: 0 });
}
