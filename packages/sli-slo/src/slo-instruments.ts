// Instruments that record an SLO's measurement once and send it to both places: the
// @autoweave/metrics histogram or counter the generated rules query, and the in-process evaluator,
// so Prometheus and the evaluator count the same events.
import type {
  HistogramConfig,
  LabelValues,
  MetricsCounter,
  MetricsHandle,
  MetricsHistogram,
  CounterConfig,
} from '@autoweave/metrics';
import { bucketsFor } from './buckets';
import type { SloEvaluator, SloRecorder } from './evaluator-types';
import type { CounterSelector, SloDefinition } from './types';

type Evaluator = Pick<SloEvaluator, 'slos' | 'bind' | 'record' | 'recordLatency'>;

export interface SloHistogramOptions<L extends string> {
  readonly help: string;
  /**
   * Labels given on each observation (declare with `as const`). Must include the SLO's `groupBy`
   * labels. The SLI's matcher labels not listed here are added with their fixed value.
   */
  readonly labelNames?: readonly L[];
  readonly labelBounds?: HistogramConfig<L>['labelBounds'];
  /** Boundaries (seconds) to start from; the SLO's threshold is always added. Default `DEFAULT_SECONDS_BUCKETS`. */
  readonly buckets?: readonly number[];
}

export interface BoundSloHistogram {
  observe(seconds: number): void;
  startTimer(): () => number;
}

export interface SloHistogram<L extends string> {
  /** The histogram in the metrics handle, named after `slo.sli.histogram`, with the threshold as a bucket. */
  readonly metric: MetricsHistogram<string>;
  /** Records `seconds` in the histogram and, when the labels match the SLI's matchers, in the evaluator. */
  observe(labels: LabelValues<L>, seconds: number): void;
  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(labels: LabelValues<L>): () => number;
  /** Binds the histogram series and the evaluator group of `labels` once, for hot loops. */
  labels(labels: LabelValues<L>): BoundSloHistogram;
}

export interface SloCounterOptions<L extends string> {
  /** Help of the `total` counter (and of the good/bad counter unless `partHelp` is given). */
  readonly help: string;
  readonly partHelp?: string;
  /**
   * Labels given on each event (declare with `as const`). Must include the SLO's `groupBy` labels.
   * The selectors' matcher labels not listed here are added with their fixed value.
   */
  readonly labelNames?: readonly L[];
  readonly labelBounds?: CounterConfig<L>['labelBounds'];
  /**
   * When `total` and `good`/`bad` are one counter told apart by labels (`outcome="failure"`): the
   * label values of a good and of a bad event. Default: the selector's matchers for its side and
   * the usual opposite for the other (failure↔success, error↔ok, bad↔good, false↔true,
   * failed↔succeeded, fail↔pass). Not needed when `labelNames` include those labels: then the
   * labels of each event decide, as in Prometheus.
   */
  readonly outcomeLabels?: {
    readonly good: Readonly<Record<string, string>>;
    readonly bad: Readonly<Record<string, string>>;
  };
  /** Label sets whose series are bound (and pre-created at 0) for reuse. Default 1000; more go the unbound way. */
  readonly maxBoundLabelSets?: number;
}

export interface SloCounter<L extends string> {
  /** The counters in the metrics handle: `[total]`, or `[total, good-or-bad]` for two metrics. */
  readonly metrics: readonly MetricsCounter<string>[];
  /**
   * Counts one event, good when `ok`. When `labelNames` include the labels that tell good from bad
   * (e.g. `status_class`), the labels decide and `ok` may be left out.
   */
  record(labels: LabelValues<L>, ok?: boolean): void;
  /** Binds the series and the evaluator group of `labels` once, for hot loops. */
  labels(labels: LabelValues<L>): { record(ok?: boolean): void };
}

/** Thrown when an SLO and the instrument asked for do not fit; the message says what to change. */
export class SloInstrumentError extends Error {
  override readonly name = 'SloInstrumentError';
}

const OPPOSITE: Readonly<Record<string, string>> = Object.freeze({
  failure: 'success',
  success: 'failure',
  error: 'ok',
  ok: 'error',
  bad: 'good',
  good: 'bad',
  false: 'true',
  true: 'false',
  failed: 'succeeded',
  succeeded: 'failed',
  fail: 'pass',
  pass: 'fail',
});

const entries = (m: Readonly<Record<string, string>> | undefined): [string, string][] =>
  Object.entries(m ?? {});

const valueOf = (labels: unknown, name: string): string | undefined => {
  const v = (labels as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
};

/** True when every `[label, value]` of `matchers` is what `labels` carry. */
const matchAll = (labels: unknown, matchers: readonly (readonly [string, string])[]): boolean => {
  for (const [name, value] of matchers) if (valueOf(labels, name) !== value) return false;
  return true;
};

function checkSetup(
  slo: SloDefinition,
  evaluator: Evaluator,
  labelNames: readonly string[],
  what: string,
): void {
  if (!evaluator.slos.some((s) => s.id === slo.id)) {
    throw new SloInstrumentError(
      `${what}: SLO "${slo.id}" is not one the evaluator evaluates; add it to createSloEvaluator({ slos })`,
    );
  }
  for (const label of slo.groupBy) {
    if (!labelNames.includes(label)) {
      throw new SloInstrumentError(
        `${what}: SLO "${slo.id}" is grouped by "${label}"; add it to labelNames so every event carries it`,
      );
    }
  }
}

/**
 * The histogram of a latency SLO (`slo.sli.histogram`, with `slo.sli.thresholdSeconds` among its
 * buckets) in `metrics`, and the evaluator fed from the same `observe` call.
 */
export function sloHistogram<const L extends string = never>(
  metrics: Pick<MetricsHandle, 'histogram'>,
  evaluator: Evaluator,
  slo: SloDefinition,
  options: SloHistogramOptions<L>,
): SloHistogram<L> {
  const what = 'sloHistogram';
  const sli = slo.sli;
  if (sli.kind !== 'latency') {
    throw new SloInstrumentError(
      `${what}: SLO "${slo.id}" has a ${sli.kind} SLI; use sloCounter for it, or a latency SLI ({ kind: 'latency', histogram, thresholdSeconds })`,
    );
  }
  const labelNames: readonly string[] = options.labelNames ?? [];
  checkSetup(slo, evaluator, labelNames, what);
  const matchers = entries(sli.matchers);
  const checked = matchers.filter(([name]) => labelNames.includes(name));
  const fixed = Object.fromEntries(matchers.filter(([name]) => !labelNames.includes(name)));
  const hasFixed = Object.keys(fixed).length > 0;
  const metric = metrics.histogram<string>({
    name: sli.histogram,
    help: options.help,
    labelNames: [...labelNames, ...Object.keys(fixed)],
    ...(options.labelBounds !== undefined ? { labelBounds: options.labelBounds } : {}),
    buckets: bucketsFor(slo, options.buckets !== undefined ? { base: options.buckets } : {}),
  });
  const withFixed = (labels: unknown): LabelValues<string> =>
    (hasFixed ? { ...(labels as object), ...fixed } : labels) as LabelValues<string>;
  const id = slo.id;

  const observe = (labels: LabelValues<L>, seconds: number): void => {
    try {
      metric.observe(withFixed(labels), seconds);
      if (checked.length === 0 || matchAll(labels, checked)) evaluator.recordLatency(id, seconds, labels);
    } catch {
      // hostile labels (a throwing getter): the handle and the evaluator count what they saw
    }
  };
  const timer = (done: (seconds: number) => void) => {
    const start = process.hrtime.bigint();
    return (): number => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      done(seconds);
      return seconds;
    };
  };
  return {
    metric,
    observe,
    startTimer: (labels) => timer((seconds) => observe(labels, seconds)),
    labels(labels) {
      let series: ReturnType<MetricsHistogram<string>['labels']>;
      let recorder: SloRecorder | undefined;
      try {
        series = metric.labels(withFixed(labels));
        recorder = checked.length === 0 || matchAll(labels, checked) ? evaluator.bind(id, labels) : undefined;
      } catch {
        const fallback = (seconds: number): void => observe(labels, seconds);
        return { observe: fallback, startTimer: () => timer(fallback) };
      }
      const observeBound = (seconds: number): void => {
        series.observe(seconds);
        recorder?.recordLatency(seconds);
      };
      return { observe: observeBound, startTimer: () => timer(observeBound) };
    },
  };
}

interface BoundPair {
  record(ok: boolean | undefined): void;
}

/**
 * The counter(s) of a ratio SLO (`slo.sli.total` and its `good` or `bad`) in `metrics`, and the
 * evaluator fed from the same `record` call. Both sides' series are created at 0 the first time a
 * label set is seen, so Prometheus' `rate()` counts the first bad event too.
 */
export function sloCounter<const L extends string = never>(
  metrics: Pick<MetricsHandle, 'counter'>,
  evaluator: Evaluator,
  slo: SloDefinition,
  options: SloCounterOptions<L>,
): SloCounter<L> {
  const what = 'sloCounter';
  const sli = slo.sli;
  if (sli.kind !== 'ratio') {
    throw new SloInstrumentError(
      `${what}: SLO "${slo.id}" has a ${sli.kind} SLI; use sloHistogram for it, or a ratio SLI ({ kind: 'ratio', total, good | bad })`,
    );
  }
  const labelNames: readonly string[] = options.labelNames ?? [];
  checkSetup(slo, evaluator, labelNames, what);
  const maxBound = options.maxBoundLabelSets ?? 1000;
  if (!Number.isInteger(maxBound) || maxBound < 0) {
    throw new SloInstrumentError(
      `${what}: maxBoundLabelSets must be an integer ≥ 0, got ${String(maxBound)}`,
    );
  }
  const partIsBad = sli.bad !== undefined;
  const part = (sli.bad ?? sli.good) as CounterSelector;
  const total = sli.total;
  const listed = (name: string): boolean => labelNames.includes(name);
  const totalMatchers = entries(total.matchers);
  const totalChecked = totalMatchers.filter(([name]) => listed(name));
  const totalFixed = Object.fromEntries(totalMatchers.filter(([name]) => !listed(name)));
  const bounds = options.labelBounds;
  const config = (name: string, help: string, names: readonly string[]): CounterConfig<string> =>
    bounds !== undefined
      ? {
          name,
          help,
          labelNames: names,
          labelBounds: bounds,
        }
      : { name, help, labelNames: names };
  const id = slo.id;

  /** Makes the recorder of one label set: its counter series bound (and so created at 0). */
  let makePair: (labels: unknown) => BoundPair;
  let counters: MetricsCounter<string>[];

  if (part.metric === total.metric) {
    const distinguishing = entries(part.matchers).filter(([name, value]) => total.matchers?.[name] !== value);
    if (distinguishing.length === 0) {
      throw new SloInstrumentError(
        `${what}: SLO "${slo.id}": sli.${partIsBad ? 'bad' : 'good'} selects the same series as sli.total; add the matcher that tells them apart`,
      );
    }
    const partSide = Object.fromEntries(distinguishing);
    const listedCount = distinguishing.filter(([name]) => listed(name)).length;
    if (listedCount > 0 && listedCount < distinguishing.length) {
      throw new SloInstrumentError(
        `${what}: list all of ${distinguishing.map(([n]) => `"${n}"`).join(', ')} in labelNames (the labels decide) or none (ok decides)`,
      );
    }
    const labelsDecide = listedCount > 0;
    let otherSide: Record<string, string> = {};
    if (!labelsDecide) {
      const given = options.outcomeLabels;
      const partName = partIsBad ? 'bad' : 'good';
      const otherName = partIsBad ? 'good' : 'bad';
      if (given !== undefined) {
        if (JSON.stringify(sortKeys(given[partName])) !== JSON.stringify(sortKeys(partSide))) {
          throw new SloInstrumentError(
            `${what}: outcomeLabels.${partName} must be ${JSON.stringify(partSide)} to match sli.${partName}`,
          );
        }
        otherSide = { ...given[otherName] };
        const keys = Object.keys(otherSide).sort().join();
        if (
          keys !== Object.keys(partSide).sort().join() ||
          !distinguishing.some(([n, v]) => otherSide[n] !== v)
        ) {
          throw new SloInstrumentError(
            `${what}: outcomeLabels.${otherName} must set ${Object.keys(partSide).join(', ')} to other values than outcomeLabels.${partName}`,
          );
        }
      } else {
        const [name, value] = distinguishing[0] as [string, string];
        const opposite = OPPOSITE[value];
        if (distinguishing.length > 1 || opposite === undefined) {
          throw new SloInstrumentError(
            `${what}: SLO "${slo.id}": cannot tell what a ${otherName} event's ${name} is; give outcomeLabels: { good: {...}, bad: {...} } or list ${name} in labelNames`,
          );
        }
        otherSide = { [name]: opposite };
      }
    }
    const outcomeNames = labelsDecide ? [] : Object.keys(partSide);
    const counter = metrics.counter<string>(
      config(total.metric, options.help, [...labelNames, ...Object.keys(totalFixed), ...outcomeNames]),
    );
    counters = [counter];
    makePair = (labels) => {
      const base = { ...(labels as object), ...totalFixed };
      const inTotal = matchAll(labels, totalChecked);
      if (labelsDecide) {
        // the event's own labels say which side it is on, exactly as the rule's selectors read them
        const series = counter.labels(base);
        const recorder = inTotal ? evaluator.bind(id, labels as LabelValues<string>) : undefined;
        const good = matchAll(labels, distinguishing) !== partIsBad;
        return {
          record() {
            series.inc();
            recorder?.record(good);
          },
        };
      }
      const partSeries = counter.labels({ ...base, ...partSide });
      const otherSeries = counter.labels({ ...base, ...otherSide });
      const recorder = inTotal ? evaluator.bind(id, labels as LabelValues<string>) : undefined;
      return {
        record(ok) {
          if (typeof ok !== 'boolean') {
            recorder?.record(ok as unknown as boolean); // counted as invalid there
            return;
          }
          (ok !== partIsBad ? partSeries : otherSeries).inc();
          recorder?.record(ok);
        },
      };
    };
  } else {
    const partMatchers = entries(part.matchers);
    for (const [name, value] of partMatchers) {
      if (listed(name) && total.matchers?.[name] !== value) {
        throw new SloInstrumentError(
          `${what}: "${name}" selects sli.${partIsBad ? 'bad' : 'good'} (${part.metric}); remove it from labelNames, sloCounter sets it`,
        );
      }
    }
    const partFixed = Object.fromEntries(partMatchers.filter(([name]) => !listed(name)));
    const totalCounter = metrics.counter<string>(
      config(total.metric, options.help, [...labelNames, ...Object.keys(totalFixed)]),
    );
    const partCounter = metrics.counter<string>(
      config(part.metric, options.partHelp ?? options.help, [...labelNames, ...Object.keys(partFixed)]),
    );
    counters = [totalCounter, partCounter];
    makePair = (labels) => {
      const totalSeries = totalCounter.labels({ ...(labels as object), ...totalFixed });
      const partSeries = partCounter.labels({ ...(labels as object), ...partFixed });
      const recorder = matchAll(labels, totalChecked)
        ? evaluator.bind(id, labels as LabelValues<string>)
        : undefined;
      return {
        record(ok) {
          if (typeof ok !== 'boolean') {
            recorder?.record(ok as unknown as boolean);
            return;
          }
          totalSeries.inc();
          if (ok !== partIsBad) partSeries.inc();
          recorder?.record(ok);
        },
      };
    };
  }

  const cache = new Map<string, BoundPair>();
  const keyOf = (labels: unknown): string => {
    let key = '';
    for (const name of labelNames) key += `${valueOf(labels, name) ?? '\u0002'}\u0001`;
    return key;
  };
  const pairOf = (labels: unknown): BoundPair => {
    const key = keyOf(labels);
    let pair = cache.get(key);
    if (pair === undefined) {
      pair = makePair(labels);
      if (cache.size < maxBound) cache.set(key, pair);
    }
    return pair;
  };

  return {
    metrics: Object.freeze(counters),
    record(labels, ok) {
      try {
        pairOf(labels).record(ok);
      } catch {
        // hostile labels (a throwing getter): nothing recorded, nothing thrown
      }
    },
    labels(labels) {
      try {
        const pair = makePair(labels);
        return { record: (ok) => pair.record(ok) };
      } catch {
        return { record: () => undefined };
      }
    },
  };
}

function sortKeys(m: Readonly<Record<string, string>> | undefined): [string, string][] {
  return entries(m).sort(([a], [b]) => a.localeCompare(b));
}
