// OpenSLO export: definitions as `openslo/v1` SLO documents (toOpenSlo), and back to their inputs (toSloInput).
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import { stringify } from 'yaml';
import { DEFAULT_TIERS } from './define-tiers';
import { ANNOTATION } from './openslo';
import { partSelector, renderSelector, totalSelector } from './promql';
import type { AlertTierInput, SliInput, SloDefinition, SloInput } from './types';

/** OpenSLO v1 limits `description` to this many characters. */
const MAX_DESCRIPTION = 1050;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Back from a validated definition to the input that defines it (defaults left out). */
export function toSloInput(slo: SloDefinition): SloInput {
  const tiers: AlertTierInput[] = slo.tiers.map((t) => ({
    name: t.name,
    severity: t.severity,
    shortWindow: t.shortWindow,
    longWindow: t.longWindow,
    budgetPercent: t.budgetPercent,
    ...(t.for !== undefined ? { for: t.for } : {}),
  }));
  return {
    id: slo.id,
    service: slo.service,
    description: slo.description,
    objective: slo.objective,
    window: slo.window,
    sli: slo.sli,
    ...(slo.groupBy.length > 0 ? { groupBy: [...slo.groupBy] } : {}),
    ...(slo.minEvents > 0 ? { minEvents: slo.minEvents } : {}),
    ...(Object.keys(slo.labels).length > 0 ? { labels: { ...slo.labels } } : {}),
    ...(slo.runbookUrl !== undefined ? { runbookUrl: slo.runbookUrl } : {}),
    ...(isDefaultTiers(tiers) ? {} : { tiers }),
  };
}

function sameDuration(a: string, b: string): boolean {
  return parsePrometheusDuration(a) === parsePrometheusDuration(b);
}

function isDefaultTiers(tiers: readonly AlertTierInput[]): boolean {
  return (
    tiers.length === DEFAULT_TIERS.length &&
    tiers.every((t, i) => {
      const d = DEFAULT_TIERS[i] as AlertTierInput;
      return (
        t.name === d.name &&
        t.severity === d.severity &&
        sameDuration(t.shortWindow, d.shortWindow) &&
        sameDuration(t.longWindow, d.longWindow) &&
        t.budgetPercent === d.budgetPercent &&
        t.for === d.for
      );
    })
  );
}

/** A window as an OpenSLO duration shorthand: one number and one unit (`30d`, `36h`, `90m`). */
function openSloDuration(slo: SloDefinition): string {
  const ms = slo.windowMs;
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  throw new RangeError(
    `SLO "${slo.id}": window ${slo.window} is not a whole number of minutes, which OpenSLO durations cannot express; use whole minutes`,
  );
}

function metricSource(query: string): { metricSource: { type: 'Prometheus'; spec: { query: string } } } {
  return { metricSource: { type: 'Prometheus', spec: { query } } };
}

function ratioMetricOf(sli: SliInput): Record<string, unknown> {
  const part = partSelector(sli);
  return {
    counter: true,
    [part.kind]: metricSource(renderSelector(part.selector)),
    total: metricSource(renderSelector(totalSelector(sli))),
  };
}

function openSloDocument(slo: SloDefinition): Record<string, unknown> {
  if (slo.description.length > MAX_DESCRIPTION) {
    throw new RangeError(
      `SLO "${slo.id}": description is ${slo.description.length} characters; OpenSLO allows at most ${MAX_DESCRIPTION}, shorten it`,
    );
  }
  const input = toSloInput(slo);
  const annotations: Record<string, string> = {};
  if (slo.groupBy.length > 0) annotations[ANNOTATION.groupBy] = slo.groupBy.join(',');
  if (slo.minEvents > 0) annotations[ANNOTATION.minEvents] = String(slo.minEvents);
  if (slo.runbookUrl !== undefined) annotations[ANNOTATION.runbookUrl] = slo.runbookUrl;
  if (input.tiers !== undefined) annotations[ANNOTATION.tiers] = JSON.stringify(input.tiers);
  return {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: {
      name: slo.id,
      displayName: slo.description,
      ...(Object.keys(slo.labels).length > 0 ? { labels: { ...slo.labels } } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      description: slo.description,
      service: slo.service,
      indicator: {
        metadata: { name: slo.id },
        spec: { ratioMetric: ratioMetricOf(slo.sli) },
      },
      timeWindow: [{ duration: openSloDuration(slo), isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ target: slo.objective }],
    },
  };
}

/**
 * OpenSLO v1 YAML for the definitions: one `kind: SLO` document each (separated by `---`), with an
 * inline `ratioMetric` indicator (`counter: true`, Prometheus selectors; latency as good =
 * `<histogram>_bucket{le="<threshold>"}`, total = `<histogram>_count`), a rolling `timeWindow`,
 * `budgetingMethod: Occurrences` and one objective. What OpenSLO has no field for (groupBy,
 * minEvents, runbookUrl, non-default tiers) goes into `autoweave.dev/*` annotations, so
 * {@link fromOpenSlo} gives back the same definitions.
 */
export function toOpenSlo(slos: readonly SloDefinition[]): string {
  return slos
    .map((slo) => stringify(openSloDocument(slo), { lineWidth: 0, singleQuote: true }))
    .join('---\n');
}
