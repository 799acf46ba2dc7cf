// Checks SLO definitions against the metrics that really exist (a @autoweave/metrics handle's
// describe(), or a plain list): unknown names, wrong types, thresholds off the bucket grid, labels.
import type { MetricDescription } from '@autoweave/metrics';
import { closest } from './names';
import type { SloProblem } from './problems';
import type { CounterSelector, SloDefinition } from './types';

/**
 * One metric as a catalog lists it. `name` is the exposed family name; a counter given without
 * `_total` (prom-client style) is read as `<name>_total`, the name it is scraped under. Leave
 * `labelNames` out when unknown to skip label checks.
 */
export interface MetricCatalogEntry {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | (string & {});
  readonly labelNames?: readonly string[];
  /** Histogram boundaries in seconds, without +Inf. Needed to check latency thresholds. */
  readonly buckets?: readonly number[];
}

/** A metrics handle (anything with `describe()`), or a plain list for other metric libraries. */
export type MetricCatalog = { describe(): readonly MetricDescription[] } | readonly MetricCatalogEntry[];

function entriesOf(catalog: MetricCatalog): readonly MetricCatalogEntry[] {
  const list = Array.isArray(catalog)
    ? (catalog as readonly MetricCatalogEntry[])
    : (catalog as { describe(): readonly MetricDescription[] }).describe();
  return list.map((e) =>
    e.type === 'counter' && !e.name.endsWith('_total') ? { ...e, name: `${e.name}_total` } : e,
  );
}

/** The boundaries next to `value`: the largest below and the smallest above (either may be absent). */
function neighbours(buckets: readonly number[], value: number): number[] {
  const sorted = [...buckets].sort((a, b) => a - b);
  const below = sorted.filter((b) => b < value).at(-1);
  const above = sorted.find((b) => b > value);
  return [below, above].filter((b): b is number => b !== undefined);
}

/**
 * Every way the SLOs disagree with the catalog: a metric that is not there (with the closest name), a
 * ratio SLI on something other than counters, a latency SLI on something other than a histogram, a
 * latency threshold that is not one of the histogram's bucket boundaries (with the nearest ones),
 * and groupBy or matcher labels the metric does not have. Empty when they agree; throw
 * `new SloDefinitionError(problems)` to fail on them.
 */
export function validateSlosAgainst(
  slos: SloDefinition | readonly SloDefinition[],
  catalog: MetricCatalog,
): SloProblem[] {
  const entries = entriesOf(catalog);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const names = [...byName.keys()];
  const problems: SloProblem[] = [];
  const list: readonly SloDefinition[] = Array.isArray(slos)
    ? (slos as readonly SloDefinition[])
    : [slos as SloDefinition];

  for (const slo of list) {
    const add = (path: string, message: string): void => {
      problems.push({ sloId: slo.id, path, message });
    };
    const lookup = (
      metric: string,
      path: string,
      want: 'counter' | 'histogram',
    ): MetricCatalogEntry | undefined => {
      const entry = byName.get(metric);
      if (entry === undefined) {
        const hint = closest(metric, names);
        add(
          path,
          `metric "${metric}" is not in the catalog${hint !== undefined ? `; did you mean "${hint}"?` : '; define it first (metrics.' + want + '({ name, ... })) or fix the name'}`,
        );
        return undefined;
      }
      if (entry.type !== want) {
        add(
          path,
          want === 'counter'
            ? `"${metric}" is a ${entry.type}; a ratio SLI counts events and needs counters (use a latency SLI for a histogram)`
            : `"${metric}" is a ${entry.type}; a latency SLI needs a histogram with a bucket at the threshold`,
        );
        return undefined;
      }
      return entry;
    };
    const checkLabels = (
      entry: MetricCatalogEntry,
      path: string,
      labels: readonly string[],
      what: string,
    ): void => {
      if (entry.labelNames === undefined) return;
      labels.forEach((label, i) => {
        if (!entry.labelNames!.includes(label)) {
          add(
            what === 'groupBy' ? `groupBy[${i}]` : `${path}.${label}`,
            `"${entry.name}" has no label "${label}" (its labels: ${entry.labelNames!.length > 0 ? entry.labelNames!.join(', ') : 'none'}); ${what === 'groupBy' ? 'group by one of them or add the label to the metric' : 'match on one of them or add the label to the metric'}`,
          );
        }
      });
    };

    if (slo.sli.kind === 'ratio') {
      const selectors: [string, CounterSelector][] = [['sli.total', slo.sli.total]];
      if (slo.sli.good !== undefined) selectors.push(['sli.good', slo.sli.good]);
      if (slo.sli.bad !== undefined) selectors.push(['sli.bad', slo.sli.bad]);
      const seen = new Set<string>();
      for (const [path, selector] of selectors) {
        const entry = lookup(selector.metric, `${path}.metric`, 'counter');
        if (entry === undefined) continue;
        checkLabels(entry, `${path}.matchers`, Object.keys(selector.matchers ?? {}), 'matchers');
        // groupBy applies to every selector; report it once per metric.
        if (!seen.has(entry.name)) checkLabels(entry, '', slo.groupBy, 'groupBy');
        seen.add(entry.name);
      }
    } else {
      const { histogram, thresholdSeconds, matchers } = slo.sli;
      const entry = lookup(histogram, 'sli.histogram', 'histogram');
      if (entry === undefined) continue;
      if (entry.buckets === undefined) {
        add(
          'sli.histogram',
          `the catalog entry of "${histogram}" lists no buckets, so the threshold ${thresholdSeconds} s cannot be checked; add its buckets to the entry`,
        );
      } else if (!entry.buckets.includes(thresholdSeconds)) {
        const near = neighbours(entry.buckets, thresholdSeconds);
        add(
          'sli.thresholdSeconds',
          `${thresholdSeconds} s is not a bucket boundary of "${histogram}"${near.length > 0 ? ` (nearest: ${near.join(', ')})` : ''}, so no le series counts exactly the events at or below it; ` +
            `create the histogram with buckets: bucketsFor(slo) or use one of its boundaries as the threshold`,
        );
      }
      checkLabels(entry, 'sli.matchers', Object.keys(matchers ?? {}), 'matchers');
      checkLabels(entry, '', slo.groupBy, 'groupBy');
    }
  }
  return problems;
}
