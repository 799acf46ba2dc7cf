// OpenSLO indicators: a ratioMetric of Prometheus counters (or histogram bucket over count) as an SliInput.
import { show, type Context, type Doc, type Report } from './openslo';
import { parseSelector, type Selector } from './openslo-selector';
import { isRecord } from './problems';
import type { CounterSelector, SliInput } from './types';

export interface IndicatorResult {
  readonly sli: SliInput;
  readonly path: string;
  readonly doc: Doc | undefined;
  readonly parts: Record<'good' | 'bad' | 'total', string>;
}

export function readIndicator(
  doc: Doc,
  spec: Record<string, unknown>,
  context: Context,
  report: Report,
  reportFor: (doc: Doc) => Report,
): IndicatorResult | undefined {
  const inline = spec['indicator'];
  const ref = spec['indicatorRef'];
  if ((inline === undefined) === (ref === undefined)) {
    report(
      'spec',
      inline === undefined
        ? 'give an indicator or an indicatorRef'
        : 'give indicator or indicatorRef, not both',
    );
    return undefined;
  }
  let sliSpec: unknown;
  let base: string;
  let sliDoc: Doc | undefined;
  let sliReport = report;
  if (inline !== undefined) {
    if (!isRecord(inline)) {
      report('spec.indicator', `must be { metadata, spec: { ratioMetric } }, got ${show(inline)}`);
      return undefined;
    }
    sliSpec = inline['spec'];
    base = 'spec.indicator.spec';
  } else {
    sliDoc = typeof ref === 'string' ? context.slis.get(ref) : undefined;
    if (sliDoc === undefined) {
      report(
        'spec.indicatorRef',
        `${show(ref)}: no kind: SLI document of that name in this text; include it, or inline the indicator`,
      );
      return undefined;
    }
    sliSpec = sliDoc.value['spec'];
    base = 'spec';
    sliReport = reportFor(sliDoc);
  }
  if (!isRecord(sliSpec)) {
    sliReport(base, `must be a mapping with ratioMetric, got ${show(sliSpec)}`);
    return undefined;
  }
  if (sliSpec['thresholdMetric'] !== undefined) {
    sliReport(
      `${base}.thresholdMetric`,
      'is not supported: autoweave SLIs are ratios of counted events. Use ratioMetric with counter: true (a latency SLI is good = <histogram>_bucket{le="<threshold>"}, total = <histogram>_count)',
    );
    return undefined;
  }
  const ratio = sliSpec['ratioMetric'];
  const at = `${base}.ratioMetric`;
  if (!isRecord(ratio)) {
    sliReport(at, `is required (the only SLI kind autoweave imports), got ${show(ratio)}`);
    return undefined;
  }
  if (ratio['raw'] !== undefined || ratio['rawType'] !== undefined) {
    sliReport(
      `${at}.${ratio['raw'] !== undefined ? 'raw' : 'rawType'}`,
      'precomputed ratios are not supported: give good or bad plus total counters, so windows and burn rates can be computed from events',
    );
    return undefined;
  }
  if (ratio['counter'] !== true) {
    sliReport(
      `${at}.counter`,
      ratio['counter'] === false
        ? 'counter: false (gauges) is not supported: good/bad/total must be monotonically increasing counters'
        : 'set counter: true: good/bad/total must be monotonically increasing counters',
    );
    return undefined;
  }
  const parts: Record<'good' | 'bad' | 'total', string> = {
    good: `${at}.good.metricSource.spec.query`,
    bad: `${at}.bad.metricSource.spec.query`,
    total: `${at}.total.metricSource.spec.query`,
  };
  const selectors: Partial<Record<'good' | 'bad' | 'total', Selector>> = {};
  let ok = true;
  for (const part of ['good', 'bad', 'total'] as const) {
    if (ratio[part] === undefined) continue;
    const selector = readQuery(ratio[part], `${at}.${part}`, context, sliReport);
    if (selector === undefined) ok = false;
    else selectors[part] = selector;
  }
  if (ratio['total'] === undefined) {
    sliReport(`${at}.total`, 'is required (the denominator)');
    return undefined;
  }
  if ((ratio['good'] === undefined) === (ratio['bad'] === undefined)) {
    sliReport(at, 'give exactly one of good and bad besides total');
    return undefined;
  }
  const { good, bad, total } = selectors;
  if (!ok || total === undefined || (good ?? bad) === undefined) return undefined;
  const result = (sli: SliInput): IndicatorResult => ({ sli, path: at, doc: sliDoc, parts });

  const bucketOf = (s: Selector): string | undefined =>
    s.metric.endsWith('_bucket') ? s.metric.slice(0, -'_bucket'.length) : undefined;
  if (bad !== undefined && bucketOf(bad) !== undefined) {
    sliReport(
      parts.bad,
      'a histogram bucket cannot be the bad events (bad = count − bucket is not a selector); write good = <histogram>_bucket{le="<threshold>"} and total = <histogram>_count',
    );
    return undefined;
  }
  if (good !== undefined && bucketOf(good) !== undefined) {
    return latencyOf(good, total, parts, sliReport, result);
  }
  if (bucketOf(total) !== undefined || total.metric.endsWith('_count')) {
    sliReport(
      parts.total,
      `${total.metric} is part of a histogram; a latency SLI needs good = ${total.metric.replace(/_(count|bucket)$/, '')}_bucket{le="<threshold>"}`,
    );
    return undefined;
  }
  const counter = (s: Selector): CounterSelector =>
    Object.keys(s.matchers).length > 0 ? { metric: s.metric, matchers: s.matchers } : { metric: s.metric };
  return result({
    kind: 'ratio',
    total: counter(total),
    ...(good !== undefined ? { good: counter(good) } : {}),
    ...(bad !== undefined ? { bad: counter(bad) } : {}),
  });
}

function latencyOf(
  good: Selector,
  total: Selector,
  parts: Record<'good' | 'bad' | 'total', string>,
  report: Report,
  result: (sli: SliInput) => IndicatorResult,
): IndicatorResult | undefined {
  const histogram = good.metric.slice(0, -'_bucket'.length);
  const { le, ...matchers } = good.matchers;
  if (le === undefined) {
    report(
      parts.good,
      `${good.metric} needs le="<threshold in seconds>": the bucket of the latency threshold`,
    );
    return undefined;
  }
  const threshold = Number(le);
  if (le.trim() === '' || !Number.isFinite(threshold) || threshold <= 0) {
    report(parts.good, `le="${le}" is not a latency threshold in seconds (e.g. le="0.08")`);
    return undefined;
  }
  const totalIsInf =
    total.metric === good.metric && ['+Inf', 'Inf', '+inf', 'inf'].includes(total.matchers['le'] ?? '');
  if (total.metric !== `${histogram}_count` && !totalIsInf) {
    report(parts.total, `must be ${histogram}_count (the histogram of the good query), got ${total.metric}`);
    return undefined;
  }
  const totalMatchers: Record<string, string> = { ...total.matchers };
  delete totalMatchers['le'];
  const keys = Object.keys(matchers);
  if (
    keys.length !== Object.keys(totalMatchers).length ||
    keys.some((k) => totalMatchers[k] !== matchers[k])
  ) {
    report(parts.total, 'must select the same series as good apart from le (the same label matchers)');
    return undefined;
  }
  return result({
    kind: 'latency',
    histogram,
    thresholdSeconds: threshold,
    ...(keys.length > 0 ? { matchers } : {}),
  });
}

function readQuery(value: unknown, at: string, context: Context, report: Report): Selector | undefined {
  const source = isRecord(value) ? value['metricSource'] : undefined;
  if (!isRecord(source)) {
    report(`${at}.metricSource`, `is required: { type: Prometheus, spec: { query } }, got ${show(source)}`);
    return undefined;
  }
  let type = source['type'];
  const ref = source['metricSourceRef'];
  if (type === undefined && ref !== undefined) {
    const ds = typeof ref === 'string' ? context.dataSources.get(ref) : undefined;
    if (ds === undefined) {
      report(
        `${at}.metricSource.metricSourceRef`,
        `${show(ref)}: no kind: DataSource document of that name in this text; include it or set type: Prometheus`,
      );
      return undefined;
    }
    const dsSpec = ds.value['spec'];
    type = isRecord(dsSpec) ? dsSpec['type'] : undefined;
  }
  if (typeof type !== 'string' || type.toLowerCase() !== 'prometheus') {
    report(
      `${at}.metricSource.type`,
      `${show(type)} is not supported: autoweave generates Prometheus rules, so good/bad/total must be Prometheus queries (type: Prometheus)`,
    );
    return undefined;
  }
  const spec = source['spec'];
  const query = isRecord(spec) ? spec['query'] : undefined;
  if (typeof query !== 'string' || query.trim() === '') {
    report(`${at}.metricSource.spec.query`, `is required: the counter selector, got ${show(query)}`);
    return undefined;
  }
  const selector = parseSelector(query);
  if (typeof selector === 'string') {
    report(`${at}.metricSource.spec.query`, selector);
    return undefined;
  }
  return selector;
}
