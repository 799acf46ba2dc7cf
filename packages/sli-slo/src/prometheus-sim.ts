// Prometheus' arithmetic replayed over synthetic series: rate extrapolation, `sum by`, `for:` state.
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import { type LabelMatcher, type Selector, partSelector, totalSelector } from './promql';
import { type ResolvedRulesOptions, burnAlertLabels, noDataAlertLabels } from './rules';
import type { AlertTier, SloDefinition } from './types';

/** Prometheus' lookback delta: an instant selector sees samples up to 5m old. */
export const LOOKBACK_MS = 5 * 60_000;

export interface SimSeries {
  /** Labels including `__name__`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Value of sample k, taken at {@link sampleTime}(k). */
  readonly values: readonly number[];
  readonly intervalMs: number;
}

/** Sample k is at (k + 1) × interval: nothing at 0, where every range `[w − w, w]` would start. */
export function sampleTime(k: number, intervalMs: number): number {
  return (k + 1) * intervalMs;
}

/** Index of the last sample at or before t (−1 when none). */
export function lastIndexAt(t: number, intervalMs: number): number {
  return Math.floor(t / intervalMs) - 1;
}

function matches(series: SimSeries, selector: Selector): boolean {
  if (series.labels['__name__'] !== selector.metric) return false;
  return selector.matchers.every((m: LabelMatcher) => m.values.includes(series.labels[m.name] ?? ''));
}

export function labelKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/** Thrown when the synthetic data would make the expectations depend on the Prometheus version. */
export class UnportableSamplesError extends Error {}

/**
 * `rate()`/`increase()` of one series over `[t − range, t]`, as Prometheus computes it
 * (`extrapolatedRate`), or undefined with fewer than two samples. The samples never sit on the range
 * start and never extrapolate to a zero point, which is where Prometheus 2 and 3 differ; both are checked.
 */
function extrapolated(series: SimSeries, t: number, rangeMs: number, isRate: boolean): number | undefined {
  const start = t - rangeMs;
  const interval = series.intervalMs;
  const first = Math.max(0, Math.ceil(start / interval) - 1);
  const last = Math.min(series.values.length - 1, lastIndexAt(t, interval));
  if (sampleTime(first, interval) === start)
    throw new UnportableSamplesError(`sample on range start ${start}`);
  if (last - first < 1) return undefined;
  const firstT = sampleTime(first, interval);
  const lastT = sampleTime(last, interval);
  const firstV = series.values[first] as number;
  const lastV = series.values[last] as number;
  const result = lastV - firstV;
  const durationToStart = (firstT - start) / 1000;
  const durationToEnd = (t - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (last - first);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < extrapolationThreshold) {
      throw new UnportableSamplesError(`zero-point extrapolation at ${t}`);
    }
  }
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval +=
    durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval +=
    durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

export interface GroupValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** `sum by (groupBy) (fn(selector[range]))`, summed in series label order like Prometheus. */
function sumBy(
  all: readonly SimSeries[],
  selector: Selector,
  groupBy: readonly string[],
  t: number,
  rangeMs: number,
  isRate: boolean,
): Map<string, GroupValue> {
  const out = new Map<string, { labels: Record<string, string>; value: number }>();
  const selected = all
    .filter((s) => matches(s, selector))
    .sort((a, b) => (labelKey(a.labels) < labelKey(b.labels) ? -1 : 1));
  for (const s of selected) {
    const v = extrapolated(s, t, rangeMs, isRate);
    if (v === undefined) continue;
    const labels: Record<string, string> = {};
    for (const g of groupBy) {
      const value = s.labels[g];
      if (value !== undefined && value !== '') labels[g] = value;
    }
    const key = labelKey(labels);
    const group = out.get(key);
    if (group === undefined) out.set(key, { labels, value: v });
    else group.value += v;
  }
  return out;
}

/** The error ratio of `errorRatioExpr`, per group. */
export function errorRatios(
  slo: SloDefinition,
  all: readonly SimSeries[],
  t: number,
  rangeMs: number,
): Map<string, GroupValue> {
  const total = sumBy(all, totalSelector(slo.sli), slo.groupBy, t, rangeMs, true);
  const part = partSelector(slo.sli);
  const partRates = sumBy(all, part.selector, slo.groupBy, t, rangeMs, true);
  const out = new Map<string, GroupValue>();
  for (const [key, tot] of total) {
    let p = partRates.get(key)?.value;
    if (p === undefined) {
      if (slo.sli.kind === 'latency') continue;
      p = 0 * tot.value;
    }
    const bad = part.kind === 'bad' ? p : tot.value - p;
    out.set(key, { labels: tot.labels, value: bad / tot.value });
  }
  return out;
}

export interface Firing {
  readonly slo: SloDefinition;
  readonly tier: AlertTier | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Tick {
  readonly t: number;
  readonly burn: readonly Firing[];
  readonly noData: readonly Firing[];
}

interface AlertState {
  activeAt: number;
}

function isAbsent(all: readonly SimSeries[], selector: Selector, t: number): boolean {
  const from = t - LOOKBACK_MS;
  return !all.some((s) => {
    if (!matches(s, selector)) return false;
    if (from > 0 && from % s.intervalMs === 0)
      throw new UnportableSamplesError(`sample on lookback start ${from}`);
    const last = Math.min(s.values.length - 1, lastIndexAt(t, s.intervalMs));
    return last >= 0 && sampleTime(last, s.intervalMs) >= from;
  });
}

/** Evaluates every rule group at 0, E, 2E … until `untilMs`, like `promtool test rules`. */
export function simulate(
  all: readonly SimSeries[],
  slos: readonly SloDefinition[],
  options: ResolvedRulesOptions,
  evalMs: number,
  untilMs: number,
): Tick[] {
  const states = new Map<string, AlertState>();
  const ticks: Tick[] = [];
  for (let t = 0; t <= untilMs; t += evalMs) {
    const burn: Firing[] = [];
    const noData: Firing[] = [];
    const seen = new Set<string>();
    const hold = (key: string, forMs: number): boolean => {
      seen.add(key);
      let state = states.get(key);
      if (state === undefined) {
        state = { activeAt: t };
        states.set(key, state);
      }
      return t - state.activeAt >= forMs;
    };
    for (const slo of slos) {
      const ratioCache = new Map<number, Map<string, GroupValue>>();
      const ratio = (ms: number): Map<string, GroupValue> => {
        let r = ratioCache.get(ms);
        if (r === undefined) {
          r = errorRatios(slo, all, t, ms);
          ratioCache.set(ms, r);
        }
        return r;
      };
      for (const tier of slo.tiers) {
        const threshold = Number(tier.threshold);
        const long = ratio(tier.longWindowMs);
        const short = ratio(tier.shortWindowMs);
        const events =
          slo.minEvents > 0
            ? sumBy(all, totalSelector(slo.sli), slo.groupBy, t, tier.longWindowMs, false)
            : undefined;
        for (const [key, l] of long) {
          const s = short.get(key);
          if (!(l.value > threshold) || s === undefined || !(s.value > threshold)) continue;
          if (events !== undefined && !((events.get(key)?.value ?? -Infinity) >= slo.minEvents)) continue;
          const labels = { ...l.labels, ...burnAlertLabels(slo, tier) };
          const stateKey = `${options.burnAlertName}|${labelKey(labels)}`;
          if (hold(stateKey, tier.for !== undefined ? (parsePrometheusDuration(tier.for) as number) : 0)) {
            burn.push({ slo, tier, labels, value: l.value });
          }
        }
      }
      const selector = totalSelector(slo.sli);
      if (isAbsent(all, selector, t)) {
        const labels: Record<string, string> = {};
        for (const m of selector.matchers) if (m.values.length === 1) labels[m.name] = m.values[0] as string;
        Object.assign(labels, noDataAlertLabels(slo));
        const stateKey = `${options.noDataAlertName}|${labelKey(labels)}`;
        if (hold(stateKey, options.noDataForMs)) noData.push({ slo, tier: undefined, labels, value: 1 });
      }
    }
    for (const key of [...states.keys()]) if (!seen.has(key)) states.delete(key);
    ticks.push({ t, burn, noData });
  }
  return ticks;
}
