// PromQL for an SLO's SLI: the error ratio, bad/total event rates and selectors that the recording
// rules, the alert guard, the no-data alert and the Prometheus agreement tests all share.
import type { SliInput, SloDefinition } from './types';

/** The parts of a definition the PromQL depends on. */
export type SliSource = Pick<SloDefinition, 'sli' | 'groupBy'>;

/** One label matcher: `=` for a single value, `=~` when several spellings must match. */
export interface LabelMatcher {
  readonly name: string;
  /** Every value the matcher accepts; more than one renders as an anchored regex alternation. */
  readonly values: readonly string[];
}

/** A metric name with its matchers, in render order. */
export interface Selector {
  readonly metric: string;
  readonly matchers: readonly LabelMatcher[];
}

/** A PromQL double-quoted string literal. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function renderMatcher(m: LabelMatcher): string {
  if (m.values.length === 1) return `${m.name}=${quote(m.values[0] as string)}`;
  return `${m.name}=~${quote(m.values.map(escapeRegex).join('|'))}`;
}

/** `metric{a="x",b=~"1|1\\.0"}`, or the bare name without matchers. */
export function renderSelector(selector: Selector): string {
  if (selector.matchers.length === 0) return selector.metric;
  return `${selector.metric}{${selector.matchers.map(renderMatcher).join(',')}}`;
}

function equalityMatchers(matchers: Readonly<Record<string, string>> | undefined): LabelMatcher[] {
  return Object.keys(matchers ?? {})
    .sort()
    .map((name) => ({ name, values: [(matchers as Record<string, string>)[name] as string] }));
}

/**
 * Go's `strconv.FormatFloat(x, 'g', -1, 64)` plus `.0` for integral values: how Prometheus 3
 * rewrites `le` label values at scrape time (`formatOpenMetricsFloat`).
 */
export function prometheus3Le(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  const [mantissa = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  // Shortest 'g' switches to exponent form below 1e-4 and from 1e6 on (Go's eprec of 6).
  if (exp < -4 || exp >= 6) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    text = `${body}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length > exp + 1) {
    text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    text = `${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  }
  if (!/[.e]/.test(text)) text += '.0';
  return negative ? `-${text}` : text;
}

/**
 * The `le` matcher of a latency threshold. `@autoweave/metrics` writes bucket bounds with JS
 * `String()` (`0.08`, `1`, `0.00005`); Prometheus 3 rewrites them on scrape (`1.0`, `5e-05`). When
 * the two spellings differ the matcher accepts both, so the rule works before and after an upgrade.
 */
export function leMatcher(thresholdSeconds: number): LabelMatcher {
  const written = String(thresholdSeconds);
  const normalised = prometheus3Le(thresholdSeconds);
  return { name: 'le', values: written === normalised ? [written] : [written, normalised] };
}

/** The series counting every event of the SLI: the total counter, or the histogram's `_count`. */
export function totalSelector(sli: SliInput): Selector {
  if (sli.kind === 'latency') {
    return { metric: `${sli.histogram}_count`, matchers: equalityMatchers(sli.matchers) };
  }
  return { metric: sli.total.metric, matchers: equalityMatchers(sli.total.matchers) };
}

/** The good (`good`, latency bucket) or bad (`bad`) selector of the SLI. */
export function partSelector(sli: SliInput): { readonly kind: 'good' | 'bad'; readonly selector: Selector } {
  if (sli.kind === 'latency') {
    return {
      kind: 'good',
      selector: {
        metric: `${sli.histogram}_bucket`,
        matchers: [...equalityMatchers(sli.matchers), leMatcher(sli.thresholdSeconds)],
      },
    };
  }
  const part = sli.bad ?? sli.good;
  if (part === undefined) throw new Error('a ratio SLI needs `good` or `bad` besides `total`');
  return {
    kind: sli.bad !== undefined ? 'bad' : 'good',
    selector: { metric: part.metric, matchers: equalityMatchers(part.matchers) },
  };
}

function sumBy(groupBy: readonly string[], inner: string): string {
  return groupBy.length === 0 ? `sum(${inner})` : `sum by (${groupBy.join(', ')}) (${inner})`;
}

function rangeFn(fn: 'rate' | 'increase', selector: Selector, window: string): string {
  return `${fn}(${renderSelector(selector)}[${window}])`;
}

/** `sum by (<groupBy>) (rate(<total>[w]))`: all events per second. */
export function totalRateExpr(slo: SliSource, window: string): string {
  return sumBy(slo.groupBy, rangeFn('rate', totalSelector(slo.sli), window));
}

/** `sum by (<groupBy>) (increase(<total>[w]))`: all events in the window (the min-events guard). */
export function totalIncreaseExpr(slo: SliSource, window: string): string {
  return sumBy(slo.groupBy, rangeFn('increase', totalSelector(slo.sli), window));
}

/**
 * Bad events per second. A labelled counter only exists once incremented, so a bad (or good)
 * counter that has not counted yet is read as 0 (`or 0 * total`) rather than leaving the SLI empty.
 */
export function badRateExpr(slo: SliSource, window: string): string {
  const total = totalRateExpr(slo, window);
  const part = partSelector(slo.sli);
  const partRate = sumBy(slo.groupBy, rangeFn('rate', part.selector, window));
  if (slo.sli.kind === 'latency') return `${total} - ${partRate}`;
  const orZero = `${partRate} or 0 * ${total}`;
  return part.kind === 'bad' ? orZero : `${total} - (${orZero})`;
}

/**
 * The SLI's error ratio over `window` (a Prometheus duration), one series per `groupBy` label set:
 * - ratio with `bad`: `(sum(rate(bad[w])) or 0 * sum(rate(total[w]))) / sum(rate(total[w]))`
 * - ratio with `good`: `(sum(rate(total[w])) - (sum(rate(good[w])) or 0 * …)) / sum(rate(total[w]))`
 * - latency: `(sum(rate(h_count[w])) - sum(rate(h_bucket{le="T"}[w]))) / sum(rate(h_count[w]))`
 * with every `sum` taken `by (<groupBy>)` so both sides carry the same labels. NaN when there was no
 * traffic in the window; no series when the total metric has no samples at all.
 */
export function errorRatioExpr(slo: SliSource, window: string): string {
  return `(${badRateExpr(slo, window)}) / ${totalRateExpr(slo, window)}`;
}
